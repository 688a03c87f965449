//! `lock-current`: Cargo.lock names each crate of the workspace at its own version.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

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

fn check(_: &Platform, context: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
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

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::StaleLock;
    use crate::checks::testing::{Org, context, findings};
    use crate::diagnostic::Location;

    #[test]
    fn a_crate_locked_at_another_version_is_found() {
        let mut context = context();
        context.stale_lock = Some(vec![StaleLock {
            name: "storefront".to_owned(),
            version: "1.3.1".to_owned(),
            locked: "1.3.0".to_owned(),
            location: Location::Nowhere,
        }]);
        let platform = Org::new().platform();
        assert_eq!(
            findings(&RULE, &platform, &context),
            ["-: Cargo.lock has `storefront` at 1.3.0, but its Cargo.toml says 1.3.1"]
        );
    }
}
