//! `dr-twin`: a disaster-recovery environment is in another region than the production it
//! stands in for, and held to parity with it.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::DrTwin,
        default: RuleLevel::Deny,
        summary: "a disaster-recovery environment is in another region than the production it stands in for, and held to parity with it",
        explanation: "A disaster-recovery environment (`dr_of = \"prod\"`) exists to keep serving \
when production's region does not: the topology guide's mature setup runs production in a second \
region for that. One in production's own region fails with it, while the pipelines pay to deploy \
and promote it. Give it a region of its own (`region = \"...\"` in its environment.toml, and a VPC \
that overlaps no other). And a twin that drifts from production takes over with other versions, \
access or sizes than the ones that were serving: `[parity]` holds it to production (production \
the reference, the twin among the candidates), as `new-env` writes it.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(primary) = env
            .dr_of
            .as_ref()
            .and_then(|twin| platform.environments.get(&twin.value))
        else {
            continue;
        };
        if env.region.value == primary.region.value {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` stands in for `{}` in the same region, {}",
                        env.name, primary.name, env.region.value
                    ),
                    at(&env.region, env),
                )
                .with_label("production's region")
                .with_help(format!(
                    "give `{}` another region: `region = \"...\"` in its environment.toml",
                    env.name
                )),
            );
        }
    }
    let reference = platform.parity.as_ref();
    for env in platform.environments.values() {
        let Some(twin) = &env.dr_of else {
            continue;
        };
        let held = reference.is_some_and(|parity| {
            parity.reference.value == twin.value
                && parity.candidates.iter().any(|c| c.value == env.name)
        });
        if !held {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` stands in for `{}` but is not held to parity with it",
                        env.name, twin.value
                    ),
                    at(twin, env),
                )
                .with_label("no [parity] pair says so")
                .with_help(format!(
                    "in platform.toml: [parity] reference = \"{}\" and \"{}\" in its candidates",
                    twin.value, env.name
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

    fn twin(region: &str) -> String {
        Org::prod()
            .replace(
                "account = \"444455556666\"",
                &format!("dr_of = \"prod\"\naccount = \"444455556666\"\nregion = \"{region}\""),
            )
            .replace("vpc = \"10.30.0.0/16\"", "vpc = \"10.31.0.0/16\"")
    }

    /// The organisation with `prod-dr` in `region`, held to parity with prod.
    fn org(region: &str) -> Org {
        Org::new().with("prod-dr", &twin(region)).edit(
            "platform",
            "candidates = [\"staging\"]",
            "candidates = [\"staging\", \"prod-dr\"]",
        )
    }

    #[test]
    fn a_twin_in_productions_region_is_found_at_its_region() {
        let platform = org("us-east-2").platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod-dr/environment.toml:8:10: `prod-dr` stands in for `prod` in the same region, us-east-2"
            ]
        );
        let apart = org("us-west-2").platform();
        assert!(findings(&RULE, &apart, &context()).is_empty());
    }

    #[test]
    fn a_twin_that_no_parity_pair_holds_is_found_at_its_dr_of() {
        let platform = Org::new().with("prod-dr", &twin("us-west-2")).platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod-dr/environment.toml:6:9: `prod-dr` stands in for `prod` but is not held to parity with it"
            ]
        );
    }
}
