//! The JSON Schemas of the hand-written TOML files, written beside them: each file's first
//! line (`#:schema ./platform.schema.json`) points taplo and the editors built on it (Even
//! Better TOML) at its schema, so that a typo is underlined as it is typed, offline.
//!
//! The schemas are derived from the types the loader reads the files with, so that they
//! cannot drift apart: the same keys, the same required ones, unknown keys refused, and
//! each value's enum or pattern. They are draft 7, which taplo validates with.

use std::path::Path;

use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use serde_json::{Value, json};

use super::{Generated, Sources, preamble};
use crate::model::files::{EnvironmentFile, PlatformFile};
use crate::model::pins::{PINS_FILE, PinsFile};
use crate::model::{ENVIRONMENTS_DIR, Platform};
use crate::rule::RuleDoc;

/// The schema of `environments/platform.toml`, beside it.
pub const PLATFORM: &str = "platform.schema.json";
/// The schema of every `environments/<env>/environment.toml`, one directory up.
pub const ENVIRONMENT: &str = "environment.schema.json";
/// The schema of `ci/pins.toml`, beside it.
pub const PINS: &str = "ci/pins.schema.json";

/// The schemas of `platform`'s hand-written files: the pins' only when it has them.
/// `[checks]` takes the ids of `rules`.
pub fn generate(platform: &Platform, rules: &[&RuleDoc]) -> anyhow::Result<Vec<Generated>> {
    let environments = Path::new(ENVIRONMENTS_DIR);
    let mut platform_schema = schema::<PlatformFile>("platform.toml");
    let ids: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
    platform_schema["properties"]["checks"]["propertyNames"] = json!({ "enum": ids });
    let mut files = vec![
        file(environments.join(PLATFORM), &platform_schema)?,
        file(
            environments.join(ENVIRONMENT),
            &schema::<EnvironmentFile>("environment.toml"),
        )?,
    ];
    if platform.pins.is_some() {
        files.push(file(PINS.into(), &schema::<PinsFile>(PINS_FILE))?);
    }
    Ok(files)
}

/// `T`'s schema, titled with the file it describes and marked as generated.
fn schema<T: JsonSchema>(title: &str) -> Value {
    let generator = SchemaSettings::draft07().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    drop_null(&mut schema);
    schema["title"] = title.into();
    schema["$comment"] = preamble(&Sources::Schemas).join(" ").into();
    schema
}

fn file(path: std::path::PathBuf, schema: &Value) -> anyhow::Result<Generated> {
    let mut contents = serde_json::to_string_pretty(schema)?;
    contents.push('\n');
    Ok(Generated { path, contents })
}

/// `schema` without `null`: TOML has none, and a key that may be left out is simply not
/// required. An optional value's `"type": ["string", "null"]` becomes `"type": "string"`,
/// and its `anyOf` of a reference and `null` an `allOf` of the reference.
fn drop_null(schema: &mut Value) {
    match schema {
        Value::Object(object) => {
            if let Some(Value::Array(types)) = object.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    object.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(any_of)) = object.get_mut("anyOf") {
                any_of.retain(|branch| branch != &json!({ "type": "null" }));
                if any_of.len() == 1 {
                    let branches = object.remove("anyOf").expect("present");
                    object.insert("allOf".to_owned(), branches);
                }
            }
            object.values_mut().for_each(drop_null);
        }
        Value::Array(items) => items.iter_mut().for_each(drop_null),
        _ => {}
    }
}
