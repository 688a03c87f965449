//! Validated names. Each type can only hold a value that satisfies the rules of whoever
//! consumes it (Podplane, DNS, AWS), so an invalid name cannot reach a renderer.
//!
//! Every constructor returns the reason a value is invalid, written to be shown to a person.

/// Whether `text` is a placeholder that `new-repo` wrote for a value it cannot know: a
/// lowercase slug in angle brackets, such as `<production-account-id>`. The types that
/// may hold one accept it, so that a new repository loads, renders and passes `check`
/// with warnings (rule `placeholder`) until its owner fills it in.
pub fn is_placeholder(text: &str) -> bool {
    text.strip_prefix('<')
        .and_then(|rest| rest.strip_suffix('>'))
        .is_some_and(|slug| {
            !slug.is_empty()
                && slug
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        })
}

/// Names Podplane refuses as cluster ids, and `auth`, whose zone would be the issuer's host.
const RESERVED_ENV_NAMES: [(&str, &str); 4] = [
    ("local", "Podplane reserves it for local clusters"),
    (
        "k8s",
        "Podplane reserves it, and `k8s.` is the API host name prefix",
    ),
    ("oidc", "Podplane reserves it for the OIDC server"),
    ("auth", "its DNS zone would be the OIDC issuer's host name"),
];

/// Lowercase letters, digits and single hyphens, starting with a letter or digit and not
/// ending with a hyphen: the shape shared by DNS labels, cluster ids and slugs.
fn check_label_shape(what: &str, value: &str) -> Result<(), String> {
    if value.is_empty() {
        return Err(format!("{what} is empty"));
    }
    if let Some(bad) = value
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
    {
        return Err(format!(
            "{what} `{value}` contains `{bad}`: only lowercase letters, digits and single hyphens are allowed"
        ));
    }
    if value.starts_with('-') || value.ends_with('-') {
        return Err(format!(
            "{what} `{value}` starts or ends with a hyphen: it must start and end with a letter or digit"
        ));
    }
    if value.contains("--") {
        return Err(format!(
            "{what} `{value}` contains `--`: hyphens must be single"
        ));
    }
    Ok(())
}

/// An environment's name: its directory under `environments/`, the `{env}` of every
/// naming pattern, and a DNS label of its zone.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EnvName(String);
string_newtype!(EnvName);

impl EnvName {
    pub fn parse(value: &str) -> Result<EnvName, String> {
        check_label_shape("environment name", value)?;
        if !value.starts_with(|c: char| c.is_ascii_lowercase()) {
            return Err(format!(
                "environment name `{value}` must start with a lowercase letter"
            ));
        }
        if value.len() > 63 {
            return Err(format!(
                "environment name `{value}` is {} characters: a DNS label holds at most 63",
                value.len()
            ));
        }
        if let Some((_, why)) = RESERVED_ENV_NAMES.iter().find(|(name, _)| *name == value) {
            return Err(format!("environment name `{value}` is reserved: {why}"));
        }
        Ok(EnvName(value.to_owned()))
    }
}

/// The organisation's slug, the `{org}` of the naming patterns (`acme`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Slug(String);
string_newtype!(Slug);

impl Slug {
    pub fn parse(value: &str) -> Result<Slug, String> {
        check_label_shape("slug", value)?;
        Ok(Slug(value.to_owned()))
    }
}

/// The cluster id Podplane uses as resource prefix and OIDC client id: at most 32
/// characters, lowercase letters, digits and single hyphens, not `local`, `k8s` or `oidc`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterId(String);
string_newtype!(ClusterId);

impl ClusterId {
    pub fn parse(value: &str) -> Result<ClusterId, String> {
        check_label_shape("cluster id", value)?;
        if value.len() > 32 {
            return Err(format!(
                "cluster id `{value}` is {} characters: Podplane allows at most 32",
                value.len()
            ));
        }
        if ["local", "k8s", "oidc"].contains(&value) {
            return Err(format!("cluster id `{value}` is reserved by Podplane"));
        }
        Ok(ClusterId(value.to_owned()))
    }
}

/// A DNS name by RFC 1123 as Podplane checks it: lowercase labels of at most 63
/// characters, at most 253 in all, no trailing dot, not an IP address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DnsName(String);
string_newtype!(DnsName);

/// Whether `value` is a DNS name by the rules of [`DnsName::parse`], found in one pass
/// over its bytes: true for nearly every name a convention makes, which is then not split
/// and searched label by label. False for every name that is not, and for a name of
/// digits and dots, which the full rules hold to not being an IP address.
fn plainly_a_dns_name(value: &[u8]) -> bool {
    if value.len() > 253 {
        return false;
    }
    let mut label = 0;
    let mut previous = b'.';
    let mut digits_and_dots = true;
    for &byte in value {
        match byte {
            b'a'..=b'z' | b'0'..=b'9' => label += 1,
            b'-' if previous != b'.' => label += 1,
            b'.' if previous != b'.' && previous != b'-' => label = 0,
            _ => return false,
        }
        if label > 63 {
            return false;
        }
        digits_and_dots &= byte.is_ascii_digit() || byte == b'.';
        previous = byte;
    }
    previous != b'.' && previous != b'-' && !digits_and_dots
}

impl DnsName {
    pub fn parse(value: &str) -> Result<DnsName, String> {
        if plainly_a_dns_name(value.as_bytes()) {
            return Ok(DnsName(value.to_owned()));
        }
        if value.is_empty() {
            return Err("DNS name is empty".to_owned());
        }
        if value.ends_with('.') {
            return Err(format!(
                "DNS name `{value}` ends with a dot: write it without the trailing dot"
            ));
        }
        if value.len() > 253 {
            return Err(format!(
                "DNS name `{value}` is {} characters: at most 253 are allowed",
                value.len()
            ));
        }
        // An IPv4 address is digits and dots, an IPv6 one holds a colon: a name with
        // anything else is none, and is not parsed as one.
        let maybe_address =
            value.bytes().all(|b| b.is_ascii_digit() || b == b'.') || value.contains(':');
        if maybe_address && value.parse::<std::net::IpAddr>().is_ok() {
            return Err(format!("`{value}` is an IP address, not a DNS name"));
        }
        for label in value.split('.') {
            if label.len() > 63 {
                return Err(format!(
                    "DNS name `{value}` has the label `{label}` of {} characters: at most 63 are allowed",
                    label.len()
                ));
            }
            let label_shape = if label.is_empty() {
                Err("an empty label".to_owned())
            } else if let Some(bad) = label
                .chars()
                .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-'))
            {
                Err(format!("`{bad}`"))
            } else if label.starts_with('-') || label.ends_with('-') {
                Err(format!(
                    "the label `{label}` starting or ending with a hyphen"
                ))
            } else {
                Ok(())
            };
            if let Err(what) = label_shape {
                return Err(format!(
                    "DNS name `{value}` has {what}: labels are lowercase letters, digits and inner hyphens, joined by dots"
                ));
            }
        }
        Ok(DnsName(value.to_owned()))
    }
}

/// A cloud account: for AWS, 12 digits; or a placeholder (`<production-account-id>`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Account(String);
string_newtype!(Account);

impl Account {
    pub fn parse(value: &str) -> Result<Account, String> {
        let id = value.len() == 12 && value.bytes().all(|b| b.is_ascii_digit());
        if id || is_placeholder(value) {
            Ok(Account(value.to_owned()))
        } else {
            Err(format!(
                "account `{value}` is not an AWS account id: it must be 12 digits, such as \"123456789012\""
            ))
        }
    }
}

/// An AWS region such as `eu-west-1`: `^[a-z]{2}(-[a-z0-9]+)+-[1-9][0-9]*$`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region(String);
string_newtype!(Region);

impl Region {
    pub fn parse(value: &str) -> Result<Region, String> {
        let parts: Vec<&str> = value.split('-').collect();
        let valid = parts.len() >= 3
            && parts[0].len() == 2
            && parts[0].bytes().all(|b| b.is_ascii_lowercase())
            && parts[1..parts.len() - 1].iter().all(|p| {
                !p.is_empty()
                    && p.bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
            })
            && parts[parts.len() - 1]
                .strip_prefix(|c: char| ('1'..='9').contains(&c))
                .is_some_and(|rest| rest.bytes().all(|b| b.is_ascii_digit()));
        if valid {
            Ok(Region(value.to_owned()))
        } else {
            Err(format!(
                "region `{value}` is not an AWS region: expected a name such as \"eu-west-1\" or \"us-east-2\""
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_follow_dns_label_rules_and_avoid_reserved_words() {
        for good in ["dev", "prod", "eu-prod-2", "a"] {
            assert!(EnvName::parse(good).is_ok(), "{good}");
        }
        for (bad, reason) in [
            ("../x", "contains `.`"),
            ("Prod", "contains `P`"),
            ("a--b", "contains `--`"),
            ("k8s", "reserved"),
            ("auth", "reserved"),
            ("", "is empty"),
            ("-dev", "starts or ends with a hyphen"),
            ("2dev", "must start with a lowercase letter"),
        ] {
            let err = EnvName::parse(bad).unwrap_err();
            assert!(err.contains(reason), "{bad}: {err}");
        }
    }

    #[test]
    fn cluster_ids_follow_podplane() {
        assert!(ClusterId::parse("example-prod").is_ok());
        assert!(ClusterId::parse(&"a".repeat(32)).is_ok());
        assert!(
            ClusterId::parse(&"a".repeat(33))
                .unwrap_err()
                .contains("at most 32")
        );
        assert!(ClusterId::parse("oidc").unwrap_err().contains("reserved"));
    }

    #[test]
    fn a_name_is_plainly_a_dns_name_only_when_the_full_rules_accept_it() {
        let alphabet = b"ab09-.-.:Z";
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        let mut plain = 0;
        for _ in 0..200_000 {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            let len = (seed % 12) as usize;
            let name: String = (0..len)
                .map(|i| char::from(alphabet[((seed >> (8 + 4 * i)) % 10) as usize]))
                .collect();
            if super::plainly_a_dns_name(name.as_bytes()) {
                plain += 1;
                let slow = super::DnsName::parse(&name);
                assert!(slow.is_ok(), "{name:?}: {slow:?}");
            }
        }
        assert!(plain > 1_000, "{plain} plain names");
        for name in ["svc01.e0005.example.com", "a-b.c", "k8s.prod.example.com"] {
            assert!(super::plainly_a_dns_name(name.as_bytes()), "{name}");
        }
        let long_label = format!("{}.dev", "a".repeat(64));
        let long_name = ["abcdefghi"; 26].join(".");
        for name in [
            "",
            "a.",
            ".a",
            "a..b",
            "-a",
            "a-",
            "a-.b",
            "a.-b",
            "1.2.3.4",
            "1.2.3.4.5",
            "A.b",
            "::1",
            &long_label,
            &long_name,
        ] {
            assert!(!super::plainly_a_dns_name(name.as_bytes()), "{name}");
        }
    }

    #[test]
    fn dns_names_follow_rfc_1123() {
        assert!(DnsName::parse("k8s.prod.example.com").is_ok());
        assert!(DnsName::parse("prod.example.com.").is_err());
        assert!(DnsName::parse("Prod.example.com").is_err());
        assert!(DnsName::parse("a..b").is_err());
        for address in ["10.0.0.1", "::1", "fe80::1", "::ffff:10.0.0.1"] {
            assert!(
                DnsName::parse(address)
                    .unwrap_err()
                    .contains("is an IP address"),
                "{address}"
            );
        }
        // Digits in every label, more than an address has: a name.
        assert!(DnsName::parse("1.2.3.4.5").is_ok());
        assert!(DnsName::parse(&format!("{}.dev", "a".repeat(64))).is_err());
        let long = vec!["abcdefgh"; 30].join(".");
        assert!(DnsName::parse(&long).unwrap_err().contains("at most 253"));
    }

    #[test]
    fn accounts_and_regions_follow_aws() {
        assert!(Account::parse("123456789012").is_ok());
        assert!(Account::parse("12345").is_err());
        assert!(Account::parse("12345678901x").is_err());
        for good in ["eu-west-1", "us-gov-east-1", "ap-southeast-12"] {
            assert!(Region::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "eu-west",
            "EU-west-1",
            "eu-west-0",
            "europe-west-1",
            "eu--1",
        ] {
            assert!(Region::parse(bad).is_err(), "{bad}");
        }
    }
}
