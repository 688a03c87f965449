//! The topology's rules, each a function from the resolved platform to the problems it
//! finds. `schema` and `vpc-no-overlap` are found while loading, not here.

use std::collections::BTreeSet;

use crate::diagnostic::{Diagnostic, Location};
use crate::diff;
use crate::model::date::Date;
use crate::model::hosts;
use crate::model::{Environment, Origin, Platform, Role, Sourced, Stage};
use crate::render;

/// A rule's implementation: the problems it finds on the platform as on a day (only
/// `parity` asks which: its allowances expire).
type Check = fn(&Platform, Date) -> anyhow::Result<Vec<Diagnostic>>;

/// Every rule found by looking at the resolved platform, with its id.
pub const CHECKS: &[(&str, Check)] = &[
    ("prod-separate-account", prod_separate_account),
    ("prod-access-narrower", prod_access_narrower),
    ("telemetry-to-observability", telemetry_to_observability),
    ("observability-monitored", observability_monitored),
    (
        "observability-access-separate",
        observability_access_separate,
    ),
    ("ci-outside-prod", ci_outside_prod),
    ("single-issuer", single_issuer),
    ("host-in-zone", hosts_in_zone),
    ("instance-arch-unchecked", instance_arch_unchecked),
    ("no-secret-values", no_secret_values),
    ("staged-before-prod", staged_before_prod),
    ("naming-convention", naming_convention),
    ("parity", parity),
    (super::registry::GENERATED_FRESH, generated_fresh),
];

/// Where a value came from, as the place a finding points at: its span when it was
/// written by hand, else the file of the environment it belongs to.
fn at<T>(value: &Sourced<T>, env: &Environment) -> Location {
    match &value.origin {
        Origin::File(span) => Location::Span(span.clone()),
        _ => Location::Path(env.file.path.clone()),
    }
}

fn environment_file(env: &Environment) -> Location {
    Location::Path(env.file.path.clone())
}

fn prod_separate_account(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for production in platform.of_stage(Stage::Production) {
        for env in platform.environments.values() {
            if env.stage.value != Stage::Production && env.account.value == production.account.value
            {
                found.push(
                    Diagnostic::new(
                        format!(
                            "`{}` shares production's account {} with `{}`",
                            env.name, env.account.value, production.name
                        ),
                        at(&env.account, env),
                    )
                    .with_label("production's account")
                    .with_help(format!(
                        "move `{}` to an account of its own, or to the non-production account",
                        env.name
                    )),
                );
            }
        }
    }
    Ok(found)
}

fn prod_access_narrower(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for production in platform.of_stage(Stage::Production) {
        for staging in platform.of_stage(Stage::Staging) {
            for (team, access) in &production.access {
                let in_staging = staging.access.get(team).map(|a| a.role.value);
                let wider = in_staging.is_none_or(|role| access.role.value.rank() > role.rank());
                if wider {
                    let staging_role =
                        in_staging.map_or("no access".to_owned(), |r| format!("`{r}`"));
                    found.push(
                        Diagnostic::new(
                            format!(
                                "team `{team}` is `{}` in `{}` but has {staging_role} in `{}`",
                                access.role.value, production.name, staging.name
                            ),
                            at(&access.role, production),
                        )
                        .with_label("wider than in staging")
                        .with_help(format!(
                            "narrow `{team}` in `{}`, or widen it in `{}` if the work belongs there too",
                            production.name, staging.name
                        )),
                    );
                }
            }
        }
    }
    Ok(found)
}

/// Whether `url`'s host is `zone` or a name under it.
fn host_in_zone(url: &str, zone: &str) -> bool {
    hosts::in_zone(hosts::url_host(url), zone)
}

fn telemetry_to_observability(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let zones = |stage| -> Vec<(String, String)> {
        platform
            .of_stage(stage)
            .filter_map(|e| {
                Some((
                    e.name.to_string(),
                    e.cluster.as_ref()?.zone.value.to_string(),
                ))
            })
            .collect()
    };
    let observability = zones(Stage::Observability);
    let production = zones(Stage::Production);
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        if env.stage.value == Stage::Observability {
            continue;
        }
        let Some(endpoint) = &cluster.otlp_endpoint else {
            found.push(
                Diagnostic::new(format!("`{}` sends its telemetry nowhere", env.name), environment_file(env))
                    .with_help("add an observability environment: `cargo xtask new-env observability --stage observability`"),
            );
            continue;
        };
        if let Some((prod, _)) = production
            .iter()
            .find(|(_, zone)| host_in_zone(&endpoint.value, zone))
        {
            found.push(
                Diagnostic::new(
                    format!("`{}` sends its telemetry into the production cluster `{prod}` ({})", env.name, endpoint.value),
                    at(endpoint, env),
                )
                .with_help("send telemetry to the observability environment; check `otlp_endpoint` in [naming]"),
            );
        } else if !observability
            .iter()
            .any(|(_, zone)| host_in_zone(&endpoint.value, zone))
        {
            found.push(
                Diagnostic::new(
                    format!(
                        "`{}` sends its telemetry to {}, outside the observability environment",
                        env.name, endpoint.value
                    ),
                    at(endpoint, env),
                )
                .with_help(
                    "point `otlp_endpoint` in [naming] at the observability environment's zone",
                ),
            );
        }
    }
    Ok(found)
}

fn observability_monitored(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(platform
        .of_stage(Stage::Observability)
        .filter(|env| {
            env.observability
                .as_ref()
                .is_some_and(|o| o.monitor.is_none())
        })
        .map(|env| {
            Diagnostic::new(
                format!("no hosted monitor watches `{}`", env.name),
                environment_file(env),
            )
            .with_help(
                "name the hosted service that watches it: `monitor = \"...\"` in [observability]",
            )
        })
        .collect())
}

fn admins(env: &Environment) -> BTreeSet<&str> {
    env.access
        .iter()
        .filter(|(_, a)| a.role.value == Role::Admins)
        .map(|(team, _)| team.as_str())
        .collect()
}

fn observability_access_separate(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for observability in platform.of_stage(Stage::Observability) {
        let observability_admins = admins(observability);
        for production in platform.of_stage(Stage::Production) {
            if !observability_admins.is_empty() && observability_admins == admins(production) {
                let first = observability_admins
                    .iter()
                    .next()
                    .and_then(|t| observability.access.get(*t));
                let location = first.map_or_else(
                    || environment_file(observability),
                    |a| at(&a.role, observability),
                );
                found.push(
                    Diagnostic::new(
                        format!(
                            "`{}` has exactly `{}`'s admins ({})",
                            observability.name,
                            production.name,
                            observability_admins.iter().copied().collect::<Vec<_>>().join(", ")
                        ),
                        location,
                    )
                    .with_help("manage observability access apart from cluster admin access: give it to the people on call"),
                );
            }
        }
    }
    Ok(found)
}

fn ci_outside_prod(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for ci in platform.of_stage(Stage::Ci) {
        for production in platform.of_stage(Stage::Production) {
            if ci.account.value == production.account.value {
                found.push(
                    Diagnostic::new(
                        format!("CI environment `{}` runs in production's account {}", ci.name, ci.account.value),
                        at(&ci.account, ci),
                    )
                    .with_label("production's account")
                    .with_help("run CI in an account of its own or the non-production account; it deploys to production with credentials, not from inside it"),
                );
            }
        }
    }
    Ok(found)
}

fn single_issuer(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    let identities: Vec<&Environment> = platform.of_stage(Stage::Identity).collect();
    let Some((identity, others)) = identities.split_first() else {
        found.push(
            Diagnostic::new("no identity environment serves the OIDC issuer", Location::Nowhere)
                .with_help("add one in an account of its own: `cargo xtask new-env identity --stage identity --account ACCOUNT`"),
        );
        return Ok(found);
    };
    for other in others {
        found.push(
            Diagnostic::new(
                format!(
                    "`{}` is a second identity environment besides `{}`",
                    other.name, identity.name
                ),
                environment_file(other),
            )
            .with_help("run one issuer for every cluster; remove one of them"),
        );
    }
    if let Some(served) = &identity.identity {
        let issuer = format!("https://{}", served.hostname.value);
        for env in platform.environments.values() {
            if let Some(cluster) = &env.cluster
                && cluster.issuer.value != issuer
            {
                found.push(
                    Diagnostic::new(
                        format!(
                            "`{}` trusts {}, not the issuer {issuer} that `{}` serves",
                            env.name, cluster.issuer.value, identity.name
                        ),
                        at(&cluster.issuer, env),
                    )
                    .with_help("every cluster trusts the one issuer"),
                );
            }
        }
    }
    for env in platform.environments.values() {
        let non_production = !matches!(env.stage.value, Stage::Production | Stage::Identity);
        if non_production && env.account.value == identity.account.value {
            found.push(
                Diagnostic::new(
                    format!("the issuer's account {} is also `{}`'s, a {} environment", identity.account.value, env.name, env.stage.value),
                    at(&identity.account, identity),
                )
                .with_label("shared with a non-production environment")
                .with_help("give the identity environment an account of its own, with stricter controls than non-production"),
            );
        }
    }
    Ok(found)
}

fn hosts_in_zone(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
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

fn instance_arch_unchecked(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        for (name, pool) in &cluster.pools {
            if crate::network::instance_arch(&pool.instance_type.value).is_none() {
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

fn no_secret_values(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(platform.secret_diagnostics())
}

fn staged_before_prod(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let staging: Vec<&Environment> = platform.of_stage(Stage::Staging).collect();
    if staging.is_empty() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    for production in platform.of_stage(Stage::Production) {
        let Some(cluster) = &production.cluster else {
            continue;
        };
        for (name, service) in &cluster.services {
            let staged = staging.iter().any(|s| {
                s.cluster
                    .as_ref()
                    .is_some_and(|c| c.services.contains_key(name))
            });
            if !staged {
                found.push(
                    Diagnostic::new(
                        format!(
                            "service `{name}` runs in `{}` but in no staging environment",
                            production.name
                        ),
                        at(&service.version, production),
                    )
                    .with_help(format!("deploy `{name}` to staging first, then promote it")),
                );
            }
        }
    }
    Ok(found)
}

fn naming_convention(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(platform
        .environments
        .values()
        .flat_map(|env| {
            env.breaches.iter().map(move |breach| {
                Diagnostic::new(
                    format!(
                        "`{}` is written by hand as `{}`; the convention makes `{}`",
                        breach.convention, breach.written.value, breach.conventional
                    ),
                    at(&breach.written, env),
                )
                .with_label("breaks the naming convention")
                .with_help("remove it to follow the convention, change the convention in [naming], or allow `naming-convention` in [checks]")
            })
        })
        .collect())
}

fn parity(platform: &Platform, today: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let Some(parity) = &platform.parity else {
        return Ok(Vec::new());
    };
    let reference = &platform.environments[&parity.reference.value];
    let mut found = Vec::new();
    for candidate in &parity.candidates {
        let env = &platform.environments[&candidate.value];
        let comparison = diff::compare(
            (env.name.as_str(), env),
            (reference.name.as_str(), reference),
            Some(parity),
            today,
        );
        for difference in comparison
            .differences
            .iter()
            .filter(|d| d.verdict.is_violation())
        {
            let location = [&difference.candidate, &difference.reference]
                .into_iter()
                .find_map(|side| match side {
                    diff::Side::Value(leaf) => match leaf.origin.as_ref() {
                        Origin::File(span) => Some(Location::Span(span.clone())),
                        _ => None,
                    },
                    _ => None,
                })
                .unwrap_or_else(|| environment_file(env));
            let expired = matches!(difference.verdict, diff::Verdict::Expired(_));
            found.push(
                Diagnostic::new(
                    format!("`{}` does not match `{}`: {}", env.name, reference.name, diff::output::line(&comparison, difference)),
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

fn generated_fresh(platform: &Platform, _: Date) -> anyhow::Result<Vec<Diagnostic>> {
    let files = render::generate(platform)?;
    Ok(render::out_of_date(&platform.root, &files)?
        .into_iter()
        .map(|(path, kind)| {
            Diagnostic::new(
                format!("generated file {} is {kind}", path.display()),
                Location::Path(path),
            )
            .with_help("run `cargo xtask render` and commit the result")
        })
        .collect())
}
