//! `cargo xtask`: parse the command line, run the command, map the outcome to an exit code.

use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use xtask::cli::Cli;
use xtask::diagnostic::Diagnostics;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match xtask::run(cli) {
        Ok(code) => code,
        Err(err) if xtask::output::is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let styled = std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
            match err.downcast_ref::<Diagnostics>() {
                Some(diagnostics) => eprint!("{}", diagnostics.render(styled)),
                None => eprintln!("error: {err:#}"),
            }
            ExitCode::from(2)
        }
    }
}
