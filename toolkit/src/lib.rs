//! The platform monorepo's toolkit, behind `cargo xtask`. A platform repository's
//! `xtask` crate is a thin program over it: [`main`], or a [`Toolkit`] given the
//! organisation's own rules. [`run`] dispatches a parsed command line; each command lives in
//! its own module under `commands`, with one entry point. `docs/ARCHITECTURE.md` draws the
//! layers.

pub mod affected;
pub mod changes;
pub mod checks;
pub mod cli;
pub mod commands;
pub mod comparison;
pub mod diagnostic;
mod edit;
mod entry;
mod migrations;
pub mod model;
mod parallel;
pub mod render;
pub mod repository;
pub mod rule;
mod scaffold;
pub mod secrets;
mod templates;
pub mod terminal;

pub use entry::{Toolkit, main};

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
    // Every command but new-repo (which makes a repository) runs in one, whose files are
    // in this toolkit's formats: upgrade brings them there.
    let root = || {
        let root = repository::find_root(&start)?;
        commands::upgrade::refuse_other_version(&root)?;
        Ok::<_, anyhow::Error>(root)
    };
    match cli.command {
        Command::List(args) => commands::list::run(&root()?, &args),
        Command::Show(args) => commands::show::run(&root()?, &args),
        Command::NewEnv(args) => commands::new_env::run(&root()?, &args, Date::today()?),
        Command::NewRepo(args) => commands::new_repo::run(&start, &args, Date::today()?),
        Command::NewService(args) => commands::new_service::run(&root()?, &args, Date::today()?),
        Command::Render(args) => commands::render::run(&root()?, &args),
        Command::Diff(args) => commands::diff::run(&root()?, &args, Date::today()?),
        Command::Parity(args) => commands::parity::run(&root()?, &args, Date::today()?),
        Command::Promote(args) => commands::promote::run(&root()?, &args, Date::today()?),
        Command::Bump(args) => commands::bump::run(&root()?, &args.with_part()),
        Command::Check(args) => commands::check::run(&root()?, &args, Date::today()?),
        Command::Affected(args) => commands::affected::run(&root()?, &args, Date::today()?),
        Command::Explain(args) => commands::explain::run(&args),
        Command::Completions(args) => commands::completions::run(&args),
        Command::Man(args) => commands::man::run(&args),
        Command::Upgrade(args) => commands::upgrade::run(&repository::find_root(&start)?, &args),
    }
}
