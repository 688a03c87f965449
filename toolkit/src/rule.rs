//! The rules of `cargo xtask check`, by id: the closed set that every layer may name, the
//! levels `[checks]` gives them, and the shape of a rule's documentation. This module
//! depends on nothing else in the crate. What a rule says, and how it is found, live
//! together beside its check: one file per rule under `checks/`, or in `model` for the
//! rules found while loading.

use std::fmt;
use std::sync::OnceLock;

use serde::Deserialize;

macro_rules! rule_ids {
    ($($(#[$meta:meta])* $variant:ident = $text:literal,)+) => {
        /// A rule of `check`, as `[checks]`, `explain` and every finding name it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum RuleId {
            $($(#[$meta])* $variant,)+
            /// A rule of the organisation's own, which its `xtask` gives the toolkit
            /// ([`crate::Toolkit::rule`]); the text is its id.
            Org(&'static str),
        }

        impl RuleId {
            /// Every rule of the toolkit, in the order `explain` and `docs/checks.md` list
            /// them; the organisation's own follow.
            pub const ALL: &[RuleId] = &[$(RuleId::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(RuleId::$variant => $text,)+
                    RuleId::Org(id) => id,
                }
            }
        }
    };
}

rule_ids! {
    /// The files parse and validate.
    Schema = "schema",
    ProdSeparateAccount = "prod-separate-account",
    ProdAccessNarrower = "prod-access-narrower",
    DrTwin = "dr-twin",
    TelemetryToObservability = "telemetry-to-observability",
    ObservabilityMonitored = "observability-monitored",
    ObservabilityAccessSeparate = "observability-access-separate",
    CiOutsideProd = "ci-outside-prod",
    SingleIssuer = "single-issuer",
    CiTrusted = "ci-trusted",
    VpcNoOverlap = "vpc-no-overlap",
    HostUnique = "host-unique",
    HostInZone = "host-in-zone",
    InstanceArchUnchecked = "instance-arch-unchecked",
    NoSecretValues = "no-secret-values",
    StagedBeforeProd = "staged-before-prod",
    ServiceVersionBumped = "service-version-bumped",
    VersionKnown = "version-known",
    LockCurrent = "lock-current",
    BaseImagesPinned = "base-images-pinned",
    NamingConvention = "naming-convention",
    Placeholder = "placeholder",
    Parity = "parity",
    /// The one rule that reads the repository's files rather than the model.
    GeneratedFresh = "generated-fresh",
}

/// The ids of the organisation's own rules, given once, before any command runs.
static ORG_RULES: OnceLock<Vec<&'static str>> = OnceLock::new();

impl RuleId {
    /// The rule with this id: one of the toolkit's, or of the organisation's own.
    pub fn parse(id: &str) -> Option<RuleId> {
        RuleId::ALL
            .iter()
            .copied()
            .find(|rule| rule.as_str() == id)
            .or_else(|| {
                RuleId::org()
                    .iter()
                    .find(|org| **org == id)
                    .map(|org| RuleId::Org(org))
            })
    }

    /// Every rule id, for messages that list the valid ones.
    pub fn names() -> Vec<&'static str> {
        RuleId::ALL
            .iter()
            .map(|rule| rule.as_str())
            .chain(RuleId::org().iter().copied())
            .collect()
    }

    /// The ids of the organisation's own rules, in the order it gave them.
    pub fn org() -> &'static [&'static str] {
        ORG_RULES.get().map_or(&[], Vec::as_slice)
    }

    /// Makes `ids` the organisation's own rules, for the life of the program. Each must be a
    /// lowercase slug (letters, digits, single hyphens), not one of the toolkit's ids, and
    /// given once; the error says which is not.
    pub fn set_org(ids: Vec<&'static str>) -> Result<(), String> {
        for (at, id) in ids.iter().enumerate() {
            let slug = !id.is_empty()
                && id
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                && !id.starts_with('-')
                && !id.ends_with('-')
                && !id.contains("--");
            if !slug {
                return Err(format!(
                    "the rule id `{id}` is not a lowercase slug such as `cost-centre-tagged`"
                ));
            }
            if RuleId::ALL.iter().any(|rule| rule.as_str() == *id) {
                return Err(format!("the rule id `{id}` is one of the toolkit's own"));
            }
            if ids[..at].contains(id) {
                return Err(format!("the rule id `{id}` is given twice"));
            }
        }
        ORG_RULES
            .set(ids)
            .map_err(|_| "the organisation's rules are given once".to_owned())
    }

    /// Whether the rule's problems are found while the platform loads. Nothing can be
    /// resolved past them, so `[checks]` cannot lower such a rule.
    pub fn found_while_loading(self) -> bool {
        matches!(
            self,
            RuleId::Schema | RuleId::VpcNoOverlap | RuleId::HostUnique
        )
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How much a rule's findings matter, as clippy's lint levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum RuleLevel {
    Allow,
    Warn,
    Deny,
}

impl RuleLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            RuleLevel::Allow => "allow",
            RuleLevel::Warn => "warn",
            RuleLevel::Deny => "deny",
        }
    }
}

impl fmt::Display for RuleLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What a rule is for: its id, default level, a one-line summary, and the explanation
/// `cargo xtask explain` prints (the reasoning of the topology guide).
#[derive(Debug)]
pub struct RuleDoc {
    pub id: RuleId,
    pub default: RuleLevel,
    pub summary: &'static str,
    pub explanation: &'static str,
}

#[cfg(test)]
mod tests {
    use super::RuleId;

    #[test]
    fn every_id_parses_back_and_is_a_lowercase_slug() {
        for &rule in RuleId::ALL {
            assert_eq!(RuleId::parse(rule.as_str()), Some(rule));
            assert!(
                rule.as_str()
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b == b'-'),
                "{rule}"
            );
        }
        assert_eq!(RuleId::parse("no-such-rule"), None);
    }

    #[test]
    fn only_the_rules_found_while_loading_are_fixed_at_deny() {
        let fixed: Vec<&str> = RuleId::ALL
            .iter()
            .filter(|rule| rule.found_while_loading())
            .map(|rule| rule.as_str())
            .collect();
        assert_eq!(fixed, ["schema", "vpc-no-overlap", "host-unique"]);
    }
}
