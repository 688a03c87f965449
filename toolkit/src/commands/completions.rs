//! `cargo xtask completions SHELL`: the script that makes the shell complete `xtask`
//! (`alias xtask='cargo xtask'`) by asking this program, with `XTASK_COMPLETE=SHELL`, for
//! the candidates of the word being typed (`cli::completion`).

use std::process::ExitCode;

use crate::cli::CompletionsArgs;
use crate::diagnostic::{Diagnostic, Location, help_valid};

pub fn run(args: &CompletionsArgs) -> anyhow::Result<ExitCode> {
    // The shell runs this very program for each completion: the binary cargo built, which
    // answers at once, rather than cargo, which would check the build first.
    let program = std::env::current_exe()?;
    match crate::cli::completion::script(&args.shell, &program.to_string_lossy()) {
        Ok(script) => {
            crate::terminal::print(&script)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(shells) => Err(Diagnostic::new(
            format!("no completion for the shell `{}`", args.shell),
            Location::Nowhere,
        )
        .with_help(help_valid("shells", &args.shell, &shells))
        .into_error()),
    }
}
