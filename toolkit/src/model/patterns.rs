//! The shapes of the hand-written values, as the regular expressions the JSON Schemas of
//! `platform.toml` and `environment.toml` give an editor. Each mirrors the `parse` of a
//! validated type and accepts everything it accepts; the tests below hold them together.
//! What a pattern cannot say (a reserved name, an IP address, an instance type of the
//! other architecture) the loader still refuses.

/// [`super::names::Slug`]: lowercase letters, digits and single inner hyphens. Also the
/// names of teams, pools and services.
pub const LABEL: &str = r"^[a-z0-9]+(-[a-z0-9]+)*$";

/// [`super::names::ClusterId`]'s shape; it is at most 32 characters.
pub const CLUSTER_ID: &str = r"^[a-z0-9]+(-[a-z0-9]+)*$";

/// [`super::names::DnsName`]: lowercase labels of at most 63 characters, joined by dots.
pub const DNS_NAME: &str =
    r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$";

/// [`super::values::HostPattern`]: a DNS name in which `*` may stand for letters.
pub const HOST_PATTERN: &str =
    r"^[a-z0-9*]([a-z0-9*-]{0,61}[a-z0-9*])?(\.[a-z0-9*]([a-z0-9*-]{0,61}[a-z0-9*])?)*$";

/// [`super::names::Account`]: 12 digits, or a placeholder.
pub const ACCOUNT: &str = r"^([0-9]{12}|<[a-z0-9-]+>)$";

/// [`super::names::Region`]: `eu-west-1`.
pub const REGION: &str = r"^[a-z]{2}(-[a-z0-9]+)+-[1-9][0-9]*$";

/// [`super::network::parse_vpc`]: an IPv4 network from /16 to /20.
pub const VPC: &str = r"^((25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])/(1[6-9]|20)$";

/// [`super::values::Email`], or a placeholder.
pub const EMAIL: &str = r"^(<[a-z0-9-]+>|[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,})$";

/// [`super::values::InstanceType`]: `m7g.large`.
pub const INSTANCE_TYPE: &str = r"^[a-z0-9-]+\.[a-z0-9.-]+$";

/// [`super::values::ServiceVersion`]: a semver version without build metadata.
pub const SERVICE_VERSION: &str =
    r"^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$";

/// [`super::values::SeedVersion`]: `v1.2.3-1`.
pub const SEED_VERSION: &str = r"^v.";

/// [`super::values::SeedDigest`]: `sha512:` and 128 lowercase hex digits, or a placeholder.
pub const SEED_DIGEST: &str = r"^(sha512:[0-9a-f]{128}|<[a-z0-9-]+>)$";

/// [`super::values::GitUrl`].
pub const GIT_URL: &str = r"^(https://|ssh://|git@)";

/// [`super::values::AcmeDirectory`].
pub const HTTPS_URL: &str = r"^https://";

/// [`super::values::SecretArn`].
pub const SECRET_ARN: &str = r"^arn:aws:secretsmanager:";

/// [`super::values::TreePath`]: dotted segments, none empty.
pub const TREE_PATH: &str = r"^[^.]+(\.[^.]+)*$";

/// [`super::values::is_env_var_name`].
pub const ENV_VAR: &str = r"^[A-Za-z_][A-Za-z0-9_]*$";

/// [`super::pins::is_action_name`]: `owner/repository`, maybe with a path.
pub const ACTION: &str = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)+$";

/// [`super::pins::is_version`].
pub const TOOL_VERSION: &str = r"^[A-Za-z0-9._+-]{1,64}$";

/// [`super::pins::is_commit_sha`].
pub const COMMIT_SHA: &str = r"^[0-9a-f]{40}$";

/// [`super::pins::is_image_by_digest`]: `HOST/PATH:TAG@sha256:DIGEST`.
pub const IMAGE_BY_DIGEST: &str = r"^[a-z0-9]+([.-][a-z0-9]+)*(:[0-9]{1,5})?(/[a-z0-9]+([._-][a-z0-9]+)*)+:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}@sha256:[0-9a-f]{64}$";

/// [`super::values::SecretKey`]: lowercase letters, digits and single hyphens, at most 63.
pub const SECRET_KEY: &str = r"^[a-z0-9]([a-z0-9]|-[a-z0-9]){0,62}$";

/// [`super::ci::GithubRepository`]: `owner/name` as GitHub spells them.
pub const GITHUB_REPOSITORY: &str =
    r"^[A-Za-z0-9]([A-Za-z0-9]|-[A-Za-z0-9]){0,38}/[A-Za-z0-9_.-]{1,100}$";

/// [`super::ci::GithubId`]: GitHub's numeric id of an owner or a repository, or a
/// placeholder.
pub const GITHUB_ID: &str = r"^([1-9][0-9]{0,19}|<[a-z0-9-]+>)$";

/// [`super::ci::BuildkiteSlug`]: the slug of a Buildkite organisation or pipeline, or
/// a placeholder.
pub const BUILDKITE_SLUG: &str = r"^([a-z0-9]([a-z0-9]|-[a-z0-9]){0,99}|<[a-z0-9-]+>)$";

/// [`super::ci::BuildkiteUuid`]: Buildkite's id of an organisation or a pipeline (a
/// lowercase UUID), or a placeholder.
pub const BUILDKITE_UUID: &str =
    r"^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|<[a-z0-9-]+>)$";

/// [`super::values::Reason`]: anything but blank.
pub const NOT_BLANK: &str = r"\S";

/// A hosted provider's OTLP/HTTP endpoint ([`super::telemetry::OtlpEndpoint`]; the host is
/// left to the loader).
pub const OTLP_ENDPOINT: &str =
    r"^(https://[a-z0-9.-]+(:[0-9]{1,5})?(/[A-Za-z0-9._~-]*)*|<[a-z0-9-]+>)$";

/// A managed observability provider's name ([`super::telemetry::ProviderName`]).
pub const PROVIDER_NAME: &str = r"^([a-z0-9]+(-[a-z0-9]+)*|<[a-z0-9-]+>)$";

/// An HTTP header name ([`super::telemetry::HeaderName`]).
pub const HEADER_NAME: &str = r"^[A-Za-z0-9-]{1,64}$";

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::ci::{BuildkiteSlug, BuildkiteUuid, GithubId, GithubRepository};
    use crate::model::names::{Account, ClusterId, DnsName, Region, Slug};
    use crate::model::telemetry::{HeaderName, OtlpEndpoint, ProviderName};
    use crate::model::values::{
        AcmeDirectory, Email, GitUrl, HostPattern, InstanceType, Reason, SecretArn, SecretKey,
        SeedDigest, SeedVersion, ServiceVersion, TreePath, is_env_var_name,
    };
    use crate::model::{Arch, network, pins};

    /// The pattern as a JSON Schema validator applies it (an ECMA 262 regular expression,
    /// unanchored unless it says otherwise).
    fn validator(pattern: &str) -> jsonschema::Validator {
        jsonschema::validator_for(&serde_json::json!({ "pattern": pattern }))
            .expect("the pattern compiles")
    }

    fn matches(pattern: &str, text: &str) -> bool {
        validator(pattern).is_valid(&text.into())
    }

    /// What a pattern stands for: the validated type's `parse`, and whether the pattern
    /// says exactly that (or only part of it, the rest left to the loader).
    type Case = (&'static str, &'static str, bool, fn(&str) -> bool);

    fn cases() -> Vec<Case> {
        vec![
            ("LABEL", LABEL, true, |t| Slug::parse(t).is_ok()),
            ("CLUSTER_ID", CLUSTER_ID, false, |t| {
                ClusterId::parse(t).is_ok()
            }),
            ("DNS_NAME", DNS_NAME, false, |t| DnsName::parse(t).is_ok()),
            ("HOST_PATTERN", HOST_PATTERN, false, |t| {
                HostPattern::parse(t).is_ok()
            }),
            ("ACCOUNT", ACCOUNT, true, |t| Account::parse(t).is_ok()),
            ("REGION", REGION, true, |t| Region::parse(t).is_ok()),
            ("VPC", VPC, false, |t| network::parse_vpc(t).is_ok()),
            ("EMAIL", EMAIL, true, |t| Email::parse(t).is_ok()),
            ("INSTANCE_TYPE", INSTANCE_TYPE, false, |t| {
                InstanceType::parse(t, Arch::Amd64).is_ok()
                    || InstanceType::parse(t, Arch::Arm64).is_ok()
            }),
            ("SERVICE_VERSION", SERVICE_VERSION, false, |t| {
                ServiceVersion::parse(t).is_ok()
            }),
            ("SEED_VERSION", SEED_VERSION, true, |t| {
                SeedVersion::parse(t).is_ok()
            }),
            ("SEED_DIGEST", SEED_DIGEST, true, |t| {
                SeedDigest::parse(t).is_ok()
            }),
            ("GIT_URL", GIT_URL, true, |t| GitUrl::parse(t).is_ok()),
            ("HTTPS_URL", HTTPS_URL, true, |t| {
                AcmeDirectory::parse(t).is_ok()
            }),
            ("SECRET_ARN", SECRET_ARN, true, |t| {
                SecretArn::parse(t).is_ok()
            }),
            ("TREE_PATH", TREE_PATH, true, |t| TreePath::parse(t).is_ok()),
            ("ENV_VAR", ENV_VAR, true, is_env_var_name),
            ("NOT_BLANK", NOT_BLANK, true, |t| Reason::parse(t).is_some()),
            ("ACTION", ACTION, true, pins::is_action_name),
            ("COMMIT_SHA", COMMIT_SHA, true, pins::is_commit_sha),
            ("TOOL_VERSION", TOOL_VERSION, true, pins::is_version),
            (
                "IMAGE_BY_DIGEST",
                IMAGE_BY_DIGEST,
                true,
                pins::is_image_by_digest,
            ),
            ("SECRET_KEY", SECRET_KEY, true, |t| {
                SecretKey::parse(t).is_ok()
            }),
            ("GITHUB_REPOSITORY", GITHUB_REPOSITORY, true, |t| {
                GithubRepository::parse(t).is_ok()
            }),
            ("GITHUB_ID", GITHUB_ID, true, |t| GithubId::parse(t).is_ok()),
            ("BUILDKITE_SLUG", BUILDKITE_SLUG, true, |t| {
                BuildkiteSlug::parse(t).is_ok()
            }),
            ("BUILDKITE_UUID", BUILDKITE_UUID, true, |t| {
                BuildkiteUuid::parse(t).is_ok()
            }),
            ("OTLP_ENDPOINT", OTLP_ENDPOINT, false, |t| {
                OtlpEndpoint::parse(t).is_ok()
            }),
            ("HEADER_NAME", HEADER_NAME, true, |t| {
                HeaderName::parse(t).is_ok()
            }),
            ("PROVIDER_NAME", PROVIDER_NAME, true, |t| {
                ProviderName::parse(t).is_ok()
            }),
        ]
    }

    /// Values each pattern must take, from the reference docs and the shipped files.
    #[test]
    fn the_documented_values_match() {
        for (pattern, text) in [
            (LABEL, "example"),
            (CLUSTER_ID, "example-prod"),
            (DNS_NAME, "prod.example.dev"),
            (HOST_PATTERN, "*.example.com"),
            (ACCOUNT, "123456789012"),
            (ACCOUNT, "<production-account-id>"),
            (REGION, "eu-west-1"),
            (REGION, "us-gov-east-1"),
            (VPC, "10.30.0.0/16"),
            (EMAIL, "ada@example.dev"),
            (INSTANCE_TYPE, "m7g.large"),
            (SERVICE_VERSION, "1.4.0-rc.1"),
            (SEED_VERSION, "v1.2.3-1"),
            (SEED_DIGEST, &format!("sha512:{}", "ab".repeat(64))),
            (GIT_URL, "git@github.com:example/charts.git"),
            (
                OTLP_ENDPOINT,
                "https://otlp-gateway-prod-eu-west-2.grafana.net/otlp",
            ),
            (HEADER_NAME, "Authorization"),
            (OTLP_ENDPOINT, "<otlp-endpoint>"),
            (PROVIDER_NAME, "grafana-cloud"),
            (SECRET_ARN, "arn:aws:secretsmanager:eu-west-1:1:secret:x"),
            (TREE_PATH, "services.*.env.REGION"),
            (ENV_VAR, "LOG_LEVEL"),
            (ACTION, "actions/checkout"),
            (COMMIT_SHA, "08eba0b27e820071cde6df949e0beb9ba4906955"),
            (
                IMAGE_BY_DIGEST,
                "ghcr.io/actions/actions-runner:2.337.0@sha256:e5496277be5d09bc968b3d64911b74e219ac4a3f2edce956a3ecf9271bea1ef4",
            ),
            (
                IMAGE_BY_DIGEST,
                "registry.local:5000/a_b/c-d:1@sha256:0000000000000000000000000000000000000000000000000000000000000000",
            ),
            (SECRET_KEY, "database-url"),
            (GITHUB_REPOSITORY, "acme/platform"),
            (GITHUB_ID, "123456"),
            (GITHUB_ID, "<repository-id>"),
            (BUILDKITE_SLUG, "acme-inc"),
            (BUILDKITE_UUID, "0184990a-477b-4fa8-9968-496074483cee"),
            (BUILDKITE_UUID, "<pipeline-id>"),
        ] {
            assert!(matches(pattern, text), "{pattern} refuses {text}");
        }
    }

    /// Every pattern accepts what its type accepts; an exact one refuses what it refuses.
    /// The strings are drawn from the characters these values are made of, and around.
    #[test]
    fn each_pattern_agrees_with_its_parse() {
        let strategy = prop_oneof![
            "[a-z0-9.*<>:/@_ -]{0,24}",
            "[a-zA-Z0-9.+-]{1,12}",
            "(sha512:)?[0-9a-fA-F]{126,129}",
            "[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}\\.[0-9]{1,3}/[0-9]{1,2}",
            "(https://|ssh://|git@|arn:aws:secretsmanager:|v|<)[a-z0-9.-]{0,8}>?",
            "[a-z]{1,3}(-[a-z0-9]{1,5}){1,3}-[0-9]{1,2}",
            "[0-9]{11,13}",
            "[A-Za-z0-9-]{0,6}/[A-Za-z0-9_.-]{0,6}",
            "0?[0-9]{1,21}",
            "[0-9a-fA-F]{39,41}",
            "[A-Za-z0-9_./-]{0,20}",
            "(0|[1-9])\\.[0-9]{1,2}\\.[0-9]{1,2}(-[a-z0-9.]{0,5})?(\\+[a-z0-9]{1,3})?",
            "[a-z0-9.:_-]{1,8}(/[a-zA-Z0-9._-]{0,5}){1,2}(:[A-Za-z0-9._-]{0,5})?@sha256:[0-9a-f]{63,65}",
        ];
        let cases: Vec<_> = cases()
            .into_iter()
            .map(|(name, pattern, exact, parse)| (name, validator(pattern), exact, parse))
            .collect();
        // A fixed seed: every run, in CI too, tries the same inputs.
        let config = ProptestConfig::with_cases(2_000);
        let mut runner = proptest::test_runner::TestRunner::new_with_rng(
            config,
            proptest::test_runner::TestRng::deterministic_rng(
                proptest::test_runner::RngAlgorithm::ChaCha,
            ),
        );
        let outcome = runner.run(&strategy, |text| {
            for (name, pattern, exact, parse) in &cases {
                let accepted = parse(&text);
                let matched = pattern.is_valid(&text.as_str().into());
                if accepted {
                    prop_assert!(
                        matched,
                        "{} refuses `{}`, which the loader takes",
                        name,
                        text
                    );
                } else if *exact {
                    prop_assert!(
                        !matched,
                        "{} takes `{}`, which the loader refuses",
                        name,
                        text
                    );
                }
            }
            Ok(())
        });
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }
}
