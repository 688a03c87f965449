//! `cargo xtask`: parse the command line, run the command, map the outcome to an exit code.

use std::process::ExitCode;

use clap::Parser;
use mimalloc::MiMalloc;
use xtask::cli::Cli;
use xtask::diagnostic::Diagnostics;

/// Every command allocates hundreds of thousands of small values on two threads, where
/// glibc's allocator spends much of its time growing and trimming its heaps.
#[global_allocator]
static ALLOCATOR: MiMalloc = MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let writes = cli.command.writes();
    match xtask::run(cli) {
        Ok(code) => code,
        Err(err) => {
            // Nothing more can be said when stderr is gone; the exit code still says it.
            let _ = match err.downcast_ref::<Diagnostics>() {
                Some(diagnostics) => xtask::terminal::say(format!(
                    "{}{}",
                    diagnostics.render().trim_end(),
                    if writes { "; nothing was written" } else { "" }
                )),
                None => xtask::terminal::say(xtask::secrets::redact(&format!("error: {err:#}"))),
            };
            ExitCode::from(2)
        }
    }
}
