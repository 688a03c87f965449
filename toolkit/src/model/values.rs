//! Validated values that are not names: each type can only hold a value its consumer
//! accepts (Podplane, AWS, an OCI registry, a shell), so resolution parses once and
//! nothing downstream checks again. Names (environments, cluster ids, DNS names) are in
//! `names`.
//!
//! Every constructor returns the reason a value is invalid, written to be shown to a
//! person, with the form a valid value takes.

use cargo_metadata::semver;

use super::Arch;
use super::names::{DnsName, is_placeholder};
use super::network;

/// An email address as the OIDC issuer and the ACME account use it: `name@host.tld`,
/// or a placeholder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);
string_newtype!(Email);

impl Email {
    /// An address of the shape the issuer (Truster) accepts in its group mappings:
    /// `local@domain.tld` in ASCII letters, digits and `._%+-`, with a top-level label of
    /// at least two letters; or a placeholder.
    pub fn parse(text: &str) -> Result<Email, String> {
        let local_ok = |local: &str| {
            !local.is_empty()
                && local
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._%+-".contains(&b))
        };
        let domain_ok = |domain: &str| {
            domain.rsplit_once('.').is_some_and(|(rest, tld)| {
                !rest.is_empty()
                    && rest
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b".-".contains(&b))
                    && tld.len() >= 2
                    && tld.bytes().all(|b| b.is_ascii_alphabetic())
            })
        };
        let valid = is_placeholder(text)
            || text
                .split_once('@')
                .is_some_and(|(local, domain)| local_ok(local) && domain_ok(domain));
        if valid {
            Ok(Email(text.to_owned()))
        } else {
            Err(format!(
                "`{}` is not an email address the issuer accepts: write it as name@example.com (ASCII letters, digits and `._%+-` before the `@`)",
                text.escape_debug()
            ))
        }
    }
}

/// The name of a secret a service reads: a key of Podplane's default secrets provider,
/// mounted at `/var/run/podplane/secrets/<key>`. Lowercase letters, digits and single
/// hyphens, at most 63 characters, as Podplane's examples name them (`database-url`): a
/// file name, a path segment of the provider's backend, and one shell word.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SecretKey(String);
string_newtype!(SecretKey);

impl SecretKey {
    pub fn parse(text: &str) -> Result<SecretKey, String> {
        let valid = (1..=63).contains(&text.len())
            && text
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !text.starts_with('-')
            && !text.ends_with('-')
            && !text.contains("--");
        if valid {
            Ok(SecretKey(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a secret name: use lowercase letters, digits and single hyphens, at most 63, such as \"database-url\""
            ))
        }
    }

    /// Where the secret's file is in the service's containers.
    pub fn mount_path(&self) -> String {
        format!("/var/run/podplane/secrets/{}", self.0)
    }
}

/// Whether `text` can be written into a generated file as one line of text (a comment, a
/// Markdown heading or table cell, a YAML or HCL scalar): it holds no line break and no
/// control character, which could start a line of its own there. The reason when not.
pub fn one_line(text: &str) -> Result<(), String> {
    match text
        .chars()
        .find(|c| c.is_control() || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        None => Ok(()),
        Some(c) => Err(format!(
            "this text holds {}, and it is written into generated files, where it would start a line of its own: write it on one line, without control characters",
            match c {
                '\n' | '\r' | '\u{2028}' | '\u{2029}' => "a line break".to_owned(),
                '\t' => "a tab".to_owned(),
                other => format!("the control character U+{:04X}", u32::from(other)),
            }
        )),
    }
}

/// Why an exception is safe: required, and not blank.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reason(String);
string_newtype!(Reason);

impl Reason {
    /// `None` for a blank reason, or one that is not one line (it is printed in tables and
    /// reports); the caller says what the reason should explain.
    pub fn parse(text: &str) -> Option<Reason> {
        (!text.trim().is_empty() && one_line(text).is_ok()).then(|| Reason(text.to_owned()))
    }
}

/// A dotted path into an environment's values, or a glob of one, as allowances name
/// them: `services.*.version`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreePath(String);
string_newtype!(TreePath);

impl TreePath {
    pub fn parse(text: &str) -> Result<TreePath, String> {
        if !text.is_empty() && text.split('.').all(|segment| !segment.is_empty()) {
            Ok(TreePath(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a path: write dotted keys such as `services.*.version`"
            ))
        }
    }
}

/// A host name, or a glob of host names (`*.example.com`), that `[[hosts.allow]]`
/// lets lie outside its zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostPattern(String);
string_newtype!(HostPattern);

impl HostPattern {
    pub fn parse(text: &str) -> Result<HostPattern, String> {
        DnsName::parse(&text.replace('*', "x"))
            .map(|_| HostPattern(text.to_owned()))
            .map_err(|reason| {
                format!("{reason}; write a host name, or a glob such as `*.example.com`")
            })
    }
}

/// How many availability zones a cluster spans: 1 to 6.
pub fn zone_count(n: u8) -> Result<u8, String> {
    if (1..=6).contains(&n) {
        Ok(n)
    } else {
        Err(format!(
            "zones = {n}: a cluster spans 1 to 6 availability zones"
        ))
    }
}

/// An EC2 instance type (`m7g.large`) whose architecture, when its name tells it,
/// is its pool's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InstanceType(String);
string_newtype!(InstanceType);

impl InstanceType {
    pub fn parse(text: &str, arch: Arch) -> Result<InstanceType, String> {
        let valid = text.split_once('.').is_some_and(|(family, size)| {
            !family.is_empty()
                && !size.is_empty()
                && text
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-')
        });
        if !valid {
            return Err(format!(
                "`{text}` is not an instance type: write it as \"m7g.large\""
            ));
        }
        match network::instance_arch(text) {
            Some(runs) if runs != arch => Err(format!(
                "`{text}` runs {runs}, but the pool's arch is {arch}: use a {arch} instance type (Graviton families such as `m7g` are arm64; `m7i` and `m7a` are amd64), or change `arch`"
            )),
            _ => Ok(InstanceType(text.to_owned())),
        }
    }
}

/// The ACME directory a cluster's certificates come from: an https:// URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcmeDirectory(String);
string_newtype!(AcmeDirectory);

impl AcmeDirectory {
    pub fn parse(text: &str) -> Result<AcmeDirectory, String> {
        if text.starts_with("https://") {
            Ok(AcmeDirectory(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not an ACME directory URL: write it as \"https://acme-v02.api.letsencrypt.org/directory\""
            ))
        }
    }
}

/// A git repository URL: `https://`, `ssh://` or `git@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitUrl(String);
string_newtype!(GitUrl);

impl GitUrl {
    pub fn parse(text: &str) -> Result<GitUrl, String> {
        if ["https://", "ssh://", "git@"]
            .iter()
            .any(|scheme| text.starts_with(scheme))
        {
            Ok(GitUrl(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a git repository URL: write it as \"https://github.com/org/components.git\""
            ))
        }
    }
}

/// A semver range of the platform components (`^1.2.3`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRange(String);
string_newtype!(VersionRange);

impl VersionRange {
    pub fn parse(text: &str) -> Result<VersionRange, String> {
        semver::VersionReq::parse(text)
            .map(|_| VersionRange(text.to_owned()))
            .map_err(|e| format!("`{text}` is not a semver range ({e}): write it as \"^1.2.3\""))
    }
}

/// A release of Podplane's seed: `v` and a version (`v1.4.0-2`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedVersion(String);
string_newtype!(SeedVersion);

impl SeedVersion {
    pub fn parse(text: &str) -> Result<SeedVersion, String> {
        if text.starts_with('v') && text.len() > 1 {
            Ok(SeedVersion(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a seed release: write it as \"v1.2.3-1\""
            ))
        }
    }
}

/// The digest Podplane pins a seed release by: `sha512:` and 128 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedDigest(String);
string_newtype!(SeedDigest);

impl SeedDigest {
    pub fn parse(text: &str) -> Result<SeedDigest, String> {
        let hex = text.strip_prefix("sha512:").unwrap_or("");
        let digest = hex.len() == 128
            && hex
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase());
        if digest || is_placeholder(text) {
            Ok(SeedDigest(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a seed digest: write `sha512:` and 128 lowercase hex digits"
            ))
        }
    }

    /// The digest as Podplane's cluster file takes it. A placeholder becomes a digest of
    /// zeros, which the file's schema accepts and no seed file has: Podplane verifies the
    /// seed against it before it creates anything, so a cluster cannot start from an
    /// unverified seed while the placeholder stays.
    pub fn for_podplane(&self) -> String {
        if is_placeholder(&self.0) {
            format!("sha512:{}", "0".repeat(128))
        } else {
            self.0.clone()
        }
    }
}

/// A service's version: a semver version that can tag an OCI image (no `+build`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServiceVersion(String);
string_newtype!(ServiceVersion);

impl ServiceVersion {
    pub fn parse(text: &str) -> Result<ServiceVersion, String> {
        let version = semver::Version::parse(text).map_err(|e| {
            format!("`{text}` is not a semver version ({e}): write it as \"1.2.3\"")
        })?;
        if version.build.is_empty() {
            Ok(ServiceVersion(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` cannot tag an image: an OCI tag has no `+`; drop the build metadata (`{}`) or write it as a pre-release, such as `{}-{}`",
                version.build,
                semver::Version::new(version.major, version.minor, version.patch),
                version.build.as_str().replace('+', ".")
            ))
        }
    }
}

/// Whether `name` is an environment variable's name: letters, digits and underscores,
/// not starting with a digit.
pub fn is_env_var_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The ARN of an AWS Secrets Manager secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretArn(String);
string_newtype!(SecretArn);

impl SecretArn {
    pub fn parse(text: &str) -> Result<SecretArn, String> {
        if text.starts_with("arn:aws:secretsmanager:") {
            Ok(SecretArn(text.to_owned()))
        } else {
            Err(format!(
                "`{text}` is not a Secrets Manager ARN: write it as \"arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME\""
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_what_the_issuer_accepts() {
        for good in [
            "ada@initech.test",
            "a.b+ops@x-y.example.io",
            "<developer-email>",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ada",
            "@initech.test",
            "ada@localhost",
            "ada @initech.test",
            "ada|x@initech.test",
            "ada@initech.t",
            "ada@initech.123",
            "ada\n@initech.test",
        ] {
            let err = Email::parse(bad).unwrap_err();
            assert!(
                err.contains("is not an email address the issuer accepts"),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn one_line_refuses_what_would_start_a_line() {
        assert_eq!(one_line("Initech Staging: the ops' cluster | 2"), Ok(()));
        for (bad, said) in [
            ("a\nb", "a line break"),
            ("a\rb", "a line break"),
            ("a\u{2028}b", "a line break"),
            ("a\tb", "a tab"),
            ("a\u{0}b", "U+0000"),
        ] {
            assert!(one_line(bad).unwrap_err().contains(said), "{bad:?}");
        }
    }

    #[test]
    fn a_reason_is_not_blank() {
        assert_eq!(Reason::parse("  \t").map(|r| r.to_string()), None);
        assert_eq!(
            Reason::parse("staging uses the ACME staging directory").as_deref(),
            Some("staging uses the ACME staging directory")
        );
    }

    #[test]
    fn tree_paths_are_dotted_keys_without_empty_segments() {
        assert!(TreePath::parse("services.*.version").is_ok());
        for bad in ["", ".a", "a..b", "a."] {
            assert!(TreePath::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn host_patterns_are_host_names_with_globs() {
        assert!(HostPattern::parse("*.example.com").is_ok());
        assert!(HostPattern::parse("shop.example.com").is_ok());
        let err = HostPattern::parse("Shop!.example.com").unwrap_err();
        assert!(
            err.ends_with("; write a host name, or a glob such as `*.example.com`"),
            "{err}"
        );
    }

    #[test]
    fn a_cluster_spans_one_to_six_zones() {
        assert_eq!(zone_count(1), Ok(1));
        assert_eq!(zone_count(6), Ok(6));
        assert!(zone_count(0).is_err());
        assert_eq!(
            zone_count(7),
            Err("zones = 7: a cluster spans 1 to 6 availability zones".to_owned())
        );
    }

    #[test]
    fn instance_types_have_a_family_and_a_size_and_run_the_pools_arch() {
        assert!(InstanceType::parse("m7g.large", Arch::Arm64).is_ok());
        assert!(InstanceType::parse("m7i.large", Arch::Amd64).is_ok());
        // Names that do not tell their architecture are taken as written.
        assert!(InstanceType::parse("mac2.metal", Arch::Arm64).is_ok());
        assert_eq!(
            InstanceType::parse("m7glarge", Arch::Arm64),
            Err("`m7glarge` is not an instance type: write it as \"m7g.large\"".to_owned())
        );
        let err = InstanceType::parse("m7g.large", Arch::Amd64).unwrap_err();
        assert!(
            err.starts_with("`m7g.large` runs arm64, but the pool's arch is amd64"),
            "{err}"
        );
    }

    #[test]
    fn urls_name_their_scheme() {
        assert!(AcmeDirectory::parse("https://acme.example/directory").is_ok());
        assert!(AcmeDirectory::parse("http://acme.example/directory").is_err());
        for url in [
            "https://github.com/o/c.git",
            "ssh://git@host/c.git",
            "git@github.com:o/c.git",
        ] {
            assert!(GitUrl::parse(url).is_ok(), "{url}");
        }
        assert!(GitUrl::parse("github.com/o/c").is_err());
    }

    #[test]
    fn versions_are_semver_and_tag_images() {
        assert!(VersionRange::parse("^1.2.3").is_ok());
        assert!(VersionRange::parse("one").is_err());
        assert!(ServiceVersion::parse("1.2.3-rc.1").is_ok());
        assert!(ServiceVersion::parse("1.2").is_err());
        let err = ServiceVersion::parse("1.2.3+build.5").unwrap_err();
        assert!(err.contains("such as `1.2.3-build.5`"), "{err}");
    }

    #[test]
    fn seeds_are_pinned_by_release_and_lowercase_sha512() {
        assert!(SeedVersion::parse("v1.4.0-2").is_ok());
        assert!(SeedVersion::parse("1.4.0").is_err());
        assert!(SeedVersion::parse("v").is_err());
        let digest = format!("sha512:{}", "0a".repeat(64));
        assert!(SeedDigest::parse(&digest).is_ok());
        assert!(SeedDigest::parse(&digest.to_uppercase().replace("SHA512", "sha512")).is_err());
        assert!(SeedDigest::parse(&digest[..digest.len() - 2]).is_err());
    }

    #[test]
    fn placeholders_are_slugs_in_angle_brackets_and_fill_typed_values() {
        for good in ["<production-account-id>", "<a>", "<seed-digest-v2>"] {
            assert!(is_placeholder(good), "{good}");
        }
        for bad in ["<>", "production", "<Production>", "<a b>", "<a>b", "a<b>"] {
            assert!(!is_placeholder(bad), "{bad}");
        }
        assert!(Email::parse("<admin-email>").is_ok());
        let digest = SeedDigest::parse("<seed-digest>").unwrap();
        assert_eq!(digest.for_podplane(), format!("sha512:{}", "0".repeat(128)));
        assert!(SeedDigest::parse(&digest.for_podplane()).is_ok());
    }

    #[test]
    fn env_var_names_and_secret_arns() {
        assert!(is_env_var_name("LOG_LEVEL"));
        assert!(is_env_var_name("_X1"));
        for bad in ["", "1X", "LOG-LEVEL", "A B"] {
            assert!(!is_env_var_name(bad), "{bad}");
        }
        assert!(SecretArn::parse("arn:aws:secretsmanager:us-east-2:1:secret:x").is_ok());
        assert!(SecretArn::parse("arn:aws:ssm:us-east-2:1:parameter/x").is_err());
    }
}
