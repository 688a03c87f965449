//! `cargo xtask man [--out DIR]`: the manual page in roff (`cli::manual`), on stdout, or
//! one page per command written into DIR.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::ManArgs;
use crate::edit::{self, FileMode};

pub fn run(args: &ManArgs) -> anyhow::Result<ExitCode> {
    let Some(dir) = &args.out else {
        crate::terminal::print(&crate::cli::manual::page()?)?;
        return Ok(ExitCode::SUCCESS);
    };
    let pages = crate::cli::manual::pages()?;
    for (name, page) in &pages {
        edit::write_file(
            dir,
            Path::new(name),
            page,
            FileMode::Generated { executable: false },
        )?;
    }
    crate::terminal::say(format!(
        "wrote {} page(s) to {}",
        pages.len(),
        dir.display()
    ))?;
    Ok(ExitCode::SUCCESS)
}
