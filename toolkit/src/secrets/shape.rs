//! The shapes a credential has in text: a JWT, a random key, a URL or `user:password@host`
//! with a password, an `Authorization` header's credential, and the public key material
//! that is not one.

use std::ops::Range;

use super::{find, holds, is_word_break, placeholders_only, starts};

/// Public key material, which is meant to be shared: PEM blocks that hold a certificate or
/// a public key, and the key of an SSH public key line (`ssh-ed25519 AAAA… comment`).
pub(super) fn public_material(text: &str) -> Vec<Range<usize>> {
    let mut found = Vec::new();
    // A PEM header (`-----BEGIN `) and an SSH key line both hold a space; most values
    // hold none, and searching them for each of the nine markers costs more than the
    // rest of their classification.
    if !text.contains(' ') {
        return found;
    }
    let mut from = 0;
    while let Some(at) = find(&text[from..], "-----BEGIN ") {
        let begin = from + at;
        let header_end = find(&text[begin + 11..], "-----").map_or(text.len(), |e| begin + 11 + e);
        let label = &text[begin + 11..header_end];
        let end = find(&text[header_end..], "-----END ")
            .and_then(|e| {
                let after = header_end + e + 9;
                find(&text[after..], "-----").map(|f| after + f + 5)
            })
            .unwrap_or(text.len());
        if holds(label, "CERTIFICATE") || holds(label, "PUBLIC KEY") {
            found.push(begin..end);
        }
        from = end.max(begin + 1);
    }
    const SSH_KEYS: &[&str] = &[
        "ssh-ed25519 ",
        "ssh-rsa ",
        "ssh-dss ",
        "ecdsa-sha2-nistp256 ",
        "ecdsa-sha2-nistp384 ",
        "ecdsa-sha2-nistp521 ",
        "sk-ssh-ed25519@openssh.com ",
        "sk-ecdsa-sha2-nistp256@openssh.com ",
    ];
    for kind in SSH_KEYS {
        for at in starts(text, kind) {
            let start = at + kind.len();
            if text[start..].starts_with("AAAA") {
                let end = text[start..]
                    .find(char::is_whitespace)
                    .map_or(text.len(), |e| start + e);
                found.push(start..end);
            }
        }
    }
    found
}

/// `header.payload.signature`, base64url, the header a JSON object (`eyJ`).
pub(super) fn is_jwt(word: &str) -> bool {
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
pub(super) const RANDOM_FROM: usize = 20;

/// A word of base64 or base62 characters, at least [`RANDOM_FROM`] long, that mixes upper
/// and lower case with digits or `+/`, and whose characters are as varied as a random
/// key's. Hex (commit hashes, digests) is left alone: hex keys are found by their names.
pub(super) fn is_random(word: &str) -> bool {
    if word.len() < RANDOM_FROM || word.starts_with('/') {
        return false;
    }
    // One pass over the bytes: most words judged are names, which stop at the first byte
    // that is not base64.
    let (mut upper, mut lower, mut hex) = (0, 0, true);
    for b in word.bytes() {
        match b {
            b'A'..=b'Z' => upper += 1,
            b'a'..=b'z' => lower += 1,
            b'0'..=b'9' => {}
            b'+' | b'/' | b'-' | b'_' => hex = false,
            _ => return false,
        }
        hex &= b.is_ascii_hexdigit();
    }
    let other = word.len() - upper - lower;
    !hex && upper > 0 && lower > 0 && other > 0 && varied(word)
}

/// Whether the word's characters are spread like a random string's: entropy near the
/// most its length allows, and case changing often (not `CamelCaseWords2024`).
pub(super) fn varied(word: &str) -> bool {
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
pub(super) fn credential_url(text: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(found) = find(&text[from..], "://") {
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
            if !password.is_empty() && !placeholders_only(password) {
                return Some(start + colon + 1..start + at);
            }
        }
        from = start;
    }
    None
}

/// The byte range of the password in `user:password@host` written without a scheme
/// (`app:hunter2@db.internal:5432`): a word, a colon, a password, `@` and a host name.
pub(super) fn user_password_at_host(text: &str) -> Option<Range<usize>> {
    for (at, _) in text.match_indices('@') {
        let host = &text[at + 1..];
        let host_ok = host
            .split(|c: char| c == ':' || c == '/' || c.is_whitespace())
            .next()
            .is_some_and(|h| {
                h.contains('.')
                    && h.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
            });
        let start = text[..at]
            .char_indices()
            .rev()
            .find(|&(_, c)| c.is_whitespace() || "\"'=,;(".contains(c))
            .map_or(0, |(s, c)| s + c.len_utf8());
        let userinfo = &text[start..at];
        if host_ok
            && !userinfo.contains('/')
            && let Some(colon) = userinfo.find(':')
            && colon > 0
            && colon + 1 < userinfo.len()
            && !placeholders_only(&userinfo[colon + 1..])
        {
            return Some(start + colon + 1..at);
        }
    }
    None
}

/// The byte range of an `Authorization` header's credential: the word after `Bearer `,
/// `Basic ` or `Token ` (any case), at least eight characters and not a placeholder.
pub(super) fn header_credential(text: &str) -> Option<Range<usize>> {
    // Every scheme ends in a space: text without one holds none.
    if !text.contains(' ') {
        return None;
    }
    let lower = text.to_ascii_lowercase();
    for scheme in ["bearer ", "basic ", "token "] {
        for at in starts(&lower, scheme) {
            if at > 0 && text.as_bytes()[at - 1].is_ascii_alphanumeric() {
                continue;
            }
            let start = at + scheme.len();
            let end = text[start..]
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .map_or(text.len(), |e| start + e);
            let credential = &text[start..end];
            if credential.len() >= 8
                && !placeholders_only(credential)
                && credential
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "+/=_-.~".contains(c))
                && credential.chars().any(|c| c.is_ascii_digit())
            {
                return Some(start..end);
            }
        }
    }
    None
}
