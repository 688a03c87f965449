//! `cargo xtask render [--check]`: write every generated file, or show how the ones on
//! disk differ from what rendering makes.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{RenderArgs, ReportFormat};
use crate::render;
use crate::secrets::redact;
use crate::terminal;
use crate::{checks, model};

pub fn run(root: &Path, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    // Every command that writes holds the repository, render too: another command's files
    // staged beside their destinations are then never taken for a killed run's leftovers.
    // Without platform.toml there is nothing to hold; loading says what is missing.
    let holds = !args.check
        && root
            .join(model::ENVIRONMENTS_DIR)
            .join(model::PLATFORM_FILE)
            .is_file();
    let _lock = holds
        .then(|| crate::edit::Lock::repository(root))
        .transpose()?;
    // Rendering refuses secrets in every file: they are found as the files are parsed.
    crate::model::find_secrets_while_parsing();
    let platform = crate::repository::load_until_exit(root)?;
    render::refuse_secrets(platform)?;
    let json = args.format == ReportFormat::Json;
    if !args.check {
        let (done, said) = render::update(root, platform, &checks::docs())?;
        if json {
            let changes = done
                .into_iter()
                .map(|done| Changed {
                    path: done.path.display().to_string(),
                    state: done.kind,
                    diff: None,
                })
                .collect();
            print_json(true, changes)?;
        } else {
            terminal::say(said)?;
        }
        return Ok(ExitCode::SUCCESS);
    }
    let files = super::generated_files(platform)?;
    let changes = render::changes(root, &files)?;
    if json {
        let changes = changes
            .iter()
            .map(|change| Changed {
                path: change.path().display().to_string(),
                state: change.kind(),
                diff: Some(redact(&change.diff()).into_owned()),
            })
            .collect();
        print_json(false, changes)?;
    } else if changes.is_empty() {
        terminal::say("every generated file is fresh")?;
    } else {
        for change in &changes {
            // What is on disk may hold a secret written before it was taken for one.
            terminal::print(&redact(&change.diff()))?;
        }
        for change in &changes {
            terminal::say(format!("{}: {}", change.kind(), change.path().display()))?;
        }
        terminal::say(format!(
            "{} generated file{} out of date; run `cargo xtask render`",
            changes.len(),
            if changes.len() == 1 { " is" } else { "s are" }
        ))?;
    }
    Ok(if changes.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `render --format json` (docs/json-output.md): every file that was (or, with `--check`,
/// would be) written or removed, with what was wrong with it.
#[derive(Serialize)]
struct Report {
    /// Whether the changes were written (`render`) or only found (`render --check`).
    written: bool,
    /// Whether every generated file was fresh before the command ran.
    fresh: bool,
    changes: Vec<Changed>,
}

#[derive(Serialize)]
struct Changed {
    path: String,
    /// `missing`, `stale` or `stray`.
    state: &'static str,
    /// With `--check`: the unified diff from the file on disk to what rendering makes,
    /// secrets hidden.
    #[serde(skip_serializing_if = "Option::is_none")]
    diff: Option<String>,
}

fn print_json(written: bool, changes: Vec<Changed>) -> anyhow::Result<()> {
    let report = Report {
        written,
        fresh: changes.is_empty(),
        changes,
    };
    terminal::print_json(&report)
}
