//! `truster_override.tf.json` of the identity environment: the whole configuration of
//! the Truster issuer that `podplane oidc create` deploys, with the trust that lets CI's
//! deploy jobs log in to the clusters they deploy.
//!
//! `podplane oidc create` writes `podplane.oidc.main.tf` beside `podplane.oidc.jsonc`
//! with `module "oidc"` (the `truster/truster/aws` module) and its `truster_config`
//! argument, built from the OIDC config alone, which has no trust fields. Podplane says
//! never to edit its generated `.tf` and to add files instead; a Terraform (and OpenTofu)
//! override file in the same directory replaces that one argument. So this file holds
//! `truster_config` whole: the same secrets, connector, clients and group mappings as
//! `podplane.oidc.jsonc`, plus the CI provider (GitHub Actions or Buildkite) as a
//! service-token issuer, one trust policy for the repository or pipeline, and on each
//! client of an environment CI deploys exactly one binding.

use serde_json::{Value, json};

use super::flow::ReleaseFlow;
use super::oidc::{self, LOGIN_REDIRECT_URI};
use super::{Sources, preamble};
use crate::model::{
    BuildkitePipeline, CiProvider, Connector, GithubRepo, Identity, Platform, Role,
};

pub const FILE: &str = "truster_override.tf.json";

/// The Podplane role CI deploys with: Kubernetes `edit` without a shell in pods, and in
/// the cluster's registry, pushes under `apps/` that cannot overwrite a tag. Never
/// `admins`.
pub const CI_ROLE: Role = Role::Editors;
/// The workflow that deploys, as its `job_workflow_ref` names it.
pub const DEPLOY_WORKFLOW: &str = ".github/workflows/main.yml";
/// The branch every deploy runs from.
pub const MAIN: &str = "refs/heads/main";

/// Who deploys: the CI/CD service's deploy jobs, by the ids its tokens carry.
#[derive(Clone, Copy)]
pub enum Deployer<'a> {
    Github(&'a GithubRepo),
    Buildkite(&'a BuildkitePipeline),
}

impl<'a> Deployer<'a> {
    /// The deploy jobs of the platform's CI provider, once its table (`[github]` or
    /// `[buildkite]`) names them.
    pub fn of(platform: &'a Platform) -> Option<Deployer<'a>> {
        match platform.ci_provider() {
            CiProvider::Github => platform.github.as_ref().map(Deployer::Github),
            CiProvider::Buildkite => platform.buildkite.as_ref().map(Deployer::Buildkite),
        }
    }

    /// The subject a deploy job of `env` gets in its cluster: its Kubernetes user name.
    pub fn subject(self, env: &str) -> String {
        match self {
            Deployer::Github(github) => {
                format!("trusted:github:{}:{env}", github.repository.value)
            }
            Deployer::Buildkite(buildkite) => format!(
                "trusted:buildkite:{}/{}:{env}",
                buildkite.organization.value, buildkite.pipeline.value
            ),
        }
    }

    /// Its name among Truster's service-token issuers, and the preset it uses.
    fn issuer(self) -> (&'static str, &'static str) {
        match self {
            Deployer::Github(_) => ("github-actions", "github"),
            Deployer::Buildkite(_) => ("buildkite", "buildkite"),
        }
    }

    /// The policy every deploy binding inherits, by name.
    fn policy_name(self) -> &'static str {
        match self {
            Deployer::Github(_) => "github-deploy",
            Deployer::Buildkite(_) => "buildkite-deploy",
        }
    }

    /// What every deploy token must say, which no binding can loosen. GitHub: this
    /// repository by its immutable ids, the main branch, a push (a pull request's run
    /// never matches). Buildkite: this organisation and deploy pipeline by their
    /// immutable ids (which Podplane's login asks Buildkite to put in the token), and the
    /// main branch.
    fn policy(self) -> Value {
        let required = match self {
            Deployer::Github(github) => json!({
                "repository_owner_id": { "const": github.owner_id.value.as_str() },
                "repository_id": { "const": github.repository_id.value.as_str() },
                "ref": { "const": MAIN },
                "event_name": { "const": "push" },
            }),
            Deployer::Buildkite(buildkite) => json!({
                "organization_id": { "const": buildkite.organization_id.value.as_str() },
                "pipeline_id": { "const": buildkite.pipeline_id.value.as_str() },
                "build_branch": { "const": MAIN.trim_start_matches("refs/heads/") },
            }),
        };
        json!({ "issuer": self.issuer().0, "required_claims": required })
    }

    /// The binding that lets the step `step_key` read `env`'s cluster, as a viewer:
    /// Buildkite only, whose records live in the clusters.
    fn reader_binding(self, env: &str, step_key: &str) -> Option<Value> {
        let Deployer::Buildkite(buildkite) = self else {
            return None;
        };
        Some(json!({
            "id": format!("{}-{step_key}-reads-{env}", self.policy_name()),
            "trust_policy": self.policy_name(),
            "subject": Deployer::Buildkite(buildkite).subject(&format!("{step_key}:reads")),
            "groups": [format!("podplane:{READER_ROLE}")],
            "claims": { "step_key": { "const": step_key } },
        }))
    }

    /// The one binding of `env`'s client. GitHub: the deploy job of that environment, in
    /// its GitHub Environment, of the workflow on main. Buildkite: the step keyed
    /// `deploy-<env>`. Every binding has the same claims, each a `const`: Terraform gives
    /// the clients' bindings one type, and `claims` is `any`.
    fn binding(self, env: &str) -> Value {
        let claims = match self {
            Deployer::Github(github) => json!({
                "environment": { "const": env },
                "job_workflow_ref": {
                    "const": format!("{}/{DEPLOY_WORKFLOW}@{MAIN}", github.repository.value)
                },
            }),
            Deployer::Buildkite(_) => json!({
                "step_key": { "const": deploy_step_key(env) },
            }),
        };
        json!({
            "id": format!("{}-{env}", self.policy_name()),
            "trust_policy": self.policy_name(),
            "subject": self.subject(env),
            "groups": [format!("podplane:{CI_ROLE}")],
            "claims": claims,
        })
    }
}

/// The Podplane role of a step that only reads another environment's cluster.
const READER_ROLE: Role = Role::Viewers;

/// The key of the Buildkite step that plans a change, which reads the record of the
/// first environment CI deploys for the commit to compare with.
pub const PLAN_STEP: &str = "plan";

/// Who reads which cluster besides its own deploy step, with Buildkite, where what an
/// environment runs is recorded in its own cluster: `(environment, step key)`. The plan
/// reads the first environment CI deploys (the commit it last deployed is the base of a
/// change); a production-stage deploy step reads the environment it is promoted from
/// (the digests it ran are the only ones that may follow).
fn readers(flow: &ReleaseFlow) -> Vec<(String, String)> {
    let mut readers: Vec<(String, String)> = flow
        .deploys
        .first()
        .map(|first| (first.name.clone(), PLAN_STEP.to_owned()))
        .into_iter()
        .collect();
    readers.extend(flow.deploys.iter().filter_map(|deploy| {
        let from = deploy.promoted_from.as_ref()?;
        Some((from.clone(), deploy_step_key(&deploy.name)))
    }));
    readers
}

/// The key of the Buildkite step that deploys `env`, which its trust binding names.
pub fn deploy_step_key(env: &str) -> String {
    format!("deploy-{env}")
}

pub fn generate(platform: &Platform, identity: &Identity) -> anyhow::Result<String> {
    let access = oidc::access(platform);
    let deployer = Deployer::of(platform);
    let deployed: Vec<(&str, &str)> = platform
        .deployed_by_ci()
        .filter_map(|env| {
            let cluster = env.cluster.as_ref()?;
            Some((cluster.client_id.value.as_str(), env.name.as_str()))
        })
        .collect();
    let readers = readers(&ReleaseFlow::of(platform));
    let mut clients = serde_json::Map::new();
    for (client, env) in &access.clients {
        let mut entry = json!({ "user_group_mapping": env });
        if let Some(deployer) = deployer
            && deployed.contains(&(client, env))
        {
            let mut bindings = vec![deployer.binding(env)];
            bindings.extend(
                readers
                    .iter()
                    .filter(|(read, _)| read == env)
                    .filter_map(|(_, step)| deployer.reader_binding(env, step)),
            );
            entry["trust_bindings"] = json!(bindings);
        }
        clients.insert((*client).to_owned(), entry);
    }
    let mut static_policy = json!({
        "default_redirect_uris": [LOGIN_REDIRECT_URI],
        "clients": clients,
        "user_group_mappings": access.groups,
    });
    let mut secrets = json!({ "signing_key_name": identity.signing_key_secret_arn.value.as_str() });
    if let Some(arn) = &identity.encryption_key_secret_arn {
        secrets["encryption_key_name"] = json!(arn.value.as_str());
    }
    let connector = identity.connector.value;
    let mut config = json!({
        "secrets": secrets,
        "user_login_connectors": {
            connector.as_str(): {
                "type": connector.as_str(),
                "display_name": match connector {
                    Connector::Google => "Google",
                    Connector::Github => "GitHub",
                },
                "credentials_secret": identity.client_secret_arn.value.as_str(),
            }
        },
    });
    if let Some(deployer) = deployer {
        let (issuer, preset) = deployer.issuer();
        config["service_token_issuers"] = json!({ issuer: { "provider": preset } });
        static_policy["trust_policies"] = json!({ deployer.policy_name(): deployer.policy() });
    }
    config["static_policy"] = static_policy;
    let [made, edit] = preamble(&Sources::All);
    let file = json!({
        "//": [
            made,
            edit,
            "Replaces the truster_config argument of module \"oidc\" in the podplane.oidc.main.tf that `podplane oidc create` writes beside it (a Terraform override file)."
        ],
        "module": { "oidc": { "truster_config": literal(config) } },
    });
    Ok(format!("{}\n", serde_json::to_string_pretty(&file)?))
}

/// `value` as Terraform's JSON syntax reads it literally: there every string, and every
/// key of an object in an argument, is a template, in which `${` and `%{` start an
/// interpolation or a directive; doubled, they stand for themselves.
fn literal(value: Value) -> Value {
    // Nearly every string has no brace, and is kept as it is rather than copied twice.
    let escape = |text: String| {
        if text.contains('{') {
            text.replace("${", "$${").replace("%{", "%%{")
        } else {
            text
        }
    };
    match value {
        Value::String(text) => Value::String(escape(text)),
        Value::Array(items) => Value::Array(items.into_iter().map(literal).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (escape(key), literal(value)))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::literal;

    #[test]
    fn interpolations_and_directives_stay_literal() {
        assert_eq!(
            literal(json!({ "a${x}": ["%{if}", "$5", "^main$", "{}", "${a}%{b}${"], "b": "c" })),
            json!({ "a$${x}": ["%%{if}", "$5", "^main$", "{}", "$${a}%%{b}$${"], "b": "c" })
        );
    }
}
