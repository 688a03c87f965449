//! `cargo xtask render [--check]`: write every generated file, or show how the ones on
//! disk differ from what rendering makes.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::RenderArgs;
use crate::model;
use crate::render;
use crate::secrets::redact;
use crate::terminal;

pub fn run(root: &Path, args: &RenderArgs) -> anyhow::Result<ExitCode> {
    let platform = model::load(root)?;
    render::refuse_secrets(&platform)?;
    let files = super::generated_files(&platform)?;
    if !args.check {
        terminal::say(render::write(root, &files)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    let changes = render::plan(root, &files)?;
    if changes.is_empty() {
        terminal::say("every generated file is fresh")?;
        return Ok(ExitCode::SUCCESS);
    }
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
    Ok(ExitCode::from(1))
}
