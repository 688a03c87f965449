//! 0.2.0: the toolkit leaves the repository. A 0.1.0 repository held a copy of the
//! toolkit's whole source under `xtask/` (and its docs beside), recorded with a hash per
//! file in `toolkit-provenance.toml`; from 0.2.0 its `xtask/` is a thin crate that depends
//! on the toolkit at a pinned revision, and `toolkit.toml` is the record. The thin crate's
//! files are scaffold files, written before this runs; this removes the rest of the copy.

use std::path::Path;

use super::{Migration, Tree};
use crate::scaffold::toolkit::{PROVENANCE_FILE, hash};

pub const MIGRATION: Migration = Migration {
    name: "toolkit-out-of-tree",
    version: "0.2.0",
    summary: "the toolkit's source copy leaves xtask/ and docs/, and toolkit-provenance.toml gives way to toolkit.toml",
    run,
};

/// Files of the 0.1.0 toolkit that stay the repository's own: its pins, hand-written, and
/// their schema, which `render` writes.
const KEPT: [&str; 2] = ["ci/pins.toml", "ci/pins.schema.json"];

fn run(tree: &mut Tree) -> anyhow::Result<()> {
    let provenance = std::mem::take(&mut tree.provenance);
    let mut forked = Vec::new();
    for (path, recorded) in &provenance {
        let path_ref = Path::new(path);
        if KEPT.contains(&path.as_str()) || tree.scaffold.contains(path) {
            continue;
        }
        let Some(current) = tree.read(path_ref)? else {
            continue;
        };
        if hash(&current) == *recorded {
            tree.remove(path_ref);
        } else if path.starts_with("xtask/") {
            forked.push(path.clone());
        } else {
            tree.note(format!(
                "kept {path}: it was edited, and the toolkit no longer ships it; remove it when it is of no more use"
            ));
        }
    }
    if !forked.is_empty() {
        anyhow::bail!(
            "these files of the toolkit's source were edited in this repository: {}. From 0.2.0 the toolkit is a dependency, not a copy: send the change to the toolkit, or make it a rule of your own in xtask/src/main.rs (README, \"Rules of your own\"); then restore the files (`git checkout <first commit> -- xtask`) and upgrade again",
            forked.join(", ")
        );
    }
    tree.remove(Path::new(PROVENANCE_FILE));
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::path::Path;

    use super::run;
    use crate::migrations::{FileEdit, Tree};
    use crate::scaffold::toolkit::hash;

    fn repository(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (path, text) in files {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        }
        dir
    }

    #[test]
    fn unedited_toolkit_files_go_edited_docs_stay_and_pins_are_kept() {
        let dir = repository(&[
            ("xtask/src/model.rs", "pub struct Model;\n"),
            ("docs/ARCHITECTURE.md", "# Ours now\n"),
            ("ci/pins.toml", "[tools]\nrust = \"1.95.0\"\n"),
            ("xtask/Cargo.toml", "[package]\n"),
        ]);
        let provenance: BTreeMap<String, String> = [
            ("xtask/src/model.rs", hash(b"pub struct Model;\n")),
            ("docs/ARCHITECTURE.md", hash(b"# Architecture\n")),
            ("ci/pins.toml", hash(b"old\n")),
            ("xtask/Cargo.toml", hash(b"[package]\n")),
            ("xtask/src/gone.rs", hash(b"")),
        ]
        .into_iter()
        .map(|(path, hash)| (path.to_owned(), hash))
        .collect();
        let mut tree = Tree::new(dir.path(), provenance);
        tree.scaffold.insert("xtask/Cargo.toml".to_owned());
        run(&mut tree).unwrap();
        let changed: Vec<(&Path, &FileEdit)> = tree
            .changes()
            .iter()
            .map(|(path, change)| (path.as_path(), change))
            .collect();
        assert_eq!(
            changed,
            [
                (Path::new("toolkit-provenance.toml"), &FileEdit::Remove),
                (Path::new("xtask/src/model.rs"), &FileEdit::Remove),
            ]
        );
        assert_eq!(tree.notes().len(), 1, "{:?}", tree.notes());
        assert!(tree.notes()[0].starts_with("kept docs/ARCHITECTURE.md"));
    }

    #[test]
    fn an_edited_toolkit_source_file_stops_the_upgrade() {
        let dir = repository(&[("xtask/src/checks/mine.rs", "// ours\n")]);
        let provenance = BTreeMap::from([("xtask/src/checks/mine.rs".to_owned(), hash(b""))]);
        let mut tree = Tree::new(dir.path(), provenance);
        let err = run(&mut tree).unwrap_err().to_string();
        assert!(err.contains("xtask/src/checks/mine.rs"), "{err}");
        assert!(tree.changes().is_empty());
    }
}
