//! Parsing one hand-written file into its `files` type, turning every TOML and serde
//! error into a diagnostic with a span, a plain message and a suggestion.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::de::DeserializeOwned;

use crate::diagnostic::{Diagnostic, Location, SourceFile, Span, help_valid};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

/// The rule of every problem found reading and parsing the files.
pub static SCHEMA_RULE: RuleDoc = RuleDoc {
    id: RuleId::Schema,
    default: RuleLevel::Deny,
    summary: "platform.toml and every environment.toml parse and validate",
    explanation: "Every other rule reads the resolved environments, so a file that does not \
parse, holds an unknown key, a value of the wrong type, or a name that breaks Podplane's or DNS \
rules stops everything. Fix the file at the line shown; the message says what would be valid.",
};

/// Deserializes one file, or explains in a diagnostic why it cannot be.
pub fn parse<T: DeserializeOwned>(file: &Arc<SourceFile>) -> Result<T, Diagnostic> {
    toml::from_str(&file.text).map_err(|err| toml_diagnostic(file, &err))
}

/// Whether [`parse_with_secrets`] finds a file's secrets in the same parse. A command that
/// looks for them in every file (`check`, `render`) asks for it; for the others they are
/// found, the same, when something asks.
static SECRETS_WHILE_PARSING: AtomicBool = AtomicBool::new(false);

/// Makes [`parse_with_secrets`] find each file's secrets as it parses it, from then on.
pub fn find_secrets_while_parsing() {
    SECRETS_WHILE_PARSING.store(true, Ordering::Relaxed);
}

/// [`parse`] for a file secrets are looked for in (`platform.toml`, an `environment.toml`,
/// the pins): when [`find_secrets_while_parsing`] was called, the same parse finds them,
/// and the file keeps them.
pub fn parse_with_secrets<T: DeserializeOwned>(file: &Arc<SourceFile>) -> Result<T, Diagnostic> {
    if !SECRETS_WHILE_PARSING.load(Ordering::Relaxed) {
        return parse(file);
    }
    let document =
        toml::de::DeTable::parse(&file.text).map_err(|err| toml_diagnostic(file, &err))?;
    file.keep_secrets_found(crate::secrets::toml::secrets_in(document.get_ref()));
    T::deserialize(toml::de::Deserializer::from(document))
        .map_err(|err| toml_diagnostic(file, &err))
}

/// Turns a TOML parse or serde error into a diagnostic. Serde's messages for unknown keys
/// and values name the offending word and the valid ones in backticks; those become a
/// closest-match suggestion.
pub fn toml_diagnostic(file: &Arc<SourceFile>, err: &toml::de::Error) -> Diagnostic {
    let message = err.message().trim();
    let words = backticked(message);
    let location = match err.span() {
        Some(range) => {
            // A span over several lines is a whole table; its first line says which.
            let end = file.text[range.clone()]
                .find('\n')
                .map_or(range.end, |newline| range.start + newline);
            Location::Span(Span {
                file: file.clone(),
                range: range.start..end,
            })
        }
        None => Location::Path(file.path.clone()),
    };
    let (message, label, help) = if let Some(rest) = message.strip_prefix("unknown field") {
        let expected = if rest.contains("there are no fields") {
            Vec::new()
        } else {
            words[1..].to_vec()
        };
        (
            format!("unknown key `{}`", words[0]),
            "not a key of this table".to_owned(),
            Some(help_valid("keys", words[0], &expected)),
        )
    } else if message.starts_with("unknown variant") {
        let key = key_before(&location);
        (
            format!("unknown value `{}`{key}", words[0]),
            "not one of the valid values".to_owned(),
            Some(help_valid("values", words[0], &words[1..])),
        )
    } else if message.starts_with("missing field") {
        // The span of the table that lacks the key: worth showing when it is a header or an
        // inline table, not when it is the top of the file.
        let location = match location {
            Location::Span(span)
                if !span.file.text[span.range.clone()]
                    .trim_start()
                    .starts_with(['[', '{']) =>
            {
                Location::Path(span.file.path.clone())
            }
            other => other,
        };
        return Diagnostic::new(format!("missing key `{}`", words[0]), location)
            .with_label("this table needs it")
            .with_help(format!(
                "add `{} = ...`; docs/environments-reference.md lists every key",
                words[0]
            ));
    } else if let Some((found, expected)) = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "))
        .and_then(|rest| rest.rsplit_once(", expected "))
    {
        let key = key_before(&location);
        let expected = plain_type(expected);
        (
            format!("wrong type{key}: expected {expected}, found {found}"),
            format!("expected {expected}"),
            None,
        )
    } else {
        (format!("invalid TOML: {message}"), message.to_owned(), None)
    };
    let mut diagnostic = Diagnostic::new(message, location).with_label(label);
    diagnostic.help = help;
    diagnostic
}

/// Serde's name for an expected type, in the words of TOML.
fn plain_type(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" => "a whole number in range",
        "a sequence" => "an array",
        "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => other,
    }
}

/// The words a serde message quotes in backticks, in order.
fn backticked(message: &str) -> Vec<&str> {
    message.split('`').skip(1).step_by(2).collect()
}

/// " for `key`" when the span is the value of a `key = value` line.
fn key_before(location: &Location) -> String {
    let Location::Span(span) = location else {
        return String::new();
    };
    let line_start = span.file.text[..span.range.start]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let before = &span.file.text[line_start..span.range.start];
    // In `pool = { arch = "x" }` the key is the last word before `=`.
    let key = before
        .trim_end()
        .strip_suffix('=')
        .and_then(|b| b.trim_end().rsplit([' ', '\t', '{', ',']).next());
    match key {
        Some(key) if !key.is_empty() => format!(" for `{key}`"),
        _ => String::new(),
    }
}
