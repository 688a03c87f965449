//! `parity`: every parity candidate matches the reference where correctness depends on it.

use crate::comparison;
use crate::diagnostic::{Diagnostic, Location};
use crate::model::{Origin, Platform};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, environment_file};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::Parity,
        default: RuleLevel::Deny,
        summary: "every parity candidate matches the reference where correctness depends on it",
        explanation: "Make non-production look like production where it affects correctness, but \
scale it down where it only affects cost. `cargo xtask parity` compares every candidate of \
[parity] with the reference; a must-match difference no [[parity.allow]] entry excuses is a \
finding. Make them match, or document the exception with a reason and an expiry.",
    },
    check,
};

fn check(platform: &Platform, context: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let Some(parity) = &platform.parity else {
        return Ok(Vec::new());
    };
    let reference = &platform.environments[&parity.reference.value];
    let mut found = Vec::new();
    for candidate in &parity.candidates {
        let env = &platform.environments[&candidate.value];
        let comparison = comparison::compare(
            (env.name.as_str(), env),
            (reference.name.as_str(), reference),
            Some(parity),
            context.today,
        );
        for difference in comparison
            .differences
            .iter()
            .filter(|d| d.verdict.is_violation())
        {
            let location = [&difference.candidate, &difference.reference]
                .into_iter()
                .find_map(|side| match side {
                    comparison::Side::Value(leaf) => match leaf.origin.as_ref() {
                        Origin::File(span) => Some(Location::Span(span.clone())),
                        _ => None,
                    },
                    _ => None,
                })
                .unwrap_or_else(|| environment_file(env));
            let expired = matches!(difference.verdict, comparison::Verdict::Expired(_));
            found.push(
                Diagnostic::new(
                    format!("`{}` does not match `{}`: {}", env.name, reference.name, comparison::report::line(&comparison, difference)),
                    location,
                )
                .with_help(if expired {
                    "the allowance for this difference has expired: make them match, or renew it with a new `until`".to_owned()
                } else {
                    format!(
                        "make them match, or allow `{}` in [[parity.allow]] with a reason; `cargo xtask diff {} {}` shows every difference",
                        difference.path, env.name, reference.name
                    )
                }),
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
    fn a_must_match_difference_is_found() {
        let platform = Org::new()
            .edit(
                "staging",
                "[pools.workers]\narch = \"arm64\"\ninstance_type = \"m7g",
                "[pools.workers]\narch = \"amd64\"\ninstance_type = \"m7i",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/staging/environment.toml:24:8: `staging` does not match `prod`: pools.workers.arch  staging \"amd64\", prod \"arm64\""
            ]
        );
    }
}
