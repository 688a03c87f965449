//! The hand-written files exactly as written: `environments/platform.toml` and
//! `environments/<env>/environment.toml`. Unknown keys are rejected; every value keeps its
//! span so that later stages can point at it.
//!
//! The same types describe the files as JSON Schemas, which `render` writes for editors
//! (derived in a unit test, which holds the committed schemas to them): each doc comment is
//! the description an editor shows for its key, and says what
//! `docs/environments-reference.md` says of it; each `pattern` is one of `super::patterns`.

use std::collections::BTreeMap;

use crate::model::spanned::{Entries, Spanned};
use serde::Deserialize;

use crate::rule::RuleLevel;
#[cfg(test)]
use {super::patterns, schemars::JsonSchema};

pub use super::keywords::*;

pub const ENVIRONMENTS_DIR: &str = "environments";
pub const PLATFORM_FILE: &str = "platform.toml";
/// The record of the toolkit a repository is made with, which `new-repo` writes.
pub const TOOLKIT_RECORD_FILE: &str = "toolkit.toml";
pub const ENVIRONMENT_FILE: &str = "environment.toml";

/// `environments/platform.toml`: what every environment shares.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    /// The organisation's slug, `{{org}}` in naming patterns: lowercase letters, digits and single hyphens.
    #[cfg_attr(test, schemars(pattern(patterns::LABEL)))]
    pub org: Spanned<String>,
    /// The organisation's human name, `{{name}}` in naming patterns ("Example").
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub name: Spanned<String>,
    /// The base DNS domain, `{{domain}}` in naming patterns: zones are `<env>.<domain>`.
    #[cfg_attr(test, schemars(pattern(patterns::DNS_NAME), length(max = 253)))]
    pub domain: Spanned<String>,
    /// Values an environment inherits unless it sets its own.
    pub defaults: DefaultsFile,
    /// Where new environments' VPCs come from.
    #[serde(default)]
    pub network: NetworkFile,
    /// Team name = the member emails, as the OIDC issuer puts them in tokens.
    #[serde(default)]
    #[cfg_attr(test, schemars(extend(
        "propertyNames" = { "pattern": patterns::LABEL },
        "additionalProperties" = {
            "type": "array",
            "items": { "type": "string", "pattern": patterns::EMAIL },
        },
    )))]
    pub teams: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    /// Handlebars patterns that replace the naming conventions.
    #[serde(default)]
    pub naming: NamingFile,
    /// Certificates for ingress from an ACME directory. Without `[acme]` here or in an environment, clusters use self-signed certificates.
    pub acme: Option<AcmeFile>,
    /// Which environments must match which (`cargo xtask parity`), and the documented exceptions.
    pub parity: Option<ParityFile>,
    /// Values that look like secrets but are not.
    pub secrets: Option<SecretsFile>,
    /// Host names a cluster serves outside its own zone on purpose.
    pub hosts: Option<HostsFile>,
    /// Where the service images are pushed.
    pub images: Option<ImagesFile>,
    /// The GitHub repository CI deploys from: the clusters trust its deploy jobs, by the ids GitHub puts in their tokens.
    pub github: Option<GithubFile>,
    /// The Buildkite pipeline CI deploys from, when `[ci] provider = "buildkite"`: the clusters trust its deploy steps, by the ids Buildkite puts in their tokens.
    pub buildkite: Option<BuildkiteFile>,
    /// Rule id = `deny`, `warn` or `allow`: the level of a rule of `cargo xtask check` (docs/checks.md).
    #[serde(default)]
    pub checks: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
    /// Managed observability: every cluster's telemetry goes to a hosted provider, through a relay service in the cluster, rather than to an observability environment.
    pub observability: Option<ManagedObservabilityFile>,
}

/// `[observability]` of platform.toml: telemetry goes to a hosted provider. Podplane's VM
/// telemetry cannot authenticate, so each cluster runs the relay service, which its VMs
/// ship to and which adds the provider's credential, read from a secret.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "managed-observability"))]
pub struct ManagedObservabilityFile {
    /// The provider, as the docs name it (`grafana-cloud`, `honeycomb`), or a placeholder.
    #[cfg_attr(test, schemars(pattern(patterns::PROVIDER_NAME)))]
    pub provider: Spanned<String>,
    /// The provider's OTLP/HTTP endpoint, without a credential, or a placeholder: the relay forwards `/v1/logs` to `<endpoint>/v1/logs`.
    #[cfg_attr(test, schemars(pattern(patterns::OTLP_ENDPOINT)))]
    pub endpoint: Spanned<String>,
    /// The HTTP header the provider takes its credential in; default `Authorization`.
    #[cfg_attr(test, schemars(pattern(patterns::HEADER_NAME)))]
    pub header: Option<Spanned<String>>,
    /// The key of the secret that holds the header's value, in every cluster that runs the relay (`podplane secret create --for <relay> <key>`); never the value itself.
    #[cfg_attr(test, schemars(pattern(patterns::SECRET_KEY)))]
    pub credential_key: Spanned<String>,
    /// The service that carries each cluster's telemetry to the provider: a web service every cluster deploys; default `otlp-relay`.
    #[cfg_attr(test, schemars(pattern(patterns::LABEL)))]
    pub relay: Option<Spanned<String>>,
}

/// `[defaults]`: values an environment inherits unless it sets its own.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "defaults"))]
pub struct DefaultsFile {
    /// The cloud every cluster runs on.
    pub provider: Spanned<Provider>,
    /// The region environments use unless they set their own, such as `eu-west-1`.
    #[cfg_attr(test, schemars(pattern(patterns::REGION)))]
    pub region: Spanned<String>,
    /// The Podplane components of every cluster that does not set its own in `[components]`.
    pub components: Option<ComponentsFile>,
}

/// `[network]`: where new environments' VPCs come from.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "network"))]
pub struct NetworkFile {
    /// The range `new-env` allocates VPCs from; default `10.0.0.0/8`. It must be private (RFC 1918) unless `allow_public` says why not.
    pub vpc_range: Option<Spanned<String>>,
    /// Why VPCs may use public addresses (the organisation owns them); without it, every VPC is in a private range.
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub allow_public: Option<Spanned<String>>,
}

/// `[parity]`: which environments must match which, and the documented exceptions.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "parity"))]
pub struct ParityFile {
    /// The environment the candidates are checked against, usually `prod`.
    #[cfg_attr(test, schemars(pattern(patterns::LABEL)))]
    pub reference: Spanned<String>,
    /// The environments that must match the reference, such as `["staging"]`.
    #[cfg_attr(test, schemars(inner(pattern(patterns::LABEL))))]
    pub candidates: Vec<Spanned<String>>,
    /// Must-match differences that are allowed, each with its reason.
    #[serde(default)]
    pub allow: Vec<AllowFile>,
}

/// `[[parity.allow]]`: a must-match difference that is allowed, and why.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "parity-allow"))]
pub struct AllowFile {
    /// The dotted path of the difference: `*` matches within a segment, `**` any number of segments (`services.*.version`).
    #[cfg_attr(test, schemars(pattern(patterns::TREE_PATH)))]
    pub path: Spanned<String>,
    /// Why the difference is safe (required).
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub reason: Spanned<String>,
    /// The day after which the allowance no longer allows and is reported as expired (`2027-03-01`); leave it out for a lasting exception.
    #[cfg_attr(test, schemars(with = "Option<String>", extend("format" = "date")))]
    pub until: Option<Spanned<toml_edit::Datetime>>,
}

/// `[secrets]`: values the secret finder takes for secrets that are not.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "secrets"))]
pub struct SecretsFile {
    /// Where services' secrets are kept, the default secrets provider of every cluster: `secretsmanager` (AWS Secrets Manager, the default) or `ssmparameter` (Parameter Store).
    pub store: Option<Spanned<SecretStore>>,
    /// A value that looks like a secret but is not. Such values are shown and rendered; every other secret is refused by `render`.
    #[serde(default)]
    pub allow: Vec<SecretAllowFile>,
}

/// `[[secrets.allow]]`: the values at a path that are not secrets, and why.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "secrets-allow"))]
pub struct SecretAllowFile {
    /// A glob over `show`'s paths, such as `services.*.env.STRIPE_PUBLISHABLE_KEY`.
    #[cfg_attr(test, schemars(pattern(patterns::TREE_PATH)))]
    pub path: Spanned<String>,
    /// Why the value is not a secret (required).
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub reason: Spanned<String>,
}

/// `[images]`: where the service images are pushed.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "images"))]
pub struct ImagesFile {
    /// The repository prefix a new service's image is named under (`ghcr.io/example`): `cargo xtask new-service NAME` names its image `<registry>/NAME`.
    pub registry: Spanned<String>,
}

/// `[github]`: the repository whose deploy jobs the clusters trust, by the ids GitHub
/// puts in their tokens (names can be taken over after a rename; ids cannot).
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "github"))]
pub struct GithubFile {
    /// The repository as `owner/name`, which the deploy workflow's `job_workflow_ref` names.
    #[cfg_attr(test, schemars(pattern(patterns::GITHUB_REPOSITORY)))]
    pub repository: Spanned<String>,
    /// The owner's numeric id: `gh api repos/OWNER/NAME --jq .owner.id`.
    #[cfg_attr(test, schemars(pattern(patterns::GITHUB_ID)))]
    pub owner_id: Spanned<String>,
    /// The repository's numeric id: `gh api repos/OWNER/NAME --jq .id`.
    #[cfg_attr(test, schemars(pattern(patterns::GITHUB_ID)))]
    pub repository_id: Spanned<String>,
}

/// `[buildkite]`: the organisation and the deploy pipeline whose steps the clusters
/// trust, by the ids Buildkite puts in their tokens (slugs change with a rename; ids do
/// not).
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "buildkite"))]
pub struct BuildkiteFile {
    /// The organisation's slug, as in buildkite.com/ORGANIZATION.
    #[cfg_attr(test, schemars(pattern(patterns::BUILDKITE_SLUG)))]
    pub organization: Spanned<String>,
    /// The organisation's UUID: `id` of GET /v2/organizations/ORGANIZATION.
    #[cfg_attr(test, schemars(pattern(patterns::BUILDKITE_UUID)))]
    pub organization_id: Spanned<String>,
    /// The deploy pipeline's slug, as in buildkite.com/ORGANIZATION/PIPELINE.
    #[cfg_attr(test, schemars(pattern(patterns::BUILDKITE_SLUG)))]
    pub pipeline: Spanned<String>,
    /// The deploy pipeline's UUID: `id` of GET /v2/organizations/ORGANIZATION/pipelines/PIPELINE.
    #[cfg_attr(test, schemars(pattern(patterns::BUILDKITE_UUID)))]
    pub pipeline_id: Spanned<String>,
}

/// `[hosts]`: host names that may lie outside their environment's zone.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "hosts"))]
pub struct HostsFile {
    /// A host name a cluster serves outside its own zone on purpose, and why. Host names that clash are never allowed.
    #[serde(default)]
    pub allow: Vec<HostAllowFile>,
}

/// `[[hosts.allow]]`: a host name or glob outside its zone on purpose, and why.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "hosts-allow"))]
pub struct HostAllowFile {
    /// A host name, or a glob with `*` for one label, such as `*.example.com`.
    #[cfg_attr(test, schemars(pattern(patterns::HOST_PATTERN)))]
    pub host: Spanned<String>,
    /// Why the host lies outside the zone (required).
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub reason: Spanned<String>,
}

/// `[naming]`: handlebars patterns that replace the default conventions. Every pattern may
/// use `{{org}}`, `{{name}}`, `{{domain}}`, `{{env}}`, `{{stage}}`, `{{stage_title}}`,
/// `{{region}}` and `{{account}}`.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "naming"))]
pub struct NamingFile {
    /// The cluster id; default `{{org}}-{{env}}`. The result: lowercase letters, digits, single hyphens, at most 32 characters.
    pub cluster_id: Option<Spanned<String>>,
    /// The cluster's human name; default `{{name}} {{stage_title}}`.
    pub cluster_name: Option<Spanned<String>>,
    /// The environment's DNS zone; default `{{env}}.{{domain}}`.
    pub zone: Option<Spanned<String>>,
    /// The Kubernetes API host; default `k8s.{{zone}}`.
    pub api_host: Option<Spanned<String>>,
    /// The registry host; default `registry.{{zone}}`.
    pub registry_host: Option<Spanned<String>>,
    /// A web service's host; default `{{service}}.{{zone}}`.
    pub service_host: Option<Spanned<String>>,
    /// The OIDC issuer URL; default `https://auth.{{domain}}`.
    pub issuer: Option<Spanned<String>>,
    /// Where every cluster but observability ships its telemetry; default `https://otlp.{{observability_zone}}/{{env}}/v1/logs`: Podplane's VMs post their logs to this very path, whose first segment names the cluster's own stream.
    pub otlp_endpoint: Option<Spanned<String>>,
    /// The Secrets Manager ARN of the OIDC connector's client secret; default `arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-connector`.
    pub connector_secret_arn: Option<Spanned<String>>,
    /// The Secrets Manager ARN of the OIDC signing key; default `arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-signing-key`.
    pub signing_key_secret_arn: Option<Spanned<String>>,
    /// The Secrets Manager ARN of the key the issuer encrypts upstream tokens with, which a GitHub connector needs; default `arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-encryption-key`.
    pub encryption_key_secret_arn: Option<Spanned<String>>,
}

/// `environments/<env>/environment.toml`: only what is specific to one environment.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct EnvironmentFile {
    /// What the environment is for.
    pub stage: Spanned<Stage>,
    /// Free text.
    pub description: Option<Spanned<String>>,
    /// The AWS account id: 12 digits, or a placeholder such as `<production-account-id>`.
    #[cfg_attr(test, schemars(pattern(patterns::ACCOUNT)))]
    pub account: Spanned<String>,
    /// The production environment this one stands in for if its region is lost (a production environment, in another region): kept at parity with it, deployed and promoted with it, and allowed to serve its services' public host names.
    pub dr_of: Option<Spanned<String>>,
    /// Overrides `[defaults] region` of platform.toml.
    #[cfg_attr(test, schemars(pattern(patterns::REGION)))]
    pub region: Option<Spanned<String>>,
    /// The cluster's VPC: a canonical IPv4 CIDR from /16 to /20 that overlaps no other environment's.
    #[cfg_attr(test, schemars(pattern(patterns::VPC)))]
    pub vpc: Option<Spanned<String>>,
    /// The availability zones the cluster spans, 1 to 6; default 3.
    #[cfg_attr(test, schemars(range(min = 1, max = 6)))]
    pub zones: Option<Spanned<u8>>,
    /// Hand-written names that replace the conventional ones.
    pub names: Option<Spanned<NamesFile>>,
    /// The cluster's node pools by name; `control-plane` and `ingress` are required.
    #[serde(default)]
    #[cfg_attr(test, schemars(extend("propertyNames" = { "pattern": patterns::LABEL })))]
    pub pools: Entries<PoolFile>,
    /// The Podplane platform components; each key falls back to `[defaults.components]`.
    pub components: Option<Spanned<ComponentsFile>>,
    /// Team = role; the team must be in `[teams]` of platform.toml, and the role becomes the group `podplane:<role>`.
    #[serde(default)]
    #[cfg_attr(test, schemars(extend("propertyNames" = { "pattern": patterns::LABEL })))]
    pub access: Entries<Spanned<Role>>,
    /// The services deployed here, by crate name; each must be a crate that declares itself a service.
    #[serde(default)]
    #[cfg_attr(test, schemars(extend("propertyNames" = { "pattern": patterns::LABEL })))]
    pub services: Entries<ServiceFile>,
    /// Where CI jobs run, and how a change reaches production (the `ci` environment only).
    pub ci: Option<Spanned<CiFile>>,
    /// The observability platform (the `observability` environment only).
    pub observability: Option<Spanned<ObservabilityFile>>,
    /// The OIDC issuer's upstream identity provider (the `identity` environment only).
    pub identity: Option<Spanned<IdentityFile>>,
    /// `email` and `server`, each replacing the one of `[acme]` in platform.toml.
    pub acme: Option<Spanned<AcmeFile>>,
}

/// `[names]`: hand-written names that replace the conventional ones for one environment.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "names"))]
pub struct NamesFile {
    /// Replaces the conventional cluster id: lowercase letters, digits, single hyphens, at most 32 characters.
    #[cfg_attr(test, schemars(pattern(patterns::CLUSTER_ID), length(max = 32)))]
    pub cluster_id: Option<Spanned<String>>,
    /// Replaces the conventional cluster name.
    #[cfg_attr(test, schemars(pattern(patterns::NOT_BLANK)))]
    pub cluster_name: Option<Spanned<String>>,
    /// Replaces the conventional DNS zone.
    #[cfg_attr(test, schemars(pattern(patterns::DNS_NAME), length(max = 253)))]
    pub zone: Option<Spanned<String>>,
    /// Replaces the conventional Kubernetes API host.
    #[cfg_attr(test, schemars(pattern(patterns::DNS_NAME), length(max = 253)))]
    pub api_host: Option<Spanned<String>>,
    /// Replaces the conventional registry host.
    #[cfg_attr(test, schemars(pattern(patterns::DNS_NAME), length(max = 253)))]
    pub registry_host: Option<Spanned<String>>,
}

/// `[pools.<name>]`: a node pool.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "pool"))]
pub struct PoolFile {
    /// The nodes' CPU architecture.
    pub arch: Spanned<Arch>,
    /// The EC2 instance type, of the pool's architecture (`m7g.large`).
    #[cfg_attr(test, schemars(pattern(patterns::INSTANCE_TYPE)))]
    pub instance_type: Spanned<String>,
    /// How many nodes: at least 1.
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub size: Spanned<u32>,
    /// Each node's disk in GB; default 100.
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub disk_size: Option<Spanned<u32>>,
}

/// `[components]` (or `[defaults.components]`): the Podplane platform components.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "components"))]
pub struct ComponentsFile {
    /// The semver range of the components, such as `^1.2.3`.
    pub version: Option<Spanned<String>>,
    /// The Podplane seed the cluster starts from.
    pub seed: Option<Spanned<Seed>>,
    /// The seed's release, such as `v1.2.3-1`; required unless the seed is `none`.
    #[cfg_attr(test, schemars(pattern(patterns::SEED_VERSION)))]
    pub seed_version: Option<Spanned<String>>,
    /// `sha512:` and 128 lowercase hex digits, or a placeholder; required unless the seed is `none`.
    #[cfg_attr(test, schemars(pattern(patterns::SEED_DIGEST)))]
    pub seed_digest: Option<Spanned<String>>,
    /// The git repository of the components' Helm charts; default Podplane's published one.
    #[cfg_attr(test, schemars(pattern(patterns::GIT_URL)))]
    pub source: Option<Spanned<String>>,
}

/// `[acme]`: certificates for ingress from an ACME directory; without it, Podplane uses
/// self-signed certificates.
#[derive(Debug, Default, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "acme"))]
pub struct AcmeFile {
    /// The ACME account's email address, or a placeholder.
    #[cfg_attr(test, schemars(pattern(patterns::EMAIL)))]
    pub email: Option<Spanned<String>>,
    /// The ACME directory URL; default Let's Encrypt production.
    #[cfg_attr(test, schemars(pattern(patterns::HTTPS_URL)))]
    pub server: Option<Spanned<String>>,
}

/// `[services.<name>]`: a service deployed to the environment.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "service"))]
pub struct ServiceFile {
    /// The version deployed: semver without build metadata, as it becomes the image's OCI tag.
    #[cfg_attr(test, schemars(pattern(patterns::SERVICE_VERSION)))]
    pub version: Spanned<String>,
    /// A worker's number of copies: at least 1, default 1. A web service runs one replica, so it is refused there.
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub replicas: Option<Spanned<u32>>,
    /// Non-secret environment variables. A secret is refused by `render`: write a reference such as an ARN, `${VAR}` or a `*_FILE` path.
    #[serde(default)]
    #[cfg_attr(test, schemars(extend("propertyNames" = { "pattern": patterns::ENV_VAR })))]
    pub env: Entries<Spanned<String>>,
    /// A web service's host name, replacing the convention; it must lie in the environment's zone unless `[[hosts.allow]]` names it.
    #[cfg_attr(test, schemars(pattern(patterns::DNS_NAME), length(max = 253)))]
    pub hostname: Option<Spanned<String>>,
    /// The names of the secrets the service reads, never their values: each is bound with `podplane deploy --secret` and mounted at `/var/run/podplane/secrets/<name>`; create it first with `podplane secret create --for <service> <name>`.
    #[serde(default)]
    #[cfg_attr(test, schemars(inner(pattern(patterns::SECRET_KEY))))]
    pub secrets: Vec<Spanned<String>>,
}

/// `[ci]`: where CI jobs run, and how a change reaches production.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "ci"))]
pub struct CiFile {
    /// `self-hosted`: a cluster of our own, whose runners carry the label of the cluster id; `hosted`: the CI vendor's, with no cluster.
    pub runners: Spanned<Runners>,
    /// How a change reaches production; default `pull-request`.
    pub flow: Option<Spanned<Flow>>,
    /// The CI/CD service whose pipelines `render` writes: `github` (GitHub Actions, the default) or `buildkite`.
    pub provider: Option<Spanned<CiProvider>>,
}

/// `[observability]`: the platform the observability cluster runs.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "observability"))]
pub struct ObservabilityFile {
    /// The self-hosted observability platform.
    pub platform: Spanned<ObservabilityPlatform>,
    /// How many days telemetry is kept.
    #[cfg_attr(test, schemars(range(min = 1)))]
    pub retention_days: Spanned<u32>,
    /// The hosted service that watches the cluster.
    pub monitor: Option<Spanned<String>>,
}

/// `[identity]`: the OIDC issuer.
#[derive(Debug, Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "identity"))]
pub struct IdentityFile {
    /// The upstream identity provider people sign in with.
    pub connector: Spanned<Connector>,
    /// Replaces the conventional Secrets Manager ARN of the connector's client secret.
    #[cfg_attr(test, schemars(pattern(patterns::SECRET_ARN)))]
    pub client_secret_arn: Option<Spanned<String>>,
    /// Replaces the conventional Secrets Manager ARN of the signing key.
    #[cfg_attr(test, schemars(pattern(patterns::SECRET_ARN)))]
    pub signing_key_secret_arn: Option<Spanned<String>>,
    /// Replaces the conventional Secrets Manager ARN of the encryption key, which only a `github` connector uses.
    #[cfg_attr(test, schemars(pattern(patterns::SECRET_ARN)))]
    pub encryption_key_secret_arn: Option<Spanned<String>>,
}
