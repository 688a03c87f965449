//! Which values are secrets, and how to print text that may hold one.
//!
//! A value is a secret when its key names one by whole words (`DB_PASSWORD`, `API_KEY`,
//! `DB_PWD`, `SECRET_KEY_BASE`, not `MAX_TOKENS` or `PUBLIC_KEY_URL`), or when its shape is
//! a credential's wherever it is: a known provider's token format (`formats`), a JWT, a
//! URL or `user:password@host` with a password, an `Authorization` header's credential, a
//! private key, a secret under a secret's key inside a structured value (a connection
//! string, `-Dx.password=…`, a JSON object), or a long random-looking word. A reference
//! to a secret kept elsewhere (an ARN, a `${VAR}` placeholder, a path such as
//! `/run/secrets/db`) is not one, and neither is public key material (a certificate, a
//! public key, an SSH public key).
//!
//! Commands print values only through [`redact`] or after asking [`classify`]; `toml`
//! finds the secrets of a whole TOML file, with their spans, for the rule and for the
//! excerpts diagnostics show; and `render` refuses to write a secret into a generated file.

mod formats;
mod redact;
mod shape;
pub mod toml;

use redact::named_values;
pub use redact::{mask, redact};
use shape::{
    credential_url, header_credential, is_jwt, is_random, public_material, user_password_at_host,
};

use rustc_hash::FxHashMap;
use std::cell::RefCell;
use std::fmt;
use std::ops::Range;

/// Why a value is taken for a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Its key names a secret (`DB_PWD`), and it is not a reference.
    Named,
    /// A known credential format; the text names it.
    Token(&'static str),
    Jwt,
    /// A URL, or `user:password@host`, with a password in it.
    CredentialUrl,
    /// The credential of an `Authorization` header (`Bearer …`, `Basic …`).
    Header,
    /// A value under a secret's key inside the value: `Password=…;` in a connection
    /// string, `-Dx.password=…`, `"password": "…"`.
    Embedded,
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
            Kind::CredentialUrl => f.write_str("a URL or address with a password in it"),
            Kind::Header => f.write_str("the credential of an Authorization header"),
            Kind::Embedded => {
                f.write_str("a value under a key named like a secret, inside this value")
            }
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
    // By its key, a secret unless it refers to one kept elsewhere. The value's own test
    // first: it allocates nothing, and most values are no `user:password`.
    let named = names_a_secret(key) || (is_user_password(value) && names_credentials(key));
    (named && !is_reference(value)).then_some(Kind::Named)
}

/// [`classify`], remembered on each thread. The environments of a platform hold many of
/// the same keys and values (what platform.toml gives them all, what the crates declare),
/// in their files and in their resolved trees: each pair is judged once per thread, not
/// once per file or environment that holds it.
pub fn classify_once(key: &str, value: &str) -> Option<Kind> {
    thread_local! {
        static JUDGED: RefCell<FxHashMap<String, FxHashMap<String, Option<Kind>>>> =
            RefCell::default();
    }
    JUDGED.with_borrow_mut(|judged| {
        if let Some(kind) = judged.get(key).and_then(|values| values.get(value)) {
            return *kind;
        }
        let kind = classify(key, value);
        judged
            .entry(key.to_owned())
            .or_default()
            .insert(value.to_owned(), kind);
        kind
    })
}

/// The last words of keys that hold a secret: `DB_PASSWORD`, `GITHUB_TOKEN`, `SENTRY_DSN`.
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
    "dsn",
    "salt",
    "pepper",
];

/// A part of each of [`SECRET_NOUNS`] and of `key`: a key holding none of them cannot end in
/// one of those words.
const SECRET_STEMS: &[&str] = &[
    "key",
    "pass",
    "pwd",
    "secret",
    "token",
    "credential",
    "dsn",
    "salt",
    "pepper",
];

/// Whether a stem starts with each byte.
const STEM_STARTS: [bool; 256] = {
    let mut starts = [false; 256];
    let mut i = 0;
    while i < SECRET_STEMS.len() {
        starts[SECRET_STEMS[i].as_bytes()[0] as usize] = true;
        i += 1;
    }
    starts
};

/// Whether ASCII `key` holds one of [`SECRET_STEMS`], in any case: at each byte, only the
/// stems that start with it are compared.
fn holds_a_stem(key: &[u8]) -> bool {
    (0..key.len()).any(|at| {
        let first = key[at].to_ascii_lowercase();
        STEM_STARTS[usize::from(first)]
            && SECRET_STEMS.iter().any(|stem| {
                let stem = stem.as_bytes();
                stem[0] == first
                    && key
                        .get(at..at + stem.len())
                        .is_some_and(|part| part.eq_ignore_ascii_case(stem))
            })
    })
}

/// Words that make a following `key` a secret's: `API_KEY`, `APP_KEY`, `HMAC_KEY`.
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
    "app",
    "application",
    "hmac",
    "jwt",
    "session",
    "cookie",
    "auth",
    "account",
    "shared",
    "webhook",
    "consumer",
    "oauth",
    "role",
    "admin",
    "deploy",
    "root",
    "sas",
    "storage",
    "service",
    "subscription",
];

/// Whether a key names a secret, judged by its words (split at `_`, `-`, `.` and camel
/// case): the last word a secret's noun, or `key` after a word such as `api`, or Rails'
/// `SECRET_KEY_BASE`. A key that ends in another word (`DB_PASSWORD_FILE`, `TOKEN_URL`,
/// `MAX_TOKENS`) names something else about the secret, not the secret. Leading dashes
/// and Java's `-D` are left out: `--password`, `-Dpassword`.
pub fn names_a_secret(key: &str) -> bool {
    let key = option_name(key);
    // Most keys hold none of the words: an ASCII key without one of them as a substring,
    // in any case, cannot end in one, and is not split into words.
    if key.is_ascii() && !holds_a_stem(key.as_bytes()) {
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
        [.., key, base] if key == "key" && base == "base" => true,
        [.., qualifier, last] => last == "key" && KEY_QUALIFIERS.contains(&qualifier.as_str()),
        _ => false,
    }
}

/// A command-line option's name without its dashes, or a Java property's without `-D`:
/// `--password` and `-Dpassword` name `password`.
fn option_name(key: &str) -> &str {
    let bare = key.trim_start_matches('-');
    if key.starts_with("-D") && !key.starts_with("--") {
        return &key[2..];
    }
    bare
}

/// Keys that hold a `user:password` pair: `BASIC_AUTH`, `AUTH`, `USERINFO`.
fn names_credentials(key: &str) -> bool {
    matches!(
        words(key).last().map(String::as_str),
        Some("auth" | "userinfo" | "basicauth" | "htpasswd")
    )
}

/// `user:password`: one word, a colon, and no path or host after it.
fn is_user_password(value: &str) -> bool {
    let value = value.trim();
    value.split_once(':').is_some_and(|(user, password)| {
        !user.is_empty()
            && !password.is_empty()
            && !value.contains(char::is_whitespace)
            && !password.contains(['/', ':'])
    })
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

/// Whether a whole value refers to a secret kept elsewhere rather than holding it: an ARN,
/// a secret store's address with a path, placeholders filled in at run time and nothing
/// else, or a file's path of at least two plain segments. A literal after such a prefix
/// (`${X}hunter2`, `vault:hunter2`, `/hunter2`) is not a reference.
pub fn is_reference(value: &str) -> bool {
    let value = value.trim();
    if value.is_empty() || value.contains(char::is_whitespace) {
        return placeholders_only(value) || is_command(value);
    }
    if value.starts_with("arn:") {
        return value.split(':').count() >= 6;
    }
    const STORES: &[&str] = &[
        "ssm:",
        "secretsmanager:",
        "vault:",
        "op://",
        "secret://",
        "sm://",
        "gcpsm://",
        "azurekv://",
        "file://",
        "projects/",
    ];
    if let Some(prefix) = STORES.iter().find(|p| value.starts_with(**p)) {
        let rest = &value[prefix.len()..];
        return rest.contains('/') && path_like(rest.trim_start_matches('/'));
    }
    if let Some(path) = value.strip_prefix('/') {
        return path.split('/').filter(|s| !s.is_empty()).count() >= 2 && path_like(path);
    }
    placeholders_only(value) || is_command(value)
}

/// Segments of a path: plain names, none with a credential's shape.
fn path_like(path: &str) -> bool {
    path.split(['/', '#', '?'])
        .filter(|s| !s.is_empty())
        .all(|segment| {
            segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-+@=:".contains(c))
                && word_shape(segment).is_none()
        })
}

/// `${NAME}`, `${NAME:-default}` and `$NAME`, one or more, and nothing else.
pub(super) fn placeholders_only(value: &str) -> bool {
    let mut rest = value;
    if rest.is_empty() {
        return false;
    }
    while !rest.is_empty() {
        if let Some(inner) = rest.strip_prefix("${") {
            let Some(end) = inner.find('}') else {
                return false;
            };
            let name = inner[..end].split([':', '-']).next().unwrap_or_default();
            if name.is_empty() || !name.chars().all(|c| c == '_' || c.is_ascii_alphanumeric()) {
                return false;
            }
            rest = &inner[end + 1..];
        } else if let Some(inner) = rest.strip_prefix('$') {
            let end = inner
                .find(|c: char| c != '_' && !c.is_ascii_alphanumeric())
                .unwrap_or(inner.len());
            if end == 0 {
                return false;
            }
            rest = &inner[end..];
        } else {
            return false;
        }
    }
    true
}

/// `$(command)`: a value a shell computes, such as `$(cat /run/secrets/db)`.
fn is_command(value: &str) -> bool {
    value.starts_with("$(") && value.ends_with(')')
}

/// The shape of a credential anywhere in `value`.
fn shape(value: &str) -> Option<Kind> {
    // Most values are short words (`info`, `1.2.3`, `eu-west-1`). Every shape below needs
    // more: a word of `SHORTEST_CREDENTIAL` characters, a header's scheme and eight more,
    // or an `@`, `=` or `:` (a credential URL, a user's password at a host, a named value).
    if value.len() < SHORTEST_HEADER && !value.contains(['@', '=', ':']) {
        return None;
    }
    if holds(value, "PRIVATE KEY") && holds(value, "-----BEGIN") {
        return Some(Kind::PrivateKey);
    }
    if let Some((_, name)) = formats::SECRET_URLS
        .iter()
        .find(|(prefix, _)| holds(value, prefix))
    {
        return Some(Kind::Token(name));
    }
    if holds(value, ".webhook.office.com/webhookb2/") {
        return Some(Kind::Token("a Microsoft Teams webhook URL"));
    }
    if credential_url(value).is_some() || user_password_at_host(value).is_some() {
        return Some(Kind::CredentialUrl);
    }
    let public = public_material(value);
    let word = words_of(value)
        .filter(|(range, _)| !public.iter().any(|p| p.contains(&range.start)))
        .find_map(|(_, word)| word_shape(word.trim_end_matches('=')));
    if word.is_some() {
        return word;
    }
    if header_credential(value).is_some() {
        return Some(Kind::Header);
    }
    (!named_values(value).is_empty()).then_some(Kind::Embedded)
}

/// Where `needle` first starts in `text`, as `str::find` answers. Each value is searched
/// for a dozen markers; `str::find` and memchr's `memmem` prepare each search at a cost
/// greater than most such searches. This finds the marker's first byte with `memchr` and
/// compares the rest where it is.
pub(super) fn find(text: &str, needle: &str) -> Option<usize> {
    starts(text, needle).next()
}

/// Whether `needle` is in `text`, as [`find`] finds it.
pub(super) fn holds(text: &str, needle: &str) -> bool {
    find(text, needle).is_some()
}

/// Where each of the non-overlapping `needle`s in `text` starts, as `str::match_indices`
/// finds them. `needle` is never empty.
pub(super) fn starts<'a>(text: &'a str, needle: &'a str) -> impl Iterator<Item = usize> + 'a {
    let (text, needle) = (text.as_bytes(), needle.as_bytes());
    let mut from = 0;
    std::iter::from_fn(move || {
        let first = *needle.first()?;
        for at in memchr::memchr_iter(first, text.get(from..)?).map(|at| from + at) {
            if text[at..].starts_with(needle) {
                from = at + needle.len();
                return Some(at);
            }
        }
        from = text.len() + 1;
        None
    })
}

/// The words of `text` with their byte ranges, split where [`is_word_break`] says.
pub(super) fn words_of(text: &str) -> impl Iterator<Item = (Range<usize>, &str)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        let start = at + text[at..].find(|c: char| !is_word_break(c))?;
        // An ASCII byte is a whole character: looked up in a table rather than decoded,
        // as most text is ASCII and every value judged is split.
        let bytes = text.as_bytes();
        let mut end = start;
        while let Some(&b) = bytes.get(end) {
            if b.is_ascii() {
                if ASCII_BREAKS[usize::from(b)] {
                    break;
                }
                end += 1;
            } else {
                let c = text[end..].chars().next()?;
                if is_word_break(c) {
                    break;
                }
                end += c.len_utf8();
            }
        }
        at = end;
        Some((start..end, &text[start..end]))
    })
}

/// [`is_word_break`] of each ASCII character.
const ASCII_BREAKS: [bool; 128] = {
    let mut breaks = [false; 128];
    let mut b = 0;
    while b < 128 {
        breaks[b] = matches!(
            b as u8,
            b'\t'
                | b'\n'
                | 0x0b
                | 0x0c
                | b'\r'
                | b' '
                | b'"'
                | b'\''
                | b'`'
                | b','
                | b';'
                | b'('
                | b')'
                | b'['
                | b']'
                | b'{'
                | b'}'
                | b'<'
                | b'>'
                | b'='
                | b':'
                | b'@'
                | b'\\'
                | b'|'
        );
        b += 1;
    }
    breaks
};

/// Characters that end a word when looking for tokens in text.
pub(super) fn is_word_break(c: char) -> bool {
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

/// No word shorter than this has a credential's shape: the shortest known token, a JWT
/// and a random key are all longer. Most words of configuration are shorter, and are
/// passed over at once.
const SHORTEST_CREDENTIAL: usize = 15;

/// The shortest `Authorization` credential found: `token ` and eight characters.
const SHORTEST_HEADER: usize = "token ".len() + 8;
const _: () = assert!(shape::RANDOM_FROM >= SHORTEST_CREDENTIAL);

/// The shape of one word: a known token, a JWT, or a random key.
pub(super) fn word_shape(word: &str) -> Option<Kind> {
    if word.len() < SHORTEST_CREDENTIAL
        || formats::PUBLIC
            .iter()
            .any(|prefix| word.starts_with(prefix))
    {
        return None;
    }
    if let Some(format) = formats::of(word) {
        return Some(Kind::Token(format.name));
    }
    if let Some(name) = formats::unprefixed(word) {
        return Some(Kind::Token(name));
    }
    if is_jwt(word) {
        return Some(Kind::Jwt);
    }
    is_random(word).then_some(Kind::Random)
}

#[cfg(test)]
mod corpus;
#[cfg(test)]
mod tests;
