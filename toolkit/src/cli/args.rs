//! The arguments of each command, and the values they take.

use std::path::PathBuf;

use clap::ValueEnum;
use clap::builder::PossibleValue;
use clap_complete::engine::{ArgValueCandidates, ArgValueCompleter};

use super::completion;
use crate::model::{CiProvider, Shape, Stage, Template};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,

    /// The revision that `service-version-bumped` compares services with (default: HEAD,
    /// so uncommitted changes; a pull request's checks give its base)
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct AffectedArgs {
    /// The git revision to compare the working tree with: a branch, tag or commit
    #[arg(long, value_name = "REV")]
    pub base: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = AffectedFormat::Human)]
    pub format: AffectedFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AffectedFormat {
    /// A summary for reading in a terminal
    Human,
    /// One object with `services` and `environments`
    Json,
    /// `key=JSON` lines for $GITHUB_OUTPUT: services, environments, deploy
    Github,
    /// The steps of this change for `buildkite-agent pipeline upload` (JSON): one per
    /// image to rebuild, then one per environment CI deploys
    Buildkite,
}

#[derive(Debug, clap::Args)]
pub struct UpgradeArgs {
    /// The toolkit to pin: git:URL@REV (a commit or tag), path:DIR, or latest (the newest
    /// release tag of the pinned git repository; default: the pin xtask/Cargo.toml has)
    #[arg(long, value_name = "SOURCE")]
    pub to: Option<String>,

    /// Say what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Exit 1 when the repository is behind this toolkit; write nothing
    #[arg(long, conflicts_with = "dry_run")]
    pub check: bool,
}

#[derive(Debug, clap::Args)]
pub struct ExplainArgs {
    /// The rule's id, such as `prod-separate-account`
    #[arg(add = ArgValueCandidates::new(completion::rules))]
    pub rule: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, Clone, clap::Args)]
pub struct PromoteArgs {
    /// The environment whose versions were validated (staging)
    #[arg(add = ArgValueCandidates::new(completion::environments))]
    pub from: String,

    /// The environment to promote to (prod)
    #[arg(add = ArgValueCandidates::new(completion::environments))]
    pub to: String,

    /// Promote this service only
    #[arg(long, value_name = "SERVICE", add = ArgValueCandidates::new(completion::services))]
    pub service: Option<String>,

    /// Show what would change; write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Promote even when FROM differs from TO where it must not
    #[arg(long)]
    pub force: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The candidate: ENV, or ENV@REV for the environment at a git revision
    #[arg(add = ArgValueCompleter::new(completion::environments_at_revisions))]
    pub a: String,

    /// The reference: ENV, or ENV@REV
    #[arg(add = ArgValueCompleter::new(completion::environments_at_revisions))]
    pub b: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = ComparisonFormat::Human)]
    pub format: ComparisonFormat,
}

#[derive(Debug, clap::Args)]
pub struct ParityArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ComparisonFormat::Human)]
    pub format: ComparisonFormat,
}

#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    /// Write nothing; show what would change and exit 1 when any generated file is missing,
    /// stale or stray
    #[arg(long)]
    pub check: bool,

    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

#[derive(Debug, clap::Args)]
pub struct ListArgs {
    /// Output format
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    pub format: ReportFormat,
}

/// How `list`, `render`, `promote` and `explain` print what they report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// For reading in a terminal
    Human,
    /// One JSON document on stdout, as docs/json-output.md describes
    Json,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The environment, as named by its directory under environments/
    #[arg(add = ArgValueCandidates::new(completion::environments))]
    pub env: String,

    /// Output format
    #[arg(long, value_enum, default_value_t = ShowFormat::Toml)]
    pub format: ShowFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// rustc-style messages with the source line underlined
    Human,
    /// One JSON object per line, one per finding
    Json,
    /// GitHub Actions workflow annotations (::error file=...,line=...)
    Github,
}

/// How `diff` and `parity` print a comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ComparisonFormat {
    /// Grouped by class, for reading in a terminal
    Human,
    /// Every difference with path, class, verdict, both values, files and lines
    Json,
    /// A table for a pull-request comment
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ShowFormat {
    /// TOML, each value followed by a comment naming its origin
    Toml,
    /// JSON, each value as {"value": ..., "source": {...}}
    Json,
}

#[derive(Debug, clap::Args)]
pub struct NewEnvArgs {
    /// The environment's name: lowercase letters, digits and single hyphens
    pub name: String,

    /// What the environment is for
    #[arg(long)]
    pub stage: Stage,

    /// Copy pools, components, access and services from this environment
    #[arg(long, value_name = "ENV", add = ArgValueCandidates::new(completion::environments))]
    pub like: Option<String>,

    /// AWS region; defaults to [defaults] region of platform.toml
    #[arg(long, value_name = "REGION")]
    pub region: Option<String>,

    /// AWS account id (12 digits); defaults to the account of an environment of the same
    /// stage, or to the non-production account for non-production stages
    #[arg(long, value_name = "ACCOUNT")]
    pub account: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct NewRepoArgs {
    /// The directory to create; it must not exist, or be empty
    pub dir: PathBuf,

    /// The organisation's slug: a lowercase DNS label, such as `initech`
    #[arg(long)]
    pub org: String,

    /// The base DNS domain: zones are <env>.DOMAIN, the OIDC issuer auth.DOMAIN
    #[arg(long)]
    pub domain: String,

    /// The organisation's human name, used in cluster names; defaults to the slug capitalised
    #[arg(long)]
    pub name: Option<String>,

    /// The AWS region every environment uses unless it sets its own
    #[arg(long, default_value = "eu-west-1")]
    pub region: String,

    /// The topology guide's starting point. `mature` (the default: the release flow this
    /// toolkit is built around, staging before production): identity, observability, CI,
    /// dev, staging and prod. `smallest`: identity, dev and prod, hosted CI runners,
    /// managed observability through a relay, and main deploying to production after the
    /// checks; `new-env` grows it
    #[arg(long, default_value = "mature")]
    pub shape: Shape,

    /// Where service images are pushed; defaults to ghcr.io/ORG
    #[arg(long, value_name = "REGISTRY")]
    pub registry: Option<String>,

    /// The GitHub repository CI deploys from, OWNER/NAME; defaults to ORG/ and the name
    /// of DIR. The clusters trust its deploy jobs
    #[arg(long, value_name = "OWNER/NAME")]
    pub github: Option<String>,

    /// The CI/CD service whose pipelines `render` writes: `github` (GitHub Actions) or
    /// `buildkite` (on hosted agents; the mature shape only)
    #[arg(long, default_value = "github")]
    pub ci: CiProvider,

    /// With `--ci buildkite`: the organisation and deploy pipeline, ORGANIZATION/PIPELINE
    /// as in their URL; defaults to ORG/ and the name of DIR. The clusters trust its
    /// deploy steps
    #[arg(long, value_name = "ORGANIZATION/PIPELINE", requires = "ci")]
    pub buildkite: Option<String>,

    /// Production's AWS account id (12 digits), shared with no other environment
    #[arg(long, value_name = "ACCOUNT")]
    pub prod_account: Option<String>,

    /// The non-production AWS account id that dev, staging and ci share
    #[arg(long, value_name = "ACCOUNT")]
    pub nonprod_account: Option<String>,

    /// The observability environment's AWS account id
    #[arg(long, value_name = "ACCOUNT")]
    pub observability_account: Option<String>,

    /// The identity environment's AWS account id
    #[arg(long, value_name = "ACCOUNT")]
    pub identity_account: Option<String>,

    /// An administrator's email (the platform team); repeatable. The first is also the
    /// ACME account's email
    #[arg(long, value_name = "EMAIL")]
    pub admin: Vec<String>,

    /// Print the files and names it would make, and write nothing
    #[arg(long)]
    pub dry_run: bool,

    /// Do not make a git repository and first commit
    #[arg(long)]
    pub no_git: bool,

    /// Where the new repository's xtask gets the toolkit: git:URL@REV (a commit or tag) or
    /// path:DIR (default: what this repository pins, as a published commit when it can)
    #[arg(long, value_name = "SOURCE")]
    pub toolkit: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct BumpArgs {
    /// The service whose crate gets a new version
    #[arg(add = ArgValueCandidates::new(completion::services))]
    pub service: String,

    /// Which part of the version goes up; patch unless --minor or --major
    #[arg(skip = BumpPart::Patch)]
    pub part: BumpPart,

    /// The next minor release (1.4.2 -> 1.5.0)
    #[arg(long, conflicts_with_all = ["major", "to"])]
    pub minor: bool,

    /// The next major release (1.4.2 -> 2.0.0)
    #[arg(long, conflicts_with = "to")]
    pub major: bool,

    /// This version, newer than the crate's
    #[arg(long, value_name = "VERSION")]
    pub to: Option<String>,

    /// Print what would change, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

/// Which part of a version `bump` raises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BumpPart {
    Major,
    Minor,
    Patch,
}

impl BumpArgs {
    /// The part the flags ask for.
    pub fn with_part(mut self) -> BumpArgs {
        self.part = if self.major {
            BumpPart::Major
        } else if self.minor {
            BumpPart::Minor
        } else {
            BumpPart::Patch
        };
        self
    }
}

#[derive(Debug, clap::Args)]
pub struct NewServiceArgs {
    /// The service's name: a DNS label (it becomes a host name), such as `billing`
    pub name: String,

    /// The Podplane app template: web (HTTP) or worker (background)
    #[arg(long)]
    pub template: Template,

    /// The port a web service listens on, from 1024 (it runs unprivileged); default 8080
    #[arg(long)]
    pub port: Option<u16>,

    /// The image repository, without a tag; defaults to [images] registry/NAME
    #[arg(long, value_name = "REF")]
    pub image: Option<String>,

    /// An environment to deploy it to at version 0.1.0; repeatable
    #[arg(long, value_name = "ENV")]
    pub deploy_to: Vec<String>,

    /// Print what it would write, and write nothing
    #[arg(long)]
    pub dry_run: bool,
}

impl ValueEnum for Template {
    fn value_variants<'a>() -> &'a [Self] {
        &[Template::Web, Template::Worker]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

impl ValueEnum for Shape {
    fn value_variants<'a>() -> &'a [Self] {
        Shape::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

impl ValueEnum for CiProvider {
    fn value_variants<'a>() -> &'a [Self] {
        CiProvider::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

impl ValueEnum for Stage {
    fn value_variants<'a>() -> &'a [Self] {
        Stage::ALL
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        Some(PossibleValue::new(self.as_str()))
    }
}

#[derive(Debug, clap::Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh, fish, elvish or powershell
    pub shell: String,
}

#[derive(Debug, clap::Args)]
pub struct ManArgs {
    /// Write one page per command into DIR (cargo-xtask.1, cargo-xtask-list.1 ...)
    /// instead of the main page on stdout
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}
