//! Which values look like secrets: those under a key named like a secret, and those shaped
//! like a token. `diff` never prints them; `check` finds them in the source files.

use crate::model::tree::Scalar;

/// Words that make a key a secret's, wherever they appear in it.
const SECRET_WORDS: [&str; 7] = [
    "secret",
    "token",
    "password",
    "passwd",
    "key",
    "credential",
    "private",
];

/// Prefixes of well-known credential formats.
const TOKEN_PREFIXES: [&str; 9] = [
    "ghp_",
    "gho_",
    "github_pat_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "sk_live_",
    "AKIA",
    "-----BEGIN",
];

/// Whether the value at `path` (a dotted path whose last segment is its key) looks like a
/// secret.
pub fn is_secret(path: &str, value: Option<&Scalar>) -> bool {
    let last = path.rsplit('.').next().unwrap_or(path).as_bytes();
    let names_a_secret = SECRET_WORDS.iter().any(|word| {
        last.windows(word.len())
            .any(|window| window.eq_ignore_ascii_case(word.as_bytes()))
    });
    if names_a_secret {
        return true;
    }
    match value {
        Some(Scalar::String(value)) => looks_like_token(value),
        Some(Scalar::List(items)) => items.iter().any(|v| looks_like_token(v)),
        Some(Scalar::Integer(_)) | None => false,
    }
}

/// Whether a value refers to a secret kept elsewhere rather than holding it: an ARN, a
/// parameter or secret-store path, or a placeholder filled in at run time.
pub fn is_reference(value: &str) -> bool {
    [
        "arn:",
        "ssm:",
        "secretsmanager:",
        "vault:",
        "op://",
        "${",
        "secret://",
    ]
    .iter()
    .any(|prefix| value.starts_with(prefix))
}

/// A known credential prefix; or a long random-looking word: upper and lower case letters
/// and digits mixed (base64 or base62), or 32 or more hex digits. Names, URLs, ARNs and
/// digests are lowercase or carry punctuation (`.`, `/`, `:`), so they stay visible.
fn looks_like_token(value: &str) -> bool {
    if TOKEN_PREFIXES
        .iter()
        .any(|prefix| value.starts_with(prefix))
    {
        return true;
    }
    let word = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "-_+=".contains(c));
    let mixed = value.chars().any(|c| c.is_ascii_digit())
        && value.chars().any(|c| c.is_ascii_lowercase())
        && value.chars().any(|c| c.is_ascii_uppercase());
    let hex = value.len() >= 32 && value.chars().all(|c| c.is_ascii_hexdigit());
    word && value.len() >= 20 && (mixed || hex)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(path: &str, value: &str) -> bool {
        is_secret(path, Some(&Scalar::String(value.into())))
    }

    #[test]
    fn secret_keys_and_token_shapes_are_hidden() {
        assert!(secret("services.hello.env.API_KEY", "x"));
        assert!(secret("services.hello.env.DB_PASSWORD", "x"));
        assert!(secret(
            "identity.client_secret_arn",
            "arn:aws:secretsmanager:x"
        ));
        assert!(secret("services.hello.env.GITHUB", "ghp_abc"));
        assert!(secret("services.hello.env.X", "q8Zr2LmX9vT4kP7wN3sB6yH1"));
        assert!(secret(
            "services.hello.env.X",
            "3f9a0c7d2e4b6a8c1f3e5d7b9a0c2e4f"
        ));
    }

    #[test]
    fn names_urls_versions_and_digests_are_shown() {
        for shown in [
            "info",
            "0.4.0",
            "https://acme-staging-v02.api.letsencrypt.org/directory",
            "ghcr.io/acme/hello:0.4.0",
            "sha512:149ea964a2a9c8437a10aa67a69085453deb019686af889bd263bc7ea13e419a",
            "acme-observability-cluster-2",
        ] {
            assert!(!secret("services.hello.env.X", shown), "{shown}");
        }
    }

    #[test]
    fn references_to_secrets_are_not_secrets() {
        assert!(is_reference(
            "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db"
        ));
        assert!(is_reference("${DB_PASSWORD}"));
        assert!(!is_reference("hunter2"));
    }
}
