//! `cargo xtask diff A B` and `cargo xtask parity`: the commands over `diff`. Either side
//! of `diff` may be `ENV@REV`, the environment as committed at a git revision.

use std::path::Path;
use std::process::ExitCode;

use crate::diagnostic::{Diagnostic, Location};
use crate::diff::{self, Comparison, Format};
use crate::model::date::Date;
use crate::model::{self, Environment, Platform, SourceTree};
use crate::{output, services};

/// `diff A B`: A is the candidate, B the reference.
pub fn diff(
    root: &Path,
    a: &str,
    b: &str,
    format: Format,
    today: Date,
) -> anyhow::Result<ExitCode> {
    let working = model::load(root)?;
    let at_a = Side::parse(a);
    let at_b = Side::parse(b);
    let mut committed = Vec::new();
    for side in [&at_a, &at_b] {
        if let Some(revision) = side.revision {
            let services = services::declared(root)?;
            committed.push((
                revision,
                SourceTree::at_revision(root, revision)?.load(services)?,
            ));
        }
    }
    let platform_of = |side: &Side| match side.revision {
        Some(revision) => {
            &committed
                .iter()
                .find(|(r, _)| *r == revision)
                .expect("loaded above")
                .1
        }
        None => &working,
    };
    let candidate = find(platform_of(&at_a), &at_a)?;
    let reference = find(platform_of(&at_b), &at_b)?;
    // One environment against its own past is a report of changes; two environments are
    // compared for parity.
    let comparison = if at_a.env == at_b.env {
        diff::history((a, candidate), (b, reference), today)
    } else {
        diff::compare(
            (a, candidate),
            (b, reference),
            working.parity.as_ref(),
            today,
        )
    };
    print(&[comparison], format)
}

/// `parity`: every candidate of `[parity]` against the reference.
pub fn parity(root: &Path, format: Format, today: Date) -> anyhow::Result<ExitCode> {
    let platform = model::load(root)?;
    let Some(parity) = &platform.parity else {
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
            diff::compare(
                (env.name.as_str(), env),
                (reference.name.as_str(), reference),
                Some(parity),
                today,
            )
        })
        .collect();
    print(&comparisons, format)
}

/// Prints the comparisons; exit code 1 when any has a violation.
fn print(comparisons: &[Comparison], format: Format) -> anyhow::Result<ExitCode> {
    match format {
        Format::Human => {
            let text: Vec<String> = comparisons.iter().map(diff::output::human).collect();
            output::print(&text.join("\n"))?;
        }
        Format::Json => {
            let values: Vec<_> = comparisons.iter().map(diff::output::json).collect();
            let value = match values.as_slice() {
                [one] => one.clone(),
                _ => serde_json::Value::Array(values),
            };
            output::print(&format!("{}\n", serde_json::to_string_pretty(&value)?))?;
        }
        Format::Markdown => {
            let text: Vec<String> = comparisons.iter().map(diff::output::markdown).collect();
            output::print(&text.join("\n"))?;
        }
    }
    let violations: usize = comparisons.iter().map(Comparison::violations).sum();
    Ok(if violations > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// One side of `diff`: `ENV` or `ENV@REV`.
struct Side<'a> {
    env: &'a str,
    revision: Option<&'a str>,
}

impl<'a> Side<'a> {
    fn parse(text: &'a str) -> Side<'a> {
        match text.split_once('@') {
            Some((env, revision)) => Side {
                env,
                revision: Some(revision),
            },
            None => Side {
                env: text,
                revision: None,
            },
        }
    }
}

fn find<'p>(platform: &'p Platform, side: &Side) -> anyhow::Result<&'p Environment> {
    platform.find(side.env).map_err(|mut diagnostic| {
        if let Some(revision) = side.revision {
            diagnostic.message = format!("{} at `{revision}`", diagnostic.message);
        }
        diagnostic.into_error()
    })
}
