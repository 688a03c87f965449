//! How each path of an environment is compared: what kind of value lives there (must
//! match, scale, release, convention ...), and which of two sizes is larger.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::sync::OnceLock;

use crate::model::glob;
use crate::model::tree::Scalar;

/// Whether the candidate's value is larger: a bigger number, or a bigger size of the same
/// instance family (`m7g.large` < `m7g.xlarge` < `m7g.2xlarge`).
pub(super) fn larger(candidate: &Scalar, reference: &Scalar) -> bool {
    match (candidate, reference) {
        (Scalar::Integer(c), Scalar::Integer(r)) => c > r,
        (Scalar::String(c), Scalar::String(r)) => match (c.split_once('.'), r.split_once('.')) {
            (Some((cf, cs)), Some((rf, rs))) if cf == rf => {
                instance_size_rank(cs).cmp(&instance_size_rank(rs)) == Ordering::Greater
            }
            _ => false,
        },
        _ => false,
    }
}

/// The order of AWS instance sizes: nano < micro < small < medium < large < xlarge <
/// 2xlarge < ... < metal.
fn instance_size_rank(size: &str) -> u32 {
    match size {
        "nano" => 0,
        "micro" => 1,
        "small" => 2,
        "medium" => 3,
        "large" => 4,
        "xlarge" => 5,
        "metal" => 1_000,
        other => other
            .strip_suffix("xlarge")
            .and_then(|n| n.parse::<u32>().ok())
            .map_or(0, |n| 5 + n),
    }
}

/// How a path is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum PathKind {
    MustMatch,
    /// A service version, or a service's presence: has a direction.
    Release,
    Scale,
    /// A name made by a naming convention: differs only by name when both sides follow it.
    Convention,
    /// A fact that defines an environment (its stage, its account): differs by design.
    Fact,
    /// A VPC: each environment has its own range, of the same size.
    ConventionVpc,
    Free,
}

/// The kind of every path, first match wins. Paths made from another one (a role's group,
/// a service's image, the zones' names) are left out: their source is compared instead.
const PATH_KINDS: &[(&str, Option<PathKind>)] = &[
    ("description", Some(PathKind::Free)),
    ("stage", Some(PathKind::Fact)),
    ("account", Some(PathKind::Fact)),
    ("cluster.id", Some(PathKind::Convention)),
    ("cluster.name", Some(PathKind::Convention)),
    ("cluster.zone", Some(PathKind::Convention)),
    ("cluster.api_host", Some(PathKind::Convention)),
    ("cluster.trust_domain", Some(PathKind::Convention)),
    ("cluster.registry_host", Some(PathKind::Convention)),
    ("cluster.otlp_endpoint", Some(PathKind::Convention)),
    ("cluster.client_id", None),
    ("cluster.vpc", Some(PathKind::ConventionVpc)),
    ("cluster.availability_zones", None),
    ("tags.*", Some(PathKind::Convention)),
    ("pools.*.instance_type", Some(PathKind::Scale)),
    ("pools.*.size", Some(PathKind::Scale)),
    ("pools.*.disk_size", Some(PathKind::Scale)),
    ("access.*.group", None),
    ("access.*.members", None),
    ("services.*", Some(PathKind::Release)),
    ("services.*.version", Some(PathKind::Release)),
    ("services.*.replicas", Some(PathKind::Scale)),
    ("services.*.host", Some(PathKind::Convention)),
    ("services.*.image", None),
    ("services.*.secrets.*", Some(PathKind::Release)),
    ("observability.retention_days", Some(PathKind::Scale)),
    ("identity.client_secret_arn", Some(PathKind::Convention)),
    (
        "identity.signing_key_secret_arn",
        Some(PathKind::Convention),
    ),
    (
        "identity.encryption_key_secret_arn",
        Some(PathKind::Convention),
    ),
];

/// The kind of the path of `segments`; `None` for a path left out of the comparison.
/// Everything no entry names must match.
pub(super) fn kind_of(segments: &[&str]) -> Option<PathKind> {
    type Kinds = HashMap<&'static str, Vec<(Vec<&'static str>, Option<PathKind>)>>;
    static BY_FIRST_SEGMENT: OnceLock<Kinds> = OnceLock::new();
    let rules = BY_FIRST_SEGMENT.get_or_init(|| {
        let mut rules: Kinds = HashMap::new();
        for (pattern, rule) in PATH_KINDS {
            let pattern: Vec<&str> = pattern.split('.').collect();
            rules
                .entry(pattern[0])
                .or_default()
                .push((pattern[1..].to_vec(), *rule));
        }
        rules
    });
    let (first, rest) = segments.split_first()?;
    rules
        .get(first)
        .and_then(|candidates| {
            candidates
                .iter()
                .find(|(pattern, _)| glob::segments_match(pattern, rest))
        })
        .map_or(Some(PathKind::MustMatch), |(_, rule)| *rule)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instance_sizes_compare_within_a_family() {
        let s = |v: &'static str| Scalar::String(v.into());
        assert!(larger(&s("m7g.xlarge"), &s("m7g.large")));
        assert!(larger(&s("m7g.2xlarge"), &s("m7g.xlarge")));
        assert!(!larger(&s("m7g.medium"), &s("m7g.large")));
        assert!(
            !larger(&s("r7g.xlarge"), &s("m7g.large")),
            "another family is not comparable"
        );
        assert!(larger(&Scalar::Integer(3), &Scalar::Integer(2)));
    }

    #[test]
    fn every_path_has_a_kind() {
        let rule = |path: &str| kind_of(&path.split('.').collect::<Vec<_>>());
        assert_eq!(rule("services.hello.version"), Some(PathKind::Release));
        assert_eq!(rule("services.hello"), Some(PathKind::Release));
        assert_eq!(
            rule("services.hello.env.LOG_LEVEL"),
            Some(PathKind::MustMatch)
        );
        assert_eq!(rule("pools.ingress.size"), Some(PathKind::Scale));
        assert_eq!(rule("pools.ingress.arch"), Some(PathKind::MustMatch));
        assert_eq!(rule("cluster.acme.server"), Some(PathKind::MustMatch));
        assert_eq!(rule("tags.podplane:stage"), Some(PathKind::Convention));
        assert_eq!(rule("access.developers.group"), None);
    }
}
