//! `cargo xtask affected --base REV`: the services whose image a change since REV must
//! rebuild, and the environments whose resolved configuration or generated files it
//! changes. CI builds and deploys from this list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{AffectedArgs, AffectedFormat};
use crate::comparison;
use crate::model::{PLATFORM_FILE, date::Date, files::ENVIRONMENTS_DIR};
use crate::model::{Platform, Stage};
use crate::repository::revision::Revision;
use crate::repository::workspace::Workspace;
use crate::terminal;

/// The file whose change means an environment's services must be deployed again.
const DEPLOY_SCRIPT: &str = "deploy.sh";

pub fn run(root: &Path, args: &AffectedArgs, today: Date) -> anyhow::Result<ExitCode> {
    let revision = Revision::resolve(root, &args.base)?;
    let workspace = Workspace::load(root)?;
    let platform = crate::repository::SourceTree::read(root)?
        .load(crate::repository::services::declared_in(&workspace)?)?;
    // Before the platform existed (git's empty tree, a repository's first push), every
    // environment is new.
    let platform_file = format!("{ENVIRONMENTS_DIR}/{PLATFORM_FILE}");
    let before = match revision.file(root, &platform_file)? {
        Some(_) => Some(
            crate::repository::SourceTree::at(root, &revision)?
                .load(crate::repository::services::declared_at(root, &revision)?)?,
        ),
        None => None,
    };
    let rebuilds = crate::changes::rebuilds(root, &revision, &workspace, &platform)?;
    let report = Report {
        base: Base {
            revision: &revision.name,
            commit: &revision.commit,
        },
        services: rebuilds
            .into_iter()
            .map(|(name, because)| rebuild(&platform, &workspace, name, because))
            .collect(),
        environments: environments(before.as_ref(), &platform, today)?,
    };
    match args.format {
        AffectedFormat::Human => terminal::print(&human(&report))?,
        AffectedFormat::Json => terminal::print_json(&report)?,
        AffectedFormat::Github => {
            let names = |deploy_only: bool| -> Vec<&str> {
                report
                    .environments
                    .iter()
                    .filter(|env| !deploy_only || env.deploy)
                    .map(|env| env.name.as_str())
                    .collect()
            };
            terminal::print(&format!(
                "services={}\nenvironments={}\ndeploy={}\n",
                serde_json::to_string(&report.services)?,
                serde_json::to_string(&names(false))?,
                serde_json::to_string(&names(true))?,
            ))?;
        }
        AffectedFormat::Buildkite => {
            let Some(pipeline) = &platform.buildkite else {
                anyhow::bail!(
                    "{}: no [buildkite] names the deploy pipeline whose steps these are: add it (docs/environments-reference.md)",
                    platform.file.path.display()
                );
            };
            let Some(pins) = &platform.pins else {
                anyhow::bail!(
                    "no {}: the deploy steps install the tools it pins",
                    crate::model::pins::PINS_FILE
                );
            };
            let images: Vec<crate::render::buildkite::Image> = report
                .services
                .iter()
                .map(|service| crate::render::buildkite::Image {
                    service: &service.name,
                    tag: &service.tag,
                    manifest: &service.manifest,
                    platforms: &service.platforms,
                })
                .collect();
            terminal::print_json(&crate::render::buildkite::steps(
                &platform,
                pipeline,
                pins,
                &revision.commit,
                &images,
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What `affected` found (docs/json-output.md).
#[derive(Serialize)]
struct Report<'a> {
    base: Base<'a>,
    services: Vec<Rebuild>,
    environments: Vec<EnvironmentChange>,
}

/// The revision compared with, as named and as the commit it resolved to.
#[derive(Serialize)]
struct Base<'a> {
    revision: &'a str,
    commit: &'a str,
}

/// A service to rebuild: what its build needs, and why.
#[derive(Serialize)]
struct Rebuild {
    name: String,
    version: String,
    image: String,
    tag: String,
    manifest: String,
    /// The platforms of the clusters that deploy it, comma-separated, as `docker buildx`
    /// takes them.
    platforms: String,
    because: Vec<String>,
}

/// An environment whose resolved configuration or generated files changed.
#[derive(Serialize)]
struct EnvironmentChange {
    name: String,
    stage: &'static str,
    status: Status,
    /// How many resolved values differ (for a changed environment).
    changes: usize,
    /// Its generated files that differ.
    files: Vec<String>,
    /// Whether its `deploy.sh` changed, so that its services must be deployed again.
    deploy: bool,
    /// Whether CI deploys it (staging, observability and production), or a person does.
    deployed_by_ci: bool,
}

#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Status {
    Changed,
    Added,
    Removed,
}

/// A service to rebuild, with what a build needs: the crate's version is the image's tag,
/// and the platforms are those of the clusters that deploy it.
fn rebuild(
    platform: &Platform,
    workspace: &Workspace,
    name: String,
    because: Vec<String>,
) -> Rebuild {
    let package = workspace.package(&name);
    let version = package.map(|p| p.version.clone()).unwrap_or_default();
    let manifest = package.map(|p| p.manifest.clone()).unwrap_or_default();
    let mut platforms: BTreeSet<String> = platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref())
        .filter(|cluster| cluster.services.contains_key(&name))
        .flat_map(|cluster| cluster.pools.values())
        .map(|pool| format!("linux/{}", pool.arch.value))
        .collect();
    if platforms.is_empty() {
        platforms.insert("linux/amd64".to_owned());
    }
    let image = platform.services[&name].image.value.clone();
    Rebuild {
        tag: format!("{image}:{version}"),
        platforms: platforms.into_iter().collect::<Vec<_>>().join(","),
        name,
        version,
        image,
        manifest,
        because,
    }
}

/// Every environment whose resolved configuration or generated files differ between
/// `before` (`None`: no platform yet) and `after`, added and removed ones among them.
fn environments(
    before: Option<&Platform>,
    after: &Platform,
    today: Date,
) -> anyhow::Result<Vec<EnvironmentChange>> {
    let files_of = |platform: &Platform| -> anyhow::Result<BTreeMap<String, String>> {
        Ok(super::generated_files(platform)?
            .into_iter()
            .map(|file| (file.path.display().to_string(), file.contents))
            .collect())
    };
    let files_before = match before {
        Some(before) => files_of(before)?,
        None => BTreeMap::new(),
    };
    let files_after = files_of(after)?;
    let names: BTreeSet<&str> = before
        .into_iter()
        .flat_map(|before| before.environments.keys())
        .chain(after.environments.keys())
        .map(|name| name.as_str())
        .collect();
    let mut changed = Vec::new();
    for name in names {
        let prefix = format!("{ENVIRONMENTS_DIR}/{name}/");
        let in_env = |files: &BTreeMap<String, String>| -> BTreeMap<String, String> {
            files
                .iter()
                .filter(|(path, _)| path.starts_with(&prefix))
                .map(|(path, text)| (path.clone(), text.clone()))
                .collect()
        };
        let (old, new) = (in_env(&files_before), in_env(&files_after));
        let files: Vec<String> = old
            .keys()
            .chain(new.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|path| old.get(*path) != new.get(*path))
            .cloned()
            .collect();
        let deploy = format!("{prefix}{DEPLOY_SCRIPT}");
        let old_env = before.and_then(|before| before.find(name).ok());
        let (status, changes, stage) = match (old_env.ok_or(()), after.find(name)) {
            (Ok(old_env), Ok(new_env)) => {
                let history = comparison::history((name, old_env), (name, new_env), today);
                (
                    Status::Changed,
                    history.differences.len(),
                    new_env.stage.value,
                )
            }
            (Err(_), Ok(new_env)) => (Status::Added, 0, new_env.stage.value),
            (Ok(old_env), Err(_)) => (Status::Removed, 0, old_env.stage.value),
            (Err(_), Err(_)) => unreachable!("{name} is in one of them"),
        };
        if status == Status::Changed && changes == 0 && files.is_empty() {
            continue;
        }
        changed.push(EnvironmentChange {
            name: name.to_owned(),
            stage: stage.as_str(),
            status,
            changes,
            files,
            deploy: status != Status::Removed && old.get(&deploy) != new.get(&deploy),
            deployed_by_ci: matches!(
                stage,
                Stage::Staging | Stage::Observability | Stage::Production
            ),
        });
    }
    Ok(changed)
}

fn human(report: &Report) -> String {
    let commit = report.base.commit;
    let short = &commit[..commit.len().min(12)];
    let mut out = format!("Since {} ({short}):\n", report.base.revision);
    if report.services.is_empty() {
        out.push_str("no service to rebuild\n");
    } else {
        out.push_str(&format!(
            "services to rebuild ({}):\n",
            report.services.len()
        ));
        for service in &report.services {
            out.push_str(&format!(
                "  {}  {}\n      because {}\n",
                service.name,
                service.tag,
                summary(&service.because),
            ));
        }
    }
    if report.environments.is_empty() {
        out.push_str("no environment changed\n");
    } else {
        out.push_str(&format!(
            "environments changed ({}):\n",
            report.environments.len()
        ));
        for env in &report.environments {
            let what = match env.status {
                Status::Changed => format!(
                    "{} configuration change(s), {} generated file(s)",
                    env.changes,
                    env.files.len()
                ),
                Status::Added => "added".to_owned(),
                Status::Removed => "removed".to_owned(),
            };
            let deploy = match (env.deploy, env.deployed_by_ci) {
                (false, _) => "",
                (true, true) => "; deploy.sh changed: CI deploys it",
                (true, false) => {
                    "; deploy.sh changed: deployed by hand (CI deploys the staging, observability and production stages only)"
                }
            };
            out.push_str(&format!("  {} ({}): {what}{deploy}\n", env.name, env.stage));
        }
    }
    out
}

/// The first few paths, and how many more.
fn summary(paths: &[String]) -> String {
    const SHOWN: usize = 3;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        text.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    text
}
