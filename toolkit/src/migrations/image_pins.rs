//! 0.2.0: `ci/pins.toml` pins images and charts as well as actions and tools. Builds start
//! from base images by digest, and the CI cluster's runners are deployed with a pinned
//! chart and run pinned images, so the pins file gains `[images]` and `[charts]`; and the
//! workflows cache cargo's build, so it pins `actions/cache` too. A 0.1.0 pins file has
//! none of them: they are added at its end, with the toolkit's own values and comments,
//! and every byte before them stays.

use std::path::Path;

use super::{Migration, Tree};
use crate::scaffold::toolkit::{PINS, PINS_PATH as PINS_FILE};

pub const MIGRATION: Migration = Migration {
    name: "image-pins",
    version: "0.2.0",
    summary: "ci/pins.toml gains [images] (base images and the runners' images, by digest), [charts] (Actions Runner Controller) and the cache action",
    run,
};

/// The action the workflows cache cargo's build with, and the comment its pin starts with.
const CACHE: &str = "actions/cache";
const CACHE_COMMENT: &str = "# What the checks and the plan build";

/// The tables this adds, in the order the toolkit's own pins file has them.
const TABLES: [&str; 2] = ["images", "charts"];

fn run(tree: &mut Tree) -> anyhow::Result<()> {
    let path = Path::new(PINS_FILE);
    let Some(text) = tree.read_text(path)? else {
        return Ok(());
    };
    if let Some((edited, added)) = with_tables(&text)? {
        tree.note(format!(
            "{PINS_FILE}: {} added with the toolkit's pins; review them as any pin",
            added.join(", ")
        ));
        tree.write(path, edited.into_bytes(), false);
    }
    Ok(())
}

/// The pins file with the toolkit's `[images]` and `[charts]` (and its cache action, when
/// the file has none) after everything it holds, and the tables added; or `None` when it
/// has either table already (then it is the repository's to complete).
fn with_tables(text: &str) -> anyhow::Result<Option<(String, Vec<String>)>> {
    let doc: toml::Table = toml::from_str(text)
        .map_err(|err| anyhow::anyhow!("{PINS_FILE} is not valid TOML: {err}"))?;
    if TABLES.iter().any(|table| doc.contains_key(*table)) {
        return Ok(None);
    }
    let start = PINS
        .find(&format!("\n[{}]", TABLES[0]))
        .ok_or_else(|| anyhow::anyhow!("the toolkit's pins have no [{}]", TABLES[0]))?;
    let mut edited = text.to_owned();
    if !edited.ends_with('\n') {
        edited.push('\n');
    }
    let has_cache = doc
        .get("actions")
        .and_then(|actions| actions.get(CACHE))
        .is_some();
    let mut added: Vec<String> = TABLES.iter().map(|table| format!("[{table}]")).collect();
    if !has_cache {
        added.push(format!("[actions.\"{CACHE}\"]"));
        let cache = PINS
            .find(CACHE_COMMENT)
            .zip(PINS.find("\n[tools]"))
            .map(|(from, to)| &PINS[from..to])
            .ok_or_else(|| anyhow::anyhow!("the toolkit's pins have no [actions.\"{CACHE}\"]"))?;
        edited.push('\n');
        edited.push_str(cache.trim_end());
        edited.push('\n');
    }
    edited.push_str(&PINS[start..]);
    Ok(Some((edited, added)))
}

#[cfg(test)]
mod tests {
    use super::with_tables;
    use crate::scaffold::toolkit::PINS;

    #[test]
    fn the_tables_follow_every_byte_of_an_old_pins_file() {
        let old = "[actions.\"actions/checkout\"]\ncommit = \"08eba0b27e820071cde6df949e0beb9ba4906955\"\nversion = \"v4.3.0\"   # ours\n\n[tools]\nrust = \"1.90.0\"\npodplane = \"v1\"\nkubectl = \"v1.37.0\"\nhelm = \"v4.0.0\"";
        let (edited, added) = with_tables(old).unwrap().unwrap();
        assert_eq!(
            added,
            ["[images]", "[charts]", "[actions.\"actions/cache\"]"]
        );
        assert!(edited.starts_with(&format!("{old}\n")), "{edited}");
        let doc: toml::Table = toml::from_str(&edited).unwrap();
        let ours: toml::Table = toml::from_str(PINS).unwrap();
        assert_eq!(doc["images"], ours["images"]);
        assert_eq!(doc["charts"], ours["charts"]);
        assert_eq!(
            doc["actions"]["actions/cache"],
            ours["actions"]["actions/cache"]
        );
        assert_eq!(doc["tools"]["rust"].as_str(), Some("1.90.0"));
        let with_cache = format!(
            "{old}\n[actions.\"actions/cache\"]\ncommit = \"{}\"\n",
            "0".repeat(40)
        );
        let (_, added) = with_tables(&with_cache).unwrap().unwrap();
        assert_eq!(added, ["[images]", "[charts]"]);
    }

    #[test]
    fn a_pins_file_with_either_table_is_left_alone() {
        assert_eq!(with_tables("[charts]\narc = \"0.13.0\"\n").unwrap(), None);
        assert_eq!(with_tables(PINS).unwrap(), None);
    }
}
