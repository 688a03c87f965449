//! `naming-convention`: names written by hand follow the naming conventions.

use std::collections::BTreeSet;

use crate::diagnostic::Diagnostic;
use crate::model::{Breach, Platform, hosts};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule, at};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::NamingConvention,
        default: RuleLevel::Warn,
        summary: "names written by hand follow the naming conventions",
        explanation: "Consistent cluster naming, identity, DNS and deployment conventions across \
environments let people and tools predict every name from the environment's. A name written in \
[names] or a service's `hostname` that differs from what its convention makes is a place where \
that prediction fails. Remove the hand-written name, change the convention in [naming] for \
everyone, or allow this rule if the exception is deliberate.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    // A service that serves the OTLP endpoint's host (the observability environment's
    // relay) follows that name's convention, `otlp_endpoint`.
    let otlp: BTreeSet<&str> = platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref()?.otlp_endpoint.as_ref())
        .map(|endpoint| hosts::url_host(&endpoint.value))
        .collect();
    let follows_otlp = |breach: &Breach| {
        breach.convention == "service_host" && otlp.contains(breach.written.value.as_str())
    };
    let mut found = Vec::new();
    for env in platform.environments.values() {
        for breach in env.breaches.iter().filter(|b| !follows_otlp(b)) {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` is written by hand as `{}`; the convention makes `{}`",
                        breach.convention, breach.written.value, breach.conventional
                    ),
                    at(&breach.written, env),
                )
                .with_label("breaks the naming convention")
                .with_help("remove it to follow the convention, change the convention in [naming], or allow `naming-convention` in [checks]"),
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
    fn a_name_written_against_the_convention_is_found() {
        let platform = Org::new()
            .edit(
                "prod",
                "[services.storefront]\n",
                "[services.storefront]\nhostname = \"shop.prod.initech.test\"\n",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:32:12: `service_host` is written by hand as `shop.prod.initech.test`; the convention makes `storefront.prod.initech.test`"
            ]
        );
    }
}
