//! 0.2.0: the observability environment runs its platform, and a hosted monitor watches
//! it. A 0.1.0 repository named OpenObserve as the platform and pointed every cluster's
//! telemetry at `https://otlp.<observability zone>`, which nothing served, and named a
//! monitor that nothing rendered. Its observability environment gains
//! `[services.openobserve]`, the relay on that host in front of it and the heartbeat that
//! Healthchecks' checks hear from (`monitor = "healthchecks"`), and the workspace the
//! crates of each (`crates/openobserve`, `crates/otlp-relay`, `crates/heartbeat`) that it
//! lacks, as `new-repo` writes them now. A repository whose names do not follow the
//! conventions is left to do it by hand, with a note: `check` says what is missing.

use std::path::{Path, PathBuf};

use toml_edit::{Array, InlineTable, Value};

use super::{Migration, Tree};
use crate::scaffold::observability::{
    HEARTBEAT as HEARTBEAT_SERVICE, HEARTBEAT_SECRETS, OPENOBSERVE as OPENOBSERVE_SERVICE,
    OPENOBSERVE_INGEST, OPENOBSERVE_SECRETS, RELAY as DEFAULT_RELAY, heartbeat_env,
    openobserve_env, relay_env,
};
use crate::scaffold::service::{BaseImages, FIRST_VERSION, Program, observability_crate};
use crate::scaffold::toolkit::PINS_PATH;

pub const MIGRATION: Migration = Migration {
    name: "observability-platform",
    version: "0.2.0",
    summary: "the observability environment runs OpenObserve, the relay every cluster ships to in front of it and the heartbeat that pings Healthchecks, with their crates",
    run,
};

const PLATFORM_FILE: &str = "environments/platform.toml";

fn run(tree: &mut Tree) -> anyhow::Result<()> {
    let Some(platform) = tree.read_text(Path::new(PLATFORM_FILE))? else {
        return Ok(());
    };
    let platform: toml::Table = toml::from_str(&platform).unwrap_or_default();
    let Some((path, env, text)) = observability_environment(tree)? else {
        return Ok(());
    };
    let doc: toml::Table = toml::from_str(&text).unwrap_or_default();
    let runs = |service: &str| value_at(&doc, &["services", service]).is_some();
    let openobserve =
        text_of(&doc, &["observability", "platform"]).as_deref() == Some("openobserve");
    if !openobserve || runs(OPENOBSERVE_SERVICE) || runs(DEFAULT_RELAY) {
        return Ok(());
    }
    let conventional = text_of(&platform, &["naming", "zone"]).is_none()
        && text_of(&platform, &["naming", "service_host"]).is_none()
        && text_of(&platform, &["naming", "otlp_endpoint"]).is_none()
        && text_of(&doc, &["names", "zone"]).is_none();
    let (Some(domain), Some(registry), true) = (
        text_of(&platform, &["domain"]),
        text_of(&platform, &["images", "registry"]),
        conventional,
    ) else {
        tree.note(format!(
            "{}: its names or images do not follow the conventions, so OpenObserve and its relay are yours to add (`cargo xtask check`, rule telemetry-to-observability, says what is missing)",
            path.display()
        ));
        return Ok(());
    };
    let zone = format!("{env}.{domain}");
    let region = text_of(&doc, &["region"])
        .or_else(|| text_of(&platform, &["defaults", "region"]))
        .unwrap_or_else(|| "<telemetry-region>".to_owned());
    let retention = value_at(&doc, &["observability", "retention_days"])
        .and_then(toml::Value::as_integer)
        .unwrap_or(30);

    let pins = tree.read_text(Path::new(PINS_PATH))?.unwrap_or_default();
    let base_images = match BaseImages::in_pins(&pins) {
        Some(images) if images.openobserve.is_some() => images,
        _ => BaseImages::toolkit()?,
    };
    let mut written = Vec::new();
    for (name, program) in [
        (OPENOBSERVE_SERVICE, Program::OpenObserve),
        (DEFAULT_RELAY, Program::Relay),
        (HEARTBEAT_SERVICE, Program::Heartbeat),
    ] {
        let dir = Path::new("crates").join(name);
        if tree.read(&dir.join("Cargo.toml"))?.is_some() {
            continue;
        }
        let image = format!("{registry}/{name}");
        for file in observability_crate(name, program, &image, &base_images)? {
            tree.write(&file.path, file.contents, file.executable);
        }
        written.push(dir.display().to_string());
    }

    let monitor = text_of(&doc, &["observability", "monitor"]);
    let text = match monitor.as_deref() {
        Some("healthchecks") => text,
        Some(old) => text.replacen(
            &format!("monitor = \"{old}\""),
            "monitor = \"healthchecks\"",
            1,
        ),
        None => text,
    };
    let edited = with_services(&text, &zone, &region, retention)?;
    tree.write(&path, edited.into_bytes(), false);
    let [password, access_key, secret_key] = OPENOBSERVE_SECRETS;
    let [ping_key, query] = HEARTBEAT_SECRETS;
    tree.note(format!(
        "{}: runs OpenObserve, on otlp.{zone} the relay every cluster ships to, and the heartbeat that pings Healthchecks, now its `monitor`{}; fill in ZO_S3_BUCKET_NAME and ZO_ROOT_USER_EMAIL, add the Healthchecks project's API key as the secret HEALTHCHECKS_API_KEY of the GitHub Environment `{env}`, and create the secrets in its cluster before the next deploy: {password}, {access_key}, {secret_key} for {OPENOBSERVE_SERVICE}, {OPENOBSERVE_INGEST} (\"Basic \" and base64 of user:password) for {DEFAULT_RELAY}, {ping_key} and {query} for {HEARTBEAT_SERVICE}",
        path.display(),
        if written.is_empty() {
            String::new()
        } else {
            format!(" ({} written)", written.join(" and "))
        }
    ));
    Ok(())
}

/// The value at the path `keys` of `table`, when there is one.
fn value_at<'t>(table: &'t toml::Table, keys: &[&str]) -> Option<&'t toml::Value> {
    let (first, rest) = keys.split_first()?;
    rest.iter()
        .try_fold(table.get(*first)?, |value, key| value.get(*key))
}

/// The string at the path `keys` of `table`, when there is one.
fn text_of(table: &toml::Table, keys: &[&str]) -> Option<String> {
    value_at(table, keys)?.as_str().map(str::to_owned)
}

/// The observability environment's file: its path, its directory's name and its text.
fn observability_environment(tree: &Tree) -> anyhow::Result<Option<(PathBuf, String, String)>> {
    let dir = tree.root().join("environments");
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return Ok(None);
    };
    let mut names: Vec<String> = entries
        .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
        .collect();
    names.sort();
    for name in names {
        let path = Path::new("environments")
            .join(&name)
            .join("environment.toml");
        let Some(text) = tree.read_text(&path)? else {
            continue;
        };
        let doc: toml::Table = toml::from_str(&text).unwrap_or_default();
        if doc.get("stage").and_then(toml::Value::as_str) == Some("observability") {
            return Ok(Some((path, name, text)));
        }
    }
    Ok(None)
}

/// The environment's text with OpenObserve and the relay added at its end.
fn with_services(text: &str, zone: &str, region: &str, retention: i64) -> anyhow::Result<String> {
    let table = |pairs: &[(&str, String)]| {
        let mut table = InlineTable::new();
        for (key, value) in pairs {
            table.insert(*key, Value::from(value.as_str()));
        }
        Value::InlineTable(table)
    };
    let array = |items: &[&str]| Value::Array(items.iter().copied().collect::<Array>());
    let openobserve_host = format!("{OPENOBSERVE_SERVICE}.{zone}");
    let text = crate::edit::add_service(
        text,
        OPENOBSERVE_SERVICE,
        FIRST_VERSION,
        &[
            ("secrets", array(&OPENOBSERVE_SECRETS)),
            ("env", table(&openobserve_env(region, retention))),
        ],
    )?;
    let text = crate::edit::add_service(
        &text,
        DEFAULT_RELAY,
        FIRST_VERSION,
        &[
            ("hostname", Value::from(format!("otlp.{zone}"))),
            ("secrets", array(&[OPENOBSERVE_INGEST])),
            ("env", table(&relay_env(&openobserve_host))),
        ],
    )?;
    crate::edit::add_service(
        &text,
        HEARTBEAT_SERVICE,
        FIRST_VERSION,
        &[
            ("secrets", array(&HEARTBEAT_SECRETS)),
            ("env", table(&heartbeat_env(&openobserve_host))),
        ],
    )
}

#[cfg(test)]
mod tests {
    use super::with_services;

    #[test]
    fn openobserve_and_its_relay_are_added_after_everything_the_file_holds() {
        let text = "stage = \"observability\"\n# kept\n";
        let edited = with_services(text, "observability.globex.io", "eu-west-1", 14).unwrap();
        assert_eq!(
            edited,
            "stage = \"observability\"\n# kept\n\n\
[services.openobserve]\nversion = \"0.1.0\"\n\
secrets = [\"openobserve-root-password\", \"openobserve-s3-access-key\", \"openobserve-s3-secret-key\"]\n\
env = { ZO_COMPACT_DATA_RETENTION_DAYS = \"14\", ZO_DATA_DIR = \"/data\", ZO_LOCAL_MODE_STORAGE = \"s3\", ZO_ROOT_USER_EMAIL = \"<platform-admin-email>\", ZO_ROOT_USER_PASSWORD_FILE = \"/var/run/podplane/secrets/openobserve-root-password\", ZO_S3_ACCESS_KEY_FILE = \"/var/run/podplane/secrets/openobserve-s3-access-key\", ZO_S3_BUCKET_NAME = \"<telemetry-bucket>\", ZO_S3_PROVIDER = \"aws\", ZO_S3_REGION_NAME = \"eu-west-1\", ZO_S3_SECRET_KEY_FILE = \"/var/run/podplane/secrets/openobserve-s3-secret-key\", ZO_TELEMETRY = \"false\" }\n\n\
[services.otlp-relay]\nversion = \"0.1.0\"\n\
hostname = \"otlp.observability.globex.io\"\n\
secrets = [\"openobserve-ingest\"]\n\
env = { OTLP_CREDENTIAL_FILE = \"/var/run/podplane/secrets/openobserve-ingest\", OTLP_ENDPOINT = \"https://openobserve.observability.globex.io/api/default\", OTLP_HEADER = \"Authorization\", OTLP_STREAM_HEADER = \"stream-name\" }\n\n\
[services.heartbeat]\nversion = \"0.1.0\"\n\
secrets = [\"healthchecks-ping-key\", \"openobserve-query\"]\n\
env = { HEARTBEAT_CREDENTIAL_FILE = \"/var/run/podplane/secrets/openobserve-query\", HEARTBEAT_PING_KEY_FILE = \"/var/run/podplane/secrets/healthchecks-ping-key\", HEARTBEAT_PING_URL = \"https://hc-ping.com\", HEARTBEAT_SEARCH_URL = \"https://openobserve.observability.globex.io/api/default/_search\" }\n"
        );
    }
}
