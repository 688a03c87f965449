//! Which values are secrets, and how to print text that may hold one.
//!
//! A value is a secret when its key names one by whole words (`DB_PASSWORD`, `API_KEY`,
//! `DB_PWD`, not `MAX_TOKENS` or `PUBLIC_KEY_URL`), or when its shape is a credential's
//! wherever it is: a known token format, a JWT, a URL with a password, a private key, or a
//! long random-looking word. A reference to a secret kept elsewhere (an ARN, a `${VAR}`
//! placeholder, a path such as `/run/secrets/db`) is not one.
//!
//! Commands print values only through [`redact`] or after asking [`classify`], and `render`
//! refuses to write a secret into a generated file.

use std::borrow::Cow;
use std::fmt;

/// Why a value is taken for a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Its key names a secret (`DB_PWD`), and it is not a reference.
    Named,
    /// A known credential format; the text names it.
    Token(&'static str),
    Jwt,
    /// A URL with a password in its user information.
    CredentialUrl,
    PrivateKey,
    /// A long word with the mixed characters and entropy of a random key.
    Random,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Kind::Named => f.write_str("a value under a key named like a secret"),
            Kind::Token(format) => write!(f, "{format}"),
            Kind::Jwt => f.write_str("a JSON Web Token"),
            Kind::CredentialUrl => f.write_str("a URL with a password in it"),
            Kind::PrivateKey => f.write_str("a private key"),
            Kind::Random => f.write_str("a random-looking key"),
        }
    }
}

/// Whether the value of `key` (the last segment of its path) is a secret, and why.
pub fn classify(key: &str, value: &str) -> Option<Kind> {
    if value.trim().is_empty() {
        return None;
    }
    if let Some(kind) = shape(value) {
        return Some(kind);
    }
    (names_a_secret(key) && !is_reference(value)).then_some(Kind::Named)
}

/// The last words of keys that hold a secret: `DB_PASSWORD`, `GITHUB_TOKEN`, `DB_PWD`.
const SECRET_NOUNS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "secret",
    "token",
    "credential",
    "credentials",
    "apikey",
    "privatekey",
];

/// Words that make a following `key` a secret's: `API_KEY`, `PRIVATE_KEY`.
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "private",
    "secret",
    "access",
    "signing",
    "encryption",
    "master",
    "license",
    "client",
];

/// Whether a key names a secret, judged by its words (split at `_`, `-`, `.` and camel
/// case): the last word a secret's noun, or `key` after a word such as `api`. A key that
/// ends in another word (`DB_PASSWORD_FILE`, `TOKEN_URL`, `MAX_TOKENS`) names something
/// else about the secret, not the secret.
pub fn names_a_secret(key: &str) -> bool {
    // Most keys hold none of the words: an ASCII key without one of them as a substring,
    // in any case, cannot end in one, and is not split into words.
    let holds = |word: &str| {
        key.as_bytes()
            .windows(word.len())
            .any(|w| w.eq_ignore_ascii_case(word.as_bytes()))
    };
    if key.is_ascii() && !holds("key") && !SECRET_NOUNS.iter().any(|noun| holds(noun)) {
        return false;
    }
    // A number at the end counts one of several: `DB_PASSWORD_2`, `TOKEN2`.
    let mut words = words(key);
    while words
        .last()
        .is_some_and(|w| w.chars().all(|c| c.is_ascii_digit()))
    {
        words.pop();
    }
    if let Some(last) = words.last_mut() {
        last.truncate(last.trim_end_matches(|c: char| c.is_ascii_digit()).len());
    }
    match words.as_slice() {
        [.., last] if SECRET_NOUNS.contains(&last.as_str()) => true,
        [.., qualifier, last] => last == "key" && KEY_QUALIFIERS.contains(&qualifier.as_str()),
        _ => false,
    }
}

/// A key's words in lower case: `dbPassword_FILE` is `db`, `password`, `file`.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut previous_lower = false;
    for c in key.chars() {
        if !c.is_alphanumeric() {
            previous_lower = false;
            if !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            continue;
        }
        if c.is_uppercase() && previous_lower && !current.is_empty() {
            words.push(std::mem::take(&mut current));
        }
        previous_lower = c.is_lowercase() || c.is_ascii_digit();
        current.extend(c.to_lowercase());
    }
    if !current.is_empty() {
        words.push(current);
    }
    words
}

/// Whether a value refers to a secret kept elsewhere rather than holding it: an ARN, a
/// secret-store address, a placeholder filled in at run time, or a file's path.
pub fn is_reference(value: &str) -> bool {
    let value = value.trim();
    const PREFIXES: &[&str] = &[
        "arn:",
        "ssm:",
        "secretsmanager:",
        "vault:",
        "op://",
        "secret://",
        "sm://",
        "${",
        "$(",
        "projects/",
        "/",
        "file://",
    ];
    PREFIXES.iter().any(|prefix| value.starts_with(prefix))
        || (value.starts_with('$') && value[1..].chars().all(|c| c == '_' || c.is_alphanumeric()))
}

/// Known credential formats: a prefix, and how many characters must follow it.
const TOKEN_FORMATS: &[(&str, usize, &str)] = &[
    ("ghp_", 30, "a GitHub token"),
    ("gho_", 30, "a GitHub token"),
    ("ghu_", 30, "a GitHub token"),
    ("ghs_", 30, "a GitHub token"),
    ("ghr_", 30, "a GitHub token"),
    ("github_pat_", 30, "a GitHub token"),
    ("glpat-", 20, "a GitLab token"),
    ("xoxb-", 10, "a Slack token"),
    ("xoxp-", 10, "a Slack token"),
    ("xoxa-", 10, "a Slack token"),
    ("xoxs-", 10, "a Slack token"),
    ("xoxr-", 10, "a Slack token"),
    ("sk_live_", 16, "a Stripe key"),
    ("rk_live_", 16, "a Stripe key"),
    ("sk_test_", 16, "a Stripe key"),
    ("sk-", 20, "an API key"),
    ("AKIA", 16, "an AWS access key id"),
    ("ASIA", 16, "an AWS access key id"),
    ("AIza", 30, "a Google API key"),
    ("npm_", 30, "an npm token"),
    ("pypi-", 30, "a PyPI token"),
    ("hf_", 30, "a Hugging Face token"),
    ("SG.", 30, "a SendGrid key"),
];

/// The shape of a credential anywhere in `value`.
fn shape(value: &str) -> Option<Kind> {
    if value.contains("PRIVATE KEY") && value.contains("-----BEGIN") {
        return Some(Kind::PrivateKey);
    }
    if credential_url(value).is_some() {
        return Some(Kind::CredentialUrl);
    }
    value
        .split(is_word_break)
        .find_map(|word| word_shape(word.trim_end_matches('=')))
}

/// Characters that end a word when looking for tokens in text.
fn is_word_break(c: char) -> bool {
    c.is_whitespace()
        || matches!(
            c,
            '"' | '\''
                | '`'
                | ','
                | ';'
                | '('
                | ')'
                | '['
                | ']'
                | '{'
                | '}'
                | '<'
                | '>'
                | '='
                | ':'
                | '@'
                | '\\'
                | '|'
        )
}

/// No word shorter than this has a credential's shape: the shortest known token
/// (`xoxb-` and ten characters), a JWT and a random key are all longer. Most words of
/// configuration are shorter, and are passed over at once.
const SHORTEST_CREDENTIAL: usize = 15;
const _: () = assert!(RANDOM_FROM >= SHORTEST_CREDENTIAL);

/// The shape of one word: a known token, a JWT, or a random key.
fn word_shape(word: &str) -> Option<Kind> {
    if word.len() < SHORTEST_CREDENTIAL {
        return None;
    }
    for (prefix, rest, format) in TOKEN_FORMATS {
        if let Some(tail) = word.strip_prefix(prefix)
            && tail.len() >= *rest
            && tail
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c))
        {
            return Some(Kind::Token(format));
        }
    }
    if is_jwt(word) {
        return Some(Kind::Jwt);
    }
    is_random(word).then_some(Kind::Random)
}

/// `header.payload.signature`, base64url, the header a JSON object (`eyJ`).
fn is_jwt(word: &str) -> bool {
    if !word.starts_with("eyJ") {
        return false;
    }
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && parts[0].starts_with("eyJ")
        && parts[0].len() >= 10
        && parts[1].len() >= 10
        && parts.iter().all(|p| {
            p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        })
}

/// Words shorter than this are never judged random: too short to tell from a name.
const RANDOM_FROM: usize = 20;

/// A word of base64 or base62 characters, at least [`RANDOM_FROM`] long, that mixes upper
/// and lower case with digits or `+/`, and whose characters are as varied as a random
/// key's. Hex (commit hashes, digests) is left alone: hex keys are found by their names.
fn is_random(word: &str) -> bool {
    if word.len() < RANDOM_FROM || word.starts_with('/') {
        return false;
    }
    let base64 = word
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "+/-_".contains(c));
    let upper = word.chars().filter(char::is_ascii_uppercase).count();
    let lower = word.chars().filter(char::is_ascii_lowercase).count();
    let other = word.len() - upper - lower;
    let hex = word.chars().all(|c| c.is_ascii_hexdigit());
    base64 && !hex && upper > 0 && lower > 0 && other > 0 && varied(word)
}

/// Whether the word's characters are spread like a random string's: entropy near the
/// most its length allows, and case changing often (not `CamelCaseWords2024`).
fn varied(word: &str) -> bool {
    let mut counts = [0u32; 128];
    for b in word.bytes() {
        counts[usize::from(b & 0x7f)] += 1;
    }
    let n = word.len() as f64;
    let entropy: f64 = counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum();
    let ceiling = n.log2().min(6.0);
    let class = |b: u8| match b {
        b'a'..=b'z' => 0,
        b'A'..=b'Z' => 1,
        b'0'..=b'9' => 2,
        _ => 3,
    };
    let changes = word
        .as_bytes()
        .windows(2)
        .filter(|pair| class(pair[0]) != class(pair[1]))
        .count();
    entropy >= 0.82 * ceiling && changes as f64 >= 0.3 * (n - 1.0)
}

/// The byte range of the password in the first URL of `text` that has one.
fn credential_url(text: &str) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(found) = text[from..].find("://") {
        let start = from + found + 3;
        let authority_end = text[start..]
            .find(|c: char| {
                c == '/' || c == '?' || c == '#' || is_word_break(c) && c != ':' && c != '@'
            })
            .map_or(text.len(), |i| start + i);
        let authority = &text[start..authority_end];
        if let Some(at) = authority.rfind('@')
            && let Some(colon) = authority[..at].find(':')
        {
            let password = &authority[colon + 1..at];
            if !password.is_empty() && !is_reference(password) {
                return Some(start + colon + 1..start + at);
            }
        }
        from = start;
    }
    None
}

/// `text` with every secret in it replaced by `*`, byte for byte, so that offsets into it
/// (a diagnostic's span) stay where they were. Found by shape, and by key for `KEY = "value"`,
/// `"KEY": "value"` and `KEY=value` wherever the key names a secret.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut hidden: Vec<std::ops::Range<usize>> = Vec::new();
    let mut from = 0;
    while let Some(range) = credential_url(&text[from..]) {
        hidden.push(from + range.start..from + range.end);
        from += range.end;
    }
    if let Some(begin) = text.find("-----BEGIN")
        && text[begin..].contains("PRIVATE KEY")
    {
        let end = text[begin..]
            .find("-----END")
            .and_then(|e| {
                text[begin + e..]
                    .find("KEY-----")
                    .map(|k| begin + e + k + 8)
            })
            .unwrap_or(text.len());
        hidden.push(begin..end);
    }
    let mut start = None;
    for (i, c) in text.char_indices().chain([(text.len(), ' ')]) {
        match (start, is_word_break(c)) {
            (None, false) => start = Some(i),
            (Some(s), true) => {
                if word_shape(text[s..i].trim_end_matches('=')).is_some() {
                    hidden.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    hidden.extend(named_values(text));
    if hidden.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in hidden {
        for i in range {
            // Every byte of a character is masked, so the text stays valid UTF-8.
            bytes[i] = b'*';
        }
    }
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(text.len())))
}

/// The byte ranges of values assigned to keys that name a secret: the inside of a quoted
/// string after `KEY =` or `"KEY":`, or an unquoted word after `KEY=`.
fn named_values(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    for (i, &b) in bytes.iter().enumerate() {
        if b != b'=' && b != b':' {
            continue;
        }
        let key = key_before(text, i);
        if key.is_empty() || !names_a_secret(key.rsplit('.').next().unwrap_or(key)) {
            continue;
        }
        let mut j = i + 1;
        while j < bytes.len() && (bytes[j] == b' ' || bytes[j] == b'\t') {
            j += 1;
        }
        let range = match bytes.get(j) {
            Some(&quote @ (b'"' | b'\'')) => {
                let end = text[j + 1..]
                    .find(|c: char| c == char::from(quote) || c == '\n')
                    .map_or(text.len(), |e| j + 1 + e);
                j + 1..end
            }
            Some(_) if b == b'=' => {
                let end = text[j..]
                    .find(|c: char| c.is_whitespace())
                    .map_or(text.len(), |e| j + e);
                j..end
            }
            _ => continue,
        };
        if !is_reference(&text[range.clone()]) {
            found.push(range);
        }
    }
    found
}

/// The key just before the `=` or `:` at `at`: a bare key, or a quoted one.
fn key_before(text: &str, at: usize) -> &str {
    let before = text[..at].trim_end_matches([' ', '\t']);
    if let Some(quoted) = before.strip_suffix('"') {
        return quoted.rfind('"').map_or("", |open| &quoted[open + 1..]);
    }
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[start..]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Values that are secrets, each under a key that does not give it away.
    const SECRET_VALUES: &[&str] = &[
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "postgres://app:s3cr3tP4ssw0rd@db.internal:5432/app",
        "https://deploy:hunter2@git.example.com/platform/charts.git",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "Zq3mT8vXp1LrN6yHs0WcK9dFb2GjA5eRu7QoIaEw",
        "ghp_R4nd0mT0k3nV4lu3F0rT3st1ngPurp0s3s00",
        "AKIAIOSFODNN7EXAMPLE",
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----",
        "xoxb-123456789012-abcdefABCDEF",
        "q8Zr2LmX9vT4kP7wN3sB6yH1",
    ];

    /// Values that are not, under keys that do not name a secret.
    const PLAIN_VALUES: &[(&str, &str)] = &[
        ("KEYCLOAK_URL", "https://keycloak.example.com"),
        ("MAX_TOKENS", "4096"),
        ("PRIVATE_NETWORK", "true"),
        ("MONKEY_MODE", "off"),
        ("CACHE_KEY_PREFIX", "hello:v1:"),
        ("PUBLIC_KEY_URL", "https://auth.example.com/keys"),
        ("DB_PASSWORD_FILE", "/run/secrets/db"),
        ("GIT_SHA", "3f9a0c7d2e4b6a8c1f3e5d7b9a0c2e4f6a8b0c1d"),
        ("SENTRY_RELEASE", "hello@0.4.0+3f9a0c7"),
        ("OTEL_SERVICE_NAME", "hello"),
        ("LOG_LEVEL", "info"),
        ("SERVICE", "CheckoutServiceApi2024Edition"),
        ("IMAGE", "ghcr.io/example/hello:0.4.0"),
        (
            "DIGEST",
            "sha512:149ea964a2a9c8437a10aa67a69085453deb019686af889bd263bc7ea13e419a",
        ),
        (
            "URL",
            "https://acme-staging-v02.api.letsencrypt.org/directory",
        ),
        ("REPO", "git@github.com:acme/charts.git"),
        (
            "client_secret_arn",
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:x",
        ),
        ("DB_PASSWORD", "${DB_PASSWORD}"),
        ("API_TOKEN", "ssm:/prod/api-token"),
        ("CLUSTER", "example-observability-cluster-2"),
    ];

    #[test]
    fn credentials_are_found_by_shape_under_any_key() {
        for value in SECRET_VALUES {
            assert!(classify("UPSTREAM", value).is_some(), "{value}");
        }
    }

    #[test]
    fn names_references_hashes_and_settings_are_not_secrets() {
        for (key, value) in PLAIN_VALUES {
            assert_eq!(classify(key, value), None, "{key} = {value}");
        }
    }

    #[test]
    fn no_credential_is_shorter_than_the_shortest_judged() {
        for (prefix, rest, format) in TOKEN_FORMATS {
            assert!(prefix.len() + rest >= SHORTEST_CREDENTIAL, "{format}");
        }
        // The shortest JWT: ten characters, a dot, ten more, a dot.
        assert!(is_jwt("eyJhbGciOi.eyJzdWIiOi."));
        assert!(!is_jwt("eyJhbGciO.eyJzdWIiOi."));
        assert!("eyJhbGciOi.eyJzdWIiOi.".len() >= SHORTEST_CREDENTIAL);
    }

    #[test]
    fn keys_name_secrets_by_whole_words() {
        for key in [
            "DB_PWD",
            "DB_PASSWORD",
            "dbPassword",
            "API_KEY",
            "apiKey",
            "GITHUB_TOKEN",
            "client_secret",
            "AWS_SECRET_ACCESS_KEY",
            "SMTP_PASS",
            "DB_PASSWORD_2",
            "TOKEN2",
            "dbPASSWORD",
            // Not ASCII: the Kelvin sign is a `k` in lower case.
            "API_\u{212A}EY",
        ] {
            assert!(names_a_secret(key), "{key}");
            assert_eq!(classify(key, "Tr0ub4dor&3"), Some(Kind::Named), "{key}");
        }
        for key in [
            "MAX_TOKENS",
            "CACHE_KEY_PREFIX",
            "PUBLIC_KEY_URL",
            "PRIVATE_NETWORK",
            "MONKEY_MODE",
            "KEYCLOAK_URL",
            "DB_PASSWORD_FILE",
            "TOKEN_TTL",
            "BYPASS",
        ] {
            assert!(!names_a_secret(key), "{key}");
        }
    }

    #[test]
    fn redaction_hides_secrets_and_keeps_offsets() {
        let text = "DB_PWD = \"Tr0ub4dor&3\"\nUPSTREAM = \"wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\"\nDATABASE_URL = \"postgres://app:s3cr3tP4ssw0rd@db:5432/app\"\nLOG_LEVEL = \"info\"\n--set app.env.API_TOKEN=abc123def\n";
        let redacted = redact(text);
        assert_eq!(redacted.len(), text.len());
        for secret in [
            "Tr0ub4dor&3",
            "wJalrXUtnFEMI",
            "s3cr3tP4ssw0rd",
            "abc123def",
        ] {
            assert!(!redacted.contains(secret), "{secret} in {redacted}");
        }
        assert!(redacted.contains("postgres://app:"), "{redacted}");
        assert!(redacted.contains("LOG_LEVEL = \"info\""), "{redacted}");
        assert_eq!(
            redact("nothing secret here = \"info\""),
            "nothing secret here = \"info\""
        );
    }

    #[test]
    fn redaction_keeps_text_valid_when_a_secret_has_multibyte_characters() {
        let redacted = redact("PASSWORD = \"pässwörd\"");
        assert!(!redacted.contains("ss"), "{redacted}");
        assert!(redacted.starts_with("PASSWORD = \""), "{redacted}");
    }
}
