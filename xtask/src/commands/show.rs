//! `cargo xtask show ENV`: one environment resolved, each value with its origin.

use std::borrow::Cow;
use std::path::Path;
use std::process::ExitCode;

use serde_json::{Map, Value, json};
use toml_edit::{DocumentMut, Item, Table};

use crate::cli::{ShowArgs, ShowFormat};
use crate::diagnostic::Diagnostic;
use crate::model::tree::{Leaf, Node, Scalar};
use crate::model::{self, Environment, Origin, Secrets};

pub fn run(root: &Path, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let platform = model::load(root)?;
    let env = platform.find(&args.env).map_err(Diagnostic::into_error)?;
    match args.format {
        ShowFormat::Toml => crate::terminal::print(&to_toml(env))?,
        ShowFormat::Json => crate::terminal::print(&format!(
            "{}\n",
            serde_json::to_string_pretty(&to_json(env))?
        ))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a value came from, in words: a `file:line:column`, or the rule that made it.
pub fn describe(origin: &Origin) -> String {
    match origin {
        Origin::File(span) => span.to_string(),
        Origin::Convention(rule) => rule.to_string(),
        Origin::Builtin(rule) => (*rule).to_owned(),
    }
}

/// The environment as TOML, each value followed by a comment naming its origin.
fn to_toml(env: &Environment) -> String {
    let mut document = DocumentMut::new();
    fill_table(document.as_table_mut(), "", &env.tree(), &env.secrets);
    format!(
        "# environment `{}`, resolved from {} and environments/platform.toml\n# by `cargo xtask show {}`; each comment says where its value came from\n\n{document}",
        env.name,
        env.file.path.display(),
        env.name
    )
}

/// Comments line up in a column, except after lines too long to be worth aligning with.
const ALIGN_UP_TO: usize = 60;

/// A secret's value as `show` prints it: never the value itself.
fn hidden(kind: crate::secrets::Kind) -> Scalar<'static> {
    Scalar::String(Cow::Owned(format!("(hidden: {kind})")))
}

/// The dotted path of `key` under `prefix`.
fn path(prefix: &str, key: &str) -> String {
    if prefix.is_empty() {
        key.to_owned()
    } else {
        format!("{prefix}.{key}")
    }
}

fn fill_table(
    table: &mut Table,
    prefix: &str,
    entries: &[(Cow<'_, str>, Node<'_>)],
    secrets: &Secrets,
) {
    let width = entries
        .iter()
        .filter_map(|(key, node)| match node {
            Node::Leaf(leaf) => {
                Some(toml_key(key).len() + 3 + toml_value(&leaf.value).to_string().len())
            }
            Node::Table(_) => None,
        })
        .filter(|length| *length <= ALIGN_UP_TO)
        .max()
        .unwrap_or(0);
    for (key, node) in entries {
        match node {
            Node::Leaf(leaf) => {
                let shown = match secrets.judge(&path(prefix, key), &leaf.value) {
                    Some(kind) => hidden(kind),
                    None => leaf.value.clone(),
                };
                let mut value = toml_value(&shown);
                let length = toml_key(key).len() + 3 + value.to_string().len();
                value.decor_mut().set_suffix(format!(
                    "{}  # {}",
                    " ".repeat(width.saturating_sub(length)),
                    describe(leaf.origin.as_ref())
                ));
                table.insert(key, Item::Value(value));
            }
            Node::Table(children) => {
                let mut child = Table::new();
                // A table holding only tables (`[pools]`) needs no header of its own.
                child.set_implicit(children.iter().all(|(_, n)| matches!(n, Node::Table(_))));
                fill_table(&mut child, &path(prefix, key), children, secrets);
                table.insert(key, Item::Table(child));
            }
        }
    }
}

fn toml_key(key: &str) -> String {
    toml_edit::Key::new(key).display_repr().to_string()
}

fn toml_value(scalar: &Scalar) -> toml_edit::Value {
    match scalar {
        Scalar::String(s) => s.as_ref().into(),
        Scalar::Integer(i) => (*i).into(),
        Scalar::List(items) => items.iter().collect::<toml_edit::Array>().into(),
    }
}

/// The environment as JSON: `{"environment": name, "values": {...}}`, every value as
/// `{"value": ..., "source": {"kind": ..., ...}}`.
fn to_json(env: &Environment) -> Value {
    json!({
        "environment": env.name.as_str(),
        "file": env.file.path.to_string_lossy(),
        "values": json_table("", &env.tree(), &env.secrets),
    })
}

fn json_table(prefix: &str, entries: &[(Cow<'_, str>, Node<'_>)], secrets: &Secrets) -> Value {
    let map: Map<String, Value> = entries
        .iter()
        .map(|(key, node)| {
            let path = path(prefix, key);
            let value = match node {
                Node::Table(children) => json_table(&path, children, secrets),
                Node::Leaf(leaf) => json_leaf(leaf, secrets.judge(&path, &leaf.value)),
            };
            (key.to_string(), value)
        })
        .collect();
    Value::Object(map)
}

/// A value and its source; a secret's value is `null`, with `hidden` saying why.
fn json_leaf(leaf: &Leaf, secret: Option<crate::secrets::Kind>) -> Value {
    let value = match (&leaf.value, secret) {
        (_, Some(_)) => Value::Null,
        (Scalar::String(s), None) => json!(s),
        (Scalar::Integer(i), None) => json!(i),
        (Scalar::List(items), None) => json!(items),
    };
    let source = match leaf.origin.as_ref() {
        Origin::File(span) => {
            let (line, column) = span.file.line_column(span.range.start);
            json!({"kind": "file", "path": span.file.path.to_string_lossy(), "line": line, "column": column})
        }
        Origin::Convention(rule) => json!({"kind": "convention", "rule": rule.as_ref()}),
        Origin::Builtin(rule) => json!({"kind": "builtin", "rule": rule}),
    };
    match secret {
        Some(kind) => json!({"value": value, "hidden": kind.to_string(), "source": source}),
        None => json!({"value": value, "source": source}),
    }
}
