//! Managed observability: the hosted provider every cluster's telemetry reaches when there
//! is no observability environment, the relay service that carries it there, and the
//! validated values `[observability]` of platform.toml holds.

use std::collections::BTreeMap;

use super::names::{EnvName, Slug, is_placeholder};
use super::values::SecretKey;
use super::{Environment, Origin, Sourced, Stage};

/// The relay service's name unless `[observability] relay` says another.
pub const DEFAULT_RELAY: &str = "otlp-relay";

/// The service that runs OpenObserve in the observability environment.
pub const OPENOBSERVE_SERVICE: &str = "openobserve";

/// The worker that pings the hosted monitor while each cluster's telemetry is recent.
pub const HEARTBEAT_SERVICE: &str = "heartbeat";

/// The heartbeat's variable naming each shipping cluster's stream and check, which the
/// topology makes.
pub const HEARTBEAT_CHECKS: &str = "HEARTBEAT_CHECKS";

/// The slug of the hosted monitor's check of the telemetry of the cluster `cluster_id`.
pub fn check_slug(cluster_id: &str) -> String {
    format!("{cluster_id}-telemetry")
}

/// Each environment that ships telemetry to the observability environment, by name, with
/// its cluster's id: what the heartbeat watches and the monitor has a check for.
pub fn shipping(environments: &BTreeMap<EnvName, Environment>) -> Vec<(&EnvName, &str)> {
    environments
        .values()
        .filter(|env| env.stage.value != Stage::Observability)
        .filter_map(|env| {
            let cluster = env.cluster.as_ref()?;
            cluster.otlp_endpoint.as_ref()?;
            Some((&env.name, cluster.id.value.as_str()))
        })
        .collect()
}

/// Gives the observability environment's heartbeat the clusters it watches, as the
/// topology makes them (`HEARTBEAT_CHECKS`, `STREAM:SLUG,...`), unless its file writes
/// them: a new environment is watched from the next render, with no edit.
pub fn watch_shipping_clusters(environments: &mut BTreeMap<EnvName, Environment>) {
    let checks = shipping(environments)
        .iter()
        .map(|(env, id)| format!("{env}:{}", check_slug(id)))
        .collect::<Vec<_>>()
        .join(",");
    let heartbeat = environments
        .values_mut()
        .filter(|env| env.stage.value == Stage::Observability)
        .filter_map(|env| env.cluster.as_mut()?.services.get_mut(HEARTBEAT_SERVICE))
        .next();
    if let Some(heartbeat) = heartbeat
        && !heartbeat.env.iter().any(|(key, _)| key == HEARTBEAT_CHECKS)
    {
        let at = heartbeat
            .env
            .partition_point(|(key, _)| key.as_str() < HEARTBEAT_CHECKS);
        heartbeat.env.insert(
            at,
            (
                HEARTBEAT_CHECKS.to_owned(),
                Sourced::new(
                    checks,
                    Origin::Convention(
                        "the clusters that ship telemetry here, each STREAM:<cluster id>-telemetry"
                            .into(),
                    ),
                ),
            ),
        );
    }
}

/// Managed observability: the hosted provider every cluster's telemetry reaches, and the
/// relay service that carries it there with the provider's credential.
#[derive(Debug)]
pub struct ManagedObservability {
    pub provider: Sourced<ProviderName>,
    pub endpoint: Sourced<OtlpEndpoint>,
    pub header: Sourced<HeaderName>,
    /// The secret holding the header's value, which the relay reads.
    pub credential: Sourced<SecretKey>,
    /// The relay's service name.
    pub relay: Sourced<Slug>,
}

impl ManagedObservability {
    /// The relay's environment variables: where it forwards to, the header it adds and
    /// the file its value is mounted at, in key order.
    pub fn relay_env(&self) -> [(&'static str, String); 3] {
        [
            ("OTLP_CREDENTIAL_FILE", self.credential.value.mount_path()),
            ("OTLP_ENDPOINT", self.endpoint.value.to_string()),
            ("OTLP_HEADER", self.header.value.to_string()),
        ]
    }
}

/// A hosted provider's OTLP/HTTP endpoint: `https://`, a DNS name, an optional port and
/// an optional path (`https://otlp-gateway-prod-eu-west-2.grafana.net/otlp`), with no
/// user, query or fragment: a credential travels in a header, from a secret, never in
/// the URL. The relay appends `/v1/logs`. Or a placeholder, until it is known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpEndpoint(String);
string_newtype!(OtlpEndpoint);

impl OtlpEndpoint {
    pub fn parse(text: &str) -> Result<OtlpEndpoint, String> {
        if is_placeholder(text) {
            return Ok(OtlpEndpoint(text.to_owned()));
        }
        let invalid = |why: &str| {
            format!(
                "`{}` is not an OTLP endpoint: {why}; write it as \"https://otlp.example.com/otlp\"",
                text.escape_debug()
            )
        };
        let rest = text
            .strip_prefix("https://")
            .ok_or_else(|| invalid("it must start with https://"))?;
        let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
        let (host, port) = match authority.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (authority, None),
        };
        super::names::DnsName::parse(host).map_err(|_| invalid("its host is not a DNS name"))?;
        if port.is_some_and(|port| port.parse::<u16>().is_err() || port.len() > 5) {
            return Err(invalid("its port is not a number from 0 to 65535"));
        }
        let path_ok = path
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._~-/".contains(&b));
        if !path_ok {
            return Err(invalid(
                "its path may hold letters, digits and `._~-/` only (no query, user or fragment)",
            ));
        }
        Ok(OtlpEndpoint(text.trim_end_matches('/').to_owned()))
    }
}

/// The name of the HTTP header a provider takes its credential in (`Authorization`,
/// `x-honeycomb-team`): letters, digits and hyphens, at most 64.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderName(String);
string_newtype!(HeaderName);

impl HeaderName {
    pub fn parse(text: &str) -> Result<HeaderName, String> {
        if (1..=64).contains(&text.len())
            && text.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            Ok(HeaderName(text.to_owned()))
        } else {
            Err(format!(
                "`{}` is not an HTTP header name: use letters, digits and hyphens, such as \"Authorization\"",
                text.escape_debug()
            ))
        }
    }
}

/// The name of a managed observability provider, as the docs call it (`grafana-cloud`):
/// lowercase letters, digits and single hyphens; or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderName(String);
string_newtype!(ProviderName);

impl ProviderName {
    pub fn parse(text: &str) -> Result<ProviderName, String> {
        if is_placeholder(text) || Slug::parse(text).is_ok() {
            Ok(ProviderName(text.to_owned()))
        } else {
            Err(format!(
                "`{}` is not a provider's name: use lowercase letters, digits and single hyphens, such as \"grafana-cloud\"",
                text.escape_debug()
            ))
        }
    }
}
