//! The observability environment's services as the toolkit writes them (`new-env
//! observability`, and the upgrade of a 0.1.0 repository; `new-repo`'s template says the
//! same): OpenObserve, the relay in front of it and the heartbeat, each with the secrets it
//! reads and the variables that tie them together.

/// The observability platform's service.
pub const OPENOBSERVE: &str = crate::model::OPENOBSERVE_SERVICE;

/// The secrets OpenObserve reads: its root user's password and the keys of its bucket.
pub const OPENOBSERVE_SECRETS: [&str; 3] = [
    "openobserve-root-password",
    "openobserve-s3-access-key",
    "openobserve-s3-secret-key",
];

/// The relay in front of OpenObserve, on the OTLP endpoint's host.
pub const RELAY: &str = crate::model::DEFAULT_RELAY;

/// The secret the relay reads OpenObserve's ingest credential from.
pub const OPENOBSERVE_INGEST: &str = "openobserve-ingest";

/// The heartbeat that watches the watcher.
pub const HEARTBEAT: &str = crate::model::HEARTBEAT_SERVICE;

/// The secrets the heartbeat reads: the monitor's ping key, and the `Authorization` value
/// it asks OpenObserve with.
pub const HEARTBEAT_SECRETS: [&str; 2] = ["healthchecks-ping-key", "openobserve-query"];

/// Where the heartbeat pings: Healthchecks' hosted service.
pub const HEARTBEAT_PING_URL: &str = "https://hc-ping.com";

fn mounted(key: &str) -> String {
    format!("/var/run/podplane/secrets/{key}")
}

/// OpenObserve's variables: its bucket in `region`, keeping telemetry `retention_days`;
/// the bucket's name and the root user's email are placeholders to fill in.
pub fn openobserve_env(region: &str, retention_days: i64) -> Vec<(&'static str, String)> {
    let [password, access_key, secret_key] = OPENOBSERVE_SECRETS;
    vec![
        ("ZO_COMPACT_DATA_RETENTION_DAYS", retention_days.to_string()),
        ("ZO_DATA_DIR", "/data".to_owned()),
        ("ZO_LOCAL_MODE_STORAGE", "s3".to_owned()),
        ("ZO_ROOT_USER_EMAIL", "<platform-admin-email>".to_owned()),
        ("ZO_ROOT_USER_PASSWORD_FILE", mounted(password)),
        ("ZO_S3_ACCESS_KEY_FILE", mounted(access_key)),
        ("ZO_S3_BUCKET_NAME", "<telemetry-bucket>".to_owned()),
        ("ZO_S3_PROVIDER", "aws".to_owned()),
        ("ZO_S3_REGION_NAME", region.to_owned()),
        ("ZO_S3_SECRET_KEY_FILE", mounted(secret_key)),
        ("ZO_TELEMETRY", "false".to_owned()),
    ]
}

/// The relay's variables: OpenObserve's OTLP ingest on `openobserve_host`, with its
/// credential, and each cluster's stream named from its path.
pub fn relay_env(openobserve_host: &str) -> Vec<(&'static str, String)> {
    vec![
        ("OTLP_CREDENTIAL_FILE", mounted(OPENOBSERVE_INGEST)),
        (
            "OTLP_ENDPOINT",
            format!("https://{openobserve_host}/api/default"),
        ),
        ("OTLP_HEADER", "Authorization".to_owned()),
        ("OTLP_STREAM_HEADER", "stream-name".to_owned()),
    ]
}

/// The heartbeat's variables: OpenObserve's search API on `openobserve_host`, and where
/// it pings. Which clusters it watches the topology makes.
pub fn heartbeat_env(openobserve_host: &str) -> Vec<(&'static str, String)> {
    let [ping_key, query] = HEARTBEAT_SECRETS;
    vec![
        ("HEARTBEAT_CREDENTIAL_FILE", mounted(query)),
        ("HEARTBEAT_PING_KEY_FILE", mounted(ping_key)),
        ("HEARTBEAT_PING_URL", HEARTBEAT_PING_URL.to_owned()),
        (
            "HEARTBEAT_SEARCH_URL",
            format!("https://{openobserve_host}/api/default/_search"),
        ),
    ]
}
