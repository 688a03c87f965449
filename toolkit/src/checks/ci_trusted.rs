//! `ci-trusted`: the clusters CI deploys trust its deploy jobs, through trust bindings of
//! the repository `[github]` names or the Buildkite pipeline `[buildkite]` names.

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{CiProvider, Platform};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::CiTrusted,
        default: RuleLevel::Deny,
        summary: "the clusters CI deploys trust its deploy jobs: `[github]` or `[buildkite]` names them",
        explanation: "A deploy job logs in to its cluster with Podplane's service login: it \
exchanges the job's token from its CI provider (GitHub Actions or Buildkite, `[ci] provider`) \
at the issuer for a cluster token, and the issuer grants one only when exactly one trust \
binding of that cluster's client matches the token. `render` writes those bindings \
(environments/identity/truster_override.tf.json) from platform.toml: `[github]` names the \
repository and the owner and repository ids GitHub puts in its tokens; `[buildkite]` names \
the organisation and the deploy pipeline and the ids Buildkite puts in its tokens. Ids, \
unlike names, cannot be taken over by a renamed or re-created repository or pipeline. \
Without the provider's table, no binding exists, and every deploy job of the rendered \
pipelines fails at its login.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let (named, table, help) = match platform.ci_provider() {
        CiProvider::Github => (
            platform.github.is_some(),
            "github",
            "add [github] with `repository = \"OWNER/NAME\"`, `owner_id` and `repository_id` (what `gh api repos/OWNER/NAME --jq '.owner.id, .id'` prints), run `cargo xtask render`, and apply the identity environment's issuer again",
        ),
        CiProvider::Buildkite => (
            platform.buildkite.is_some(),
            "buildkite",
            "add [buildkite] with `organization` and `pipeline` (the slugs of the deploy pipeline's URL, buildkite.com/ORGANIZATION/PIPELINE) and `organization_id` and `pipeline_id` (the `id` Buildkite's REST API gives for each), run `cargo xtask render`, and apply the identity environment's issuer again",
        ),
    };
    if platform.pins.is_none() || named {
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
                "CI deploys {} but no cluster trusts its deploy jobs: platform.toml has no [{table}]",
                deployed.join(", ")
            ),
            Location::Path(platform.file.path.clone()),
        )
        .with_help(help),
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

    #[test]
    fn a_buildkite_platform_needs_its_pipeline_named_not_a_repository() {
        let buildkite = Org::new().with(
            "ci",
            "stage = \"ci\"\naccount = \"111122223333\"\n\n[ci]\nrunners = \"hosted\"\nprovider = \"buildkite\"\n",
        );
        assert_eq!(
            findings(&RULE, &buildkite.clone().platform(), &context()),
            [
                "environments/platform.toml: CI deploys staging, observability, prod but no cluster trusts its deploy jobs: platform.toml has no [buildkite]"
            ]
        );
        let named = buildkite.edit(
            "platform",
            "[github]\n",
            "[buildkite]\norganization = \"initech\"\norganization_id = \"0184990a-477b-4fa8-9968-496074483cee\"\npipeline = \"platform\"\npipeline_id = \"0184990a-4782-42b5-afc1-16715b10b1f0\"\n\n[github]\n",
        );
        assert_eq!(
            findings(&RULE, &named.platform(), &context()),
            Vec::<String>::new()
        );
    }
}
