//! `prod-separate-account`: no other environment shares production's cloud account.

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, Stage};
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
    for production in platform.of_stage(Stage::Production) {
        for env in platform.environments.values() {
            if env.stage.value != Stage::Production && env.account.value == production.account.value
            {
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
}
