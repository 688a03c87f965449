//! A new observability environment brings its platform: OpenObserve, the relay in front
//! of it on the OTLP endpoint's host and the heartbeat that watches it, as `new-repo`
//! writes them, with the crates of each that the workspace lacks.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::services::{ServiceEntry, deployed_version};
use super::{key_repr, toml};
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::model::names::EnvName;
use crate::model::services::declaration;
use crate::model::{
    DEFAULT_RELAY, HEARTBEAT_SERVICE, OPENOBSERVE_SERVICE, Platform, ServiceDecl, hosts,
};
use crate::scaffold::NewFile;
use crate::scaffold::repo::{
    HEARTBEAT_PING_URL, HEARTBEAT_SECRETS, OPENOBSERVE_INGEST, OPENOBSERVE_SECRETS,
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
        (OPENOBSERVE_SERVICE, Program::OpenObserve),
        (DEFAULT_RELAY, Program::Relay),
        (HEARTBEAT_SERVICE, Program::Heartbeat),
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
        let manifest = files
            .iter()
            .find(|f| f.path.ends_with("Cargo.toml"))
            .expect("a service crate has a manifest");
        let manifest = SourceFile::new(
            &manifest.path,
            String::from_utf8_lossy(&manifest.contents).into_owned(),
        );
        declared.insert(
            name.to_owned(),
            Arc::new(declaration(name, &manifest).map_err(Diagnostic::into_error)?),
        );
        crates.push(NewCrate { dir, files });
    }
    Ok(crates)
}

/// OpenObserve as the new environment runs it: its bucket in `region` (a placeholder until
/// it is known), keeping telemetry 30 days as the template's `retention_days` says.
pub fn openobserve(region: &str) -> ServiceEntry {
    let secret = |key: &str| format!("/var/run/podplane/secrets/{key}");
    let [password, access_key, secret_key] = OPENOBSERVE_SECRETS;
    let env = [
        ("ZO_COMPACT_DATA_RETENTION_DAYS", "30".to_owned()),
        ("ZO_DATA_DIR", "/data".to_owned()),
        ("ZO_LOCAL_MODE_STORAGE", "s3".to_owned()),
        ("ZO_ROOT_USER_EMAIL", "<platform-admin-email>".to_owned()),
        ("ZO_ROOT_USER_PASSWORD_FILE", secret(password)),
        ("ZO_S3_ACCESS_KEY_FILE", secret(access_key)),
        ("ZO_S3_BUCKET_NAME", "<telemetry-bucket>".to_owned()),
        ("ZO_S3_PROVIDER", "aws".to_owned()),
        ("ZO_S3_REGION_NAME", region.to_owned()),
        ("ZO_S3_SECRET_KEY_FILE", secret(secret_key)),
        ("ZO_TELEMETRY", "false".to_owned()),
    ];
    entry(
        OPENOBSERVE_SERVICE,
        FIRST_VERSION,
        None,
        &env,
        &OPENOBSERVE_SECRETS,
    )
}

/// The relay of the new environment `name` of `resolved`: on the host of the OTLP
/// endpoint the other clusters ship to, forwarding to its OpenObserve with the ingest
/// credential. `None` when no cluster ships telemetry there yet.
pub fn relay(resolved: &Platform, name: &EnvName) -> Option<ServiceEntry> {
    let openobserve = resolved.environments[name]
        .cluster
        .as_ref()?
        .services
        .get(OPENOBSERVE_SERVICE)?
        .host()?;
    let otlp = resolved
        .environments
        .values()
        .filter(|env| &env.name != name)
        .find_map(|env| env.cluster.as_ref()?.otlp_endpoint.as_ref())?;
    let env = [
        (
            "OTLP_CREDENTIAL_FILE",
            format!("/var/run/podplane/secrets/{OPENOBSERVE_INGEST}"),
        ),
        (
            "OTLP_ENDPOINT",
            format!("https://{}/api/default", openobserve.value),
        ),
        ("OTLP_HEADER", "Authorization".to_owned()),
        ("OTLP_STREAM_HEADER", "stream-name".to_owned()),
    ];
    Some(entry(
        DEFAULT_RELAY,
        &deployed_version(resolved, DEFAULT_RELAY),
        Some(hosts::url_host(&otlp.value)),
        &env,
        &[OPENOBSERVE_INGEST],
    ))
}

/// The heartbeat of the new environment `name` of `resolved`, asking its OpenObserve; the
/// clusters it watches follow the topology. `None` while OpenObserve has no host.
pub fn heartbeat(resolved: &Platform, name: &EnvName) -> Option<ServiceEntry> {
    let openobserve = resolved.environments[name]
        .cluster
        .as_ref()?
        .services
        .get(OPENOBSERVE_SERVICE)?
        .host()?;
    let [ping_key, query] = HEARTBEAT_SECRETS;
    let env = [
        (
            "HEARTBEAT_CREDENTIAL_FILE",
            format!("/var/run/podplane/secrets/{query}"),
        ),
        (
            "HEARTBEAT_PING_KEY_FILE",
            format!("/var/run/podplane/secrets/{ping_key}"),
        ),
        ("HEARTBEAT_PING_URL", HEARTBEAT_PING_URL.to_owned()),
        (
            "HEARTBEAT_SEARCH_URL",
            format!("https://{}/api/default/_search", openobserve.value),
        ),
    ];
    Some(entry(
        HEARTBEAT_SERVICE,
        &deployed_version(resolved, HEARTBEAT_SERVICE),
        None,
        &env,
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
