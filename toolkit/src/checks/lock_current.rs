//! `lock-current`: Cargo.lock names each crate of the workspace at its own version.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Context, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::LockCurrent,
        default: RuleLevel::Deny,
        summary: "Cargo.lock names each crate of the workspace at the version its Cargo.toml says",
        explanation: "A crate's version changed by hand leaves its entry in Cargo.lock behind. \
Tests, `check` and the pull request still pass, since cargo updates the lock as it builds, \
but the image build on main runs with `--locked` and fails there, after the merge. \
`cargo xtask bump SERVICE` changes the version, the lock and the environments that track it \
together; after a change by hand, `cargo update --workspace` brings the lock up to date.",
    },
    check,
};

fn check(_: &Platform, context: &Context) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(context
        .stale_lock
        .iter()
        .flatten()
        .map(|stale| {
            Diagnostic::new(
                format!(
                    "Cargo.lock has `{}` at {}, but its Cargo.toml says {}",
                    stale.name, stale.locked, stale.version
                ),
                stale.location.clone(),
            )
            .with_help(format!(
                "run `cargo update --workspace` (or change versions with `cargo xtask bump {}`), and commit Cargo.lock",
                stale.name
            ))
        })
        .collect())
}
