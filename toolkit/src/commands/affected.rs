//! `cargo xtask affected --base REV`: the services whose image a change since REV must
//! rebuild, and the environments whose resolved configuration or generated files it
//! changes. CI builds and deploys from this list.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Value, json};

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
    let environments = environments(before.as_ref(), &platform, today)?;
    let services: Vec<Value> = rebuilds
        .iter()
        .map(|(name, because)| service_json(&platform, &workspace, name, because))
        .collect();
    match args.format {
        AffectedFormat::Human => terminal::print(&human(&revision, &services, &environments))?,
        AffectedFormat::Json => {
            let value = json!({
                "base": { "revision": revision.name, "commit": revision.commit },
                "services": services,
                "environments": environments,
            });
            terminal::print_json(&value)?;
        }
        AffectedFormat::Github => {
            let names = |deploy_only: bool| -> Vec<&Value> {
                environments
                    .iter()
                    .filter(|env| !deploy_only || env["deploy"] == true)
                    .map(|env| &env["name"])
                    .collect()
            };
            terminal::print(&format!(
                "services={}\nenvironments={}\ndeploy={}\n",
                Value::from(services),
                json!(names(false)),
                json!(names(true)),
            ))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A service to rebuild, with what a build needs: the crate's version is the image's tag,
/// and the platforms are those of the clusters that deploy it.
fn service_json(
    platform: &Platform,
    workspace: &Workspace,
    name: &str,
    because: &[String],
) -> Value {
    let package = workspace.package(name);
    let version = package.map(|p| p.version.as_str()).unwrap_or_default();
    let manifest = package.map(|p| p.manifest.as_str()).unwrap_or_default();
    let mut platforms: BTreeSet<String> = platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref())
        .filter(|cluster| cluster.services.contains_key(name))
        .flat_map(|cluster| cluster.pools.values())
        .map(|pool| format!("linux/{}", pool.arch.value))
        .collect();
    if platforms.is_empty() {
        platforms.insert("linux/amd64".to_owned());
    }
    let image = &platform.services[name].image.value;
    json!({
        "name": name,
        "version": version,
        "image": image,
        "tag": format!("{image}:{version}"),
        "manifest": manifest,
        "platforms": platforms.into_iter().collect::<Vec<_>>().join(","),
        "because": because,
    })
}

/// Every environment whose resolved configuration or generated files differ between
/// `before` (`None`: no platform yet) and `after`, added and removed ones among them.
fn environments(
    before: Option<&Platform>,
    after: &Platform,
    today: Date,
) -> anyhow::Result<Vec<Value>> {
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
        let files: Vec<&String> = old
            .keys()
            .chain(new.keys())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .filter(|path| old.get(*path) != new.get(*path))
            .collect();
        let deploy = format!("{prefix}{DEPLOY_SCRIPT}");
        let old_env = before.and_then(|before| before.find(name).ok());
        let (status, changes, stage) = match (old_env.ok_or(()), after.find(name)) {
            (Ok(old_env), Ok(new_env)) => {
                let history = comparison::history((name, old_env), (name, new_env), today);
                ("changed", history.differences.len(), new_env.stage.value)
            }
            (Err(_), Ok(new_env)) => ("added", 0, new_env.stage.value),
            (Ok(old_env), Err(_)) => ("removed", 0, old_env.stage.value),
            (Err(_), Err(_)) => unreachable!("{name} is in one of them"),
        };
        if status == "changed" && changes == 0 && files.is_empty() {
            continue;
        }
        changed.push(json!({
            "name": name,
            "stage": stage.as_str(),
            "status": status,
            "changes": changes,
            "files": files,
            "deploy": status != "removed" && old.get(&deploy) != new.get(&deploy),
            "deployed_by_ci": matches!(stage, Stage::Staging | Stage::Production),
        }));
    }
    Ok(changed)
}

fn human(revision: &Revision, services: &[Value], environments: &[Value]) -> String {
    let short = &revision.commit[..revision.commit.len().min(12)];
    let mut out = format!("Since {} ({short}):\n", revision.name);
    if services.is_empty() {
        out.push_str("no service to rebuild\n");
    } else {
        out.push_str(&format!("services to rebuild ({}):\n", services.len()));
        for service in services {
            let because: Vec<&str> = service["because"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            out.push_str(&format!(
                "  {}  {}\n      because {}\n",
                service["name"].as_str().unwrap_or_default(),
                service["tag"].as_str().unwrap_or_default(),
                summary(&because),
            ));
        }
    }
    if environments.is_empty() {
        out.push_str("no environment changed\n");
    } else {
        out.push_str(&format!("environments changed ({}):\n", environments.len()));
        for env in environments {
            let what = match env["status"].as_str() {
                Some("changed") => format!(
                    "{} configuration change(s), {} generated file(s)",
                    env["changes"],
                    env["files"].as_array().map_or(0, Vec::len)
                ),
                Some(status) => status.to_owned(),
                None => String::new(),
            };
            let deploy = if env["deploy"] == true {
                if env["deployed_by_ci"] == true {
                    "; deploy.sh changed: CI deploys it"
                } else {
                    "; deploy.sh changed: deployed by hand (CI deploys staging and production only)"
                }
            } else {
                ""
            };
            out.push_str(&format!(
                "  {} ({}): {what}{deploy}\n",
                env["name"].as_str().unwrap_or_default(),
                env["stage"].as_str().unwrap_or_default(),
            ));
        }
    }
    out
}

/// The first few paths, and how many more.
fn summary(paths: &[&str]) -> String {
    const SHOWN: usize = 3;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .copied()
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        text.push_str(&format!(" and {} more", paths.len() - SHOWN));
    }
    text
}
