//! One module per command, named after it, each with one entry point `run`. Commands are
//! the only layer that reads the command line's arguments, prints, and ties the domain
//! modules together: `render` and `checks` never call each other, so a command passes
//! what one needs from the other (the rules' docs, the generated files out of date).

pub mod affected;
pub mod bump;
pub mod check;
pub mod completions;
pub mod diff;
pub mod explain;
pub mod list;
pub mod man;
pub mod new_env;
pub mod new_repo;
pub mod new_service;
pub mod parity;
pub mod promote;
pub mod render;
pub mod show;
pub mod upgrade;

use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::checks::{self, Facts};
use crate::cli::ComparisonFormat;
use crate::comparison::{self, Comparison};
use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::model::Platform;
use crate::model::date::Date;
use crate::render::Generated;
use crate::rule::RuleLevel;
use crate::terminal;

/// Prints the comparisons of `diff` or `parity`; exit code 1 when any has a violation.
pub fn print_comparisons(
    comparisons: &[Comparison],
    format: ComparisonFormat,
) -> anyhow::Result<ExitCode> {
    match format {
        ComparisonFormat::Human => {
            let text: Vec<String> = comparisons.iter().map(comparison::report::human).collect();
            terminal::print(&text.join("\n"))?;
        }
        ComparisonFormat::Json => {
            let reports: Vec<_> = comparisons.iter().map(comparison::report::Json).collect();
            match reports.as_slice() {
                [one] => terminal::print_json(one)?,
                _ => terminal::print_json(&reports)?,
            }
        }
        ComparisonFormat::Markdown => {
            let text: Vec<String> = comparisons
                .iter()
                .map(comparison::report::markdown)
                .collect();
            terminal::print(&text.join("\n"))?;
        }
    }
    let violations: usize = comparisons.iter().map(Comparison::violations).sum();
    Ok(if violations > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Every file `render` makes of `platform`, `docs/checks.md` with every rule among them.
pub fn generated_files(platform: &Platform) -> anyhow::Result<Vec<Generated>> {
    crate::render::generate(platform, &crate::checks::docs())
}

/// Refuses a change (a new environment, a new service) that would make `check` fail: every finding at `deny` that
/// the platform did not have before is reported, with the rule that found it, and nothing
/// is written. Problems the repository already had are not this command's to report.
pub fn refuse_new_findings(before: &Platform, after: &Platform, today: Date) -> anyhow::Result<()> {
    let key =
        |finding: &checks::Finding| (finding.diagnostic.rule, finding.diagnostic.message.clone());
    // The model only: the generated files of the change are not written yet.
    let context = Facts {
        today,
        out_of_date: None,
        unbumped: None,
        stale_lock: None,
        unknown_versions: None,
        containerfiles: None,
    };
    let existing: std::collections::HashSet<_> = checks::findings(before, &context)?
        .iter()
        .map(key)
        .collect();
    let new: Vec<_> = checks::findings(after, &context)?
        .into_iter()
        .filter(|finding| finding.level == RuleLevel::Deny && !existing.contains(&key(finding)))
        .map(|finding| finding.diagnostic)
        .collect();
    if new.is_empty() {
        Ok(())
    } else {
        Err(Diagnostics(new).into())
    }
}

/// The service `name` as the manifest among a new crate's `files` declares it, as the
/// loader reads it once the crate is written.
pub fn declaration_of(
    name: &str,
    files: &[crate::scaffold::NewFile],
) -> anyhow::Result<crate::model::ServiceDecl> {
    let manifest = files
        .iter()
        .find(|f| f.path.ends_with("Cargo.toml"))
        .expect("a service crate has a manifest");
    let manifest = SourceFile::new(
        &manifest.path,
        String::from_utf8_lossy(&manifest.contents).into_owned(),
    );
    crate::model::services::declaration(name, &manifest).map_err(Diagnostic::into_error)
}

/// Brings `Cargo.lock` under `root` up to date with the workspace's own crates, leaving
/// every registry package at its locked version. Offline first: a new crate without
/// dependencies, or with ones the machine has fetched before, needs no registry.
pub fn update_lock(root: &Path) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    let offline = cmd!(sh, "cargo update --workspace --offline")
        .quiet()
        .ignore_stderr()
        .run();
    if offline.is_err() {
        cmd!(sh, "cargo update --workspace")
            .quiet()
            .run()
            .context("updating Cargo.lock with the new crate")?;
    }
    Ok(())
}

/// Puts back `relative` under `root` as it was (`old`; `None`: it did not exist), when it
/// is not so any more: the undoing of a command that failed after writing it. `failure` is
/// what failed; an undoing that fails too is said beside it.
pub fn put_back(
    root: &Path,
    relative: &Path,
    old: Option<&str>,
    failure: anyhow::Error,
) -> anyhow::Error {
    let now = std::fs::read_to_string(root.join(relative)).ok();
    if now.as_deref() == old {
        return failure;
    }
    let undone = match old {
        Some(old) => crate::edit::write_file(root, relative, old, crate::edit::FileMode::Kept),
        None => crate::edit::remove_file(root, relative),
    };
    match undone {
        Ok(()) => failure,
        Err(err) => failure.context(format!(
            "{} could not be put back as it was ({err:#}): restore it from git",
            relative.display()
        )),
    }
}

/// The version of the toolkit whose crate is the directory `dir`, as its `Cargo.toml`
/// says; refused when that is not the toolkit's package (a `path:` pin must name it).
pub fn toolkit_version_at(dir: &Path) -> anyhow::Result<String> {
    let manifest = std::fs::read_to_string(dir.join("Cargo.toml")).unwrap_or_default();
    let package = toml::from_str::<toml::Table>(&manifest).ok();
    let field = |key: &str| {
        package
            .as_ref()
            .and_then(|doc| doc.get("package")?.get(key)?.as_str().map(str::to_owned))
    };
    let toolkit = crate::scaffold::toolkit::PACKAGE;
    if field("name").as_deref() != Some(toolkit) {
        return Err(Diagnostic::new(
            format!(
                "{} holds no toolkit: its Cargo.toml is not the package `{toolkit}`",
                dir.display()
            ),
            Location::Nowhere,
        )
        .with_help("name the toolkit's crate directory, `toolkit/` in the toolkit's repository")
        .into_error());
    }
    Ok(field("version").unwrap_or_default())
}
