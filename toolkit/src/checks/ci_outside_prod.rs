//! `ci-outside-prod`: CI does not run in production's account.

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::CiOutsideProd,
        default: RuleLevel::Deny,
        summary: "CI does not run in production's account",
        explanation: "A compromised build system often holds deployment credentials, so CI is \
sensitive infrastructure. If you self-host CI, keep it separate from production workloads: its \
runners must not live in production's account. Promotion reaches production through \
deployment credentials, not through shared infrastructure.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for ci in platform.of_stage(Stage::Ci) {
        for production in platform.of_stage(Stage::Production) {
            if ci.account.value == production.account.value {
                found.push(
                    Diagnostic::new(
                        format!("CI environment `{}` runs in production's account {}", ci.name, ci.account.value),
                        at(&ci.account, ci),
                    )
                    .with_label("production's account")
                    .with_help("run CI in an account of its own or the non-production account; it deploys to production with credentials, not from inside it"),
                );
            }
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn ci_in_productions_account_is_found() {
        let platform = Org::new()
            .edit(
                "ci",
                "account = \"111122223333\"",
                "account = \"444455556666\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/ci/environment.toml:6:11: CI environment `ci` runs in production's account 444455556666"
            ]
        );
    }
}
