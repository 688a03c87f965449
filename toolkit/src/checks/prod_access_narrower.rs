//! `prod-access-narrower`: no team has a wider Podplane role in production than in staging.

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
    for production in platform.of_stage(Stage::Production) {
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
