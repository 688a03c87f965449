//! `cargo xtask parity`: every candidate of `[parity]` compared with the reference, as
//! `diff` compares two environments.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{ComparisonFormat, ParityArgs};
use crate::comparison::{self, Comparison};
use crate::diagnostic::{Diagnostic, Location};
use crate::model::date::Date;
use crate::model::{Stage, WITHOUT_STAGING};

/// `parity`: every candidate of `[parity]` against the reference.
pub fn run(root: &Path, args: &ParityArgs, today: Date) -> anyhow::Result<ExitCode> {
    let platform = crate::repository::load(root)?;
    let Some(parity) = &platform.parity else {
        // Without a staging environment production has no candidate: nothing to compare.
        if platform.of_stage(Stage::Staging).next().is_none() {
            match args.format {
                ComparisonFormat::Json => crate::terminal::print_json(&[(); 0])?,
                ComparisonFormat::Human | ComparisonFormat::Markdown => {
                    crate::terminal::print(&format!(
                        "nothing to compare: this repository has no staging environment, so production has no candidate to match; {WITHOUT_STAGING}\n"
                    ))?;
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        return Err(Diagnostic::new("platform.toml has no [parity] table", Location::Nowhere)
            .with_help("add [parity] with `reference = \"prod\"` and `candidates = [\"staging\"]`; see docs/environments-reference.md")
            .into_error());
    };
    let reference = &platform.environments[&parity.reference.value];
    let comparisons: Vec<Comparison> = parity
        .candidates
        .iter()
        .map(|candidate| {
            let env = &platform.environments[&candidate.value];
            comparison::compare(
                (env.name.as_str(), env),
                (reference.name.as_str(), reference),
                Some(parity),
                today,
            )
        })
        .collect();
    super::print_comparisons(&comparisons, args.format)
}
