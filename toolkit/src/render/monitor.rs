//! `healthchecks.json` of the observability environment: the hosted monitor's checks as
//! code, one per cluster that ships telemetry there, each the body Healthchecks' management
//! API (v3) takes to create a check. The heartbeat pings a cluster's check while its
//! telemetry is recent; CI applies the file on every deploy of the observability
//! environment (`ci/monitor.sh`), and `unique` on the name makes that idempotent.
//! Rendered when the observability environment runs OpenObserve with the heartbeat.

use serde_json::json;

use super::{Sources, preamble};
use crate::model::telemetry::{check_slug, shipping};
use crate::model::{Environment, HEARTBEAT_SERVICE, ObservabilityPlatform, Platform, Stage};

pub const FILE: &str = "healthchecks.json";

/// How long a check waits for its next ping: three of the heartbeat's rounds.
pub const TIMEOUT_SECONDS: u32 = 180;
/// How long after that it alerts: by then the newest telemetry is at most the heartbeat's
/// ten minutes old plus this.
pub const GRACE_SECONDS: u32 = 300;

/// Whether `env` is the observability environment, runs OpenObserve and the heartbeat,
/// and so has the monitor's checks.
pub fn watched(env: &Environment) -> bool {
    env.stage.value == Stage::Observability
        && env
            .observability
            .as_ref()
            .is_some_and(|o| o.platform.value == ObservabilityPlatform::Openobserve)
        && env
            .cluster
            .as_ref()
            .is_some_and(|c| c.services.contains_key(HEARTBEAT_SERVICE))
}

/// The checks of `env`, when it is [`watched`].
pub fn generate(platform: &Platform, env: &Environment) -> anyhow::Result<Option<String>> {
    if !watched(env) {
        return Ok(None);
    }
    let org = platform.org.value.as_str();
    let checks: Vec<_> = shipping(&platform.environments)
        .into_iter()
        .map(|(name, cluster_id)| {
            json!({
                "name": check_slug(cluster_id),
                "desc": format!("The telemetry of {cluster_id} ({name}) reached OpenObserve in the observability environment `{}` in the last ten minutes: the heartbeat pings while it does.", env.name),
                "tags": format!("{org} telemetry"),
                "timeout": TIMEOUT_SECONDS,
                "grace": GRACE_SECONDS,
                "unique": ["name"],
            })
        })
        .collect();
    let [made, edit] = preamble(&Sources::All);
    let file = json!({
        "//": [made, edit, "The body of each check is what Healthchecks' management API (v3) takes: `ci/monitor.sh` creates each, or finds it by its name."],
        "checks": checks,
    });
    Ok(Some(format!("{}\n", serde_json::to_string_pretty(&file)?)))
}
