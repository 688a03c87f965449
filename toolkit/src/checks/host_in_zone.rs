//! `host-in-zone`: a cluster's API, registry and service host names lie inside its own zone.

use crate::diagnostic::Diagnostic;
use crate::model::{Platform, hosts};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::HostInZone,
        default: RuleLevel::Deny,
        summary: "a cluster's API, registry and service host names lie inside its own zone",
        explanation: "Each cluster environment owns one DNS zone (`prod.example.com`), and its \
ingress gets certificates for names under it. A host name outside it is a name the cluster \
does not own: another environment's, or one that DNS and certificates for this cluster do not \
cover. Write the name under the environment's zone. A name that belongs elsewhere on purpose \
(a product's public domain) is excepted by `[[hosts.allow]]` in platform.toml, with the host \
name or a glob such as `*.example.com` and a reason.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        let zone = cluster.zone.value.as_str();
        for claim in hosts::cluster_hosts(env) {
            if hosts::in_zone(claim.host, zone)
                || hosts::allowed(&platform.hosts_allowed, claim.host)
            {
                continue;
            }
            found.push(
                Diagnostic::new(
                    format!("`{}` is {}, outside its zone `{zone}`", claim.host, claim.what),
                    claim.location(),
                )
                .with_label("outside the zone")
                .with_help(format!(
                    "write a name under `{zone}`; if it belongs elsewhere on purpose, add [[hosts.allow]] to platform.toml with `host = \"{}\"` and a reason",
                    claim.host
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

    #[test]
    fn a_host_outside_its_zone_is_found_at_it() {
        let platform = Org::new()
            .edit(
                "prod",
                "[services.storefront]\n",
                "[services.storefront]\nhostname = \"www.initech.com\"\n",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:32:12: `www.initech.com` is the host of service `storefront` in `prod`, outside its zone `prod.initech.test`"
            ]
        );
    }
}
