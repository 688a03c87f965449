//! Text with its secrets hidden, byte for byte, so that offsets into it stay valid.

use std::borrow::Cow;
use std::ops::Range;

use super::shape::{credential_url, header_credential, public_material, user_password_at_host};
use super::{find, formats, holds, is_reference, names_a_secret, starts, word_shape, words_of};

/// `text` with every secret in it replaced by `*`, byte for byte, so that offsets into it
/// (a diagnostic's span) stay where they were. Found by shape, and by key for `KEY = "value"`,
/// `'KEY' = 'value'`, `"KEY": "value"` and `KEY=value` wherever the key names a secret.
/// Line breaks stay, so that lines keep their numbers.
pub fn redact(text: &str) -> Cow<'_, str> {
    let mut hidden: Vec<Range<usize>> = Vec::new();
    let mut from = 0;
    while let Some(range) = credential_url(&text[from..]) {
        hidden.push(from + range.start..from + range.end);
        from += range.end;
    }
    hidden.extend(user_password_at_host(text));
    hidden.extend(header_credential(text));
    if let Some(begin) = find(text, "-----BEGIN")
        && holds(&text[begin..], "PRIVATE KEY")
    {
        let end = find(&text[begin..], "-----END")
            .and_then(|e| find(&text[begin + e..], "KEY-----").map(|k| begin + e + k + 8))
            .unwrap_or(text.len());
        hidden.push(begin..end);
    }
    let public = public_material(text);
    for (range, word) in words_of(text) {
        if !public.iter().any(|p| p.contains(&range.start))
            && word_shape(word.trim_end_matches('=')).is_some()
        {
            hidden.push(range);
        }
    }
    for (prefix, _) in formats::SECRET_URLS {
        for at in starts(text, prefix) {
            let start = at + prefix.len();
            let end = text[start..]
                .find(|c: char| c.is_whitespace() || c == '"' || c == '\'')
                .map_or(text.len(), |e| start + e);
            hidden.push(start..end);
        }
    }
    hidden.extend(named_values(text));
    mask(text, &hidden)
}

/// `text` with the bytes of `ranges` replaced by `*`, line breaks kept.
pub fn mask<'a>(text: &'a str, ranges: &[Range<usize>]) -> Cow<'a, str> {
    if ranges.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut bytes = text.as_bytes().to_vec();
    for range in ranges {
        for i in range.start.min(bytes.len())..range.end.min(bytes.len()) {
            // Every byte of a character is masked, so the text stays valid UTF-8.
            if bytes[i] != b'\n' && bytes[i] != b'\r' {
                bytes[i] = b'*';
            }
        }
    }
    Cow::Owned(String::from_utf8(bytes).unwrap_or_else(|_| "*".repeat(text.len())))
}

/// The byte ranges of values assigned to keys that name a secret: the inside of a quoted
/// string (triple-quoted ones across lines) after `KEY =` or `"KEY":`, or an unquoted word
/// after `KEY=`.
pub(super) fn named_values(text: &str) -> Vec<Range<usize>> {
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
                let triple = if quote == b'"' { "\"\"\"" } else { "'''" };
                if text[j..].starts_with(triple) {
                    let inner = j + 3;
                    inner..text[inner..].find(triple).map_or(text.len(), |e| inner + e)
                } else {
                    let end = text[j + 1..]
                        .find(|c: char| c == char::from(quote) || c == '\n')
                        .map_or(text.len(), |e| j + 1 + e);
                    j + 1..end
                }
            }
            Some(_) if b == b'=' => {
                let end = text[j..]
                    .find(|c: char| c.is_whitespace() || c == ';' || c == '&' || c == ',')
                    .map_or(text.len(), |e| j + e);
                j..end
            }
            _ => continue,
        };
        if !range.is_empty() && !is_reference(&text[range.clone()]) {
            found.push(range);
        }
    }
    found
}

/// The key just before the `=` or `:` at `at`: a bare key, or a quoted one (`"KEY"`,
/// `'KEY'`).
fn key_before(text: &str, at: usize) -> &str {
    let before = text[..at].trim_end_matches([' ', '\t']);
    for quote in ['"', '\''] {
        if let Some(quoted) = before.strip_suffix(quote) {
            return quoted.rfind(quote).map_or("", |open| &quoted[open + 1..]);
        }
    }
    let start = before
        .char_indices()
        .rev()
        .find(|&(_, c)| !(c.is_ascii_alphanumeric() || "_-.".contains(c)))
        .map_or(0, |(i, c)| i + c.len_utf8());
    &before[start..]
}
