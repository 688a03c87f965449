//! The JSON Schemas of the hand-written TOML files, written beside them: each file's first
//! line (`#:schema ./platform.schema.json`) points taplo and the editors built on it (Even
//! Better TOML) at its schema, so that a typo is underlined as it is typed, offline.
//!
//! The schemas are derived from the types the loader reads the files with, so that they
//! cannot drift apart: the same keys, the same required ones, unknown keys refused, and
//! each value's enum or pattern. They are draft 7, which taplo validates with.
//!
//! The derivation (schemars) runs in this module's unit test, which holds the schemas the
//! toolkit carries in `templates/schemas/` to what the types say now, and rewrites them
//! with `SNAPSHOTS=overwrite`: the program does not compile schemars for three files that
//! change only with the types.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use super::Generated;
use crate::model::{ENVIRONMENTS_DIR, Platform};
use crate::rule::RuleDoc;

/// The schema of `environments/platform.toml`, beside it.
pub const PLATFORM: &str = "platform.schema.json";
/// The schema of every `environments/<env>/environment.toml`, one directory up.
pub const ENVIRONMENT: &str = "environment.schema.json";
/// The schema of `ci/pins.toml`, beside it.
pub const PINS: &str = "ci/pins.schema.json";

/// The schemas as the types derive them, each with the name of its file under
/// `templates/schemas/`.
const DERIVED_PLATFORM: &str = include_str!("../../templates/schemas/platform.schema.json");
const DERIVED_ENVIRONMENT: &str = include_str!("../../templates/schemas/environment.schema.json");
const DERIVED_PINS: &str = include_str!("../../templates/schemas/pins.schema.json");

/// The schemas of `platform`'s hand-written files: the pins' only when it has them.
/// `[checks]` takes the ids of `rules`, which a repository's `xtask` may add to.
pub fn generate(platform: &Platform, rules: &[&RuleDoc]) -> anyhow::Result<Vec<Generated>> {
    let environments = Path::new(ENVIRONMENTS_DIR);
    let mut platform_schema: Value = serde_json::from_str(DERIVED_PLATFORM)?;
    let ids: Vec<&str> = rules.iter().map(|rule| rule.id.as_str()).collect();
    platform_schema["properties"]["checks"]["propertyNames"] = json!({ "enum": ids });
    let mut contents = serde_json::to_string_pretty(&platform_schema)?;
    contents.push('\n');
    let mut files = vec![
        Generated {
            path: environments.join(PLATFORM),
            contents,
        },
        carried(environments.join(ENVIRONMENT), DERIVED_ENVIRONMENT),
    ];
    if platform.pins.is_some() {
        files.push(carried(PINS.into(), DERIVED_PINS));
    }
    Ok(files)
}

fn carried(path: PathBuf, contents: &str) -> Generated {
    Generated {
        path,
        contents: contents.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use schemars::JsonSchema;
    use schemars::generate::SchemaSettings;
    use serde_json::{Value, json};

    use crate::model::files::{EnvironmentFile, PlatformFile};
    use crate::model::pins::{PINS_FILE, PinsFile};
    use crate::render::{Sources, preamble};

    /// The types' schemas now, against the ones the toolkit carries; `SNAPSHOTS=overwrite`
    /// writes them.
    #[test]
    fn the_carried_schemas_are_the_ones_the_types_derive() {
        let derived = [
            (
                "platform",
                schema::<PlatformFile>("platform.toml"),
                super::DERIVED_PLATFORM,
            ),
            (
                "environment",
                schema::<EnvironmentFile>("environment.toml"),
                super::DERIVED_ENVIRONMENT,
            ),
            ("pins", schema::<PinsFile>(PINS_FILE), super::DERIVED_PINS),
        ];
        let overwrite = std::env::var_os("SNAPSHOTS").is_some_and(|v| v == "overwrite");
        for (name, schema, carried) in derived {
            let mut text = serde_json::to_string_pretty(&schema).unwrap();
            text.push('\n');
            // Cargo runs a package's tests in its directory.
            let path = format!("templates/schemas/{name}.schema.json");
            if overwrite {
                std::fs::write(&path, &text).unwrap();
            } else {
                assert!(
                    text == carried,
                    "{path} is not what the types derive now: \
                     `SNAPSHOTS=overwrite cargo test -p platform-toolkit --lib schemas` writes it"
                );
            }
        }
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
}
