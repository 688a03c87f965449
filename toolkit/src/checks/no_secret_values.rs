//! `no-secret-values`: no hand-written file holds a secret value.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::NoSecretValues,
        default: RuleLevel::Deny,
        summary: "no hand-written file holds a secret value",
        explanation: "The repository is read by many and copied everywhere; a secret committed to \
it is a secret leaked. Values passed with `podplane deploy -e` are stored in plain sight. Keep \
secrets in a secrets manager and put only references in these files: ARNs \
(`arn:aws:secretsmanager:...`), `${VAR}` placeholders, or `*_FILE` paths. Every string of \
the hand-written files is judged, the pins and the allowances' reasons included. A value is \
taken for a secret when its key names one by whole words (`DB_PASSWORD`, `API_KEY`, \
`SECRET_KEY_BASE`), or when its shape is a credential's under any key (a known provider's token, \
a webhook URL, a JWT, a URL or `user:password@host` with a password, an `Authorization` \
credential, a private key, a secret's key and value inside a connection string or JSON, a long \
random key); certificates and public keys are not secrets. `render` refuses to write one, and \
no command prints one. A value that only looks \
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
