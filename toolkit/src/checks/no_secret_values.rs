//! `no-secret-values`: no environment or platform file holds a secret value.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::NoSecretValues,
        default: RuleLevel::Deny,
        summary: "no environment or platform file holds a secret value",
        explanation: "The repository is read by many and copied everywhere; a secret committed to \
it is a secret leaked. Values passed with `podplane deploy -e` are stored in plain sight. Keep \
secrets in a secrets manager and put only references in these files: ARNs \
(`arn:aws:secretsmanager:...`), `${VAR}` placeholders, or `*_FILE` paths. A value is taken for \
a secret when its key names one by whole words (`DB_PASSWORD`, `API_KEY`), or when its shape is \
a credential's under any key (a known token, a JWT, a URL with a password, a private key, a long \
random key). `render` refuses to write one, and no command prints one. A value that only looks \
like a secret is excepted by `[[secrets.allow]]` in platform.toml, with its path and a reason.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(platform.secret_diagnostics())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn a_secret_written_as_a_value_is_found() {
        let platform = Org::new()
            .edit(
                "prod",
                "env = { LOG_LEVEL = \"info\" }",
                "env = { LOG_LEVEL = \"info\", DB_PASSWORD = \"hunter2\" }",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:33:43: `services.storefront.env.DB_PASSWORD` holds a secret: a value under a key named like a secret"
            ]
        );
    }
}
