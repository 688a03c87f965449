//! The services a new environment deploys: those of the environment it is made `--like`,
//! and the relay every cluster runs while telemetry goes to a managed provider.

use serde::Serialize;

use super::{key_repr, toml, written_in};
use crate::model::{Cluster, Environment, ManagedObservability, Platform};

#[derive(Serialize)]
pub struct ServiceEntry {
    pub key: String,
    pub version: String,
    pub replicas: Option<u32>,
    pub env: String,
    /// A twin's copy of its primary's hand-written host name.
    pub hostname: Option<String>,
    /// The secrets it reads, as a TOML array's items.
    pub secrets: String,
}

/// `like`'s services, each at its version, with the replicas it wrote and its variables;
/// for a `twin`, with the host names it wrote too, which the twin takes over.
pub fn service_entries(c: &Cluster, like: Option<&Environment>, twin: bool) -> Vec<ServiceEntry> {
    c.services
        .iter()
        .map(|(key, service)| ServiceEntry {
            key: key_repr(key),
            version: toml(&service.version.value),
            replicas: service
                .replicas()
                .filter(|r| written_in(&r.origin, like))
                .map(|r| r.value),
            env: service
                .env
                .iter()
                .map(|(k, v)| format!("{} = {}", key_repr(k), toml(&v.value)))
                .collect::<Vec<_>>()
                .join(", "),
            hostname: service
                .host()
                .filter(|host| twin && written_in(&host.origin, like))
                .map(|host| toml(host.value.as_str())),
            secrets: service
                .secrets
                .iter()
                .map(|secret| toml(secret.value.as_str()))
                .collect::<Vec<_>>()
                .join(", "),
        })
        .collect()
}

/// The relay of managed observability as a new cluster deploys it: at the version the
/// other clusters run (the crate's first one when none does), configured as
/// `[observability]` makes it, reading its credential.
pub fn relay_entry(platform: &Platform, managed: &ManagedObservability) -> ServiceEntry {
    let relay = managed.relay.value.as_str();
    let version = deployed_version(platform, relay);
    ServiceEntry {
        key: key_repr(relay),
        version: toml(&version),
        replicas: None,
        env: managed
            .relay_env()
            .iter()
            .map(|(key, value)| format!("{} = {}", key_repr(key), toml(value)))
            .collect::<Vec<_>>()
            .join(", "),
        hostname: None,
        secrets: toml(managed.credential.value.as_str()),
    }
}

/// The newest version of `service` an environment deploys; the crate's first one when none
/// does.
pub fn deployed_version(platform: &Platform, service: &str) -> String {
    platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref()?.services.get(service))
        .map(|service| service.version.value.to_string())
        .max_by_key(|version| cargo_metadata::semver::Version::parse(version).ok())
        .unwrap_or_else(|| crate::scaffold::service::FIRST_VERSION.to_owned())
}
