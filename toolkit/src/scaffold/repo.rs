//! The files of a new platform monorepo for one organisation: the hand-written sources of
//! its six environments, its README and CI entry point, and its example service. The
//! toolkit (`toolkit`) and the generated files (`render`) complete it.

use serde::{Deserialize, Serialize};

use super::observability::{
    HEARTBEAT as HEARTBEAT_SERVICE, HEARTBEAT_PING_URL, HEARTBEAT_SECRETS,
    OPENOBSERVE as OPENOBSERVE_SERVICE, OPENOBSERVE_INGEST, OPENOBSERVE_SECRETS,
};
use super::service::{BaseImages, FIRST_VERSION, Program, ServiceCrate, observability_crate};
use super::toolkit::{self, Source};
use super::{NewFile, toml};
use crate::model::ci::{BuildkiteSlug, GithubRepository};
use crate::model::names::{Account, ClusterId, DnsName, Region, Slug};
use crate::model::services::{WEB_DEFAULT_PORT, image_repository};
use crate::model::values::{Email, one_line};
use crate::model::{CiProvider, Shape, Template};

/// The environments of a new repository of the mature shape, in the order they are
/// brought up.
pub const ENVIRONMENTS: [&str; 6] = ["identity", "observability", "ci", "dev", "staging", "prod"];

/// The environments of the smallest shape, in the order they are brought up.
pub const SMALLEST: [&str; 3] = ["identity", "dev", "prod"];

/// The relay of managed observability, the smallest shape's second crate.
pub const RELAY_SERVICE: &str = crate::model::DEFAULT_RELAY;

/// The secret the relay reads the provider's credential from.
pub const RELAY_CREDENTIAL: &str = "otlp-credential";

fn mature() -> Shape {
    Shape::Mature
}

fn is_mature(shape: &Shape) -> bool {
    *shape == Shape::Mature
}

fn github_actions() -> CiProvider {
    CiProvider::Github
}

fn is_github_actions(ci: &CiProvider) -> bool {
    *ci == CiProvider::Github
}

/// The example service every new repository starts with.
pub const EXAMPLE_SERVICE: &str = "hello";

/// A new repository's settings, each as its flag gave it, validated by [`Spec::validate`]:
/// the answers `toolkit.toml` keeps, from which `upgrade` makes the scaffold files again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    pub org: String,
    pub domain: String,
    /// The starting point, `mature` unless recorded otherwise.
    #[serde(default = "mature", skip_serializing_if = "is_mature")]
    pub shape: Shape,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub region: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub registry: Option<String>,
    /// The GitHub repository, `owner/name`, whose deploy jobs the clusters trust.
    pub github: String,
    /// The CI/CD service, GitHub Actions unless recorded otherwise.
    #[serde(default = "github_actions", skip_serializing_if = "is_github_actions")]
    pub ci: CiProvider,
    /// With Buildkite: its organisation and deploy pipeline, `organization/pipeline`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub buildkite: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prod_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonprod_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observability_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity_account: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub admins: Vec<String>,
}

/// A flag whose value is invalid: the flag, why, and what would be valid.
#[derive(Debug)]
pub struct BadFlag {
    pub flag: &'static str,
    pub reason: String,
    pub help: String,
}

impl Spec {
    /// Checks every flag as the loader would check the value it becomes, so that a bad
    /// one is named by its flag rather than by a line of a file the user never wrote.
    pub fn validate(&self) -> Result<(), BadFlag> {
        let bad = |flag: &'static str, reason: String, help: &str| BadFlag {
            flag,
            reason,
            help: help.to_owned(),
        };
        Slug::parse(&self.org).map_err(|reason| {
            bad("--org", reason, "the organisation's slug is a lowercase DNS label: letters, digits and single hyphens, such as `initech`")
        })?;
        for env in self.environments().iter().filter(|env| **env != "identity") {
            let id = format!("{}-{env}", self.org);
            ClusterId::parse(&id).map_err(|reason| {
                bad("--org", format!("the cluster id `{id}` it makes is invalid: {reason}"), "choose a shorter organisation slug: cluster ids are `<org>-<env>`, at most 32 characters, so the slug can have at most 18")
            })?;
        }
        DnsName::parse(&self.domain).map_err(|reason| {
            bad(
                "--domain",
                reason,
                "the base DNS domain the organisation controls, lowercase, such as `initech.com`",
            )
        })?;
        if !self.domain.contains('.') {
            return Err(bad(
                "--domain",
                format!("`{}` is a single label", self.domain),
                "the base DNS domain the organisation controls, with at least two labels, such as `initech.com`",
            ));
        }
        let longest = format!("registry.observability.{}", self.domain);
        DnsName::parse(&longest).map_err(|reason| {
            bad(
                "--domain",
                format!("the host name `{longest}` it makes is invalid: {reason}"),
                "choose a shorter domain",
            )
        })?;
        if let Some(name) = &self.name {
            if name.trim().is_empty() {
                return Err(bad(
                    "--name",
                    "the name is blank".to_owned(),
                    "the organisation's human name, such as \"Initech\"",
                ));
            }
            one_line(name).map_err(|reason| {
                bad(
                    "--name",
                    reason,
                    "the organisation's human name, such as \"Initech\"",
                )
            })?;
        }
        Region::parse(&self.region).map_err(|reason| {
            bad(
                "--region",
                reason,
                "an AWS region, such as `eu-west-1` or `us-east-2`",
            )
        })?;
        if let Some(registry) = &self.registry {
            image_repository(registry).map_err(|reason| {
                bad("--registry", reason, "where service images are pushed, such as `ghcr.io/initech`, without a tag or trailing `/`")
            })?;
        }
        match self.ci {
            CiProvider::Github => {
                GithubRepository::parse(&self.github).map_err(|reason| {
                    bad("--github", reason, "the repository as GitHub names it, OWNER/NAME, such as `initech/platform`; without --github it is the organisation's slug and the directory's name")
                })?;
            }
            CiProvider::Buildkite => {
                if self.shape == Shape::Smallest {
                    return Err(bad(
                        "--ci",
                        "the smallest shape has no CI environment, where `[ci] provider` is written".to_owned(),
                        "use --shape mature with --ci buildkite, or start with GitHub Actions and add the CI environment later (`cargo xtask new-env ci --stage ci`)",
                    ));
                }
                let (organization, pipeline) = self.buildkite_slugs();
                for slug in [organization, pipeline] {
                    BuildkiteSlug::parse(slug).map_err(|reason| {
                        bad("--buildkite", reason, "the organisation and deploy pipeline as their URL names them, ORGANIZATION/PIPELINE, such as `initech/platform`; without --buildkite it is the organisation's slug and the directory's name")
                    })?;
                }
            }
        }
        let accounts = [
            ("--prod-account", &self.prod_account),
            ("--nonprod-account", &self.nonprod_account),
            ("--observability-account", &self.observability_account),
            ("--identity-account", &self.identity_account),
        ];
        for (flag, account) in accounts {
            if let Some(account) = account {
                Account::parse(account)
                    .map_err(|reason| bad(flag, reason, "a 12-digit AWS account id"))?;
            }
        }
        if let (Some(prod), Some(nonprod)) = (&self.prod_account, &self.nonprod_account)
            && prod == nonprod
        {
            return Err(bad(
                "--prod-account",
                format!("production's account {prod} is the non-production one"),
                "give production an account of its own (rule `prod-separate-account`)",
            ));
        }
        for admin in &self.admins {
            Email::parse(admin).map_err(|reason| bad("--admin", reason, "the email the OIDC issuer puts in an administrator's tokens, such as `ada@initech.com`"))?;
        }
        Ok(())
    }

    /// The environments of its shape, in the order they are brought up.
    pub fn environments(&self) -> &'static [&'static str] {
        match self.shape {
            Shape::Smallest => &SMALLEST,
            Shape::Mature => &ENVIRONMENTS,
        }
    }

    /// The human name: `--name`, else the slug with its first letter in capitals.
    pub fn display_name(&self) -> String {
        self.name.clone().unwrap_or_else(|| {
            let mut chars = self.org.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect())
                .unwrap_or_default()
        })
    }

    /// The Buildkite organisation's and deploy pipeline's slugs, `--buildkite`'s two halves.
    fn buildkite_slugs(&self) -> (&str, &str) {
        self.buildkite
            .as_deref()
            .and_then(|both| both.split_once('/'))
            .unwrap_or_default()
    }

    /// Where service images are pushed: `--registry`, else `ghcr.io/<org>`.
    pub fn registry(&self) -> String {
        self.registry
            .clone()
            .unwrap_or_else(|| format!("ghcr.io/{}", self.org))
    }

    /// The variables of the repository's templates, with `toolkit` as the pin.
    fn data(&self, toolkit: &Source) -> Data {
        let account = |given: &Option<String>, placeholder: &str| {
            toml(given.as_deref().unwrap_or(placeholder))
        };
        let mut admins: Vec<String> = self.admins.iter().map(|a| toml(a)).collect();
        if admins.is_empty() {
            admins.push(toml("<platform-admin-email>"));
        }
        Data {
            org: toml(&self.org),
            name: toml(&self.display_name()),
            name_text: self.display_name(),
            org_text: self.org.clone(),
            domain: toml(&self.domain),
            domain_text: self.domain.clone(),
            region: toml(&self.region),
            seed_digest: toml("<seed-digest>"),
            acme_email: toml(
                self.admins
                    .first()
                    .map_or("<certificates-email>", String::as_str),
            ),
            registry: toml(&self.registry()),
            github: toml(&self.github),
            buildkite: self.ci == CiProvider::Buildkite,
            buildkite_organization: toml(self.buildkite_slugs().0),
            buildkite_pipeline: toml(self.buildkite_slugs().1),
            platform_team: array("platform", &admins),
            developers_team: array("developers", &[toml("<developer-email>")]),
            sre_team: array("sre", &[toml("<sre-email>")]),
            prod_account: account(&self.prod_account, "<production-account-id>"),
            nonprod_account: account(&self.nonprod_account, "<non-production-account-id>"),
            observability_account: account(
                &self.observability_account,
                "<observability-account-id>",
            ),
            identity_account: account(&self.identity_account, "<identity-account-id>"),
            service: EXAMPLE_SERVICE,
            service_version: toml(FIRST_VERSION),
            toolkit: toolkit.dependency(),
            smallest: self.shape == Shape::Smallest,
            relay: RELAY_SERVICE,
            relay_credential: RELAY_CREDENTIAL,
            relay_version: toml(FIRST_VERSION),
            openobserve: OPENOBSERVE_SERVICE,
            openobserve_admin: toml(
                self.admins
                    .first()
                    .map_or("<platform-admin-email>", String::as_str),
            ),
            openobserve_password: OPENOBSERVE_SECRETS[0],
            openobserve_s3_access_key: OPENOBSERVE_SECRETS[1],
            openobserve_s3_secret_key: OPENOBSERVE_SECRETS[2],
            openobserve_ingest: OPENOBSERVE_INGEST,
            heartbeat: HEARTBEAT_SERVICE,
            heartbeat_ping_key: HEARTBEAT_SECRETS[0],
            heartbeat_query: HEARTBEAT_SECRETS[1],
            heartbeat_ping_url: HEARTBEAT_PING_URL,
        }
    }

    /// The files of the new repository that are its own from the start: its environments,
    /// its pins and its example service.
    pub fn hand_written(&self, toolkit: &Source) -> anyhow::Result<Vec<NewFile>> {
        let data = self.data(toolkit);
        let mut files = vec![NewFile::text(
            "environments/platform.toml",
            crate::templates::fill("repo-platform", &data)?,
        )];
        for env in self.environments() {
            files.push(NewFile::text(
                format!("environments/{env}/environment.toml"),
                crate::templates::fill(&format!("repo-{env}"), &data)?,
            ));
        }
        files.push(NewFile::text("ci/pins.toml", toolkit::PINS));
        let base_images = BaseImages::toolkit()?;
        // Both shapes relay telemetry: to the managed provider from every cluster, or into
        // the observability environment's OpenObserve.
        let image = |name: &str| format!("{}/{name}", self.registry());
        files.extend(
            ServiceCrate {
                name: EXAMPLE_SERVICE,
                template: Template::Web,
                port: Some(WEB_DEFAULT_PORT),
                image: &image(EXAMPLE_SERVICE),
                workspace_signal_hook: true,
                base_images: &base_images,
                program: Program::Starter,
            }
            .files()?,
        );
        let mut observability = vec![(RELAY_SERVICE, Program::Relay)];
        if self.shape == Shape::Mature {
            observability.push((OPENOBSERVE_SERVICE, Program::OpenObserve));
            observability.push((HEARTBEAT_SERVICE, Program::Heartbeat));
        }
        for (name, program) in observability {
            files.extend(observability_crate(
                name,
                program,
                &image(name),
                &base_images,
            )?);
        }
        Ok(files)
    }

    /// The scaffold files of this toolkit, pinned to `toolkit`: what `new-repo` writes
    /// beside the hand-written files and `upgrade` keeps up to date. In path order.
    pub fn scaffold(&self, toolkit: &Source) -> anyhow::Result<Vec<NewFile>> {
        let data = self.data(toolkit);
        let mut files = vec![
            NewFile::text("README.md", crate::templates::fill("repo-readme", &data)?),
            NewFile::text("Cargo.toml", crate::templates::fill("repo-cargo", &data)?),
            NewFile::text(
                "xtask/Cargo.toml",
                crate::templates::fill("repo-xtask", &data)?,
            ),
        ];
        files.extend(toolkit::fixed().map(|(path, text)| NewFile::text(path, text)));
        files.extend(toolkit::executables().map(|(path, text)| NewFile {
            path: path.into(),
            contents: text.as_bytes().to_vec(),
            executable: true,
        }));
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(files)
    }

    /// The scaffold files a toolkit of `version` wrote where they differ from this one's,
    /// as far as this toolkit keeps them (`templates/history/`): the bases of `upgrade`'s
    /// three-way merges. Files not here are the same as this toolkit's, or unknown.
    pub fn scaffold_at(&self, version: &str) -> anyhow::Result<Vec<NewFile>> {
        let data = self.data(&Source::Path(String::new()));
        Ok(match version {
            "0.1.0" => vec![
                NewFile::text(
                    "README.md",
                    crate::templates::fill("history-0.1.0-readme", &data)?,
                ),
                NewFile::text(
                    ".ci/run",
                    include_str!("../../templates/history/0.1.0/ci-run.sh"),
                ),
                NewFile::text(
                    "Cargo.toml",
                    include_str!("../../templates/history/0.1.0/Cargo.toml"),
                ),
                NewFile::text(
                    "ci/README.md",
                    include_str!("../../templates/history/0.1.0/ci-README.md"),
                ),
                NewFile::text(
                    "docs/json-output.md",
                    include_str!("../../templates/history/0.1.0/json-output.md"),
                ),
            ],
            _ => Vec::new(),
        })
    }
}

/// The variables of the repository's templates. Strings are TOML-encoded, except the
/// `_text` ones, which are for prose.
#[derive(Serialize)]
struct Data {
    org: String,
    name: String,
    name_text: String,
    org_text: String,
    domain: String,
    domain_text: String,
    region: String,
    seed_digest: String,
    acme_email: String,
    registry: String,
    github: String,
    /// Buildkite runs the pipelines, not GitHub Actions.
    buildkite: bool,
    buildkite_organization: String,
    buildkite_pipeline: String,
    platform_team: String,
    developers_team: String,
    sre_team: String,
    prod_account: String,
    nonprod_account: String,
    observability_account: String,
    identity_account: String,
    service: &'static str,
    service_version: String,
    /// The pin, a TOML inline table.
    toolkit: String,
    /// The smallest shape: no staging, hosted runners, managed observability.
    smallest: bool,
    relay: &'static str,
    relay_credential: &'static str,
    relay_version: String,
    openobserve: &'static str,
    /// OpenObserve's first user, who signs in to its dashboards.
    openobserve_admin: String,
    openobserve_password: &'static str,
    openobserve_s3_access_key: &'static str,
    openobserve_s3_secret_key: &'static str,
    openobserve_ingest: &'static str,
    heartbeat: &'static str,
    heartbeat_ping_key: &'static str,
    heartbeat_query: &'static str,
    heartbeat_ping_url: &'static str,
}

/// The value of `key = [items]` as `taplo fmt` lays it out, so that a team that formats
/// with taplo sees no change: on the key's line when the line fits in 80 columns, else one
/// item per line, indented, with a trailing comma.
fn array(key: &str, items: &[String]) -> String {
    let line = format!("[{}]", items.join(", "));
    if key.len() + " = ".len() + line.chars().count() <= TAPLO_COLUMNS {
        line
    } else {
        let mut lines = String::from("[\n");
        for item in items {
            lines.push_str(&format!("  {item},\n"));
        }
        lines.push(']');
        lines
    }
}

/// The line width `taplo fmt` wraps arrays at, by default.
const TAPLO_COLUMNS: usize = 80;
