//! The heartbeat of the observability platform: every round it asks OpenObserve when each
//! shipping cluster's stream last received telemetry, and pings that cluster's check at
//! the hosted monitor only when it did so recently. A cluster whose telemetry stops or
//! falls behind, an OpenObserve that is down or slow, or this heartbeat stopped, all end
//! the pings, and the monitor alerts through its own channels, with nothing of production
//! or observability needed for that.
//!
//! It reads, from the environment the observability environment's `[services.<name>]`
//! gives it: `HEARTBEAT_CHECKS`, each cluster's stream and its check's slug
//! (`dev:acme-dev-telemetry,prod:acme-prod-telemetry`); `HEARTBEAT_SEARCH_URL`,
//! OpenObserve's search API; `HEARTBEAT_CREDENTIAL_FILE`, the mounted secret that holds the
//! `Authorization` header's value for it; `HEARTBEAT_PING_URL`, the monitor's ping
//! address (`https://hc-ping.com`); `HEARTBEAT_PING_KEY_FILE`, the mounted secret that
//! holds the project's ping key; `HEARTBEAT_MAX_AGE_SECONDS`, how old the newest telemetry
//! may be (600 unless set); and `HEARTBEAT_INTERVAL_SECONDS`, the time between rounds (60
//! unless set). Secrets are read for each round, so a rotated one takes effect at once.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const NAME: &str = env!("CARGO_PKG_NAME");

/// How long OpenObserve and the monitor have to answer.
const TIMEOUT: Duration = Duration::from_secs(20);

/// What the heartbeat watches, and where it says so.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Config {
    /// Each cluster's stream in OpenObserve, with its check's slug at the monitor.
    pub(crate) checks: Vec<(String, String)>,
    pub(crate) search_url: String,
    pub(crate) credential_file: PathBuf,
    pub(crate) ping_url: String,
    pub(crate) ping_key_file: PathBuf,
    pub(crate) max_age: Duration,
    pub(crate) interval: Duration,
}

impl Config {
    pub(crate) fn from_vars(var: impl Fn(&str) -> Option<String>) -> Result<Config, String> {
        let required = |name: &str| {
            var(name).ok_or_else(|| {
                format!(
                    "{name} is not set: the observability environment's [services.{NAME}] sets it"
                )
            })
        };
        let seconds = |name: &str, default: u64| match var(name) {
            None => Ok(Duration::from_secs(default)),
            Some(text) => match text.parse::<u64>() {
                Ok(seconds) if seconds > 0 => Ok(Duration::from_secs(seconds)),
                _ => Err(format!("{name} `{text}` is not a number of seconds")),
            },
        };
        let mut checks = Vec::new();
        for pair in required("HEARTBEAT_CHECKS")?.split(',') {
            let Some((stream, slug)) = pair.trim().split_once(':') else {
                return Err(format!("HEARTBEAT_CHECKS: `{pair}` is not STREAM:SLUG"));
            };
            let valid = |text: &str| {
                !text.is_empty()
                    && text
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            };
            if !valid(stream) || !valid(slug) {
                return Err(format!(
                    "HEARTBEAT_CHECKS: `{pair}` is not STREAM:SLUG of lowercase letters, digits and hyphens"
                ));
            }
            checks.push((stream.to_owned(), slug.to_owned()));
        }
        Ok(Config {
            checks,
            search_url: required("HEARTBEAT_SEARCH_URL")?,
            credential_file: PathBuf::from(required("HEARTBEAT_CREDENTIAL_FILE")?),
            ping_url: required("HEARTBEAT_PING_URL")?
                .trim_end_matches('/')
                .to_owned(),
            ping_key_file: PathBuf::from(required("HEARTBEAT_PING_KEY_FILE")?),
            max_age: seconds("HEARTBEAT_MAX_AGE_SECONDS", 600)?,
            interval: seconds("HEARTBEAT_INTERVAL_SECONDS", 60)?,
        })
    }
}

fn main() -> ExitCode {
    let config = match Config::from_vars(|name| std::env::var(name).ok()) {
        Ok(config) => config,
        Err(err) => {
            eprintln!("{NAME}: {err}");
            return ExitCode::from(2);
        }
    };
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    eprintln!(
        "{NAME}: watching {} stream(s) every {}s",
        config.checks.len(),
        config.interval.as_secs()
    );
    // Kubernetes stops it with SIGTERM, whose default action ends it: a round holds
    // nothing that needs finishing.
    loop {
        for line in round(&config, &agent, now()) {
            eprintln!("{NAME}: {line}");
        }
        std::thread::sleep(config.interval);
    }
}

/// Microseconds since the epoch, as OpenObserve keeps `_timestamp`.
fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| {
            i64::try_from(since.as_micros()).unwrap_or(i64::MAX)
        })
}

/// One round at `now`: each stream asked, each fresh one's check pinged. What happened,
/// one line per stream.
pub(crate) fn round(config: &Config, agent: &ureq::Agent, now: i64) -> Vec<String> {
    let secret = |path: &PathBuf| {
        std::fs::read_to_string(path)
            .map(|text| text.trim().to_owned())
            .map_err(|err| format!("cannot read {}: {err}", path.display()))
    };
    let (credential, key) = match (
        secret(&config.credential_file),
        secret(&config.ping_key_file),
    ) {
        (Ok(credential), Ok(key)) => (credential, key),
        (Err(err), _) | (_, Err(err)) => return vec![format!("no ping this round: {err}")],
    };
    let max_age = i64::try_from(config.max_age.as_micros()).unwrap_or(i64::MAX);
    config
        .checks
        .iter()
        .map(|(stream, slug)| {
            let newest = match newest(config, agent, &credential, stream, now - max_age, now) {
                Ok(newest) => newest,
                Err(err) => return format!("{stream}: no ping, OpenObserve did not say: {err}"),
            };
            match newest {
                Some(at) if at >= now - max_age => match ping(config, agent, &key, slug) {
                    Ok(()) => format!("{stream}: fresh, pinged {slug}"),
                    Err(err) => format!("{stream}: fresh, but the ping of {slug} failed: {err}"),
                },
                _ => format!(
                    "{stream}: no telemetry in the last {}s, no ping",
                    config.max_age.as_secs()
                ),
            }
        })
        .collect()
}

/// The query of the newest record of `stream` (a cluster's environment, `-` written `_`
/// as the relay names streams) between `start` and `end`.
pub(crate) fn query(stream: &str, start: i64, end: i64) -> serde_json::Value {
    let stream = stream.replace('-', "_");
    serde_json::json!({
        "query": {
            "sql": format!("SELECT max(_timestamp) AS newest FROM \"{stream}\""),
            "start_time": start,
            "end_time": end,
            "from": 0,
            "size": 1,
        }
    })
}

/// The newest record's time from OpenObserve's answer to [`query`]; `None` when the
/// stream had none.
pub(crate) fn newest_in(answer: &serde_json::Value) -> Result<Option<i64>, String> {
    let hits = answer["hits"]
        .as_array()
        .ok_or_else(|| "an answer without hits".to_owned())?;
    Ok(hits.first().and_then(|hit| hit["newest"].as_i64()))
}

fn newest(
    config: &Config,
    agent: &ureq::Agent,
    credential: &str,
    stream: &str,
    start: i64,
    end: i64,
) -> Result<Option<i64>, String> {
    let body = query(stream, start, end).to_string();
    let mut response = agent
        .post(&config.search_url)
        .header("Authorization", credential)
        .header("content-type", "application/json")
        .send(body.as_bytes())
        .map_err(|err| err.to_string())?;
    let status = response.status().as_u16();
    let text = response
        .body_mut()
        .with_config()
        .limit(1024 * 1024)
        .read_to_string()
        .map_err(|err| err.to_string())?;
    if status != 200 {
        return Err(format!("status {status}"));
    }
    let answer: serde_json::Value =
        serde_json::from_str(&text).map_err(|err| format!("not JSON: {err}"))?;
    newest_in(&answer)
}

fn ping(config: &Config, agent: &ureq::Agent, key: &str, slug: &str) -> Result<(), String> {
    let response = agent
        .get(format!("{}/{key}/{slug}", config.ping_url))
        .call()
        .map_err(|err| err.to_string())?;
    match response.status().as_u16() {
        200 => Ok(()),
        status => Err(format!("status {status}")),
    }
}

#[cfg(test)]
mod tests {
    use super::{Config, newest_in, query};

    #[test]
    fn the_query_asks_for_the_newest_record_of_the_clusters_stream_in_the_window() {
        assert_eq!(
            query("prod-dr", 10, 20),
            serde_json::json!({"query": {
                "sql": "SELECT max(_timestamp) AS newest FROM \"prod_dr\"",
                "start_time": 10, "end_time": 20, "from": 0, "size": 1
            }})
        );
        assert_eq!(
            newest_in(&serde_json::json!({"took": 1, "hits": [{"newest": 42}], "total": 1})),
            Ok(Some(42))
        );
        assert_eq!(newest_in(&serde_json::json!({"hits": []})), Ok(None));
        assert_eq!(
            newest_in(&serde_json::json!({"hits": [{"newest": null}]})),
            Ok(None)
        );
        assert!(newest_in(&serde_json::json!({"code": 500})).is_err());
    }

    #[test]
    fn its_settings_are_read_whole_or_refused_with_what_is_wrong() {
        let vars = |pairs: &'static [(&str, &str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| (*value).to_owned())
            }
        };
        let config = Config::from_vars(vars(&[
            (
                "HEARTBEAT_CHECKS",
                "dev:acme-dev-telemetry, prod:acme-prod-telemetry",
            ),
            (
                "HEARTBEAT_SEARCH_URL",
                "https://o2.example/api/default/_search",
            ),
            ("HEARTBEAT_CREDENTIAL_FILE", "/s/query"),
            ("HEARTBEAT_PING_URL", "https://hc-ping.com/"),
            ("HEARTBEAT_PING_KEY_FILE", "/s/key"),
            ("HEARTBEAT_MAX_AGE_SECONDS", "300"),
        ]))
        .unwrap();
        assert_eq!(
            config.checks,
            [
                ("dev".to_owned(), "acme-dev-telemetry".to_owned()),
                ("prod".to_owned(), "acme-prod-telemetry".to_owned())
            ]
        );
        assert_eq!(config.ping_url, "https://hc-ping.com");
        assert_eq!(config.max_age.as_secs(), 300);
        assert_eq!(config.interval.as_secs(), 60);
        assert_eq!(
            Config::from_vars(vars(&[("HEARTBEAT_CHECKS", "dev")])).unwrap_err(),
            "HEARTBEAT_CHECKS: `dev` is not STREAM:SLUG"
        );
        assert!(
            Config::from_vars(vars(&[("HEARTBEAT_CHECKS", "dev:x")]))
                .unwrap_err()
                .starts_with("HEARTBEAT_SEARCH_URL is not set")
        );
    }
}
