//! The platform monorepo's toolkit, behind `cargo xtask`. `main.rs` parses the command line
//! and calls [`run`]; each command lives in its own module with one entry point.

pub mod checks;
pub mod cli;
mod compare;
pub mod conventions;
pub mod diagnostic;
pub mod diff;
mod edit;
mod list;
pub mod model;
pub mod network;
mod new_env;
pub mod output;
mod parallel;
mod promote;
pub mod render;
pub mod repository;
pub mod secrets;
pub mod services;
mod show;

use std::process::ExitCode;

use cli::{Cli, Command};
use model::date::Date;

/// Runs one command. `Ok` carries the exit code; an `Err` is a command that could not run
/// (exit code 2), either a [`diagnostic::Diagnostics`] about the user's files or a failure
/// of the tool.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let start = match cli.directory {
        Some(dir) => dir,
        None => std::env::current_dir()?,
    };
    let root = repository::find_root(&start)?;
    match cli.command {
        Command::List => list::run(&root),
        Command::Show(args) => show::run(&root, &args),
        Command::NewEnv(args) => new_env::run(&root, &args, Date::today()?),
        Command::Render(args) => render::run(&root, args.check),
        Command::Diff(args) => compare::diff(&root, &args.a, &args.b, args.format, Date::today()?),
        Command::Parity(args) => compare::parity(&root, args.format, Date::today()?),
        Command::Promote(args) => promote::run(&root, &args, Date::today()?),
        Command::Check(args) => checks::run(&root, args.format, Date::today()?),
        Command::Explain(args) => checks::explain(&args.rule),
    }
}
