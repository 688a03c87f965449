//! `observability-monitored`: the observability environment names the hosted monitor that watches it.

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ObservabilityMonitored,
        default: RuleLevel::Deny,
        summary: "the observability environment names the hosted monitor that watches it",
        explanation: "The observability cluster still needs its own observability. A small hosted \
provider monitors the health of the self-hosted platform and alerts when it is down or falling \
behind, so that the monitoring system does not fail with the infrastructure it diagnoses. Set \
`monitor` in [observability].",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(platform
        .of_stage(Stage::Observability)
        .filter(|env| {
            env.observability
                .as_ref()
                .is_some_and(|o| o.monitor.is_none())
        })
        .map(|env| {
            Diagnostic::new(
                format!("no hosted monitor watches `{}`", env.name),
                environment_file(env),
            )
            .with_help(
                "name the hosted service that watches it: `monitor = \"...\"` in [observability]",
            )
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn an_unwatched_observability_cluster_is_found() {
        let platform = Org::new()
            .edit("observability", "monitor = \"uptime-robot\"", "")
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/observability/environment.toml: no hosted monitor watches `observability`"
            ]
        );
    }
}
