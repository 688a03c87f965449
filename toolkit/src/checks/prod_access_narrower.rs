//! `prod-access-narrower`: no team has a wider Podplane role in production than in staging.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ProdAccessNarrower,
        default: RuleLevel::Deny,
        summary: "no team has a wider Podplane role in production than in staging",
        explanation: "Keep access to production narrower than in non-production environments. A \
team that may do more in production than in staging can change production in ways that were \
never rehearsed. Roles from widest to narrowest: admins, managers, operators, editors, viewers. \
Narrow the team's role in production, or widen it in staging if the work belongs there too.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    let stagings: Vec<_> = platform.of_stage(Stage::Staging).collect();
    // Each team's narrowest role in staging, and in how many staging environments it has
    // one: a production environment within them all needs no pair compared.
    let mut narrowest: HashMap<&str, (usize, usize)> = HashMap::new();
    for staging in &stagings {
        for (team, access) in &staging.access {
            let rank = access.role.value.rank();
            let (least, holding) = narrowest.entry(team).or_insert((rank, 0));
            *least = (*least).min(rank);
            *holding += 1;
        }
    }
    for production in platform.of_stage(Stage::Production) {
        let within = production.access.iter().all(|(team, access)| {
            narrowest
                .get(team.as_str())
                .is_some_and(|&(least, holding)| {
                    holding == stagings.len() && access.role.value.rank() <= least
                })
        });
        if within {
            continue;
        }
        for &staging in &stagings {
            for (team, access) in &production.access {
                let in_staging = staging.access.get(team).map(|a| a.role.value);
                let wider = in_staging.is_none_or(|role| access.role.value.rank() > role.rank());
                if wider {
                    let staging_role =
                        in_staging.map_or("no access".to_owned(), |r| format!("`{r}`"));
                    found.push(
                        Diagnostic::new(
                            format!(
                                "team `{team}` is `{}` in `{}` but has {staging_role} in `{}`",
                                access.role.value, production.name, staging.name
                            ),
                            at(&access.role, production),
                        )
                        .with_label("wider than in staging")
                        .with_help(format!(
                            "narrow `{team}` in `{}`, or widen it in `{}` if the work belongs there too",
                            production.name, staging.name
                        )),
                    );
                }
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    /// The findings with a second staging environment, in a VPC of its own, whose access
    /// table is `access`, and with production's `from` replaced by `to`.
    fn with_staging_b(access: &str, (from, to): (&str, &str)) -> Vec<String> {
        let staging = Org::staging().replace("10.20.0.0/16", "10.60.0.0/16");
        let start = staging.find("[access]\n").unwrap();
        let end = start + staging[start..].find("\n\n").unwrap();
        let staging_b = format!("{}[access]\n{access}{}", &staging[..start], &staging[end..]);
        let platform = Org::new()
            .edit("prod", from, to)
            .with("staging-b", &staging_b)
            .platform();
        findings(&RULE, &platform, &context())
    }

    #[test]
    fn each_staging_environment_is_compared_and_only_the_wider_pairs_are_found() {
        let prod_as_is = ("sre = \"operators\"", "sre = \"operators\"");
        let within = "platform = \"admins\"\ndevelopers = \"editors\"\nsre = \"operators\"";
        assert_eq!(with_staging_b(within, prod_as_is), Vec::<String>::new());
        // Within staging's role, wider than staging-b's.
        assert_eq!(
            with_staging_b(
                "platform = \"admins\"\ndevelopers = \"viewers\"\nsre = \"operators\"",
                ("developers = \"viewers\"", "developers = \"editors\""),
            ),
            [
                "environments/prod/environment.toml:28:14: team `developers` is `editors` in `prod` but has `viewers` in `staging-b`"
            ]
        );
        // A team staging-b leaves out is wider in production than no access.
        assert_eq!(
            with_staging_b("platform = \"admins\"\nsre = \"operators\"", prod_as_is),
            [
                "environments/prod/environment.toml:28:14: team `developers` is `viewers` in `prod` but has no access in `staging-b`"
            ]
        );
        // A team staging-b leaves out, and a team narrower there than in staging.
        assert_eq!(
            with_staging_b(
                "platform = \"admins\"\nsre = \"editors\"",
                ("sre = \"operators\"", "sre = \"managers\""),
            ),
            [
                "environments/prod/environment.toml:29:7: team `sre` is `managers` in `prod` but has `operators` in `staging`",
                "environments/prod/environment.toml:28:14: team `developers` is `viewers` in `prod` but has no access in `staging-b`",
                "environments/prod/environment.toml:29:7: team `sre` is `managers` in `prod` but has `editors` in `staging-b`",
            ]
        );
    }

    #[test]
    fn a_team_with_more_rights_in_production_is_found() {
        let platform = Org::new()
            .edit(
                "prod",
                "developers = \"viewers\"",
                "developers = \"admins\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:28:14: team `developers` is `admins` in `prod` but has `editors` in `staging`"
            ]
        );
    }
}
