//! `staged-before-prod`: every service deployed to production is deployed to staging.

use crate::diagnostic::Diagnostic;
use crate::model::{Environment, Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::StagedBeforeProd,
        default: RuleLevel::Deny,
        summary: "every service deployed to production is deployed to staging",
        explanation: "Staging validates the exact candidate that may go to production, and \
production deploys are promoted from the staged candidate. A service that runs in production \
but not in staging reaches customers without that validation. The rule applies when the \
platform has a staging environment; staging is optional in the topology guide.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let staging: Vec<&Environment> = platform.of_stage(Stage::Staging).collect();
    if staging.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for production in platform.of_stage(Stage::Production) {
        let Some(cluster) = &production.cluster else {
            continue;
        };
        for (name, service) in &cluster.services {
            let staged = staging.iter().any(|s| {
                s.cluster
                    .as_ref()
                    .is_some_and(|c| c.services.contains_key(name))
            });
            if !staged {
                found.push(
                    Diagnostic::new(
                        format!(
                            "service `{name}` runs in `{}` but in no staging environment",
                            production.name
                        ),
                        at(&service.version, production),
                    )
                    .with_help(format!("deploy `{name}` to staging first, then promote it")),
                );
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
    fn a_service_production_runs_and_staging_does_not_is_found() {
        let platform = Org::new()
            .edit(
                "staging",
                "[services.storefront]\nversion = \"1.3.0\"\nenv = { LOG_LEVEL = \"info\" }\n",
                "",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:32:11: service `storefront` runs in `prod` but in no staging environment"
            ]
        );
    }
}
