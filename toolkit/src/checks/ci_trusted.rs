//! `ci-trusted`: the clusters CI deploys trust its deploy jobs, through trust bindings of
//! the repository `[github]` names.

use crate::diagnostic::{Diagnostic, Location};
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::CiTrusted,
        default: RuleLevel::Deny,
        summary: "the clusters CI deploys trust its deploy jobs: `[github]` names the repository",
        explanation: "A deploy job logs in to its cluster with Podplane's service login: it \
exchanges the job's GitHub token at the issuer for a cluster token, and the issuer grants one \
only when exactly one trust binding of that cluster's client matches the token. `render` writes \
those bindings (environments/identity/truster_override.tf.json) from `[github]` in \
platform.toml: the repository, and the owner and repository ids GitHub puts in its tokens, \
which a renamed or re-created repository cannot take over. Without `[github]`, no binding \
exists, and every deploy job of the rendered workflows fails at its login.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    if platform.pins.is_none() || platform.github.is_some() {
        return Ok(Vec::new());
    }
    let deployed: Vec<&str> = platform
        .deployed_by_ci()
        .map(|env| env.name.as_str())
        .collect();
    if deployed.is_empty() {
        return Ok(Vec::new());
    }
    Ok(vec![
        Diagnostic::new(
            format!(
                "CI deploys {} but no cluster trusts its deploy jobs: platform.toml has no [github]",
                deployed.join(", ")
            ),
            Location::Path(platform.file.path.clone()),
        )
        .with_help(
            "add [github] with `repository = \"OWNER/NAME\"`, `owner_id` and `repository_id` (what `gh api repos/OWNER/NAME --jq '.owner.id, .id'` prints), run `cargo xtask render`, and apply the identity environment's issuer again",
        ),
    ])
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn a_platform_that_trusts_no_repository_is_found() {
        let platform = Org::new()
            .edit(
                "platform",
                "[github]\nrepository = \"initech/platform\"\nowner_id = \"1999\"\nrepository_id = \"4242\"\n",
                "",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/platform.toml: CI deploys staging, observability, prod but no cluster trusts its deploy jobs: platform.toml has no [github]"
            ]
        );
    }
}
