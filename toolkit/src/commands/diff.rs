//! `cargo xtask diff A B`: two environments compared path by path. Either side may be
//! `ENV@REV`, the environment as committed at a git revision.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::DiffArgs;
use crate::comparison;
use crate::model::date::Date;
use crate::model::{Environment, Platform};
use crate::repository::revision::Revision;

/// `diff A B`: A is the candidate, B the reference.
pub fn run(root: &Path, args: &DiffArgs, today: Date) -> anyhow::Result<ExitCode> {
    let (a, b) = (args.a.as_str(), args.b.as_str());
    let working = crate::repository::load_until_exit(root)?;
    let at_a = Operand::parse(a);
    let at_b = Operand::parse(b);
    let mut committed = Vec::new();
    for side in [&at_a, &at_b] {
        if let Some(revision) = side.revision {
            // The environment as committed, with the services as committed: what the
            // revision holds, as `affected` reads it.
            let resolved = Revision::resolve(root, revision)?;
            let services = crate::repository::services::declared_at(root, &resolved)?;
            committed.push((
                revision,
                crate::repository::SourceTree::at(root, &resolved)?.load(services)?,
            ));
        }
    }
    let platform_of = |side: &Operand| match side.revision {
        Some(revision) => {
            &committed
                .iter()
                .find(|(r, _)| *r == revision)
                .expect("loaded above")
                .1
        }
        None => working,
    };
    let candidate = find(platform_of(&at_a), &at_a)?;
    let reference = find(platform_of(&at_b), &at_b)?;
    // One environment against its own past is a report of changes; two environments are
    // compared for parity.
    let comparison = if at_a.env == at_b.env {
        comparison::history((a, candidate), (b, reference), today)
    } else {
        comparison::compare(
            (a, candidate),
            (b, reference),
            working.parity.as_ref(),
            today,
        )
    };
    super::print_comparisons(&[comparison], args.format)
}

/// One side of `diff`: `ENV` or `ENV@REV`.
struct Operand<'a> {
    env: &'a str,
    revision: Option<&'a str>,
}

impl<'a> Operand<'a> {
    fn parse(text: &'a str) -> Operand<'a> {
        match text.split_once('@') {
            Some((env, revision)) => Operand {
                env,
                revision: Some(revision),
            },
            None => Operand {
                env: text,
                revision: None,
            },
        }
    }
}

fn find<'p>(platform: &'p Platform, side: &Operand) -> anyhow::Result<&'p Environment> {
    platform.find(side.env).map_err(|mut diagnostic| {
        if let Some(revision) = side.revision {
            diagnostic.message = format!("{} at `{revision}`", diagnostic.message);
        }
        diagnostic.into_error()
    })
}
