//! `cargo xtask promote FROM TO`: copies FROM's service versions into TO's
//! `environment.toml`, and the services FROM runs and TO does not yet (each with its
//! version, replicas, variables and secrets' names), keeping every comment and the
//! formatting of every other line; shows what changed, and renders TO again. It refuses, unless forced, when FROM differs from
//! TO where it must not: what was validated would then not be what TO would run.

use std::path::Path;
use std::process::ExitCode;

use cargo_metadata::semver::Version;
use serde::Serialize;

use crate::cli::{PromoteArgs, ReportFormat};
use crate::comparison;
use crate::diagnostic::{Diagnostic, Location, SourceFile, help_valid};
use crate::model::date::Date;
use crate::model::{Origin, Service};
use crate::{edit, render};

pub fn run(root: &Path, args: &PromoteArgs, today: Date) -> anyhow::Result<ExitCode> {
    let _lock = edit::Lock::repository(root)?;
    let mut tree = crate::repository::SourceTree::read(root)?;
    let declared = crate::repository::services::declared(root)?;
    let platform = tree.load(declared.clone())?;
    let from = platform.find(&args.from).map_err(Diagnostic::into_error)?;
    let to = platform.find(&args.to).map_err(Diagnostic::into_error)?;
    let (Some(from_cluster), Some(to_cluster)) = (&from.cluster, &to.cluster) else {
        return Err(refusal(
            "promote needs two environments that run clusters",
            "identity and hosted CI deploy no services",
        ));
    };

    let candidates: Vec<&String> = match &args.service {
        Some(service) => {
            if !from_cluster.services.contains_key(service) {
                let known: Vec<&str> = from_cluster.services.keys().map(String::as_str).collect();
                return Err(Diagnostic::new(
                    format!("`{}` deploys no service `{service}`", from.name),
                    Location::Nowhere,
                )
                .with_help(help_valid("services", service, &known))
                .into_error());
            }
            vec![service]
        }
        None => from_cluster.services.keys().collect(),
    };
    // The services TO does not run yet come along whole; the others move their version.
    let (existing, new_services): (Vec<&String>, Vec<&String>) = candidates
        .into_iter()
        .partition(|s| to_cluster.services.contains_key(*s));
    let candidates = existing;
    let mut versions = Vec::new();
    let mut downgrades = Vec::new();
    for service in candidates {
        let new = &from_cluster.services[service].version.value;
        let old = &to_cluster.services[service].version.value;
        if new == old {
            continue;
        }
        if Version::parse(new).ok() < Version::parse(old).ok() {
            downgrades.push(format!(
                "{service}: {} runs {new}, older than {old} in {}",
                from.name, to.name
            ));
        }
        versions.push((service.as_str(), new.as_str(), old.as_str()));
    }
    let json = args.format == ReportFormat::Json;
    let report = |written: bool| -> anyhow::Result<()> {
        if json {
            let promoted = Promoted {
                from: from.name.as_str(),
                to: to.name.as_str(),
                written,
                services: versions
                    .iter()
                    .map(|(name, new, old)| PromotedService {
                        name,
                        old: Some(old),
                        new,
                    })
                    .chain(new_services.iter().map(|name| PromotedService {
                        name,
                        old: None,
                        new: &from_cluster.services[*name].version.value,
                    }))
                    .collect(),
            };
            crate::terminal::print_json(&promoted)?;
        }
        Ok(())
    };
    if versions.is_empty() && new_services.is_empty() {
        crate::terminal::say(format!(
            "nothing to promote: `{}` already runs the versions of `{}`",
            to.name, from.name
        ))?;
        report(false)?;
        return Ok(ExitCode::SUCCESS);
    }

    // What TO would run differs from what FROM validated beyond the versions promoted?
    let comparison = comparison::compare(
        (from.name.as_str(), from),
        (to.name.as_str(), to),
        platform.parity.as_ref(),
        today,
    );
    let promoted = |path: &str| {
        versions
            .iter()
            .any(|(s, _, _)| path == format!("services.{s}.version"))
    };
    let mut blockers: Vec<String> = comparison
        .differences
        .iter()
        .filter(|d| d.verdict.is_violation() && !promoted(&d.path))
        .map(|d| comparison::report::line(&comparison, d))
        .collect();
    blockers.extend(downgrades);
    if !blockers.is_empty() && !args.force {
        return Err(Diagnostic::new(
            format!(
                "`{}` differs from `{}` where it must not, so what was validated is not what `{}` would run:\n  {}",
                from.name,
                to.name,
                to.name,
                blockers.join("\n  ")
            ),
            Location::Nowhere,
        )
        .with_help(format!(
            "make them match, allow the difference in [[parity.allow]] with a reason, or pass --force; `cargo xtask diff {} {}` shows everything",
            from.name, to.name
        ))
        .into_error());
    }

    let mut replacements = Vec::new();
    for (service, new, _) in &versions {
        let Origin::File(span) = &to_cluster.services[*service].version.origin else {
            anyhow::bail!(
                "the version of `{service}` in `{}` was not written in its file",
                to.name
            );
        };
        replacements.push((span.range.clone(), *new));
    }
    let old_text = to.file.text.clone();
    let mut new_text = edit::set_service_versions(&old_text, &replacements)?;
    for name in &new_services {
        let service = &from_cluster.services[*name];
        new_text = edit::add_service(
            &new_text,
            name,
            &service.version.value,
            &carried_keys(service),
        )?;
    }
    let path = to.file.path.clone();
    let index = tree
        .environments
        .iter()
        .position(|(dir, _)| dir == to.name.as_str())
        .expect("TO was loaded from the tree");
    tree.environments[index].1 = SourceFile::new(&path, new_text.as_str());
    let promoted_platform = tree.load(declared)?;
    render::refuse_secrets(&promoted_platform)?;
    let generated = super::generated_files(&promoted_platform)?;

    let diff = format!(
        "{}",
        similar::TextDiff::from_lines(&old_text, &new_text)
            .unified_diff()
            .header(
                &format!("a/{}", path.display()),
                &format!("b/{}", path.display())
            )
    );
    // Everything is written beside its destination before anything is in place: a full
    // disk leaves the tree as it was, and nothing is said to be promoted.
    let written = if args.dry_run {
        None
    } else {
        // Rendering first: its plan takes a temporary file it finds for a killed run's.
        let rendered = render::prepare(root, &generated)?;
        let file = edit::stage(root, &path, &new_text, edit::FileMode::Kept, false)?;
        file.commit()?;
        Some(rendered.commit()?)
    };
    if !json {
        crate::terminal::print(&diff)?;
    }
    for (service, new, old) in &versions {
        crate::terminal::say(format!(
            "{} {service} in {} from {old} to {new}, the version {} runs",
            if args.dry_run {
                "would promote"
            } else {
                "promoted"
            },
            to.name,
            from.name
        ))?;
    }
    for name in &new_services {
        crate::terminal::say(format!(
            "{} {name} to {} at {}, as {} runs it",
            if args.dry_run { "would add" } else { "added" },
            to.name,
            from_cluster.services[*name].version.value,
            from.name
        ))?;
    }
    match written {
        None => {
            crate::terminal::say("dry run: nothing was written")?;
            report(false)?;
        }
        Some(rendered) => {
            crate::terminal::say(rendered)?;
            report(true)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `promote --format json` (docs/json-output.md): the versions promoted, or that would be.
#[derive(Serialize)]
struct Promoted<'a> {
    from: &'a str,
    to: &'a str,
    /// Whether TO's file was written (not with `--dry-run`, nor with nothing to promote).
    written: bool,
    services: Vec<PromotedService<'a>>,
}

/// What a service FROM runs and TO does not brings along, besides its version: what FROM
/// wrote for it of its replicas, its variables (which must match) and the names of its
/// secrets. A host name is not copied: TO's comes from its own zone.
fn carried_keys(service: &Service) -> Vec<(&'static str, toml_edit::Value)> {
    let mut keys = Vec::new();
    if let Some(replicas) = service.replicas()
        && matches!(replicas.origin, Origin::File(_))
    {
        keys.push((
            "replicas",
            toml_edit::Value::from(i64::from(replicas.value)),
        ));
    }
    if !service.env.is_empty() {
        let mut env = toml_edit::InlineTable::new();
        for (key, value) in &service.env {
            env.insert(key, value.value.as_str().into());
        }
        keys.push(("env", toml_edit::Value::InlineTable(env)));
    }
    if !service.secrets.is_empty() {
        let secrets: toml_edit::Array = service
            .secrets
            .iter()
            .map(|key| key.value.as_str())
            .collect();
        keys.push(("secrets", toml_edit::Value::Array(secrets)));
    }
    keys
}

#[derive(Serialize)]
struct PromotedService<'a> {
    name: &'a str,
    /// TO's version before; `None` for a service TO did not run.
    old: Option<&'a str>,
    /// FROM's version, now TO's.
    new: &'a str,
}

fn refusal(message: &str, help: &str) -> anyhow::Error {
    Diagnostic::new(message, Location::Nowhere)
        .with_help(help)
        .into_error()
}
