//! A new observability environment brings its platform: OpenObserve, the relay in front
//! of it on the OTLP endpoint's host and the heartbeat that watches it, as `new-repo`
//! writes them, with the crates of each that the workspace lacks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::services::{ServiceEntry, deployed_version};
use super::{key_repr, toml};
use crate::diagnostic::{Diagnostic, Location};
use crate::model::names::EnvName;
use crate::model::{Platform, ServiceDecl, hosts};
use crate::scaffold::NewFile;
use crate::scaffold::observability::{
    HEARTBEAT, HEARTBEAT_SECRETS, OPENOBSERVE, OPENOBSERVE_INGEST, OPENOBSERVE_SECRETS, RELAY,
    heartbeat_env, openobserve_env, relay_env,
};
use crate::scaffold::service::{BaseImages, FIRST_VERSION, Program, observability_crate};

/// A crate the platform needs that the workspace does not have yet.
pub struct NewCrate {
    pub dir: PathBuf,
    pub files: Vec<NewFile>,
}

/// The crates of OpenObserve, the relay and the heartbeat that the workspace lacks,
/// written as `new-repo` writes them; each one's declaration goes into `declared`.
pub fn missing_crates(
    platform: &Platform,
    declared: &mut BTreeMap<String, Arc<ServiceDecl>>,
) -> anyhow::Result<Vec<NewCrate>> {
    let mut crates = Vec::new();
    for (name, program) in [
        (OPENOBSERVE, Program::OpenObserve),
        (RELAY, Program::Relay),
        (HEARTBEAT, Program::Heartbeat),
    ] {
        if declared.contains_key(name) {
            continue;
        }
        let dir = Path::new("crates").join(name);
        if platform.root.join(&dir).exists() {
            return Err(Diagnostic::new(
                format!("{} exists but declares no service `{name}`, which the observability platform needs", dir.display()),
                Location::Path(dir),
            )
            .with_help("give its Cargo.toml a [package.metadata.platform] table (template = \"web\"), or move it away for new-env to write the crate")
            .into_error());
        }
        let registry = platform.image_registry.as_ref().ok_or_else(|| {
            Diagnostic::new(
                format!("no image for the observability platform's service `{name}`: platform.toml has no [images] registry"),
                Location::Path(platform.file.path.clone()),
            )
            .with_help("set `registry` under [images] in environments/platform.toml, where CI pushes the services' images")
            .into_error()
        })?;
        let image = format!("{}/{name}", registry.value);
        let base_images = BaseImages::of(platform.pins.as_ref())?;
        let files = observability_crate(name, program, &image, &base_images)?;
        declared.insert(
            name.to_owned(),
            Arc::new(crate::commands::declaration_of(name, &files)?),
        );
        crates.push(NewCrate { dir, files });
    }
    Ok(crates)
}

/// OpenObserve as the new environment runs it: its bucket in `region` (a placeholder until
/// it is known), keeping telemetry 30 days as the template's `retention_days` says.
pub fn openobserve(region: &str) -> ServiceEntry {
    entry(
        OPENOBSERVE,
        FIRST_VERSION,
        None,
        &openobserve_env(region, 30),
        &OPENOBSERVE_SECRETS,
    )
}

/// OpenObserve's host in the new environment `name` of `resolved`.
fn openobserve_host<'p>(resolved: &'p Platform, name: &EnvName) -> Option<&'p str> {
    let cluster = resolved.environments[name].cluster.as_ref()?;
    Some(cluster.services.get(OPENOBSERVE)?.host()?.value.as_str())
}

/// The relay of the new environment `name` of `resolved`: on the host of the OTLP
/// endpoint the other clusters ship to, forwarding to its OpenObserve with the ingest
/// credential. `None` when no cluster ships telemetry there yet.
pub fn relay(resolved: &Platform, name: &EnvName) -> Option<ServiceEntry> {
    let openobserve = openobserve_host(resolved, name)?;
    let otlp = resolved
        .environments
        .values()
        .filter(|env| &env.name != name)
        .find_map(|env| env.cluster.as_ref()?.otlp_endpoint.as_ref())?;
    Some(entry(
        RELAY,
        &deployed_version(resolved, RELAY),
        Some(hosts::url_host(&otlp.value)),
        &relay_env(openobserve),
        &[OPENOBSERVE_INGEST],
    ))
}

/// The heartbeat of the new environment `name` of `resolved`, asking its OpenObserve; the
/// clusters it watches follow the topology. `None` while OpenObserve has no host.
pub fn heartbeat(resolved: &Platform, name: &EnvName) -> Option<ServiceEntry> {
    Some(entry(
        HEARTBEAT,
        &deployed_version(resolved, HEARTBEAT),
        None,
        &heartbeat_env(openobserve_host(resolved, name)?),
        &HEARTBEAT_SECRETS,
    ))
}

fn entry(
    name: &str,
    version: &str,
    hostname: Option<&str>,
    env: &[(&str, String)],
    secrets: &[&str],
) -> ServiceEntry {
    ServiceEntry {
        key: key_repr(name),
        version: toml(version),
        replicas: None,
        env: env
            .iter()
            .map(|(key, value)| format!("{} = {}", key_repr(key), toml(value)))
            .collect::<Vec<_>>()
            .join(", "),
        hostname: hostname.map(toml),
        secrets: secrets
            .iter()
            .map(|secret| toml(secret))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// Writes each new crate whole and adds them to the lock file; on a failure, the caller
/// removes them and puts the lock file back.
pub fn write_crates(root: &Path, crates: &[NewCrate]) -> anyhow::Result<()> {
    if crates.is_empty() {
        return Ok(());
    }
    for new in crates {
        let files: Vec<(String, String)> = new
            .files
            .iter()
            .map(|file| {
                let path = file.path.strip_prefix(&new.dir).unwrap_or(&file.path);
                (
                    path.to_string_lossy().into_owned(),
                    String::from_utf8_lossy(&file.contents).into_owned(),
                )
            })
            .collect();
        let files: Vec<(&str, &str)> = files
            .iter()
            .map(|(path, text)| (path.as_str(), text.as_str()))
            .collect();
        crate::edit::create_dir_with_files(&root.join(&new.dir), &files)?;
    }
    crate::commands::update_lock(root)
}
