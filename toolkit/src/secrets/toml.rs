//! The secrets of a whole TOML file: every string in it, at any depth (tables, inline
//! tables, arrays, arrays of tables), judged by its key and its shape, with its span.
//! What the rule reports in files no environment tree covers (the pins, the allowances'
//! reasons), and what a diagnostic's excerpt hides whatever the key looks like (quoted)
//! and however the value is written (across lines).

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::Kind;

/// A string of a TOML file that is a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Found {
    /// The value's bytes in the file, quotes included.
    pub range: Range<usize>,
    /// Its dotted path of keys, as `[[secrets.allow]]` names it (an array's items share
    /// the array's path).
    pub path: String,
    pub kind: Kind,
}

/// Every secret string of `text`, in the file's order; nothing when it is not valid TOML
/// (the parse error is its own diagnostic, whose excerpt [`super::redact`] still hides
/// secrets in). Read with the parser that reads the files, which keeps every span.
pub fn secrets(text: &str) -> Vec<Found> {
    DeTable::parse(text).map_or_else(|_| Vec::new(), |document| secrets_in(document.get_ref()))
}

/// Every secret string of a parsed document, in the file's order.
pub fn secrets_in(document: &DeTable<'_>) -> Vec<Found> {
    let mut found = Vec::new();
    table(document, &mut Vec::new(), &mut found);
    found.sort_by_key(|secret| secret.range.start);
    found
}

fn table<'a>(table: &'a DeTable<'a>, path: &mut Vec<&'a str>, found: &mut Vec<Found>) {
    for (key, item) in table {
        path.push(key.get_ref());
        value(item, key.get_ref(), path, found);
        path.pop();
    }
}

fn value<'a>(
    value: &'a Spanned<DeValue<'a>>,
    key: &str,
    path: &mut Vec<&'a str>,
    found: &mut Vec<Found>,
) {
    match value.get_ref() {
        DeValue::String(text) => {
            if let Some(kind) = super::classify_once(key, text) {
                found.push(Found {
                    range: value.span(),
                    path: path.join("."),
                    kind,
                });
            }
        }
        DeValue::Array(items) => {
            for item in items {
                self::value(item, key, path, found);
            }
        }
        DeValue::Table(inner) => table(inner, path, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn each_secret_string_is_found_with_its_quotes_and_path_in_the_files_order() {
        let text = "[b]\npassword = \"hunter2-hunter2\"\nname = \"web\"\n\n[a]\nx = [{ token = 'abc123def456' }]\n\n[[c]]\nsecret = \"\"\"s3cr3t-value-9\"\"\"\n";
        let found: Vec<(&str, String)> = super::secrets(text)
            .into_iter()
            .map(|secret| (&text[secret.range], secret.path))
            .collect();
        assert_eq!(
            found,
            [
                ("\"hunter2-hunter2\"", "b.password".to_owned()),
                ("'abc123def456'", "a.x.token".to_owned()),
                ("\"\"\"s3cr3t-value-9\"\"\"", "c.secret".to_owned()),
            ]
        );
        assert!(super::secrets("password = ").is_empty(), "not TOML");
    }
}
