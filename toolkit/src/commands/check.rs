//! `cargo xtask check`: every rule on the repository, each finding at its rule's level,
//! printed for people (like rustc), as JSON lines, or as GitHub Actions annotations.

use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;
use std::sync::Arc;

use annotate_snippets::Renderer;
use serde_json::json;

use crate::checks::{self, Facts, Finding, OutOfDate, StaleLock, Unbumped, UnknownVersion};
use crate::cli::{CheckArgs, CheckFormat};
use crate::diagnostic::{Location, SourceFile, Span};
use crate::model::date::Date;
use crate::model::{Origin, Platform};
use crate::render;
use crate::repository::revision::{self, Revision};
use crate::repository::workspace::Workspace;
use crate::rule::{RuleId, RuleLevel};
use crate::secrets::redact;
use crate::terminal;

pub fn run(root: &Path, args: &CheckArgs, today: Date) -> anyhow::Result<ExitCode> {
    let Checked {
        findings,
        loaded,
        platform,
    } = check(root, today, args.base.as_deref())?;
    // The process's exit frees it at once: its destructors would only add to the wait.
    std::mem::forget(platform);
    match args.format {
        CheckFormat::Human => print_human(&findings)?,
        // Written at once: a finding per write costs a system call each, for thousands.
        CheckFormat::Json => terminal::print(&lines(&findings, json_finding))?,
        CheckFormat::Github => terminal::print(&lines(&findings, github_finding))?,
    }
    // Files that cannot be loaded are bad input, as for every other command; a finding
    // at deny on files that load is a failed check.
    let deny = findings.iter().any(|f| f.level == RuleLevel::Deny);
    Ok(match (loaded, deny) {
        (false, _) => ExitCode::from(2),
        (true, true) => ExitCode::from(1),
        (true, false) => ExitCode::SUCCESS,
    })
}

/// What `check` found.
pub struct Checked {
    pub findings: Vec<Finding>,
    /// Whether the files loaded; when they did not, the findings say why, and no rule ran.
    pub loaded: bool,
    /// What the rules ran on, when the files loaded: returned rather than freed, so that a
    /// command can leave it to its process's exit.
    pub platform: Option<Platform>,
}

/// Every finding of every rule on the repository at `root`, at its level, `allow`ed ones
/// left out, as on the day `today` (parity allowances expire). An error is a check that
/// could not run. `base` is the revision services are compared with; without one, HEAD
/// when git knows it.
pub fn check(root: &Path, today: Date, base: Option<&str>) -> anyhow::Result<Checked> {
    // A rule looks for secrets in every file: they are found as the files are parsed.
    crate::model::find_secrets_while_parsing();
    // The revision services are compared with is git's answer, from a process of its own:
    // asked while the files load, as it takes as long as loading a few hundred of them.
    let base = {
        let (root, base) = (root.to_path_buf(), base.map(str::to_owned));
        std::thread::spawn(move || match base {
            Some(base) => Revision::resolve(&root, &base).map(Some),
            None => Ok(Revision::head(&root)),
        })
    };
    let base = move || {
        base.join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    };
    let tree = crate::repository::SourceTree::read(root)?;
    let workspace = Workspace::load(root)?;
    let loaded = crate::repository::services::declared_in(&workspace)
        .and_then(|services| tree.load(services));
    let platform = match loaded {
        Ok(platform) => platform,
        Err(diagnostics) => {
            // An unknown `--base` is an error before any finding, as it was asked first.
            base()?;
            // Problems in the files are findings of the rule that found them.
            let findings = diagnostics
                .0
                .into_iter()
                .map(|mut diagnostic| {
                    diagnostic.rule.get_or_insert(RuleId::Schema);
                    Finding {
                        level: RuleLevel::Deny,
                        diagnostic,
                    }
                })
                .collect();
            return Ok(Checked {
                findings,
                loaded: false,
                platform: None,
            });
        }
    };
    // Rendering is the costly part of `check`; a platform that allows `generated-fresh`
    // does not pay for it. It runs beside what the other rules need (git's answers about
    // the base, the lock file, the Containerfiles) and those rules.
    let fresh_checked = checks::level(&platform, RuleId::GeneratedFresh) != RuleLevel::Allow;
    let (mut context, unfinished, out_of_date) = std::thread::scope(|scope| {
        let rendering = scope.spawn(|| -> anyhow::Result<Option<Vec<OutOfDate>>> {
            if !fresh_checked {
                return Ok(None);
            }
            let files = super::generated_files(&platform)?;
            Ok(Some(
                render::out_of_date(&platform.root, &files)?
                    .into_iter()
                    .map(|(path, kind)| OutOfDate { path, kind })
                    .collect(),
            ))
        });
        let beside = || -> anyhow::Result<(Facts, checks::Unfinished)> {
            let context = facts(root, today, base()?, &workspace, &platform)?;
            let unfinished = checks::Unfinished::new(&platform, &context)?;
            Ok((context, unfinished))
        };
        let beside = beside();
        // A failed render is the error, as when it ran first.
        let out_of_date = rendering
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))?;
        let (context, unfinished) = beside?;
        anyhow::Ok((context, unfinished, out_of_date))
    })?;
    context.out_of_date = out_of_date;
    Ok(Checked {
        findings: unfinished.finish(&platform, &context)?,
        loaded: true,
        platform: Some(platform),
    })
}

/// What the rules but `generated-fresh` need beyond the platform: the services changed
/// since `base` without a new version, the lock file's stale entries, the versions no crate
/// had, and the Containerfiles. The generated files' state is left to the render.
fn facts(
    root: &Path,
    today: Date,
    base: Option<Revision>,
    workspace: &Workspace,
    platform: &Platform,
) -> anyhow::Result<Facts> {
    let unbumped = match &base {
        Some(base) => Some(unbumped(root, base, workspace, platform)?),
        None => None,
    };
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).unwrap_or_default();
    let stale_lock = workspace
        .stale_lock_entries(&lock)
        .into_iter()
        .map(|(name, version, locked)| {
            let location = workspace
                .manifests()
                .find(|(package, _)| package.name == name)
                .map_or(Location::Nowhere, |(package, text)| {
                    version_location(&SourceFile::new(package.manifest.as_str(), text))
                });
            StaleLock {
                name,
                version,
                locked,
                location,
            }
        })
        .collect();
    Ok(Facts {
        today,
        out_of_date: None,
        unbumped,
        stale_lock: Some(stale_lock),
        // Outside git there is no history to know earlier versions by.
        unknown_versions: match &base {
            Some(_) => Some(unknown_versions(root, workspace, platform)?),
            None => None,
        },
        containerfiles: Some(containerfiles(root, workspace, platform)?),
    })
}

/// The Containerfile beside each service crate's manifest, where there is one (the image
/// build says so when there is not).
fn containerfiles(
    root: &Path,
    workspace: &Workspace,
    platform: &Platform,
) -> anyhow::Result<Vec<Arc<SourceFile>>> {
    let mut found = Vec::new();
    for (package, _) in workspace.manifests() {
        if !platform.services.contains_key(package.name.as_str()) {
            continue;
        }
        let path = Path::new(package.manifest.as_str()).with_file_name("Containerfile");
        match std::fs::read_to_string(root.join(&path)) {
            Ok(text) => found.push(SourceFile::new(path.display().to_string(), text)),
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {}
            Err(err) => {
                return Err(anyhow::Error::new(err).context(format!("reading {}", path.display())));
            }
        }
    }
    Ok(found)
}

/// The services a change since `base` reaches whose crate has the version it had there.
/// A crate that `base` did not have is new, and its version is new with it.
fn unbumped(
    root: &Path,
    base: &Revision,
    workspace: &Workspace,
    platform: &Platform,
) -> anyhow::Result<Vec<Unbumped>> {
    let mut found = Vec::new();
    for (name, because) in crate::changes::rebuilds(root, base, workspace, platform)? {
        let Some((package, text)) = workspace.manifests().find(|(p, _)| p.name == name) else {
            continue;
        };
        let Some(version_before) = version_at(root, base, &package.manifest)? else {
            continue;
        };
        let version = package.version.clone();
        if version != version_before {
            continue;
        }
        let location = version_location(&SourceFile::new(package.manifest.as_str(), text));
        found.push(Unbumped {
            name,
            version,
            base: base.name.clone(),
            location,
            because,
        });
    }
    Ok(found)
}

/// Where a crate's manifest says its `version`; the manifest when it does not.
fn version_location(file: &Arc<SourceFile>) -> Location {
    toml_edit::Document::parse(file.text.as_str())
        .ok()
        .and_then(|document| document.get("package")?.get("version")?.span())
        .map_or_else(
            || Location::Path(file.path.clone()),
            |range| {
                Location::Span(Span {
                    file: file.clone(),
                    range,
                })
            },
        )
}

/// Every service version an environment names that is neither its crate's version nor
/// one the crate's manifest had in the branch's history. History is read only for the
/// crates an environment names another version of.
fn unknown_versions(
    root: &Path,
    workspace: &Workspace,
    platform: &Platform,
) -> anyhow::Result<Vec<UnknownVersion>> {
    // The history of every crate an environment runs at another version than its own, read
    // at once.
    let mut manifests: Vec<&str> = platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref())
        .flat_map(|cluster| &cluster.services)
        .filter_map(|(name, service)| {
            let package = workspace.package(name)?;
            (service.version.value.as_str() != package.version).then_some(package.manifest.as_str())
        })
        .collect();
    manifests.sort_unstable();
    manifests.dedup();
    let history = revision::versions_in_history(root, &manifests)?;
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        for (name, service) in &cluster.services {
            let Some(package) = workspace.package(name) else {
                continue;
            };
            let version = service.version.value.as_str();
            if version == package.version {
                continue;
            }
            if history
                .get(package.manifest.as_str())
                .is_some_and(|versions| versions.contains(version))
            {
                continue;
            }
            found.push(UnknownVersion {
                environment: env.name.to_string(),
                service: name.clone(),
                version: version.to_owned(),
                crate_version: package.version.clone(),
                location: match &service.version.origin {
                    Origin::File(span) => Location::Span(span.clone()),
                    _ => Location::Path(env.file.path.clone()),
                },
            });
        }
    }
    Ok(found)
}

/// The version of the crate whose manifest is at `manifest` as committed at `revision`,
/// following `version.workspace = true` to the root manifest; `None` when the revision
/// has no such crate.
fn version_at(root: &Path, revision: &Revision, manifest: &str) -> anyhow::Result<Option<String>> {
    let Some(text) = revision.file(root, manifest)? else {
        return Ok(None);
    };
    let Ok(document) = text.parse::<toml_edit::DocumentMut>() else {
        return Ok(None);
    };
    let Some(version) = document.get("package").and_then(|p| p.get("version")) else {
        return Ok(None);
    };
    if let Some(version) = version.as_str() {
        return Ok(Some(version.to_owned()));
    }
    let Some(workspace) = revision.file(root, "Cargo.toml")? else {
        return Ok(None);
    };
    Ok(workspace
        .parse::<toml_edit::DocumentMut>()
        .ok()
        .and_then(|d| {
            d.get("workspace")?
                .get("package")?
                .get("version")?
                .as_str()
                .map(str::to_owned)
        }))
}

/// Every finding, then the count, said at once.
fn print_human(findings: &[Finding]) -> std::io::Result<()> {
    let renderer = Renderer::styled();
    let mut text = String::new();
    for finding in findings {
        let level = match finding.level {
            RuleLevel::Deny => annotate_snippets::Level::ERROR,
            _ => annotate_snippets::Level::WARNING,
        };
        text.push_str(&finding.diagnostic.render_as(&renderer, level));
        text.push_str("\n\n");
    }
    let errors = findings
        .iter()
        .filter(|f| f.level == RuleLevel::Deny)
        .count();
    let warnings = findings.len() - errors;
    terminal::say(format!(
        "{text}check: {errors} error{}, {warnings} warning{}{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if errors == 0 {
            "; the repository is sound"
        } else {
            ""
        }
    ))
}

/// Each finding as `line` writes it, one per line.
fn lines<T: std::fmt::Display>(findings: &[Finding], line: impl Fn(&Finding) -> T) -> String {
    let mut out = String::new();
    for finding in findings {
        // Writing to a String cannot fail.
        let _ = writeln!(out, "{}", line(finding));
    }
    out
}

/// File, line and column of a finding, when it has them.
fn position(location: &Location) -> (Option<String>, Option<usize>, Option<usize>) {
    match location {
        Location::Span(span) => {
            let (line, column) = span.file.line_column(span.range.start);
            (
                Some(span.file.path.display().to_string()),
                Some(line),
                Some(column),
            )
        }
        Location::Path(path) => (Some(path.display().to_string()), None, None),
        Location::Nowhere => (None, None, None),
    }
}

fn json_finding(finding: &Finding) -> serde_json::Value {
    let d = &finding.diagnostic;
    let (file, line, column) = position(&d.location);
    json!({
        "rule": d.rule.map(RuleId::as_str),
        "level": finding.level.as_str(),
        "message": redact(&d.message),
        "file": file,
        "line": line,
        "column": column,
        "help": d.help.as_deref().map(redact),
    })
}

/// A GitHub Actions workflow command: `::error file=F,line=L,col=C,title=RULE::MESSAGE`.
fn github_finding(finding: &Finding) -> String {
    // The workflow command syntax: data escapes %, CR and LF; properties also : and ,.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let d = &finding.diagnostic;
    let command = if finding.level == RuleLevel::Deny {
        "error"
    } else {
        "warning"
    };
    let (file, line, column) = position(&d.location);
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", property(&file)));
    }
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    if let Some(column) = column {
        properties.push(format!("col={column}"));
    }
    properties.push(format!(
        "title={}",
        property(d.rule.unwrap_or(RuleId::Schema).as_str())
    ));
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    format!(
        "::{command} {}::{}",
        properties.join(","),
        data(&redact(&message))
    )
}
