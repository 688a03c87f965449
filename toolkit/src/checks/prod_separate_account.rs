//! `prod-separate-account`: no other environment shares production's cloud account.

use std::collections::HashMap;

use crate::diagnostic::Diagnostic;
use crate::model::{Environment, Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ProdSeparateAccount,
        default: RuleLevel::Deny,
        summary: "no other environment shares production's cloud account",
        explanation: "Production serves customers and should have the strongest isolation. The \
topology guide: use separate cloud accounts, projects, or at least separate credentials for \
production. An environment in production's account can reach production's resources with \
whatever it is granted there, and a mistake or a compromise outside production becomes a \
production incident. Give every non-production environment an account of its own or the \
shared non-production account. Production environments (one per region, say) may share an \
account with each other.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    // The other environments by account, each list in name order.
    let mut by_account: HashMap<&str, Vec<&Environment>> = HashMap::new();
    for env in platform.environments.values() {
        if env.stage.value != Stage::Production {
            by_account
                .entry(env.account.value.as_str())
                .or_default()
                .push(env);
        }
    }
    for production in platform.of_stage(Stage::Production) {
        let sharing = by_account.get(production.account.value.as_str());
        for env in sharing.into_iter().flatten() {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` shares production's account {} with `{}`",
                        env.name, env.account.value, production.name
                    ),
                    at(&env.account, env),
                )
                .with_label("production's account")
                .with_help(format!(
                    "move `{}` to an account of its own, or to the non-production account",
                    env.name
                )),
            );
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn a_staging_in_productions_account_is_found_at_its_account() {
        let platform = Org::new()
            .edit(
                "staging",
                "account = \"111122223333\"",
                "account = \"444455556666\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/staging/environment.toml:6:11: `staging` shares production's account 444455556666 with `prod`"
            ]
        );
    }

    #[test]
    fn each_production_environment_finds_the_others_in_its_own_account() {
        let prod_b = Org::prod()
            .replace("444455556666", "555566667777")
            .replace("10.30.0.0/16", "10.70.0.0/16");
        let platform = Org::new()
            .with("prod-b", &prod_b)
            .edit(
                "dev",
                "account = \"111122223333\"",
                "account = \"444455556666\"",
            )
            .edit(
                "staging",
                "account = \"111122223333\"",
                "account = \"555566667777\"",
            )
            .edit(
                "ci",
                "account = \"111122223333\"",
                "account = \"555566667777\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/dev/environment.toml:6:11: `dev` shares production's account 444455556666 with `prod`",
                "environments/ci/environment.toml:6:11: `ci` shares production's account 555566667777 with `prod-b`",
                "environments/staging/environment.toml:6:11: `staging` shares production's account 555566667777 with `prod-b`",
            ]
        );
    }
}
