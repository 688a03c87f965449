//! `observability-access-separate`: access to observability is not simply production's admin list.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::model::{Environment, Platform, Role, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ObservabilityAccessSeparate,
        default: RuleLevel::Warn,
        summary: "access to observability is not simply production's admin list",
        explanation: "Access to observability is managed separately from cluster admin access: \
the people on call need dashboards and incident history when production is at fault, and the \
people who administer production need not administer the telemetry of every environment. When \
observability's admins are exactly production's admins, the two were not thought about \
separately.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for observability in platform.of_stage(Stage::Observability) {
        let observability_admins = admins(observability);
        for production in platform.of_stage(Stage::Production) {
            if !observability_admins.is_empty() && observability_admins == admins(production) {
                let first = observability_admins
                    .iter()
                    .next()
                    .and_then(|t| observability.access.get(*t));
                let location = first.map_or_else(
                    || environment_file(observability),
                    |a| at(&a.role, observability),
                );
                found.push(
                    Diagnostic::new(
                        format!(
                            "`{}` has exactly `{}`'s admins ({})",
                            observability.name,
                            production.name,
                            observability_admins.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                        location,
                    )
                    .with_help("manage observability access apart from cluster admin access: give it to the people on call"),
                );
            }
        }
    }
    Ok(found)
}

fn admins(env: &Environment) -> BTreeSet<&str> {
    env.access
        .iter()
        .filter(|(_, a)| a.role.value == Role::Admins)
        .map(|(team, _)| team.as_str())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn observability_run_by_the_platform_team_is_found() {
        let platform = Org::new()
            .edit(
                "observability",
                "sre = \"admins\"\nplatform = \"operators\"",
                "sre = \"operators\"\nplatform = \"admins\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/observability/environment.toml:33:12: `observability` has exactly `prod`'s admins (platform)"
            ]
        );
    }
}
