//! The secrets of a whole TOML file: every string in it, at any depth (tables, inline
//! tables, arrays, arrays of tables), judged by its key and its shape, with its span.
//! What the rule reports in files no environment tree covers (the pins, the allowances'
//! reasons), and what a diagnostic's excerpt hides whatever the key looks like (quoted)
//! and however the value is written (across lines).

use std::ops::Range;

use toml_edit::{Document, Item, Table, Value};

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

/// Every secret string of `text`; nothing when it is not valid TOML (the parse error is
/// its own diagnostic, whose excerpt [`super::redact`] still hides secrets in).
pub fn secrets(text: &str) -> Vec<Found> {
    let Ok(document) = Document::parse(text) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    table(document.as_table(), &mut Vec::new(), &mut found);
    found
}

fn table<'a>(table: &'a Table, path: &mut Vec<&'a str>, found: &mut Vec<Found>) {
    for (key, item) in table.iter() {
        path.push(key);
        match item {
            Item::Value(value) => self::value(value, key, path, found),
            Item::Table(inner) => self::table(inner, path, found),
            Item::ArrayOfTables(tables) => {
                for inner in tables.iter() {
                    self::table(inner, path, found);
                }
            }
            Item::None => {}
        }
        path.pop();
    }
}

fn value<'a>(value: &'a Value, key: &str, path: &mut Vec<&'a str>, found: &mut Vec<Found>) {
    match value {
        Value::String(text) => {
            if let (Some(kind), Some(range)) = (super::classify(key, text.value()), text.span()) {
                found.push(Found {
                    range,
                    path: path.join("."),
                    kind,
                });
            }
        }
        Value::Array(items) => {
            for item in items.iter() {
                self::value(item, key, path, found);
            }
        }
        Value::InlineTable(inline) => {
            for (inner_key, item) in inline.iter() {
                path.push(inner_key);
                self::value(item, inner_key, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}
