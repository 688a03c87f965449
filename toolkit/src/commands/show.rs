//! `cargo xtask show ENV`: one environment resolved, each value with its origin.

use std::borrow::Cow;
use std::fmt::Write as _;
use std::path::Path;
use std::process::ExitCode;

use serde::ser::{Serialize, SerializeMap as _, Serializer};

use crate::cli::{ShowArgs, ShowFormat};
use crate::diagnostic::Diagnostic;
use crate::model::tree::{Leaf, Node, Scalar};
use crate::model::{Environment, Origin, Secrets};

pub fn run(root: &Path, args: &ShowArgs) -> anyhow::Result<ExitCode> {
    let platform = crate::repository::load_until_exit(root)?;
    let env = platform.find(&args.env).map_err(Diagnostic::into_error)?;
    match args.format {
        ShowFormat::Toml => crate::terminal::print(&to_toml(env))?,
        ShowFormat::Json => crate::terminal::print_json(&Json(env))?,
    }
    Ok(ExitCode::SUCCESS)
}

/// Where a value came from, in words: a `file:line:column`, or the rule that made it.
fn describe(out: &mut String, origin: &Origin) {
    let _ = match origin {
        Origin::File(span) => write!(out, "{span}"),
        Origin::Convention(rule) => write!(out, "{rule}"),
        Origin::Builtin(rule) => out.write_str(rule),
    };
}

/// The environment as TOML, each value followed by a comment naming its origin. Written
/// line by line, as `toml_edit` lays out a document: a table's values under its header,
/// then its tables; no header for a table that holds only tables.
fn to_toml(env: &Environment) -> String {
    let mut out = format!(
        "# environment `{}`, resolved from {} and environments/platform.toml\n# by `cargo xtask show {}`; each comment says where its value came from\n\n",
        env.name,
        env.file.path.display(),
        env.name
    );
    write_table(&mut out, &[], "", &env.tree(), &env.secrets);
    out
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

/// Writes the table at `header` (its keys, as TOML writes them) and the tables in it.
fn write_table(
    out: &mut String,
    header: &[String],
    prefix: &str,
    entries: &[(Cow<'_, str>, Node<'_>)],
    secrets: &Secrets,
) {
    let lines: Vec<(String, String, &Leaf)> = entries
        .iter()
        .filter_map(|(key, node)| match node {
            Node::Leaf(leaf) => {
                let shown = match secrets.judge_key(key, &leaf.value, || path(prefix, key)) {
                    Some(kind) => hidden(kind),
                    None => leaf.value.clone(),
                };
                Some((toml_key(key), toml_value(&shown).to_string(), leaf))
            }
            Node::Table(_) => None,
        })
        .collect();
    if !header.is_empty() && !lines.is_empty() {
        let _ = writeln!(out, "\n[{}]", header.join("."));
    }
    let length = |(key, value, _): &(String, String, &Leaf)| key.len() + 3 + value.len();
    let width = lines
        .iter()
        .map(length)
        .filter(|length| *length <= ALIGN_UP_TO)
        .max()
        .unwrap_or(0);
    for line in &lines {
        let (key, value, leaf) = line;
        out.push_str(key);
        out.push_str(" = ");
        out.push_str(value);
        out.extend(std::iter::repeat_n(' ', width.saturating_sub(length(line))));
        out.push_str("  # ");
        describe(out, leaf.origin.as_ref());
        out.push('\n');
    }
    // The tables in it, on all cores when there are many (the services of a large
    // environment), each written apart and joined in order.
    let tables: Vec<_> = entries
        .iter()
        .filter_map(|(key, node)| match node {
            Node::Table(children) => Some((key.as_ref(), children.as_slice())),
            Node::Leaf(_) => None,
        })
        .collect();
    let written = crate::parallel::map(tables, |(key, children)| {
        let mut out = String::new();
        let mut header = header.to_vec();
        header.push(toml_key(key));
        write_table(&mut out, &header, &path(prefix, key), children, secrets);
        out
    });
    for table in written {
        out.push_str(&table);
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
/// `{"value": ..., "source": {"kind": ..., ...}}`; serialized as it is written out.
struct Json<'e>(&'e Environment);

impl Serialize for Json<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let env = self.0;
        let mut map = serializer.serialize_map(Some(3))?;
        map.serialize_entry("environment", env.name.as_str())?;
        map.serialize_entry("file", &env.file.path.to_string_lossy())?;
        map.serialize_entry(
            "values",
            &JsonTable {
                prefix: "",
                entries: &env.tree(),
                secrets: &env.secrets,
            },
        )?;
        map.end()
    }
}

struct JsonTable<'t, 'a> {
    prefix: &'t str,
    entries: &'t [(Cow<'a, str>, Node<'a>)],
    secrets: &'t Secrets,
}

impl Serialize for JsonTable<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.entries.len()))?;
        for (key, node) in self.entries {
            match node {
                Node::Table(children) => map.serialize_entry(
                    key,
                    &JsonTable {
                        prefix: &path(self.prefix, key),
                        entries: children,
                        secrets: self.secrets,
                    },
                )?,
                Node::Leaf(leaf) => map.serialize_entry(
                    key,
                    &JsonLeaf {
                        leaf,
                        secret: self
                            .secrets
                            .judge_key(key, &leaf.value, || path(self.prefix, key)),
                    },
                )?,
            }
        }
        map.end()
    }
}

/// A value and its source; a secret's value is `null`, with `hidden` saying why.
struct JsonLeaf<'l, 'a> {
    leaf: &'l Leaf<'a>,
    secret: Option<crate::secrets::Kind>,
}

impl Serialize for JsonLeaf<'_, '_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("value", &self.secret.is_none().then_some(&self.leaf.value))?;
        if let Some(kind) = self.secret {
            map.serialize_entry("hidden", &kind.to_string())?;
        }
        map.serialize_entry("source", &JsonSource(self.leaf.origin.as_ref()))?;
        map.end()
    }
}

struct JsonSource<'o>(&'o Origin);

impl Serialize for JsonSource<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        match self.0 {
            Origin::File(span) => {
                let (line, column) = span.file.line_column(span.range.start);
                map.serialize_entry("kind", "file")?;
                map.serialize_entry("path", &span.file.path.to_string_lossy())?;
                map.serialize_entry("line", &line)?;
                map.serialize_entry("column", &column)?;
            }
            Origin::Convention(rule) => {
                map.serialize_entry("kind", "convention")?;
                map.serialize_entry("rule", rule.as_ref())?;
            }
            Origin::Builtin(rule) => {
                map.serialize_entry("kind", "builtin")?;
                map.serialize_entry("rule", rule)?;
            }
        }
        map.end()
    }
}
