//! Host names: each belongs to one thing across the whole platform, and a cluster's host
//! names lie inside its zone unless `[[hosts.allow]]` says why one does not.

use std::collections::HashSet;
use std::collections::btree_map::BTreeMap;

use rustc_hash::FxHashMap;
use std::path::Path;

use super::names::EnvName;
use super::values::{HostPattern, Reason};
use super::{Environment, Origin, Sourced, Stage, glob};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

/// Clashing host names are found while loading, by [`check_unique`].
pub static HOST_UNIQUE_RULE: RuleDoc = RuleDoc {
    id: RuleId::HostUnique,
    default: RuleLevel::Deny,
    summary: "no two things on the platform share a host name",
    explanation: "Consistent DNS conventions let every name be predicted from the \
environment's, and they only work if every name names one thing. Two clusters, or a cluster \
and the OIDC issuer or the OTLP endpoint, answering for one host name means certificates, DNS \
records and tokens for one reach the other: a staging API host equal to production's sends \
staging's deploys to production. Every zone apex, API host, registry host, web service host, \
the issuer's host and the OTLP endpoint's host must differ. Clashes are refused when the \
platform loads, so this rule cannot be lowered.",
};

/// `[[hosts.allow]]`: host names (a glob such as `*.initech.com`) that may lie outside
/// their environment's zone, and why.
#[derive(Debug)]
pub struct HostAllowance {
    pub host: Sourced<HostPattern>,
    pub reason: Sourced<Reason>,
}

/// One host name and what it names.
pub struct Claim<'a> {
    pub host: &'a str,
    /// What the name is for, said only when it clashes or strays.
    pub what: What<'a>,
    pub origin: &'a Origin,
    /// The file of the environment the name belongs to, for names made by a convention.
    pub file: &'a Path,
    /// The environment whose service's host it is, when it is one: an environment and its
    /// disaster-recovery twin may serve the same public names.
    pub service_of: Option<&'a EnvName>,
}

/// What a host name is for, as a phrase: "the API host of `prod`". Put in words only
/// for a problem: a platform claims a name for every service of every environment.
#[derive(Debug, Clone, Copy)]
pub enum What<'a> {
    ApiHost(&'a EnvName),
    RegistryHost(&'a EnvName),
    ServiceHost { service: &'a str, env: &'a EnvName },
    Zone(&'a EnvName),
    Issuer(&'a EnvName),
    OtlpEndpoint,
}

impl std::fmt::Display for What<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            What::ApiHost(env) => write!(f, "the API host of `{env}`"),
            What::RegistryHost(env) => write!(f, "the registry host of `{env}`"),
            What::ServiceHost { service, env } => {
                write!(f, "the host of service `{service}` in `{env}`")
            }
            What::Zone(env) => write!(f, "the zone of `{env}`"),
            What::Issuer(env) => write!(f, "the OIDC issuer's host, served by `{env}`"),
            What::OtlpEndpoint => f.write_str("the OTLP endpoint's host"),
        }
    }
}

impl Claim<'_> {
    pub fn location(&self) -> Location {
        match self.origin {
            Origin::File(span) => Location::Span(span.clone()),
            _ => Location::Path(self.file.to_path_buf()),
        }
    }
}

/// The host names a cluster serves under its own zone: its API, its registry, and each
/// web service.
pub fn cluster_hosts(env: &Environment) -> Vec<Claim<'_>> {
    let Some(cluster) = &env.cluster else {
        return Vec::new();
    };
    let name = &env.name;
    let file = env.file.path.as_path();
    let mut claims = vec![
        Claim {
            host: cluster.api_host.value.as_str(),
            what: What::ApiHost(name),
            origin: &cluster.api_host.origin,
            file,
            service_of: None,
        },
        Claim {
            host: cluster.registry_host.value.as_str(),
            what: What::RegistryHost(name),
            origin: &cluster.registry_host.origin,
            file,
            service_of: None,
        },
    ];
    for (service, declared) in &cluster.services {
        if let Some(host) = declared.host() {
            claims.push(Claim {
                host: host.value.as_str(),
                what: What::ServiceHost { service, env: name },
                origin: &host.origin,
                file,
                service_of: Some(name),
            });
        }
    }
    claims
}

/// Every host name of the platform: each cluster's zone apex, the OIDC issuer's and the
/// OTLP endpoint's (each claimed once, however many name it), then each
/// cluster's hosts, so that a clash is reported at the name a cluster chose.
fn all_claims(environments: &BTreeMap<EnvName, Environment>) -> Vec<Claim<'_>> {
    let mut claims = Vec::new();
    let mut issuers = HashSet::new();
    for env in environments.values() {
        if let Some(cluster) = &env.cluster {
            claims.push(Claim {
                host: cluster.zone.value.as_str(),
                what: What::Zone(&env.name),
                origin: &cluster.zone.origin,
                file: &env.file.path,
                service_of: None,
            });
        }
        // A second identity environment serving the same issuer is `single-issuer`'s to
        // report; the host is claimed once.
        if let Some(identity) = &env.identity
            && issuers.insert(identity.hostname.value.as_str())
        {
            claims.push(Claim {
                host: identity.hostname.value.as_str(),
                what: What::Issuer(&env.name),
                origin: &identity.hostname.origin,
                file: &env.file.path,
                service_of: None,
            });
        }
    }
    // The hosts the observability environment's services serve: its relay serves the
    // endpoint every cluster ships to, and its host claim is that one.
    let observability: HashSet<&str> = environments
        .values()
        .filter(|env| env.stage.value == Stage::Observability)
        .filter_map(|env| env.cluster.as_ref())
        .flat_map(|cluster| cluster.services.values())
        .filter_map(|service| Some(service.host()?.value.as_str()))
        .collect();
    let mut otlp = HashSet::new();
    for env in environments.values() {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        if let Some(endpoint) = &cluster.otlp_endpoint {
            let host = url_host(&endpoint.value);
            // The relay of managed observability serves its own cluster's endpoint.
            let own = cluster
                .services
                .values()
                .any(|service| service.host().is_some_and(|h| h.value.as_str() == host));
            let served = own || observability.contains(host);
            if !served && otlp.insert(host) {
                claims.push(Claim {
                    host,
                    what: What::OtlpEndpoint,
                    origin: &endpoint.origin,
                    file: &env.file.path,
                    service_of: None,
                });
            }
        }
    }
    for env in environments.values() {
        claims.extend(cluster_hosts(env));
    }
    claims
}

/// Reports every host name that two things claim, at the second; the rule `host-unique`.
pub fn check_unique(environments: &BTreeMap<EnvName, Environment>, problems: &mut Diagnostics) {
    let claims = all_claims(environments);
    // Tens of thousands of names on a large platform: hashed the fast way, the table sized
    // once.
    let mut first: FxHashMap<&str, &Claim> =
        FxHashMap::with_capacity_and_hasher(claims.len(), Default::default());
    for claim in &claims {
        let Some(earlier) = first.get(claim.host) else {
            first.insert(claim.host, claim);
            continue;
        };
        // A disaster-recovery twin serves its primary's public names, to take them over.
        if let (Some(a), Some(b)) = (claim.service_of, earlier.service_of)
            && twins(environments, a, b)
        {
            continue;
        }
        let mut diagnostic = Diagnostic::new(
            format!(
                "host name `{}` is {} and also {}",
                claim.host, claim.what, earlier.what
            ),
            claim.location(),
        )
        .with_label("already taken")
        .with_rule(RuleId::HostUnique)
        .with_help("every host name names one thing on the whole platform: write another one here, or change the naming pattern that makes both");
        if let Origin::File(span) = earlier.origin {
            diagnostic = diagnostic.with_related(span.clone(), earlier.what.to_string());
        }
        problems.push(diagnostic);
    }
}

/// Whether one of `a` and `b` is the other's disaster-recovery twin (`dr_of`).
fn twins(environments: &BTreeMap<EnvName, Environment>, a: &EnvName, b: &EnvName) -> bool {
    let twin_of = |x: &EnvName| {
        environments
            .get(x)
            .and_then(|env| env.dr_of.as_ref())
            .map(|twin| &twin.value)
    };
    twin_of(a) == Some(b) || twin_of(b) == Some(a)
}

/// Whether `host` is `zone` or a name under it.
pub fn in_zone(host: &str, zone: &str) -> bool {
    host == zone
        || host
            .strip_suffix(zone)
            .is_some_and(|label| label.ends_with('.'))
}

/// Whether `[[hosts.allow]]` lets `host` lie outside its zone.
pub fn allowed(allow: &[HostAllowance], host: &str) -> bool {
    allow.iter().any(|a| glob::matches(&a.host.value, host))
}

/// The host of a URL such as `https://otlp.example.com:4318/v1`.
pub fn url_host(url: &str) -> &str {
    // After the first `://`: found as a `:` that `//` follows, which a search for one
    // character finds faster than one for three.
    let mut rest = url;
    let mut from = 0;
    while let Some(colon) = url[from..].find(':').map(|i| from + i) {
        if url[colon + 1..].starts_with("//") {
            rest = &url[colon + 3..];
            break;
        }
        from = colon + 1;
    }
    rest.split(['/', ':']).next().unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_in_a_zone_when_it_is_the_zone_or_under_it() {
        assert!(in_zone("prod.example.com", "prod.example.com"));
        assert!(in_zone("k8s.prod.example.com", "prod.example.com"));
        assert!(!in_zone("preprod.example.com", "prod.example.com"));
        assert!(!in_zone("example.com", "prod.example.com"));
    }

    #[test]
    fn the_host_of_a_url_has_no_scheme_port_or_path() {
        assert_eq!(
            url_host("https://otlp.example.com:4318/v1"),
            "otlp.example.com"
        );
        assert_eq!(url_host("otlp.example.com"), "otlp.example.com");
        // As splitting at the first `://` does, on the cases its search for `:` must get
        // right: a `:` before the scheme's, one at the end, none.
        let split = |url: &'static str| {
            url.split_once("://")
                .map_or(url, |(_, rest)| rest)
                .split(['/', ':'])
                .next()
                .unwrap_or_default()
        };
        for url in [
            "a:b://c.example/d",
            "host:80",
            "x://",
            "x:",
            ":",
            "://h",
            "s:/x://h:1",
            "",
        ] {
            assert_eq!(url_host(url), split(url), "{url}");
        }
    }
}
