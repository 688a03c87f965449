//! The hand-written files exactly as written: `environments/platform.toml` and
//! `environments/<env>/environment.toml`. Unknown keys are rejected; every value keeps its
//! span so that later stages can point at it.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_spanned::Spanned;

use crate::rule::RuleLevel;

/// A string enum as it appears in the files.
pub const ENVIRONMENTS_DIR: &str = "environments";
pub const PLATFORM_FILE: &str = "platform.toml";
pub const ENVIRONMENT_FILE: &str = "environment.toml";

macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
        pub enum $name {
            $($(#[$vmeta])* #[serde(rename = $text)] $variant),+
        }

        impl $name {
            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

keyword_enum! {
    /// What an environment is for, after the topology guide.
    Stage {
        Development = "development",
        Staging = "staging",
        Production = "production",
        Ci = "ci",
        Observability = "observability",
        Identity = "identity",
    }
}

impl Stage {
    /// Every stage, in the order the documentation lists them.
    pub const ALL: &[Stage] = &[
        Stage::Development,
        Stage::Staging,
        Stage::Production,
        Stage::Ci,
        Stage::Observability,
        Stage::Identity,
    ];

    /// The stage as a title, for cluster names ("Example Production").
    pub fn title(self) -> &'static str {
        match self {
            Stage::Development => "Development",
            Stage::Staging => "Staging",
            Stage::Production => "Production",
            Stage::Ci => "CI",
            Stage::Observability => "Observability",
            Stage::Identity => "Identity",
        }
    }
}

keyword_enum! {
    /// Podplane's five fixed access levels; each is the group `podplane:<role>`.
    Role {
        Admins = "admins",
        Managers = "managers",
        Operators = "operators",
        Editors = "editors",
        Viewers = "viewers",
    }
}

impl Role {
    /// How much the role may do: admins widest, viewers narrowest.
    pub fn rank(self) -> usize {
        match self {
            Role::Admins => 4,
            Role::Managers => 3,
            Role::Operators => 2,
            Role::Editors => 1,
            Role::Viewers => 0,
        }
    }
}

keyword_enum! {
    /// The cloud a cluster runs on. Podplane also knows Google Cloud and Proxmox; the
    /// conventions here are written for AWS.
    Provider {
        Aws = "aws",
    }
}

keyword_enum! {
    /// CPU architecture of a pool's nodes.
    Arch {
        Amd64 = "amd64",
        Arm64 = "arm64",
    }
}

keyword_enum! {
    /// The Podplane seed a cluster starts from.
    Seed {
        Recommended = "recommended",
        Minimal = "minimal",
        None = "none",
    }
}

keyword_enum! {
    /// Where CI jobs run: on the CI vendor's machines, or on a cluster of our own.
    Runners {
        Hosted = "hosted",
        SelfHosted = "self-hosted",
    }
}

keyword_enum! {
    /// How a change reaches production (the topology guide's two release flows).
    Flow {
        /// Merged main deploys to staging; production deploys when a promotion lands.
        PullRequest = "pull-request",
        /// Merged main deploys to staging and then, after staging's checks, to production.
        Trunk = "trunk",
    }
}

keyword_enum! {
    /// The self-hosted observability platform the observability cluster runs.
    ObservabilityPlatform {
        Openobserve = "openobserve",
        Parseable = "parseable",
        Victoriametrics = "victoriametrics",
        Clickhouse = "clickhouse",
    }
}

keyword_enum! {
    /// The Podplane app template a service is deployed with (`podplane deploy <template>`).
    Template {
        /// An HTTP service: one replica behind a route at its host name, with TLS.
        Web = "web",
        /// A background process: no Service, no route, a replica count of its own.
        Worker = "worker",
    }
}

keyword_enum! {
    /// The upstream identity provider the OIDC issuer signs people in with.
    Connector {
        Google = "google",
        Github = "github",
    }
}

/// `environments/platform.toml`: what every environment shares.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlatformFile {
    pub org: Spanned<String>,
    pub name: Spanned<String>,
    pub domain: Spanned<String>,
    pub defaults: DefaultsFile,
    #[serde(default)]
    pub network: NetworkFile,
    #[serde(default)]
    pub teams: BTreeMap<Spanned<String>, Spanned<Vec<Spanned<String>>>>,
    #[serde(default)]
    pub naming: NamingFile,
    pub acme: Option<AcmeFile>,
    pub parity: Option<ParityFile>,
    pub secrets: Option<SecretsFile>,
    pub hosts: Option<HostsFile>,
    pub images: Option<ImagesFile>,
    /// `[checks]`: rule id = level.
    #[serde(default)]
    pub checks: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
}

/// `[defaults]`: values an environment inherits unless it sets its own.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DefaultsFile {
    pub provider: Spanned<Provider>,
    pub region: Spanned<String>,
    pub components: Option<ComponentsFile>,
}

/// `[network]`: where new environments' VPCs come from.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NetworkFile {
    pub vpc_range: Option<Spanned<String>>,
    /// Why VPCs may use public addresses (they are the organisation's own); without it,
    /// every VPC is in a private range.
    pub allow_public: Option<Spanned<String>>,
}

/// `[parity]`: which environments must match which, and the documented exceptions.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParityFile {
    pub reference: Spanned<String>,
    pub candidates: Vec<Spanned<String>>,
    #[serde(default)]
    pub allow: Vec<AllowFile>,
}

/// `[[parity.allow]]`: a must-match difference that is allowed, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AllowFile {
    pub path: Spanned<String>,
    pub reason: Spanned<String>,
    pub until: Option<Spanned<toml_edit::Datetime>>,
}

/// `[secrets]`: values the secret finder takes for secrets that are not.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretsFile {
    #[serde(default)]
    pub allow: Vec<SecretAllowFile>,
}

/// `[[secrets.allow]]`: the values at a path that are not secrets, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretAllowFile {
    pub path: Spanned<String>,
    pub reason: Spanned<String>,
}

/// `[images]`: where the service images are pushed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImagesFile {
    /// The repository prefix a new service's image is named under (`ghcr.io/example`).
    pub registry: Spanned<String>,
}

/// `[hosts]`: host names that may lie outside their environment's zone.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostsFile {
    #[serde(default)]
    pub allow: Vec<HostAllowFile>,
}

/// `[[hosts.allow]]`: a host name or glob outside its zone on purpose, and why.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HostAllowFile {
    pub host: Spanned<String>,
    pub reason: Spanned<String>,
}

/// `[naming]`: handlebars patterns that replace the default conventions.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamingFile {
    pub cluster_id: Option<Spanned<String>>,
    pub cluster_name: Option<Spanned<String>>,
    pub zone: Option<Spanned<String>>,
    pub api_host: Option<Spanned<String>>,
    pub registry_host: Option<Spanned<String>>,
    pub service_host: Option<Spanned<String>>,
    pub issuer: Option<Spanned<String>>,
    pub otlp_endpoint: Option<Spanned<String>>,
    pub connector_secret_arn: Option<Spanned<String>>,
    pub signing_key_secret_arn: Option<Spanned<String>>,
}

/// `environments/<env>/environment.toml`: only what is specific to one environment.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentFile {
    pub stage: Spanned<Stage>,
    pub description: Option<Spanned<String>>,
    pub account: Spanned<String>,
    pub region: Option<Spanned<String>>,
    pub vpc: Option<Spanned<String>>,
    pub zones: Option<Spanned<u8>>,
    pub names: Option<Spanned<NamesFile>>,
    #[serde(default)]
    pub pools: BTreeMap<Spanned<String>, PoolFile>,
    pub components: Option<Spanned<ComponentsFile>>,
    #[serde(default)]
    pub access: BTreeMap<Spanned<String>, Spanned<Role>>,
    #[serde(default)]
    pub services: BTreeMap<Spanned<String>, ServiceFile>,
    pub ci: Option<Spanned<CiFile>>,
    pub observability: Option<Spanned<ObservabilityFile>>,
    pub identity: Option<Spanned<IdentityFile>>,
    pub acme: Option<Spanned<AcmeFile>>,
}

/// `[names]`: hand-written names that replace the conventional ones for one environment.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NamesFile {
    pub cluster_id: Option<Spanned<String>>,
    pub cluster_name: Option<Spanned<String>>,
    pub zone: Option<Spanned<String>>,
    pub api_host: Option<Spanned<String>>,
    pub registry_host: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PoolFile {
    pub arch: Spanned<Arch>,
    pub instance_type: Spanned<String>,
    pub size: Spanned<u32>,
    pub disk_size: Option<Spanned<u32>>,
}

/// `[components]` (or `[defaults.components]`): the Podplane platform components.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComponentsFile {
    pub version: Option<Spanned<String>>,
    pub seed: Option<Spanned<Seed>>,
    pub seed_version: Option<Spanned<String>>,
    pub seed_digest: Option<Spanned<String>>,
    /// The git repository of the components' Helm charts.
    pub source: Option<Spanned<String>>,
}

/// `[acme]`: certificates for ingress from an ACME directory; without it, Podplane uses
/// self-signed certificates.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AcmeFile {
    pub email: Option<Spanned<String>>,
    pub server: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceFile {
    pub version: Spanned<String>,
    pub replicas: Option<Spanned<u32>>,
    #[serde(default)]
    pub env: BTreeMap<Spanned<String>, Spanned<String>>,
    pub hostname: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CiFile {
    pub runners: Spanned<Runners>,
    pub flow: Option<Spanned<Flow>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ObservabilityFile {
    pub platform: Spanned<ObservabilityPlatform>,
    pub retention_days: Spanned<u32>,
    pub monitor: Option<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityFile {
    pub connector: Spanned<Connector>,
    pub client_secret_arn: Option<Spanned<String>>,
    pub signing_key_secret_arn: Option<Spanned<String>>,
}
