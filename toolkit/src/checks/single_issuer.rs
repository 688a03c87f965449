//! `single-issuer`: every cluster trusts the one issuer, served from an identity environment with an account of its own.

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{Environment, Platform, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::SingleIssuer,
        default: RuleLevel::Deny,
        summary: "every cluster trusts the one issuer, served from an identity environment with an account of its own",
        explanation: "Run one OIDC issuer for every cluster environment, in a dedicated identity \
account or one with stricter controls than non-production. Do not casually deploy the issuer \
into the staging or development account: whoever controls the issuer controls who may act on \
every cluster, production included. There should be exactly one identity environment, its \
host name should be the issuer every cluster trusts, and its account should be its own.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    let identities: Vec<&Environment> = platform.of_stage(Stage::Identity).collect();
    let Some((identity, others)) = identities.split_first() else {
        found.push(
            Diagnostic::new("no identity environment serves the OIDC issuer", Location::Nowhere)
                .with_help("add one in an account of its own: `cargo xtask new-env identity --stage identity --account ACCOUNT`"),
        );
        return Ok(found);
    };
    for other in others {
        found.push(
            Diagnostic::new(
                format!(
                    "`{}` is a second identity environment besides `{}`",
                    other.name, identity.name
                ),
                environment_file(other),
            )
            .with_help("run one issuer for every cluster; remove one of them"),
        );
    }
    if let Some(served) = &identity.identity {
        let issuer = format!("https://{}", served.hostname.value);
        for env in platform.environments.values() {
            if let Some(cluster) = &env.cluster
                && cluster.issuer.value != issuer
            {
                found.push(
                    Diagnostic::new(
                        format!(
                            "`{}` trusts {}, not the issuer {issuer} that `{}` serves",
                            env.name, cluster.issuer.value, identity.name
                        ),
                        at(&cluster.issuer, env),
                    )
                    .with_help("every cluster trusts the one issuer"),
                );
            }
        }
    }
    for env in platform.environments.values() {
        let non_production = !matches!(env.stage.value, Stage::Production | Stage::Identity);
        if non_production && env.account.value == identity.account.value {
            found.push(
                Diagnostic::new(
                    format!("the issuer's account {} is also `{}`'s, a {} environment", identity.account.value, env.name, env.stage.value),
                    at(&identity.account, identity),
                )
                .with_label("shared with a non-production environment")
                .with_help("give the identity environment an account of its own, with stricter controls than non-production"),
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
    fn an_issuer_sharing_its_account_is_found() {
        let platform = Org::new()
            .edit(
                "dev",
                "account = \"111122223333\"",
                "account = \"999988887777\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/identity/environment.toml:6:11: the issuer's account 999988887777 is also `dev`'s, a development environment"
            ]
        );
    }

    #[test]
    fn a_platform_without_an_issuer_is_found() {
        let platform = Org::new().without("identity").platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            ["-: no identity environment serves the OIDC issuer"]
        );
    }
}
