//! Truster as a consumer, written from its documentation (`../shared/truster/`) and not
//! from the renderer: the configuration the `truster/truster/aws` module gives the server
//! when `truster_override.tf.json` replaces its `truster_config` argument, the server's
//! JSON Schema, and how the server decides a token exchange (a trust policy's claims
//! overlaid by a binding's, every claim present and valid, exactly one binding matching,
//! the token's audience the client).
//!
//! The schema is Truster's file, not this repository's: it is read from
//! `$TRUSTER_SCHEMA_DIR`, else from `../shared/truster/schema/v2/` beside the checkout;
//! where neither exists the schema assertion is skipped with a notice, unless
//! `REQUIRE_TRUSTER_SCHEMA` is set (`.ci/run` sets it). The matching model needs no files.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use serde_json::{Map, Value, json};

pub const SCHEMA_DIR_VAR: &str = "TRUSTER_SCHEMA_DIR";
pub const REQUIRE_VAR: &str = "REQUIRE_TRUSTER_SCHEMA";

fn schema_file() -> Option<&'static Path> {
    static FILE: OnceLock<Option<PathBuf>> = OnceLock::new();
    FILE.get_or_init(|| {
        crate::common::shared_dir(
            SCHEMA_DIR_VAR,
            REQUIRE_VAR,
            "shared/truster/schema/v2",
            "config.schema.json",
            "skipping the Truster schema assertion; Truster's matching rules are still checked",
        )
        .map(|dir| dir.join("config.schema.json"))
    })
    .as_deref()
}

/// The `truster_config` an override file gives module "oidc".
pub fn truster_config(override_file: &Value) -> &Value {
    &override_file["module"]["oidc"]["truster_config"]
}

/// What the server reads: `truster_config` as the module's `06-config.tf` merges it, with
/// the issuer URL and listen address the module sets, its secrets provider and region,
/// and its default state database. Terraform reads `$${` in the override as `${`.
pub fn server_config(truster_config: &Value, issuer: &str, region: &str) -> Value {
    let mut config = unescape(truster_config.clone());
    config["issuer_url"] = json!(issuer);
    config["http_listen_addr"] = json!("127.0.0.1:8080");
    config["secrets"]["provider"] = json!("aws-secrets-manager");
    config["secrets"]["aws_region"] = json!(region);
    config["state_database"] =
        json!({ "driver": "sqlite", "path": "/var/lib/truster/truster-state.db" });
    config
}

fn unescape(value: Value) -> Value {
    let text = |s: &str| s.replace("$${", "${").replace("%%{", "%{");
    match value {
        Value::String(s) => Value::String(text(&s)),
        Value::Array(items) => Value::Array(items.into_iter().map(unescape).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(k, v)| (text(&k), unescape(v)))
                .collect(),
        ),
        other => other,
    }
}

/// Every error of `config` against Truster's schema; `None` when the schema is not there.
pub fn schema_errors(config: &Value) -> Option<Vec<String>> {
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(schema_file()?).unwrap()).unwrap();
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("Truster's schema compiles");
    Some(
        validator
            .iter_errors(config)
            .map(|err| format!("{err} at {}", err.instance_path()))
            .collect(),
    )
}

/// What a token exchange for `client` with a GitHub or Buildkite token carrying `claims` yields: the
/// subject and groups of the one binding that matches, or why it is refused.
pub fn exchange(
    config: &Value,
    client: &str,
    claims: &Value,
) -> Result<(String, Vec<String>), String> {
    if claims["aud"] != json!(client) {
        return Err(format!("the token's audience is not `{client}`"));
    }
    let policy = &config["static_policy"];
    let bindings = policy["clients"][client]["trust_bindings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut matched = Vec::new();
    for binding in &bindings {
        let policy_name = binding["trust_policy"].as_str().unwrap();
        let trust_policy = &policy["trust_policies"][policy_name];
        let issuer = trust_policy["issuer"].as_str().unwrap();
        let preset = config["service_token_issuers"][issuer]["provider"].as_str();
        let Some(accepted) = preset.and_then(preset_claims) else {
            continue;
        };
        // The presets pin their issuer, and refuse a claim name they do not know.
        if preset.and_then(preset_issuer) != claims["iss"].as_str() {
            continue;
        }
        let named = |table: &Value| {
            table
                .as_object()
                .into_iter()
                .flat_map(|claims| claims.keys().cloned())
                .collect::<Vec<_>>()
        };
        for name in named(&trust_policy["required_claims"])
            .into_iter()
            .chain(named(&trust_policy["claims"]))
            .chain(named(&binding["claims"]))
        {
            if !STANDARD_CLAIMS.contains(&name.as_str()) && !accepted.contains(&name.as_str()) {
                return Err(format!("the {preset:?} preset knows no claim `{name}`"));
            }
        }
        if binding_matches(trust_policy, binding, claims) {
            let subject = binding
                .get("subject")
                .or_else(|| trust_policy.get("subject"))
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            let groups: Vec<String> = binding
                .get("groups")
                .or_else(|| trust_policy.get("groups"))
                .and_then(Value::as_array)
                .map(|g| g.iter().map(|g| g.as_str().unwrap().to_owned()).collect())
                .unwrap_or_default();
            matched.push((binding["id"].clone(), subject, groups));
        }
    }
    match matched.as_slice() {
        [(_, subject, groups)] if subject.starts_with("trusted:") && !groups.is_empty() => {
            Ok((subject.clone(), groups.clone()))
        }
        [_] => Err("the matching binding has no trusted: subject or no groups".to_owned()),
        [] => Err(format!("no binding of `{client}` matches")),
        many => Err(format!("{} bindings match, so none is used", many.len())),
    }
}

/// The claims every preset accepts (`shared/truster/README.md`, fact 10, from Truster's
/// `internal/config/trust.go` at e077582).
const STANDARD_CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "jti",
    "azp",
    "nonce",
    "email",
    "email_verified",
];

/// The provider claims a preset accepts, as the same fact lists them; `None` for a
/// provider that is not a preset.
fn preset_claims(preset: &str) -> Option<&'static [&'static str]> {
    match preset {
        "github" => Some(&[
            "actor",
            "actor_id",
            "base_ref",
            "check_run_id",
            "enterprise",
            "enterprise_id",
            "environment",
            "environment_node_id",
            "event_name",
            "head_ref",
            "issuer_scope",
            "job_workflow_ref",
            "job_workflow_sha",
            "ref",
            "ref_protected",
            "ref_type",
            "repository",
            "repository_id",
            "repository_owner",
            "repository_owner_id",
            "repository_visibility",
            "run_attempt",
            "run_id",
            "run_number",
            "runner_environment",
            "sha",
            "workflow",
            "workflow_ref",
            "workflow_sha",
        ]),
        "buildkite" => Some(&[
            "agent_id",
            "build_branch",
            "build_commit",
            "build_id",
            "build_number",
            "build_source",
            "build_tag",
            "cluster_id",
            "cluster_name",
            "job_id",
            "organization_id",
            "organization_slug",
            "pipeline_id",
            "pipeline_slug",
            "queue_id",
            "queue_key",
            "runner_environment",
            "step_key",
        ]),
        _ => None,
    }
}

/// The issuer a preset pins.
fn preset_issuer(preset: &str) -> Option<&'static str> {
    match preset {
        "github" => Some("https://token.actions.githubusercontent.com"),
        "buildkite" => Some("https://agent.buildkite.com"),
        _ => None,
    }
}

/// Truster's rule: the policy's `claims` overlaid by the binding's, by claim name, and the
/// policy's `required_claims` always in force; every configured claim present and valid.
fn binding_matches(policy: &Value, binding: &Value, claims: &Value) -> bool {
    let mut effective: Map<String, Value> =
        policy["claims"].as_object().cloned().unwrap_or_default();
    for (name, fragment) in binding["claims"].as_object().cloned().unwrap_or_default() {
        effective.insert(name, fragment);
    }
    let required = policy["required_claims"]
        .as_object()
        .cloned()
        .unwrap_or_default();
    effective
        .iter()
        .chain(required.iter())
        .all(|(name, fragment)| match claims.get(name) {
            Some(value) => jsonschema::validator_for(fragment)
                .expect("a claim fragment compiles")
                .is_valid(value),
            None => false,
        })
}

/// The claims GitHub puts in the token of a job of `workflow` in `repository` (ids
/// `owner_id`, `repository_id`), triggered by `event` on `git_ref`, in the GitHub
/// Environment `environment` (if any), requested for `audience`.
pub struct GithubToken<'a> {
    pub repository: &'a str,
    pub owner_id: &'a str,
    pub repository_id: &'a str,
    pub workflow: &'a str,
    pub event: &'a str,
    pub git_ref: &'a str,
    pub environment: Option<&'a str>,
    pub audience: &'a str,
}

impl GithubToken<'_> {
    pub fn claims(&self) -> Value {
        let mut claims = json!({
            "iss": "https://token.actions.githubusercontent.com",
            "aud": self.audience,
            "repository": self.repository,
            "repository_owner": self.repository.split('/').next().unwrap(),
            "repository_owner_id": self.owner_id,
            "repository_id": self.repository_id,
            "ref": self.git_ref,
            "event_name": self.event,
            "job_workflow_ref": format!("{}/{}@{}", self.repository, self.workflow, self.git_ref),
            "workflow_ref": format!("{}/{}@{}", self.repository, self.workflow, self.git_ref),
        });
        let sub = match self.environment {
            Some(env) => {
                claims["environment"] = json!(env);
                format!("repo:{}:environment:{env}", self.repository)
            }
            None => format!("repo:{}:ref:{}", self.repository, self.git_ref),
        };
        claims["sub"] = json!(sub);
        claims
    }
}

/// The claims Buildkite puts in the token of the step keyed `step_key` of a build of
/// `branch`, in the pipeline `pipeline` (`slug`, id) of the organisation `organization`
/// (`slug`, id), with the optional ids Podplane's login asks for, requested for
/// `audience` (buildkite/docs `pages/agent/v3/cli_oidc.md`).
pub struct BuildkiteToken<'a> {
    pub organization: (&'a str, &'a str),
    pub pipeline: (&'a str, &'a str),
    pub branch: &'a str,
    pub step_key: &'a str,
    pub audience: &'a str,
}

impl BuildkiteToken<'_> {
    pub fn claims(&self) -> Value {
        let commit = "9f3182061f1e2cca4702c368cbc039b7dc9d4485";
        json!({
            "iss": "https://agent.buildkite.com",
            "sub": format!(
                "organization:{}:pipeline:{}:ref:refs/heads/{}:commit:{commit}:step:{}",
                self.organization.0, self.pipeline.0, self.branch, self.step_key
            ),
            "aud": self.audience,
            "organization_slug": self.organization.0,
            "organization_id": self.organization.1,
            "pipeline_slug": self.pipeline.0,
            "pipeline_id": self.pipeline.1,
            "build_number": 42,
            "build_branch": self.branch,
            "build_commit": commit,
            "step_key": self.step_key,
            "job_id": "0184990a-477b-4fa8-9968-496074483cee",
            "agent_id": "0184990a-4782-42b5-afc1-16715b10b8ff",
        })
    }
}
