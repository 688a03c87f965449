//! Podplane as a consumer: its JSON schemas from `../shared/podplane/`, and the semantic
//! rules of its Go validator (`config-reference.md`) written out independently of the
//! renderer, so that a rendering bug cannot hide in both.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::path::{Path, PathBuf};

use ipnet::Ipv4Net;
use serde_json::Value;

/// `../shared/podplane/` beside the checkout, where CI puts it.
pub fn shared_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/podplane");
    assert!(
        dir.is_dir(),
        "Podplane's schemas are expected in {} (the shared/ directory beside the checkout)",
        dir.display()
    );
    dir
}

/// Parses JSONC (JSON with comments) as Podplane does.
pub fn parse_jsonc(text: &str) -> Value {
    let stripped = json_comments::StripComments::new(text.as_bytes());
    serde_json::from_reader(stripped).expect("valid JSONC")
}

/// Every error of `instance` against the schema file `schema` (in `shared_dir()`).
pub fn schema_errors(schema: &str, instance: &Value) -> Vec<String> {
    let path = shared_dir().join(schema);
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("Podplane's schema compiles");
    validator
        .iter_errors(instance)
        .map(|err| format!("{} at {}", err, err.instance_path()))
        .collect()
}

/// Podplane's semantic rules for one `podplane.cluster.jsonc`: what the schema cannot say.
pub fn cluster_rule_violations(config: &Value) -> Vec<String> {
    let mut violations = Vec::new();
    let cluster = &config["cluster"];
    let pools: Vec<&str> = cluster["pools"]
        .as_object()
        .map(|p| p.keys().map(String::as_str).collect())
        .unwrap_or_default();
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
