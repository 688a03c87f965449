//! The resolved platform: every environment with every value it ends up with, each value
//! carrying where it came from. Loaded once; every command works from it, and nothing
//! re-parses a rendered file to learn a fact.
//!
//! `files` is the input as written, `load` reads and parses it, `resolve` applies defaults
//! and conventions, `names` holds the validated name types, `tree` is the generic view that
//! `show` prints.

/// A validated text newtype (`struct Name(String)`): read as `&str` (`as_str`, `Deref`,
/// `AsRef`) and displayed as its text. Its only constructor is the type's own `parse`.
macro_rules! string_newtype {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

pub mod ci;
pub mod conventions;
pub mod date;
pub mod files;
pub mod glob;
pub mod hosts;
mod keywords;
pub mod names;
pub mod network;
mod parse;
#[cfg(test)]
pub mod patterns;
pub mod pins;
mod resolve;
pub mod services;
pub mod spanned;
pub mod telemetry;
pub mod tree;
pub use telemetry::{DEFAULT_RELAY, HEARTBEAT_SERVICE, ManagedObservability, OPENOBSERVE_SERVICE};
pub mod values;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use ipnet::Ipv4Net;

use crate::diagnostic::{SourceFile, Span};
use crate::model::network::ZoneSubnets;
use crate::rule::{RuleId, RuleLevel};
pub use ci::{BuildkitePipeline, Ci, GithubRepo};
pub use files::{
    Arch, CiProvider, Connector, Flow, ObservabilityPlatform, Provider, Role, Runners, SecretStore,
    Seed, Shape, Stage, Template,
};
pub use files::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, PLATFORM_FILE, TOOLKIT_RECORD_FILE};
use names::{Account, ClusterId, DnsName, EnvName, Region, Slug};
pub use parse::{SCHEMA_RULE, find_secrets_while_parsing, parse as parse_file, parse_with_secrets};
pub use resolve::{VPC_NO_OVERLAP_RULE, resolve};
use values::{
    AcmeDirectory, Email, GitUrl, InstanceType, Reason, SecretArn, SecretKey, SeedDigest,
    SeedVersion, ServiceVersion, TreePath, VersionRange,
};

/// Where a resolved value came from.
#[derive(Debug, Clone)]
pub enum Origin {
    /// Written by hand in `platform.toml` or an `environment.toml`.
    File(Span),
    /// Made by a naming convention or a documented default; the text names the rule.
    Convention(Arc<str>),
    /// A built-in convention or default; the text names it.
    Builtin(&'static str),
}

/// A value and where it came from.
#[derive(Debug, Clone)]
pub struct Sourced<T> {
    pub value: T,
    pub origin: Origin,
}

impl<T> Sourced<T> {
    pub fn new(value: T, origin: Origin) -> Sourced<T> {
        Sourced { value, origin }
    }

    /// A value as written in `file`.
    pub fn written(file: &Arc<SourceFile>, value: spanned::Spanned<T>) -> Sourced<T> {
        let range = value.span();
        Sourced::new(
            value.into_inner(),
            Origin::File(Span {
                file: file.clone(),
                range,
            }),
        )
    }

    /// The same origin around another value, such as a validated form of this one.
    pub fn map<U>(self, f: impl FnOnce(T) -> U) -> Sourced<U> {
        Sourced {
            value: f(self.value),
            origin: self.origin,
        }
    }
}

/// The whole platform, resolved.
#[derive(Debug)]
pub struct Platform {
    /// The repository root: the directory that holds `environments/`.
    pub root: PathBuf,
    /// `environments/platform.toml`, as read.
    pub file: Arc<SourceFile>,
    pub org: Sourced<Slug>,
    pub name: Sourced<String>,
    pub domain: Sourced<DnsName>,
    /// The range new environments' VPCs are allocated from.
    pub vpc_range: Sourced<Ipv4Net>,
    pub teams: BTreeMap<String, Sourced<Vec<String>>>,
    /// The deployable services the workspace's crates declare, by service name.
    pub services: BTreeMap<String, Arc<ServiceDecl>>,
    pub environments: BTreeMap<EnvName, Environment>,
    /// Which environments must match which; `None` without `[parity]`.
    pub parity: Option<Parity>,
    /// `[checks]`: the levels set for `check`'s rules, by rule id.
    pub checks: BTreeMap<RuleId, Sourced<RuleLevel>>,
    /// `[[hosts.allow]]`: host names that may lie outside their zone.
    pub hosts_allowed: Vec<hosts::HostAllowance>,
    /// `[images] registry`: where service images are pushed; `new-service` names a new
    /// service's image under it.
    pub image_registry: Option<Sourced<String>>,
    /// `ci/pins.toml`, when the repository has one: the workflows are rendered from it.
    pub pins: Option<pins::Pins>,
    /// Whether the repository records the toolkit it is made with (`toolkit.toml`, which
    /// `new-repo` writes): the workflows then look for the toolkit's new releases.
    pub records_toolkit: bool,
    /// `[github]`: the repository whose deploy jobs the clusters trust; `None` until it
    /// is written, and then no trust binding is rendered.
    pub github: Option<GithubRepo>,
    /// `[buildkite]`: the pipeline whose deploy steps the clusters trust, when the CI
    /// provider is Buildkite; `None` until it is written.
    pub buildkite: Option<BuildkitePipeline>,
    /// `[observability]` of platform.toml: telemetry goes to a hosted provider through a
    /// relay in each cluster; `None` when an observability environment takes it.
    pub managed_observability: Option<ManagedObservability>,
    /// What [`Platform::ci_provider`] says, found once: each environment's files ask.
    ci_provider: CiProvider,
}

/// What a repository without staging (the smallest shape) does instead, and how to add
/// it: the one sentence `parity` and an unknown `staging` both say.
pub const WITHOUT_STAGING: &str = "main deploys to production after the checks. `cargo xtask new-env staging --stage staging` adds one and turns the promotion flow on";

impl Platform {
    /// Every secret in the platform as a problem, located. A value written once in
    /// platform.toml is in every environment; it is said once.
    pub fn secret_diagnostics(&self) -> Vec<crate::diagnostic::Diagnostic> {
        let mut seen = std::collections::HashSet::new();
        let mut found = Vec::new();
        let environments: Vec<&Environment> = self.environments.values().collect();
        let secrets = crate::parallel::map(environments.clone(), Environment::secret_values);
        for (env, secrets) in environments.iter().zip(secrets) {
            for secret in secrets {
                // One finding per value of a file, or per path of a value that no file has.
                let place = match &secret.origin {
                    Origin::File(span) => (span.file.path.clone(), span.range.start, String::new()),
                    _ => (env.file.path.clone(), 0, secret.path.clone()),
                };
                if seen.insert(place) {
                    found.push(secret.diagnostic(&env.file.path));
                }
            }
        }
        // Every other string of the hand-written files: what no environment's tree holds
        // (the pins, the allowances' reasons, names) can still be printed or rendered.
        let allow = environments.first().map(|env| env.secrets.clone());
        let mut files: Vec<&Arc<SourceFile>> = vec![&self.file];
        files.extend(environments.iter().map(|env| &env.file));
        files.extend(self.pins.as_ref().map(|pins| &pins.file));
        let scanned = crate::parallel::map(files.clone(), |file| file.secrets_found().to_vec());
        for (file, secrets) in files.into_iter().zip(scanned) {
            for secret in secrets {
                let allowed = allow.as_ref().is_some_and(|secrets| {
                    secrets
                        .allow
                        .iter()
                        .any(|a| glob::matches(&a.path.value, &secret.path))
                });
                if allowed || !seen.insert((file.path.clone(), secret.range.start, String::new())) {
                    continue;
                }
                found.push(
                    SecretValue {
                        path: secret.path,
                        kind: secret.kind,
                        origin: Origin::File(crate::diagnostic::Span {
                            file: file.clone(),
                            range: secret.range,
                        }),
                    }
                    .diagnostic(&file.path),
                );
            }
        }
        found
    }

    /// The environment named `name`, or a diagnostic suggesting the closest one.
    pub fn find(&self, name: &str) -> Result<&Environment, crate::diagnostic::Diagnostic> {
        self.environments
            .values()
            .find(|env| env.name.as_str() == name)
            .ok_or_else(|| {
                let unknown = crate::diagnostic::Diagnostic::new(
                    format!("unknown environment `{name}`"),
                    crate::diagnostic::Location::Nowhere,
                );
                // Staging asked for where there is none (the smallest shape): say so.
                if name == Stage::Staging.as_str() && self.of_stage(Stage::Staging).next().is_none() {
                    return unknown.with_help(format!(
                        "this repository has no staging environment, so there is nothing to compare production with: {WITHOUT_STAGING}; environments: {}",
                        self.environments.keys().map(|env| format!("`{env}`")).collect::<Vec<_>>().join(", ")
                    ));
                }
                let known: Vec<&str> = self.environments.keys().map(EnvName::as_str).collect();
                unknown.with_help(crate::diagnostic::help_valid("environments", name, &known))
            })
    }

    /// The environments CI deploys, in the order it deploys them: the staging-stage ones
    /// with a cluster, the observability one (the observability platform, a service like
    /// any other), then the production-stage ones. CI never deploys dev or ci.
    pub fn deployed_by_ci(&self) -> impl Iterator<Item = &Environment> {
        [Stage::Staging, Stage::Observability, Stage::Production]
            .into_iter()
            .flat_map(|stage| self.of_stage(stage))
            .filter(|env| env.cluster.is_some())
    }

    /// The CI/CD service that runs the pipelines: the CI environment's `[ci] provider`,
    /// GitHub Actions when there is none.
    pub fn ci_provider(&self) -> CiProvider {
        self.ci_provider
    }

    /// Environments of one stage, in name order.
    pub fn of_stage(&self, stage: Stage) -> impl Iterator<Item = &Environment> {
        self.environments
            .values()
            .filter(move |env| env.stage.value == stage)
    }
}

/// `[parity]`: the reference (production), the candidates that must match it where
/// correctness depends on it, and the documented exceptions.
#[derive(Debug)]
pub struct Parity {
    pub reference: Sourced<EnvName>,
    pub candidates: Vec<Sourced<EnvName>>,
    pub allow: Vec<Allowance>,
}

/// A must-match difference that is allowed: its path (a glob such as
/// `services.*.version`), why, and until when.
#[derive(Debug)]
pub struct Allowance {
    pub path: Sourced<TreePath>,
    pub reason: Sourced<Reason>,
    pub until: Option<Sourced<date::Date>>,
}

/// `[[secrets.allow]]`: values at a path (a glob such as `services.*.env.SIGNING_KEY_ID`)
/// that look like secrets but are not, and why.
#[derive(Debug)]
pub struct SecretAllowance {
    pub path: Sourced<TreePath>,
    pub reason: Sourced<Reason>,
}

/// How the platform tells a secret: by the shapes and names of `crate::secrets`, less the
/// paths `[[secrets.allow]]` declares safe.
#[derive(Debug, Default)]
pub struct Secrets {
    pub allow: Vec<SecretAllowance>,
}

impl Secrets {
    /// Whether the value at `path` of an environment's tree is a secret, and why.
    pub fn judge(&self, path: &str, value: &tree::Scalar) -> Option<crate::secrets::Kind> {
        let key = path.rsplit('.').next().unwrap_or(path);
        self.judge_key(key, value, || path.to_owned())
    }

    /// [`Secrets::judge`] for the value of `key` (the last segment of its path), whose
    /// dotted path `path` spells out. It is judged by the key and the value first; the path
    /// is spelled out only for a value that looks like a secret, to check the allowances.
    pub fn judge_key(
        &self,
        key: &str,
        value: &tree::Scalar,
        path: impl FnOnce() -> String,
    ) -> Option<crate::secrets::Kind> {
        let kind = match value {
            tree::Scalar::String(text) => crate::secrets::classify_once(key, text),
            tree::Scalar::List(items) => items
                .iter()
                .find_map(|item| crate::secrets::classify_once(key, item)),
            tree::Scalar::Integer(_) => None,
        }?;
        let path = path();
        (!self
            .allow
            .iter()
            .any(|a| glob::matches(&a.path.value, &path)))
        .then_some(kind)
    }
}

/// A value of an environment that is a secret: where it is in the tree, why, and where it
/// was written.
#[derive(Debug)]
pub struct SecretValue {
    pub path: String,
    pub kind: crate::secrets::Kind,
    pub origin: Origin,
}

impl SecretValue {
    /// The secret as a problem, at its span when it was written by hand, else in `file`;
    /// its value never shown.
    pub fn diagnostic(&self, file: &std::path::Path) -> crate::diagnostic::Diagnostic {
        use crate::diagnostic::{Diagnostic, Location};
        let location = match &self.origin {
            Origin::File(span) => Location::Span(span.clone()),
            _ => Location::Path(file.to_path_buf()),
        };
        Diagnostic::new(
            format!("`{}` holds a secret: {}", self.path, self.kind),
            location,
        )
        .with_label("value hidden")
        .with_help(
            "keep the secret in a secrets manager and write a reference here: an ARN, a `${VAR}` placeholder, or a `*_FILE` path; \
             if it is not a secret, add [[secrets.allow]] to platform.toml with its path and a reason",
        )
    }
}

/// A crate's declaration that it can be deployed, from `[package.metadata.platform]`.
#[derive(Debug, Clone)]
pub struct ServiceDecl {
    /// The Podplane app template it is deployed with.
    pub template: Sourced<Template>,
    /// The image without a tag; each environment's version is the tag.
    pub image: Sourced<String>,
    /// The plain HTTP port a `web` service listens on (Podplane's `app.port`, 8080 unless
    /// declared); `None` for a worker, which serves nothing.
    pub port: Option<Sourced<u16>>,
}

/// One environment with every value resolved.
#[derive(Debug)]
pub struct Environment {
    pub name: EnvName,
    /// `environments/<env>/environment.toml`, as read.
    pub file: Arc<SourceFile>,
    pub stage: Sourced<Stage>,
    pub description: Option<Sourced<String>>,
    pub provider: Sourced<Provider>,
    pub account: Sourced<Account>,
    pub region: Sourced<Region>,
    /// The production environment this one is the disaster-recovery twin of: `dr_of`.
    pub dr_of: Option<Sourced<EnvName>>,
    /// Tags put on every cloud resource of the environment.
    pub tags: BTreeMap<String, Sourced<String>>,
    /// Per team: the Podplane role, the group it becomes, and the members.
    pub access: BTreeMap<String, Access>,
    /// `None` for environments that run no cluster: identity, and CI on hosted runners.
    pub cluster: Option<Cluster>,
    pub ci: Option<Ci>,
    pub observability: Option<Observability>,
    pub identity: Option<Identity>,
    /// Names written by hand in this environment that differ from their conventions.
    pub breaches: Vec<Breach>,
    /// How to tell which of its values are secrets.
    pub secrets: Arc<Secrets>,
}

/// A name written by hand that differs from what its naming convention would make.
#[derive(Debug)]
pub struct Breach {
    /// The convention's key in `[naming]` (`zone`, `service_host`).
    pub convention: &'static str,
    pub written: Sourced<String>,
    /// What the convention would have made.
    pub conventional: String,
}

/// A team's access to one environment.
#[derive(Debug)]
pub struct Access {
    pub role: Sourced<Role>,
    /// The OIDC group the issuer puts in this team's tokens: `podplane:<role>`.
    pub group: Sourced<String>,
    pub members: Sourced<Vec<String>>,
}

/// A Podplane cluster: everything its `podplane.cluster.jsonc` is made from.
#[derive(Debug)]
pub struct Cluster {
    pub id: Sourced<ClusterId>,
    pub name: Sourced<String>,
    /// The DNS zone, the ingress apex of the cluster.
    pub zone: Sourced<DnsName>,
    pub api_host: Sourced<DnsName>,
    /// The SPIFFE trust domain of the cluster's workload identities: immutable once the
    /// cluster exists, the Kubernetes API host by Podplane's own default.
    pub trust_domain: Sourced<DnsName>,
    pub registry_host: Sourced<DnsName>,
    /// Where the cluster's default secrets provider keeps services' secrets.
    pub secret_store: Sourced<SecretStore>,
    pub issuer: Sourced<String>,
    /// The OIDC client id: the cluster id, so a token for one cluster is refused by another.
    pub client_id: Sourced<ClusterId>,
    /// Where the cluster sends telemetry; `None` for the observability cluster itself, and
    /// when the platform has no observability environment.
    pub otlp_endpoint: Option<Sourced<String>>,
    pub vpc: Sourced<Ipv4Net>,
    /// How many availability zones the cluster spans.
    pub zones: Sourced<u8>,
    /// The subnets of each availability zone, laid out in the VPC.
    pub subnets: Sourced<Vec<ZoneSubnets>>,
    /// Where ingress certificates come from; `None` for self-signed certificates.
    pub acme: Option<AcmeAccount>,
    pub pools: BTreeMap<String, Pool>,
    pub components: Components,
    pub services: BTreeMap<String, Service>,
}

impl Cluster {
    /// The architecture the services' pods run on: that of the pools other than
    /// `control-plane` (which runs no workload), the one most of them have, amd64 before arm64
    /// on a tie; and the other architectures of those pools.
    pub fn workload_arch(&self) -> (Arch, Vec<&'static str>) {
        let mut counts: BTreeMap<Arch, usize> = BTreeMap::new();
        for (name, pool) in &self.pools {
            if name != "control-plane" {
                *counts.entry(pool.arch.value).or_default() += 1;
            }
        }
        let arch = counts
            .iter()
            .max_by_key(|(arch, count)| (**count, std::cmp::Reverse(**arch)))
            .map_or(Arch::Amd64, |(arch, _)| *arch);
        let others = counts
            .keys()
            .filter(|a| **a != arch)
            .map(|a| a.as_str())
            .collect();
        (arch, others)
    }
}

#[derive(Debug)]
pub struct Pool {
    pub arch: Sourced<Arch>,
    pub instance_type: Sourced<InstanceType>,
    pub size: Sourced<u32>,
    pub disk_size: Sourced<u32>,
}

/// The Podplane platform components and the seed the cluster starts from.
#[derive(Debug)]
pub struct Components {
    /// The semver range of the components repository (`^1.2.3`).
    pub version: Sourced<VersionRange>,
    pub seed: Sourced<Seed>,
    /// The seed release and its `sha512:` digest; `None` when the seed is `none`.
    pub seed_release: Option<SeedRelease>,
    /// The git repository of the components' Helm charts.
    pub source: Sourced<GitUrl>,
}

/// The ACME account that gets the cluster's ingress certificates.
#[derive(Debug)]
pub struct AcmeAccount {
    pub email: Sourced<Email>,
    /// The ACME directory; `None` for Podplane's default, Let's Encrypt production.
    pub server: Option<Sourced<AcmeDirectory>>,
}

#[derive(Debug)]
pub struct SeedRelease {
    pub version: Sourced<SeedVersion>,
    pub digest: Sourced<SeedDigest>,
}

/// One service deployed to one environment.
#[derive(Debug)]
pub struct Service {
    pub version: Sourced<ServiceVersion>,
    /// Non-secret configuration, passed as `podplane deploy -e KEY=VALUE`, in key order.
    /// A list rather than a map: a service has a few variables, and each of the thousands
    /// of services would hold a map node sized for eleven.
    pub env: Vec<(String, Sourced<String>)>,
    /// What its template makes of it here: a route, or a number of replicas.
    pub workload: Workload,
    /// The names of the secrets it reads, bound with `podplane deploy --secret`, in
    /// name order.
    pub secrets: Vec<Sourced<SecretKey>>,
    /// What the service's crate declares: template, image and port.
    pub declaration: Arc<ServiceDecl>,
}

/// What a service's template deploys in one environment. Only what reaches the cluster
/// is here: Podplane's `web` template runs one replica and takes no replica count, and its
/// `worker` template has no route.
#[derive(Debug)]
pub enum Workload {
    /// Served at `https://<host>` (`podplane deploy --hostname`).
    Web { host: Sourced<DnsName> },
    /// `replicas` copies of the process (`--set app.replicas=N`).
    Worker { replicas: Sourced<u32> },
}

impl Service {
    /// The host name a web service is served at; `None` for a worker.
    pub fn host(&self) -> Option<&Sourced<DnsName>> {
        match &self.workload {
            Workload::Web { host } => Some(host),
            Workload::Worker { .. } => None,
        }
    }

    /// How many replicas a worker runs; `None` for a web service, which runs one.
    pub fn replicas(&self) -> Option<&Sourced<u32>> {
        match &self.workload {
            Workload::Web { .. } => None,
            Workload::Worker { replicas } => Some(replicas),
        }
    }
}

impl Service {
    /// The image with this environment's version as its tag.
    pub fn image(&self) -> Sourced<String> {
        // Joined by hand: `format!` cost more than the rest of the files that name it.
        let (image, version) = (&self.declaration.image.value, self.version.value.as_str());
        let mut tagged = String::with_capacity(image.len() + 1 + version.len());
        tagged.push_str(image);
        tagged.push(':');
        tagged.push_str(version);
        Sourced::new(
            tagged,
            Origin::Builtin("convention: image = the crate's image, tagged with the version"),
        )
    }
}

#[derive(Debug)]
pub struct Observability {
    pub platform: Sourced<ObservabilityPlatform>,
    pub retention_days: Sourced<u32>,
    /// The hosted service that watches the observability cluster.
    pub monitor: Option<Sourced<String>>,
}

/// The OIDC issuer every cluster trusts, served from the identity environment.
#[derive(Debug)]
pub struct Identity {
    pub hostname: Sourced<DnsName>,
    pub connector: Sourced<Connector>,
    pub client_secret_arn: Sourced<SecretArn>,
    pub signing_key_secret_arn: Sourced<SecretArn>,
    /// The key the issuer encrypts GitHub's upstream tokens with; `None` for a connector
    /// that needs none.
    pub encryption_key_secret_arn: Option<Sourced<SecretArn>>,
}
