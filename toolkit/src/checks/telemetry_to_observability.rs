//! `telemetry-to-observability`: every cluster but observability ships its telemetry to the observability environment, none into production; or, with managed observability, to the provider through the relay it runs.

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{ManagedObservability, Origin, Platform, Stage, hosts};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::TelemetryToObservability,
        default: RuleLevel::Deny,
        summary: "every cluster ships its telemetry to the observability environment (none into production), or through its relay to the managed provider",
        explanation: "Observability should not depend on the clusters it observes: if production \
is down, overloaded or unreachable you still need what it recorded. Production, staging, \
development and CI all ship their telemetry to the dedicated observability cluster, which \
keeps it in-region and in-account; no cluster ships it into a production cluster. Podplane's \
telemetry variables (`platform.auto.tfvars`) ship each cluster's VM logs over OTLP; they \
carry no metrics or traces, which the workloads must send themselves. Check the \
`otlp_endpoint` naming pattern and that an observability environment exists. With managed \
observability (`[observability]` in platform.toml, and no observability environment) \
telemetry goes to a hosted provider instead; Podplane's VM telemetry cannot authenticate, \
so each cluster runs the relay service, which its VMs ship to and which forwards to the \
provider with the credential it reads from a secret: every cluster must run it, as a web \
service, with the endpoint, header and credential file that `[observability]` makes, and \
read that secret.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let observability_env = platform.of_stage(Stage::Observability).next();
    Ok(match (&platform.managed_observability, observability_env) {
        (Some(managed), None) => through_relays(platform, managed),
        (Some(managed), Some(env)) => vec![
            Diagnostic::new(
                format!(
                    "telemetry goes to the observability environment `{}`, so [observability] in platform.toml ({}) is left over",
                    env.name, managed.provider.value
                ),
                match &managed.provider.origin {
                    Origin::File(span) => Location::Span(span.clone()),
                    _ => Location::Path(platform.file.path.clone()),
                },
            )
            .with_help(format!(
                "remove [observability] from platform.toml, and [services.{}] from the environments with its secret",
                managed.relay.value
            )),
        ],
        (None, _) => to_observability(platform),
    })
}

/// Managed observability: every cluster runs the relay, a web service its VMs reach,
/// configured as `[observability]` says and reading the provider's credential.
fn through_relays(platform: &Platform, managed: &ManagedObservability) -> Vec<Diagnostic> {
    let relay = managed.relay.value.as_str();
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        let Some(service) = cluster.services.get(relay) else {
            found.push(
                Diagnostic::new(
                    format!("`{}` sends its telemetry nowhere: it does not run the relay `{relay}`", env.name),
                    environment_file(env),
                )
                .with_help(format!(
                    "add [services.{relay}] with the version of crates/{relay}: it carries the cluster's VM logs to {}",
                    managed.provider.value
                )),
            );
            continue;
        };
        if service.host().is_none() {
            found.push(
                Diagnostic::new(
                    format!("the relay `{relay}` of `{}` is a worker, which no VM can reach", env.name),
                    at(&service.version, env),
                )
                .with_help(format!("declare `template = \"web\"` in the [package.metadata.platform] of crates/{relay}")),
            );
        }
        for (key, want) in managed.relay_env() {
            match service.env.iter().find(|(name, _)| name == key) {
                Some((_, have)) if have.value == want => {}
                Some((_, have)) => found.push(
                    Diagnostic::new(
                        format!(
                            "the relay of `{}` has {key} = \"{}\", where [observability] in platform.toml makes it \"{want}\"",
                            env.name, have.value
                        ),
                        at(have, env),
                    )
                    .with_help(format!("set {key} = \"{want}\" in the env of [services.{relay}]")),
                ),
                None => found.push(
                    Diagnostic::new(
                        format!("the relay of `{}` has no {key}", env.name),
                        at(&service.version, env),
                    )
                    .with_help(format!("add {key} = \"{want}\" to the env of [services.{relay}]")),
                ),
            }
        }
        let credential = &managed.credential.value;
        if !service.secrets.iter().any(|s| &s.value == credential) {
            found.push(
                Diagnostic::new(
                    format!("the relay of `{}` does not read the credential `{credential}`", env.name),
                    at(&service.version, env),
                )
                .with_help(format!(
                    "add \"{credential}\" to the secrets of [services.{relay}], and create it in the cluster: `podplane secret create --for {relay} {credential}`"
                )),
            );
        }
    }
    found
}

/// Self-hosted observability: every cluster but observability ships to the observability
/// environment's zone, and none into production.
fn to_observability(platform: &Platform) -> Vec<Diagnostic> {
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
                    .with_help("add an observability environment (`cargo xtask new-env observability --stage observability`), or send telemetry to a hosted provider with [observability] in platform.toml"),
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
    found
}

fn host_in_zone(url: &str, zone: &str) -> bool {
    hosts::in_zone(hosts::url_host(url), zone)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    /// Managed observability through `storefront` as the relay (a web service).
    const MANAGED: &str = "[observability]\nprovider = \"honeycomb\"\nendpoint = \"https://api.honeycomb.io\"\nheader = \"x-honeycomb-team\"\ncredential_key = \"otlp-credential\"\nrelay = \"storefront\"\n\n[naming]\n";

    /// Production's relay as `MANAGED` makes it.
    const PROD_RELAY: &str = "env = { LOG_LEVEL = \"info\", OTLP_CREDENTIAL_FILE = \"/var/run/podplane/secrets/otlp-credential\", OTLP_ENDPOINT = \"https://api.honeycomb.io\", OTLP_HEADER = \"x-honeycomb-team\" }\nsecrets = [\"otlp-credential\"]\n";

    #[test]
    fn managed_telemetry_needs_the_relay_in_every_cluster_as_platform_toml_makes_it() {
        let platform = Org::new()
            .without("observability")
            .edit("platform", "[naming]\n", MANAGED)
            .edit(
                "staging",
                "env = { LOG_LEVEL = \"info\" }\n",
                "env = { LOG_LEVEL = \"info\", OTLP_ENDPOINT = \"https://otlp.example.com\" }\n",
            )
            .edit("prod", "env = { LOG_LEVEL = \"info\" }\n", PROD_RELAY)
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/ci/environment.toml: `ci` sends its telemetry nowhere: it does not run the relay `storefront`",
                "environments/dev/environment.toml:34:11: the relay of `dev` has no OTLP_CREDENTIAL_FILE",
                "environments/dev/environment.toml:34:11: the relay of `dev` has no OTLP_ENDPOINT",
                "environments/dev/environment.toml:34:11: the relay of `dev` has no OTLP_HEADER",
                "environments/dev/environment.toml:34:11: the relay of `dev` does not read the credential `otlp-credential`",
                "environments/staging/environment.toml:34:11: the relay of `staging` has no OTLP_CREDENTIAL_FILE",
                "environments/staging/environment.toml:35:45: the relay of `staging` has OTLP_ENDPOINT = \"https://otlp.example.com\", where [observability] in platform.toml makes it \"https://api.honeycomb.io\"",
                "environments/staging/environment.toml:34:11: the relay of `staging` has no OTLP_HEADER",
                "environments/staging/environment.toml:34:11: the relay of `staging` does not read the credential `otlp-credential`",
            ]
        );
        // Production's VMs ship to the relay production runs.
        let prod = platform.find("prod").unwrap();
        let endpoint = prod
            .cluster
            .as_ref()
            .unwrap()
            .otlp_endpoint
            .as_ref()
            .unwrap();
        assert_eq!(endpoint.value, "https://storefront.prod.initech.test");
    }

    #[test]
    fn a_relay_that_is_a_worker_is_found_and_a_left_over_table_is_said() {
        let relay_worker = Org::new()
            .without("observability")
            .edit(
                "platform",
                "[naming]\n",
                &MANAGED.replace("\"storefront\"", "\"mailer\""),
            )
            .platform();
        let found = findings(&RULE, &relay_worker, &context());
        assert!(
            found.contains(&"environments/prod/environment.toml:36:11: the relay `mailer` of `prod` is a worker, which no VM can reach".to_owned()),
            "{found:#?}"
        );
        let both = Org::new()
            .edit("platform", "[naming]\n", MANAGED)
            .platform();
        assert_eq!(
            findings(&RULE, &both, &context()),
            [
                "environments/platform.toml:45:12: telemetry goes to the observability environment `observability`, so [observability] in platform.toml (honeycomb) is left over"
            ]
        );
    }

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
