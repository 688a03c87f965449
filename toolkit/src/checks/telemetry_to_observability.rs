//! `telemetry-to-observability`: every cluster but observability ships its telemetry to the observability environment, none into production; or, with managed observability, to the provider through the relay it runs.

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{
    DEFAULT_RELAY, ManagedObservability, OPENOBSERVE_SERVICE, ObservabilityPlatform, Origin,
    Platform, Stage, hosts,
};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::TelemetryToObservability,
        default: RuleLevel::Deny,
        summary: "every cluster ships its telemetry to the observability environment, which serves it (none into production), or through its relay to the managed provider",
        explanation: "Observability should not depend on the clusters it observes: if production \
is down, overloaded or unreachable you still need what it recorded. Production, staging, \
development and CI all ship their telemetry to the dedicated observability cluster, which \
keeps it in-region and in-account; no cluster ships it into a production cluster. Podplane's \
telemetry variables (`platform.auto.tfvars`) ship each cluster's VM logs over OTLP; they \
carry no metrics or traces, which the workloads must send themselves. Check the \
`otlp_endpoint` naming pattern and that an observability environment exists. With OpenObserve \
as its platform, the observability environment runs it (the service `openobserve`, keeping \
telemetry as long as `retention_days` says in `ZO_COMPACT_DATA_RETENTION_DAYS`) and serves \
the OTLP endpoint's host with the relay, because OpenObserve takes telemetry only with its \
ingest credential: the relay forwards to `https://<OpenObserve's host>/api/default` with the \
`Authorization` header it reads from a secret. Each cluster posts to `/<environment>/v1/logs` \
of that host, and the relay names the environment's stream in OpenObserve's `stream-name` \
header (`OTLP_STREAM_HEADER`), so that each cluster's telemetry is a stream of its own. Every \
secret a `*_FILE` variable names is one the service reads. Another platform is yours to deploy. With managed \
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
        (None, _) => {
            let mut found = to_observability(platform);
            found.extend(openobserve_serves(platform));
            found
        }
    })
}

/// The variable that holds OpenObserve's retention, in days.
const RETENTION: &str = "ZO_COMPACT_DATA_RETENTION_DAYS";

/// Self-hosted OpenObserve: the observability environment runs it as a web service, and
/// serves the OTLP endpoint's host with a relay that forwards to OpenObserve's ingest with
/// its credential. Another platform is deployed by the team, so only its endpoint's zone
/// is checked.
fn openobserve_serves(platform: &Platform) -> Vec<Diagnostic> {
    let Some(env) = platform.of_stage(Stage::Observability).next() else {
        return Vec::new();
    };
    let (Some(observability), Some(cluster)) = (&env.observability, &env.cluster) else {
        return Vec::new();
    };
    if observability.platform.value != ObservabilityPlatform::Openobserve {
        return Vec::new();
    }
    let mut found = Vec::new();
    let name = OPENOBSERVE_SERVICE;
    let Some(openobserve) = cluster.services.get(name) else {
        found.push(
            Diagnostic::new(
                format!("`{}` names OpenObserve as its platform but does not run it: the telemetry every cluster ships reaches nothing", env.name),
                at(&observability.platform, env),
            )
            .with_help(format!("add [services.{name}] with the version of crates/{name}, the service `cargo xtask new-repo` writes for it (README: \"The observability platform\")")),
        );
        return found;
    };
    let Some(openobserve_host) = openobserve.host() else {
        found.push(
            Diagnostic::new(
                format!("OpenObserve (`{name}`) is a worker in `{}`: nothing can reach its ingest or its dashboards", env.name),
                at(&openobserve.version, env),
            )
            .with_help(format!("declare `template = \"web\"` and `port = 5080` in the [package.metadata.platform] of crates/{name}")),
        );
        return found;
    };
    let retention = observability.retention_days.value.to_string();
    match openobserve.env.iter().find(|(key, _)| key == RETENTION) {
        Some((_, days)) if days.value == retention => {}
        Some((_, days)) => found.push(
            Diagnostic::new(
                format!("OpenObserve keeps telemetry for {} days ({RETENTION}), where `retention_days` says {retention}", days.value),
                at(days, env),
            )
            .with_help(format!("set {RETENTION} = \"{retention}\" in the env of [services.{name}], or change `retention_days`")),
        ),
        None => found.push(
            Diagnostic::new(
                format!("OpenObserve has no {RETENTION}: it would keep telemetry for its default of ten years, not `retention_days` ({retention})"),
                at(&openobserve.version, env),
            )
            .with_help(format!("add {RETENTION} = \"{retention}\" to the env of [services.{name}]")),
        ),
    }
    found.extend(super::unbound_secrets(name, openobserve, env));
    // Each cluster's own stream: Podplane's VMs post to the endpoint's path as it is, and
    // the relay takes the stream from its first segment.
    for shipping in platform.environments.values() {
        let Some(endpoint) = shipping
            .cluster
            .as_ref()
            .and_then(|c| c.otlp_endpoint.as_ref())
        else {
            continue;
        };
        let want = format!("/{}/v1/logs", shipping.name);
        if !endpoint.value.ends_with(&want) {
            found.push(
                Diagnostic::new(
                    format!("`{}` ships to {}, which is not its own stream: OpenObserve and the heartbeat tell the clusters apart by the path {want}", shipping.name, endpoint.value),
                    at(endpoint, shipping),
                )
                .with_help("end `otlp_endpoint` in [naming] with `/{{env}}/v1/logs`, as the convention does: `https://otlp.{{observability_zone}}/{{env}}/v1/logs`"),
            );
        }
    }
    let endpoints: BTreeSet<&str> = platform
        .environments
        .values()
        .filter_map(|e| e.cluster.as_ref()?.otlp_endpoint.as_ref())
        .map(|endpoint| hosts::url_host(&endpoint.value))
        .collect();
    let ingest = format!("https://{}/api/default", openobserve_host.value);
    for host in endpoints {
        let relay = cluster
            .services
            .iter()
            .find(|(_, service)| service.host().is_some_and(|h| h.value.as_str() == host));
        let Some((relay_name, relay)) = relay else {
            found.push(
                Diagnostic::new(
                    format!("nothing in `{}` serves {host}, the OTLP endpoint every cluster ships to", env.name),
                    environment_file(env),
                )
                .with_help(format!(
                    "run the relay there: [services.{DEFAULT_RELAY}] with hostname = \"{host}\", forwarding to OpenObserve (OTLP_ENDPOINT = \"{ingest}\") with its ingest credential"
                )),
            );
            continue;
        };
        let want = [
            ("OTLP_ENDPOINT", ingest.as_str()),
            ("OTLP_HEADER", "Authorization"),
            ("OTLP_STREAM_HEADER", "stream-name"),
        ];
        for (key, value) in want {
            match relay.env.iter().find(|(k, _)| k == key) {
                Some((_, have)) if have.value == value => {}
                Some((_, have)) => found.push(
                    Diagnostic::new(
                        format!("`{relay_name}` serves {host} with {key} = \"{}\", where forwarding to OpenObserve takes \"{value}\"", have.value),
                        at(have, env),
                    )
                    .with_help(format!("set {key} = \"{value}\" in the env of [services.{relay_name}]")),
                ),
                None => found.push(
                    Diagnostic::new(
                        format!("`{relay_name}` serves {host} but has no {key}: it cannot forward to OpenObserve"),
                        at(&relay.version, env),
                    )
                    .with_help(format!("add {key} = \"{value}\" to the env of [services.{relay_name}]")),
                ),
            }
        }
        if !relay.env.iter().any(|(k, _)| k == "OTLP_CREDENTIAL_FILE") {
            found.push(
                Diagnostic::new(
                    format!("`{relay_name}` serves {host} but reads no credential: OpenObserve refuses telemetry without one"),
                    at(&relay.version, env),
                )
                .with_help(format!("add OTLP_CREDENTIAL_FILE = \"/var/run/podplane/secrets/<key>\" to the env of [services.{relay_name}], the key to its secrets, and create it: \"Basic \" and base64 of OpenObserve's user:password")),
            );
        }
        found.extend(super::unbound_secrets(relay_name, relay, env));
    }
    found
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
        let host = hosts::url_host(&endpoint.value);
        if let Some((prod, _)) = production
            .iter()
            .find(|(_, zone)| hosts::in_zone(host, zone))
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
            .any(|(_, zone)| hosts::in_zone(host, zone))
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

    /// OpenObserve and its relay in the observability environment, as `new-repo` writes
    /// them (with initech's retention of 14 days).
    const OPENOBSERVE: &str = "[services.openobserve]\nversion = \"1.0.0\"\nsecrets = [\"root-password\"]\nenv = { ZO_COMPACT_DATA_RETENTION_DAYS = \"14\", ZO_ROOT_USER_PASSWORD_FILE = \"/var/run/podplane/secrets/root-password\" }\n\n[services.otlp-relay]\nversion = \"1.0.0\"\nhostname = \"otlp.observability.initech.test\"\nsecrets = [\"openobserve-ingest\"]\nenv = { OTLP_CREDENTIAL_FILE = \"/var/run/podplane/secrets/openobserve-ingest\", OTLP_ENDPOINT = \"https://openobserve.observability.initech.test/api/default\", OTLP_HEADER = \"Authorization\", OTLP_STREAM_HEADER = \"stream-name\" }\n";

    /// Initech with OpenObserve as its platform, and `services` in its observability
    /// environment.
    fn openobserve(services: &str) -> crate::model::Platform {
        let last = "developers = \"viewers\"\n";
        Org::new()
            .edit("observability", "\"victoriametrics\"", "\"openobserve\"")
            .edit("observability", last, &format!("{last}\n{services}"))
            .platform()
    }

    #[test]
    fn openobserve_is_deployed_and_serves_the_host_every_cluster_ships_to() {
        assert_eq!(
            findings(&RULE, &openobserve(OPENOBSERVE), &context()),
            Vec::<String>::new()
        );
        assert_eq!(
            findings(&RULE, &openobserve(""), &context()),
            [
                "environments/observability/environment.toml:11:12: `observability` names OpenObserve as its platform but does not run it: the telemetry every cluster ships reaches nothing"
            ]
        );
        let without_relay = OPENOBSERVE.split("\n\n").next().unwrap();
        assert_eq!(
            findings(&RULE, &openobserve(without_relay), &context()),
            [
                "environments/observability/environment.toml: nothing in `observability` serves otlp.observability.initech.test, the OTLP endpoint every cluster ships to"
            ]
        );
        let broken = OPENOBSERVE
            .replace("RETENTION_DAYS = \"14\"", "RETENTION_DAYS = \"30\"")
            .replace("secrets = [\"root-password\"]", "secrets = []")
            .replace("/api/default", "")
            .replace(
                "OTLP_CREDENTIAL_FILE = \"/var/run/podplane/secrets/openobserve-ingest\", ",
                "",
            );
        assert_eq!(
            findings(&RULE, &openobserve(&broken), &context()),
            [
                "environments/observability/environment.toml:39:42: OpenObserve keeps telemetry for 30 days (ZO_COMPACT_DATA_RETENTION_DAYS), where `retention_days` says 14",
                "environments/observability/environment.toml:39:77: `openobserve` in `observability` reads the secret `root-password` (ZO_ROOT_USER_PASSWORD_FILE) but does not bind it",
                "environments/observability/environment.toml:45:25: `otlp-relay` serves otlp.observability.initech.test with OTLP_ENDPOINT = \"https://openobserve.observability.initech.test\", where forwarding to OpenObserve takes \"https://openobserve.observability.initech.test/api/default\"",
                "environments/observability/environment.toml:42:11: `otlp-relay` serves otlp.observability.initech.test but reads no credential: OpenObserve refuses telemetry without one",
            ]
        );
    }

    #[test]
    fn with_openobserve_each_cluster_ships_to_its_own_stream() {
        let platform = Org::new()
            .edit("observability", "\"victoriametrics\"", "\"openobserve\"")
            .edit(
                "observability",
                "developers = \"viewers\"\n",
                &format!("developers = \"viewers\"\n\n{OPENOBSERVE}"),
            )
            .edit(
                "platform",
                "[naming]\n",
                "[naming]\notlp_endpoint = \"https://otlp.{{observability_zone}}/v1/logs\"\n",
            )
            .platform();
        let found = findings(&RULE, &platform, &context());
        assert_eq!(found.len(), 4, "{found:#?}");
        assert_eq!(
            found[0],
            "environments/ci/environment.toml: `ci` ships to https://otlp.observability.initech.test/v1/logs, which is not its own stream: OpenObserve and the heartbeat tell the clusters apart by the path /ci/v1/logs"
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
