//! The closed sets of words the hand-written files take (`stage = "production"`,
//! `arch = "arm64"`): each an enum that reads, writes and describes itself as its word.

use std::fmt;

#[cfg(test)]
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A string enum as it appears in the files.
macro_rules! keyword_enum {
    ($(#[$meta:meta])* $name:ident { $($(#[$vmeta:meta])* $variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize, Serialize)]
        #[cfg_attr(test, derive(JsonSchema))]
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
    /// The hosted CI/CD service whose pipelines `render` writes and whose deploy jobs the
    /// clusters trust.
    CiProvider {
        /// GitHub Actions: `.github/workflows/`.
        Github = "github",
        /// Buildkite: `.buildkite/`.
        Buildkite = "buildkite",
    }
}

impl CiProvider {
    pub const ALL: &[CiProvider] = &[CiProvider::Github, CiProvider::Buildkite];
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
    /// Where services' secrets are kept: the object type of Podplane's `aws` secrets
    /// provider, which every cluster gets as its default provider.
    SecretStore {
        /// AWS Secrets Manager.
        SecretsManager = "secretsmanager",
        /// AWS Systems Manager Parameter Store.
        SsmParameter = "ssmparameter",
    }
}

impl SecretStore {
    /// The name of the provider in `cluster.secrets.providers`, which `podplane secret`
    /// and `podplane deploy --secret` use unless told otherwise.
    pub fn provider_name(self) -> &'static str {
        match self {
            SecretStore::SecretsManager => "aws-secrets-manager",
            SecretStore::SsmParameter => "aws-parameter-store",
        }
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

keyword_enum! {
    /// The starting points of the topology guide that `new-repo` makes.
    Shape {
        /// Identity, development, production: hosted CI runners, managed observability,
        /// no staging.
        Smallest = "smallest",
        /// Identity, observability, CI, development, staging and production.
        Mature = "mature",
    }
}

impl Shape {
    pub const ALL: &[Shape] = &[Shape::Smallest, Shape::Mature];
}
