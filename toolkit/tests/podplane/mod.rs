//! Podplane as a consumer: its JSON schemas, and the rules its Go validator, its `deploy`
//! command and its app templates enforce, written out independently of the renderer from
//! Podplane's documentation (`../shared/podplane/`), so that a rendering bug cannot hide in
//! both.
//!
//! The schemas are files of Podplane's that this repository does not copy. They are read
//! from `$PODPLANE_SCHEMA_DIR`, else from `../shared/podplane/newer/` (the contract this repository targets) beside the checkout; where
//! neither exists the schema assertions are skipped with a notice, unless
//! `REQUIRE_PODPLANE_SCHEMAS` is set (`.ci/run` sets it). Everything else here needs no
//! files and always runs.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ipnet::Ipv4Net;
use serde_json::{Value, json};

/// Names the directory that holds Podplane's schemas.
pub const SCHEMA_DIR_VAR: &str = "PODPLANE_SCHEMA_DIR";
/// When set, a missing schema directory fails the tests instead of skipping.
pub const REQUIRE_VAR: &str = "REQUIRE_PODPLANE_SCHEMAS";

/// The directory with Podplane's schemas, or `None` (after one notice) when there is none
/// and none is required.
pub fn schema_dir() -> Option<&'static Path> {
    static DIR: OnceLock<Option<PathBuf>> = OnceLock::new();
    DIR.get_or_init(|| {
        crate::common::shared_dir(
            SCHEMA_DIR_VAR,
            REQUIRE_VAR,
            "shared/podplane/newer",
            "podplane.cluster.schema.json",
            "skipping the schema assertions; Podplane's rules are still checked",
        )
    })
    .as_deref()
}

/// Parses JSONC (JSON with comments) as Podplane does.
pub fn parse_jsonc(text: &str) -> Value {
    let stripped = json_comments::StripComments::new(text.as_bytes());
    serde_json::from_reader(stripped).expect("valid JSONC")
}

/// Every error of `instance` against Podplane's schema file `schema`; `None` when the
/// schemas are not there to ask.
pub fn schema_errors(schema: &str, instance: &Value) -> Option<Vec<String>> {
    let path = schema_dir()?.join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("Podplane's schema compiles");
    Some(
        validator
            .iter_errors(instance)
            .map(|err| format!("{} at {}", err, err.instance_path()))
            .collect(),
    )
}

/// Podplane's semantic rules for one `podplane.cluster.jsonc`: what the schema cannot say.
pub fn cluster_rule_violations(config: &Value) -> Vec<String> {
    let mut violations = Vec::new();
    let cluster = &config["cluster"];
    let pools: Vec<&str> = cluster["pools"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
    // An ACME account registers an email address: Podplane's validator refuses one that
    // is not.
    if let Some(email) = cluster["acme"].get("email") {
        let email = email.as_str().unwrap_or("");
        let valid = email.split_once('@').is_some_and(|(user, host)| {
            !user.is_empty()
                && host.contains('.')
                && !email.contains(|c: char| c.is_whitespace() || "<>".contains(c))
        });
        if !valid {
            violations.push(format!("acme.email `{email}` is not an email address"));
        }
    }
    let id = cluster["id"].as_str().unwrap_or("");
    if id.len() > 32
        || id.contains("--")
        || ["local", "k8s", "oidc"].contains(&id)
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        violations.push(format!("cluster id `{id}` breaks Podplane's rules"));
    }
    for provider in cluster["providers"].as_array().into_iter().flatten() {
        let region = provider["region"].as_str().unwrap_or("");
        let vpc: Ipv4Net = provider["vpc"]["v4cidr"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("VPC CIDR of {id}"));
        let load_balancers = provider["load_balancers"]
            .as_object()
            .cloned()
            .unwrap_or_default();
        for (name, lb) in &load_balancers {
            let mut ports = Vec::new();
            for listener in lb["listeners"].as_array().into_iter().flatten() {
                let pool = listener["pool"].as_str().unwrap_or("");
                if !pools.contains(&pool) {
                    violations.push(format!(
                        "listener of `{name}` names the unknown pool `{pool}`"
                    ));
                }
                let port = listener["port"].as_u64().unwrap_or(0);
                if ports.contains(&port) {
                    violations.push(format!("load balancer `{name}` listens twice on {port}"));
                }
                ports.push(port);
            }
        }
        let listens = |lb: &str, port: u64, target: u64, pool: Option<&str>| {
            load_balancers
                .get(lb)
                .and_then(|lb| lb["listeners"].as_array())
                .is_some_and(|listeners| {
                    listeners.iter().any(|l| {
                        l["port"].as_u64() == Some(port)
                            && l["target_port"].as_u64().or(l["port"].as_u64()) == Some(target)
                            && pool.is_none_or(|p| l["pool"].as_str() == Some(p))
                    })
                })
        };
        for domain in cluster["domains"].as_array().into_iter().flatten() {
            let lb = domain["load_balancer"].as_str().unwrap_or("main");
            if !listens(lb, 443, 443, None) {
                violations.push(format!(
                    "the domain's load balancer `{lb}` does not listen on 443"
                ));
            }
        }
        if let Some(api_lb) = cluster["kubernetes"]["api_load_balancer"].as_str() {
            let port = cluster["kubernetes"]["api_port"].as_u64().unwrap_or(6443);
            if !listens(api_lb, port, 6443, Some("control-plane")) {
                violations.push(format!(
                    "the API load balancer `{api_lb}` does not forward {port} to 6443 on control-plane"
                ));
            }
        }
        let mut subnets = Vec::new();
        for (zone, zone_subnets) in provider["zones"].as_object().into_iter().flatten() {
            let letter = zone.strip_prefix(region).unwrap_or("");
            if letter.len() != 1 || !letter.chars().all(|c| c.is_ascii_lowercase()) {
                violations.push(format!("zone `{zone}` is not `{region}` and a letter"));
            }
            for subnet in zone_subnets.as_array().into_iter().flatten() {
                let cidr = subnet["v4cidr"].as_str().unwrap_or("");
                match cidr.parse::<Ipv4Net>() {
                    Ok(net) if net.trunc() == net && vpc.contains(&net) => subnets.push(net),
                    _ => violations.push(format!(
                        "subnet `{cidr}` is not a canonical CIDR inside {vpc}"
                    )),
                }
                let has_pool = subnet.get("pool").is_some();
                let services: Vec<&str> = subnet["services"]
                    .as_array()
                    .map(|s| s.iter().filter_map(Value::as_str).collect())
                    .unwrap_or_default();
                if has_pool == subnet.get("services").is_some() {
                    violations.push(format!(
                        "subnet `{cidr}` must set exactly one of pool and services"
                    ));
                }
                if let Some(pool) = subnet["pool"].as_str()
                    && !pools.contains(&pool)
                {
                    violations.push(format!("subnet `{cidr}` names the unknown pool `{pool}`"));
                }
                let public = subnet["public"].as_bool().unwrap_or(false);
                if services.iter().any(|s| *s == "nat" || *s == "nlb") && !public {
                    violations.push(format!(
                        "subnet `{cidr}` hosts nat or nlb but is not public"
                    ));
                }
            }
        }
        for (i, a) in subnets.iter().enumerate() {
            for b in &subnets[i + 1..] {
                if a.contains(&b.network()) || b.contains(&a.network()) {
                    violations.push(format!("subnets {a} and {b} overlap"));
                }
            }
        }
    }
    if cluster["domains"].as_array().is_some_and(|d| !d.is_empty())
        && cluster["registry"]["hostname"].as_str().is_none()
    {
        violations.push("a domain is set but registry.hostname is not".to_owned());
    }
    violations
}

/// Podplane's rules for `podplane.oidc.jsonc`.
pub fn oidc_rule_violations(config: &Value) -> Vec<String> {
    let mut violations = Vec::new();
    let oidc = &config["oidc"];
    let hostname = oidc["hostname"].as_str().unwrap_or("");
    if hostname.contains("://") || hostname.contains('/') {
        violations.push(format!("hostname `{hostname}` is a URL, not a host"));
    }
    if oidc["provider"]["kind"] == "aws" && oidc["provider"]["region"].as_str().is_none() {
        violations.push("an aws provider needs a region".to_owned());
    }
    let overrides = oidc["groups_overrides"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    for (client, settings) in oidc["clients"].as_object().into_iter().flatten() {
        if let Some(name) = settings["groups_override"].as_str()
            && !overrides.contains_key(name)
        {
            violations.push(format!(
                "client `{client}` names the unknown groups override `{name}`"
            ));
        }
    }
    violations
}

/// Every pair of VPCs, from cluster configs, that overlap.
pub fn overlapping_vpcs(configs: &[(String, Value)]) -> Vec<String> {
    let vpcs: Vec<(&str, Ipv4Net)> = configs
        .iter()
        .flat_map(|(name, config)| {
            config["cluster"]["providers"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(move |p| {
                    Some((name.as_str(), p["vpc"]["v4cidr"].as_str()?.parse().ok()?))
                })
        })
        .collect();
    let mut overlaps = Vec::new();
    for (i, (a_name, a)) in vpcs.iter().enumerate() {
        for (b_name, b) in &vpcs[i + 1..] {
            if a.contains(&b.network()) || b.contains(&a.network()) {
                overlaps.push(format!("{a_name} {a} overlaps {b_name} {b}"));
            }
        }
    }
    overlaps
}

/// The redirect URI `podplane login` sends: `http://localhost:<callback-port>/callback`,
/// port 8000 unless `--callback-port` says otherwise (Podplane's login command).
pub fn login_redirect_uri(login_words: &[&str]) -> String {
    let port = login_words
        .windows(2)
        .find(|w| w[0] == "--callback-port")
        .map_or("8000", |w| w[1]);
    format!("http://localhost:{port}/callback")
}

/// Whether the issuer lets a client of `config` (`podplane.oidc.jsonc`) come back to
/// `uri`: the issuer compares redirect URIs as exact strings, and a client without its
/// own `redirect_uris` gets `default_redirect_uris`.
pub fn issuer_accepts_redirect(config: &Value, client: &str, uri: &str) -> bool {
    let oidc = &config["oidc"];
    let uris = oidc["clients"][client]
        .get("redirect_uris")
        .unwrap_or(&oidc["default_redirect_uris"]);
    uris.as_array()
        .is_some_and(|uris| uris.iter().any(|u| u == uri))
}

/// The values an app template accepts, as a JSON schema: the `web` template's own
/// `values.schema.json` when Podplane's files are there, else the part of it this
/// repository relies on; for `worker`, the values Podplane's templates repository
/// documents (its schema is not among the shared files).
fn template_values(template: &str) -> Option<Value> {
    match template {
        "web" => Some(
            schema_dir()
                .map(|dir| dir.join("templates/web/values.schema.json"))
                .filter(|path| path.is_file())
                .map(|path| serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap())
                .unwrap_or_else(|| {
                    json!({"type": "object", "additionalProperties": false, "properties": {
                        "images": {"type": "object", "properties": {"app": {"type": "string"}, "caddy": {"type": "string"}}},
                        "app": {"type": "object", "additionalProperties": false, "properties": {
                            "env": {"type": "object"},
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535}}},
                        "route": {"type": "object", "additionalProperties": false, "properties": {
                            "hostname": {"type": "string"}, "path": {"type": "string"},
                            "port": {"type": "integer", "minimum": 1, "maximum": 65535}}},
                        "metrics": {"type": "object", "properties": {"http": {"type": "boolean"}}}}})
                }),
        ),
        "worker" => Some(json!({"type": "object", "additionalProperties": false, "properties": {
            "images": {"type": "object", "properties": {"app": {"type": "string"}}},
            "app": {"type": "object", "additionalProperties": false, "properties": {
                "replicas": {"type": "integer", "minimum": 1},
                "strategy": {"type": "string", "enum": ["Recreate", "RollingUpdate"]},
                "command": {"type": "array"}, "args": {"type": "array"}, "env": {"type": "object"},
                "terminationGracePeriodSeconds": {"type": "integer", "minimum": 0}}},
            "certificates": {"type": "object"}, "networkPolicy": {"type": "object"},
            "serviceAccount": {"type": "object"}, "secrets": {"type": "array"}}})),
        _ => None,
    }
}

/// The flags of `podplane deploy` that take a value (its CLI reference); the one other
/// flag, `-y`, is one the repository must never pass.
const DEPLOY_FLAGS: &[&str] = &[
    "--name",
    "--image",
    "-e",
    "--env",
    "--hostname",
    "--path",
    "--set",
    // Newer than cf34126: binds a key of the cluster's default secrets provider
    // (`newer/docs/reference/cli/commands/deploy.md`).
    "--secret",
    "-n",
    "--namespace",
    "--context",
    "--kubeconfig",
    "--wait",
    "--timeout",
];

/// Why `podplane` would refuse the words after `podplane` of one `podplane deploy`, or do
/// what the repository must not let it do; empty when it would deploy as asked.
pub fn deploy_violations(words: &[String]) -> Vec<String> {
    let mut violations = Vec::new();
    let mut words = words.iter().map(String::as_str);
    if words.next() != Some("deploy") {
        return vec!["not a `podplane deploy`".to_owned()];
    }
    let Some(template) = words.next().filter(|w| !w.starts_with('-')) else {
        return vec!["no template after `deploy`".to_owned()];
    };
    let Some(values) = template_values(template) else {
        return vec![format!(
            "unknown template `{template}`: Podplane has `web` and `worker`"
        )];
    };
    let mut name = false;
    while let Some(flag) = words.next() {
        if ["-y", "--auto-approve"].contains(&flag) {
            violations.push(format!(
                "`{flag}` lets deploy install add-on components unasked"
            ));
            continue;
        }
        if !DEPLOY_FLAGS.contains(&flag) {
            violations.push(format!("`podplane deploy` has no flag `{flag}`"));
            continue;
        }
        let Some(value) = words.next() else {
            violations.push(format!("`{flag}` has no value"));
            break;
        };
        match flag {
            "--name" => name = !value.is_empty(),
            "--hostname" | "--path" => {
                let key = if flag == "--hostname" {
                    "route.hostname"
                } else {
                    "route.path"
                };
                if let Some(problem) = value_problem(&values, key, value) {
                    violations.push(format!("{flag} with template `{template}`: {problem}"));
                }
            }
            "--set" => match value.split_once('=') {
                Some((key, v)) => {
                    if let Some(problem) = value_problem(&values, key, v) {
                        violations.push(format!(
                            "--set {value} with template `{template}`: {problem}"
                        ));
                    }
                }
                None => violations.push(format!("--set `{value}` is not KEY=VALUE")),
            },
            "-e" | "--env" => {
                let key = value.split_once('=').map_or(value, |(k, _)| k);
                let valid = key
                    .chars()
                    .next()
                    .is_some_and(|c| c.is_ascii_alphabetic() || "-._".contains(c))
                    && key
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || "-._".contains(c));
                if !valid {
                    violations.push(format!(
                        "`{key}` is not a Kubernetes environment variable name"
                    ));
                }
            }
            _ => {}
        }
    }
    if !name {
        violations.push("`--name` is required".to_owned());
    }
    violations
}

/// Why the template's values schema refuses `key` (dotted, as Helm's `--set` writes it) set
/// to `value`; `None` when it accepts it.
fn value_problem(schema: &Value, key: &str, value: &str) -> Option<String> {
    let mut node = schema;
    for part in key.split('.') {
        match node["properties"].get(part) {
            Some(next) => node = next,
            None => return Some(format!("the template has no value `{key}`")),
        }
    }
    match node["type"].as_str() {
        Some("integer") => {
            let Ok(n) = value.parse::<i64>() else {
                return Some(format!("`{key}` takes an integer, not `{value}`"));
            };
            let below = node["minimum"].as_i64().is_some_and(|min| n < min);
            let above = node["maximum"].as_i64().is_some_and(|max| n > max);
            (below || above).then(|| format!("`{key}` = {n} is out of range"))
        }
        Some("boolean") => (value != "true" && value != "false")
            .then(|| format!("`{key}` takes true or false, not `{value}`")),
        Some("string") => node["enum"]
            .as_array()
            .filter(|allowed| !allowed.iter().any(|a| a == value))
            .map(|_| format!("`{key}` = `{value}` is not one of its values")),
        _ => Some(format!("`{key}` is not a single value that --set can give")),
    }
}
