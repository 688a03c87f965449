//! What only shows with every environment resolved: clashing VPCs, cluster ids and zones,
//! a second observability environment, and where each cluster's telemetry goes.

use std::collections::{BTreeMap, HashMap};

use ipnet::Ipv4Net;

use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::model::conventions::{Pattern, Unmade};
use crate::model::names::EnvName;
use crate::model::network::{self};
use crate::model::{Cluster, Environment, Origin, Sourced, Stage};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Shared, origin_location};

/// Overlapping VPCs are found once every environment is resolved, in [`check_across`].
pub static VPC_NO_OVERLAP_RULE: RuleDoc = RuleDoc {
    id: RuleId::VpcNoOverlap,
    default: RuleLevel::Deny,
    summary: "no two environments' VPCs overlap",
    explanation: "Each environment gets a distinct VPC range, allocated once and never \
shifted, so that environments can be peered or reached over a VPN without address clashes and \
so that an address says which environment it belongs to. Overlapping VPCs are refused when the \
platform loads, so this rule cannot be lowered. `cargo xtask new-env` allocates a free /16.",
};

/// What only shows with every environment resolved: clashing VPCs, cluster ids and zones,
/// and where telemetry goes.
pub(super) fn check_across(
    environments: &mut BTreeMap<EnvName, Environment>,
    shared: &Shared,
    vpc_range: Ipv4Net,
    problems: &mut Diagnostics,
) {
    check_twins(environments, problems);
    let clusters: Vec<(&EnvName, &Cluster)> = environments
        .iter()
        .filter_map(|(name, env)| Some((name, env.cluster.as_ref()?)))
        .collect();
    let nets: Vec<Ipv4Net> = clusters.iter().map(|(_, c)| c.vpc.value).collect();
    for (a, b) in network::overlapping_pairs(&nets) {
        let ((a_name, a), (b_name, b)) = (clusters[a], clusters[b]);
        let free = network::free_vpc(vpc_range, &nets)
            .map(|net| format!("; the lowest free /16 of {vpc_range} is {net}"))
            .unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            format!(
                "VPC {} of `{b_name}` overlaps VPC {} of `{a_name}`",
                b.vpc.value, a.vpc.value
            ),
            origin_location(&b.vpc.origin),
        )
        .with_label("overlaps another environment's VPC")
        .with_rule(RuleId::VpcNoOverlap)
        .with_help(format!("give every environment a VPC of its own{free}"));
        if let Origin::File(span) = &a.vpc.origin {
            diagnostic = diagnostic.with_related(span.clone(), format!("the VPC of `{a_name}`"));
        }
        problems.push(diagnostic);
    }
    for (what, key) in [("cluster id", 0), ("DNS zone", 1)] {
        let mut seen: HashMap<&str, &EnvName> = HashMap::new();
        for (name, cluster) in &clusters {
            let (value, origin) = if key == 0 {
                (cluster.id.value.as_str(), &cluster.id.origin)
            } else {
                (cluster.zone.value.as_str(), &cluster.zone.origin)
            };
            if let Some(first) = seen.insert(value, name) {
                problems.push(
                    Diagnostic::new(format!("{what} `{value}` of `{name}` is also the {what} of `{first}`"), origin_location(origin))
                        .with_help(format!("every cluster needs its own {what}: remove the hand-written one from [names]")),
                );
            }
        }
    }

    let observability: Vec<&Environment> = environments
        .values()
        .filter(|e| e.stage.value == Stage::Observability)
        .collect();
    let target = match observability.as_slice() {
        [] => None,
        [one] => one.cluster.as_ref().map(|c| c.zone.value.to_string()),
        [first, rest @ ..] => {
            for other in rest {
                problems.push(
                    Diagnostic::new(
                        format!("more than one observability environment (`{}` and `{}`): telemetry would have two destinations", first.name, other.name),
                        Location::Path(other.file.path.clone()),
                    )
                    .with_help("keep one observability environment; every cluster sends its telemetry there"),
                );
            }
            None
        }
    };
    let Some(observability_zone) = target else {
        // Managed observability: each cluster's VMs ship to the relay it runs.
        if let (true, Some(managed)) = (observability.is_empty(), &shared.observability) {
            let relay = managed.relay.value.as_str();
            for env in environments.values_mut() {
                let Some(cluster) = env.cluster.as_mut() else {
                    continue;
                };
                let host = cluster.services.get(relay).and_then(|s| s.host());
                cluster.otlp_endpoint = host.map(|host| {
                    Sourced::new(
                        format!("https://{}", host.value),
                        Origin::Convention(
                            format!("managed observability: the relay `{relay}` this cluster runs ([observability] in platform.toml)").into(),
                        ),
                    )
                });
            }
        }
        return;
    };
    for env in environments.values_mut() {
        if env.stage.value == Stage::Observability {
            continue;
        }
        let Some(cluster) = env.cluster.as_mut() else {
            continue;
        };
        let mut variables = shared.variables(
            &env.name,
            env.stage.value,
            &env.region.value,
            &env.account.value,
        );
        variables.set("observability_zone", &observability_zone);
        match shared.naming.make(Pattern::OtlpEndpoint, &variables) {
            Ok(endpoint) => cluster.otlp_endpoint = Some(endpoint),
            Err(Unmade::Input) => {}
            Err(Unmade::Failed(reason)) => problems.push(Diagnostic::new(
                reason,
                Location::Path(env.file.path.clone()),
            )),
        }
    }
}

/// Each `dr_of` names another production environment with a cluster, which is no one's
/// twin itself; one that does not is dropped, with its problem.
fn check_twins(environments: &mut BTreeMap<EnvName, Environment>, problems: &mut Diagnostics) {
    let mut refused = Vec::new();
    for env in environments.values() {
        let Some(twin) = &env.dr_of else {
            continue;
        };
        let primary = environments.get(&twin.value);
        let why = match primary {
            _ if twin.value == env.name => Some("an environment cannot stand in for itself"),
            None => Some("no environment has that name"),
            Some(p) if p.stage.value != Stage::Production => {
                Some("it is not a production environment")
            }
            Some(p) if p.dr_of.is_some() => {
                Some("it stands in for another itself: name the one it stands in for")
            }
            Some(p) if p.cluster.is_none() || env.cluster.is_none() => Some("both need a cluster"),
            Some(_) => None,
        };
        if let Some(why) = why {
            let known: Vec<&str> = environments
                .values()
                .filter(|e| {
                    e.stage.value == Stage::Production && e.dr_of.is_none() && e.name != env.name
                })
                .map(|e| e.name.as_str())
                .collect();
            problems.push(
                Diagnostic::new(
                    format!("`dr_of = \"{}\"` of `{}`: {why}", twin.value, env.name),
                    origin_location(&twin.origin),
                )
                .with_help(crate::diagnostic::help_valid(
                    "production environments",
                    twin.value.as_str(),
                    &known,
                )),
            );
            refused.push(env.name.clone());
        }
    }
    for name in refused {
        if let Some(env) = environments.get_mut(&name) {
            env.dr_of = None;
        }
    }
}

/// Gives each problem with a missing or invalid VPC, at `indices` of `problems`, the VPC
/// it could have: the lowest /16 of the range that no environment uses.
pub(super) fn suggest_free_vpc(
    environments: &BTreeMap<EnvName, Environment>,
    vpc_range: Ipv4Net,
    indices: &[usize],
    problems: &mut Diagnostics,
) {
    if indices.is_empty() {
        return;
    }
    let taken: Vec<Ipv4Net> = environments
        .values()
        .filter_map(|env| Some(env.cluster.as_ref()?.vpc.value))
        .collect();
    let suggestion = match network::free_vpc(vpc_range, &taken) {
        Some(free) => format!(
            "use a range no other environment uses: `vpc = \"{free}\"` is the lowest free /16 of {vpc_range}"
        ),
        None => {
            format!("no /16 of {vpc_range} is free: widen [network] vpc_range in platform.toml")
        }
    };
    for &index in indices {
        let diagnostic = &mut problems.0[index];
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}; {suggestion}"),
            None => suggestion.clone(),
        });
    }
}
