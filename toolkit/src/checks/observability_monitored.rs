//! `observability-monitored`: a hosted monitor watches the observability platform, through
//! checks rendered from the topology and a heartbeat that pings them.

use crate::diagnostic::Diagnostic;
use crate::model::telemetry::{HEARTBEAT_CHECKS, check_slug, shipping};
use crate::model::{
    Environment, HEARTBEAT_SERVICE, OPENOBSERVE_SERVICE, Observability, ObservabilityPlatform,
    Platform, Stage,
};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

/// The monitor whose checks `render` writes and CI applies.
pub const MONITOR: &str = "healthchecks";

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ObservabilityMonitored,
        default: RuleLevel::Deny,
        summary: "a hosted monitor watches the observability platform, with rendered checks and a heartbeat that pings them",
        explanation: "The observability cluster still needs its own observability. A small hosted \
provider monitors the health of the self-hosted platform and alerts when it is down or falling \
behind, so that the monitoring system does not fail with the infrastructure it diagnoses. With \
OpenObserve as the platform, the monitor is Healthchecks (`monitor = \"healthchecks\"`): \
`render` writes one check per cluster that ships telemetry (`healthchecks.json` in the \
observability environment), CI applies them when it deploys that environment, and the \
observability environment runs the heartbeat, a worker that pings a cluster's check only while \
OpenObserve holds recent telemetry of it; a cluster that falls silent or behind, an OpenObserve \
that is down, or a heartbeat that stopped all end the pings, and Healthchecks alerts on its own. \
The heartbeat must ask OpenObserve's search API (`HEARTBEAT_SEARCH_URL`), watch every shipping \
cluster (`HEARTBEAT_CHECKS`, which the topology makes), and read the secrets its `*_FILE` \
variables name. With another platform, name the hosted monitor that watches it in `monitor`.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.of_stage(Stage::Observability) {
        let Some(observability) = &env.observability else {
            continue;
        };
        if observability.platform.value == ObservabilityPlatform::Openobserve {
            found.extend(heartbeat(platform, env, observability));
            continue;
        }
        if observability.monitor.is_none() {
            found.push(
                Diagnostic::new(
                    format!("no hosted monitor watches `{}`", env.name),
                    environment_file(env),
                )
                .with_help(
                    "name the hosted service that watches it: `monitor = \"...\"` in [observability]",
                ),
            );
        }
    }
    Ok(found)
}

/// OpenObserve's watcher: Healthchecks as the monitor, and the heartbeat deployed as a
/// worker that asks OpenObserve about every shipping cluster and reads its secrets.
fn heartbeat(
    platform: &Platform,
    env: &Environment,
    observability: &Observability,
) -> Vec<Diagnostic> {
    let mut found = Vec::new();
    match &observability.monitor {
        Some(monitor) if monitor.value == MONITOR => {}
        Some(monitor) => found.push(
            Diagnostic::new(
                format!("`monitor = \"{}\"`: the checks of OpenObserve's watcher are rendered and applied for Healthchecks only, so nothing would watch `{}`", monitor.value, env.name),
                at(monitor, env),
            )
            .with_help(format!("set `monitor = \"{MONITOR}\"` in [observability]: render writes its checks, CI applies them, the heartbeat pings them")),
        ),
        None => found.push(
            Diagnostic::new(
                format!("no hosted monitor watches `{}`", env.name),
                environment_file(env),
            )
            .with_help(format!("set `monitor = \"{MONITOR}\"` in [observability]")),
        ),
    }
    let Some(cluster) = &env.cluster else {
        return found;
    };
    let name = HEARTBEAT_SERVICE;
    let Some(service) = cluster.services.get(name) else {
        found.push(
            Diagnostic::new(
                format!("no heartbeat watches OpenObserve in `{}`: the monitor's checks would never be pinged", env.name),
                environment_file(env),
            )
            .with_help(format!("add [services.{name}] with the version of crates/{name}, the worker `cargo xtask new-repo` writes (README: \"The observability platform\")")),
        );
        return found;
    };
    if service.host().is_some() {
        found.push(
            Diagnostic::new(
                format!("the heartbeat `{name}` of `{}` is a web service: it serves nothing, and runs one copy only as a worker should", env.name),
                at(&service.version, env),
            )
            .with_help(format!("declare `template = \"worker\"` in the [package.metadata.platform] of crates/{name}")),
        );
    }
    let variable = |key: &str| service.env.iter().find(|(k, _)| k == key).map(|(_, v)| v);
    if let Some(host) = cluster
        .services
        .get(OPENOBSERVE_SERVICE)
        .and_then(|openobserve| openobserve.host())
    {
        let want = format!("https://{}/api/default/_search", host.value);
        match variable("HEARTBEAT_SEARCH_URL") {
            Some(have) if have.value == want => {}
            Some(have) => found.push(
                Diagnostic::new(
                    format!("the heartbeat asks {} for telemetry, where OpenObserve's search API is {want}", have.value),
                    at(have, env),
                )
                .with_help(format!("set HEARTBEAT_SEARCH_URL = \"{want}\" in the env of [services.{name}]")),
            ),
            None => found.push(
                Diagnostic::new(
                    "the heartbeat has no HEARTBEAT_SEARCH_URL: it cannot ask OpenObserve".to_owned(),
                    at(&service.version, env),
                )
                .with_help(format!("add HEARTBEAT_SEARCH_URL = \"{want}\" to the env of [services.{name}]")),
            ),
        }
    }
    if variable("HEARTBEAT_PING_URL").is_none() {
        found.push(
            Diagnostic::new(
                "the heartbeat has no HEARTBEAT_PING_URL: it cannot ping the monitor".to_owned(),
                at(&service.version, env),
            )
            .with_help(format!(
                "add HEARTBEAT_PING_URL = \"https://hc-ping.com\" to the env of [services.{name}]"
            )),
        );
    }
    let watched = shipping(&platform.environments)
        .iter()
        .map(|(env, id)| format!("{env}:{}", check_slug(id)))
        .collect::<Vec<_>>()
        .join(",");
    if let Some(checks) = variable(HEARTBEAT_CHECKS)
        && checks.value != watched
    {
        found.push(
            Diagnostic::new(
                format!("the heartbeat watches {}, where the clusters that ship telemetry here make {watched}", checks.value),
                at(checks, env),
            )
            .with_help(format!("remove {HEARTBEAT_CHECKS} from the env of [services.{name}]: the topology makes it")),
        );
    }
    found.extend(super::unbound_secrets(name, service, env));
    found
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

    /// OpenObserve, its relay and the heartbeat as `new-repo` writes them, in initech.
    const WATCHED: &str = "[services.openobserve]\nversion = \"1.0.0\"\n\n[services.heartbeat]\nversion = \"1.0.0\"\nsecrets = [\"healthchecks-ping-key\", \"openobserve-query\"]\nenv = { HEARTBEAT_CREDENTIAL_FILE = \"/var/run/podplane/secrets/openobserve-query\", HEARTBEAT_PING_KEY_FILE = \"/var/run/podplane/secrets/healthchecks-ping-key\", HEARTBEAT_PING_URL = \"https://hc-ping.com\", HEARTBEAT_SEARCH_URL = \"https://openobserve.observability.initech.test/api/default/_search\" }\n";

    fn openobserve(monitor: &str, services: &str) -> crate::model::Platform {
        let last = "developers = \"viewers\"\n";
        Org::new()
            .edit("observability", "\"victoriametrics\"", "\"openobserve\"")
            .edit("observability", "\"uptime-robot\"", monitor)
            .edit("observability", last, &format!("{last}\n{services}"))
            .platform()
    }

    #[test]
    fn openobserve_is_watched_by_the_heartbeat_and_healthchecks() {
        let watched = openobserve("\"healthchecks\"", WATCHED);
        assert_eq!(findings(&RULE, &watched, &context()), Vec::<String>::new());
        // The topology says which clusters the heartbeat watches.
        let heartbeat = &watched
            .find("observability")
            .unwrap()
            .cluster
            .as_ref()
            .unwrap()
            .services["heartbeat"];
        let checks = heartbeat
            .env
            .iter()
            .find(|(k, _)| k == "HEARTBEAT_CHECKS")
            .unwrap();
        assert_eq!(
            checks.1.value,
            "ci:initech-ci-telemetry,dev:initech-dev-telemetry,prod:initech-prod-telemetry,staging:initech-staging-telemetry"
        );
        assert_eq!(
            findings(&RULE, &openobserve("\"uptime-robot\"", ""), &context()),
            [
                "environments/observability/environment.toml:13:11: `monitor = \"uptime-robot\"`: the checks of OpenObserve's watcher are rendered and applied for Healthchecks only, so nothing would watch `observability`",
                "environments/observability/environment.toml: no heartbeat watches OpenObserve in `observability`: the monitor's checks would never be pinged",
            ]
        );
        let broken = WATCHED
            .replace(
                "secrets = [\"healthchecks-ping-key\", \"openobserve-query\"]",
                "secrets = [\"openobserve-query\"]",
            )
            .replace("/api/default/_search", "/_search")
            .replace("HEARTBEAT_PING_URL = \"https://hc-ping.com\", ", "")
            .replace(
                "env = { ",
                "env = { HEARTBEAT_CHECKS = \"prod:initech-prod-telemetry\", ",
            );
        assert_eq!(
            findings(&RULE, &openobserve("\"healthchecks\"", &broken), &context()),
            [
                "environments/observability/environment.toml:42:234: the heartbeat asks https://openobserve.observability.initech.test/_search for telemetry, where OpenObserve's search API is https://openobserve.observability.initech.test/api/default/_search",
                "environments/observability/environment.toml:40:11: the heartbeat has no HEARTBEAT_PING_URL: it cannot ping the monitor",
                "environments/observability/environment.toml:42:28: the heartbeat watches prod:initech-prod-telemetry, where the clusters that ship telemetry here make ci:initech-ci-telemetry,dev:initech-dev-telemetry,prod:initech-prod-telemetry,staging:initech-staging-telemetry",
                "environments/observability/environment.toml:42:160: `heartbeat` in `observability` reads the secret `healthchecks-ping-key` (HEARTBEAT_PING_KEY_FILE) but does not bind it",
            ]
        );
    }
}
