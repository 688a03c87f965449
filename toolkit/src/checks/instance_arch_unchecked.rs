//! `instance-arch-unchecked`: every pool's instance type is one whose architecture the tool can check.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::InstanceArchUnchecked,
        default: RuleLevel::Warn,
        summary: "every pool's instance type is one whose architecture the tool can check",
        explanation: "A pool's `arch` decides which images its nodes pull; an instance type of \
the other architecture boots nodes that cannot run them. The tool reads the architecture from \
AWS's instance type names (Graviton families carry a `g`: `m7g`, `c6gn`, `t4g`; `m7i`, `m7a`, \
`t3` are x86) and refuses a mismatch while loading. Types whose names do not tell \
(`mac2.metal`, `u-6tb1.metal`) are taken as written; this rule says so, so that a person \
checks them. Allow it for a platform that uses such types on purpose.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        for (name, pool) in &cluster.pools {
            if crate::model::network::instance_arch(&pool.instance_type.value).is_none() {
                found.push(
                    Diagnostic::new(
                        format!(
                            "pool `{name}` of `{}`: `{}` is not a type whose architecture the tool can tell, so `arch = \"{}\"` is taken as written",
                            env.name, pool.instance_type.value, pool.arch.value
                        ),
                        at(&pool.instance_type, env),
                    )
                    .with_label("architecture unchecked")
                    .with_help("make sure this instance type runs the pool's `arch`; allow `instance-arch-unchecked` in [checks] once you have"),
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
    fn a_type_whose_architecture_cannot_be_told_is_found() {
        let platform = Org::new()
            .edit(
                "dev",
                "[pools.workers]\narch = \"arm64\"\ninstance_type = \"t4g.large\"",
                "[pools.workers]\narch = \"arm64\"\ninstance_type = \"mac2-m2.metal\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/dev/environment.toml:25:17: pool `workers` of `dev`: `mac2-m2.metal` is not a type whose architecture the tool can tell, so `arch = \"arm64\"` is taken as written"
            ]
        );
    }
}
