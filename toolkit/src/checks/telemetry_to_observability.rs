//! `telemetry-to-observability`: every cluster but observability ships its telemetry to the observability environment, none into production.

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, Stage, hosts};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::TelemetryToObservability,
        default: RuleLevel::Deny,
        summary: "every cluster but observability ships its telemetry to the observability environment, none into production",
        explanation: "Observability should not depend on the clusters it observes: if production \
is down, overloaded or unreachable you still need what it recorded. Production, staging, \
development and CI all ship their telemetry to the dedicated observability cluster, which \
keeps it in-region and in-account; no cluster ships it into a production cluster. Podplane's \
telemetry variables (`platform.auto.tfvars`) ship each cluster's VM logs over OTLP; they \
carry no metrics or traces, which the workloads must send themselves. Check the \
`otlp_endpoint` naming pattern and that an observability environment exists.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let zones = |stage| -> Vec<(String, String)> {
        platform
            .of_stage(stage)
            .filter_map(|e| {
                Some((
                    e.name.to_string(),
                    e.cluster.as_ref()?.zone.value.to_string(),
                ))
            })
            .collect()
    };
    let observability = zones(Stage::Observability);
    let production = zones(Stage::Production);
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        if env.stage.value == Stage::Observability {
            continue;
        }
        let Some(endpoint) = &cluster.otlp_endpoint else {
            found.push(
                Diagnostic::new(format!("`{}` sends its telemetry nowhere", env.name), environment_file(env))
                    .with_help("add an observability environment: `cargo xtask new-env observability --stage observability`"),
            );
            continue;
        };
        if let Some((prod, _)) = production
            .iter()
            .find(|(_, zone)| host_in_zone(&endpoint.value, zone))
        {
            found.push(
                Diagnostic::new(
                    format!("`{}` sends its telemetry into the production cluster `{prod}` ({})", env.name, endpoint.value),
                    at(endpoint, env),
                )
                .with_help("send telemetry to the observability environment; check `otlp_endpoint` in [naming]"),
            );
        } else if !observability
            .iter()
            .any(|(_, zone)| host_in_zone(&endpoint.value, zone))
        {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` sends its telemetry to {}, outside the observability environment",
                        env.name, endpoint.value
                    ),
                    at(endpoint, env),
                )
                .with_help(
                    "point `otlp_endpoint` in [naming] at the observability environment's zone",
                ),
            );
        }
    }
    Ok(found)
}

fn host_in_zone(url: &str, zone: &str) -> bool {
    hosts::in_zone(hosts::url_host(url), zone)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn telemetry_sent_into_production_is_found() {
        let platform = Org::new()
            .edit(
                "platform",
                "[naming]\n",
                "[naming]\notlp_endpoint = \"https://otlp.prod.{{domain}}\"\n",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/ci/environment.toml: `ci` sends its telemetry into the production cluster `prod` (https://otlp.prod.initech.test)",
                "environments/dev/environment.toml: `dev` sends its telemetry into the production cluster `prod` (https://otlp.prod.initech.test)",
                "environments/prod/environment.toml: `prod` sends its telemetry into the production cluster `prod` (https://otlp.prod.initech.test)",
                "environments/staging/environment.toml: `staging` sends its telemetry into the production cluster `prod` (https://otlp.prod.initech.test)"
            ]
        );
    }
}
