//! The versioned migrations `cargo xtask upgrade` runs: each a small, named change of a
//! repository's own files (its TOML sources, its crate manifests, its layout) from the
//! formats of one toolkit version to the next. A migration edits a [`Tree`], the
//! repository as it will be after the upgrade, in memory; the command writes the result
//! whole or not at all.
//!
//! Adding one is a change of two files: a module here with its `MIGRATION` and its tests,
//! and its line in [`ALL`]. It runs for every repository whose recorded version is older
//! than its `version`, in the order of [`ALL`].

mod containerfiles_pinned;
mod image_pins;
mod licence_kept;
mod observability_platform;
mod toolkit_out_of_tree;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use anyhow::Context as _;

/// One change of format, made by the toolkit of `version`.
pub struct Migration {
    /// A short slug, as `upgrade` reports it.
    pub name: &'static str,
    /// The toolkit version whose formats it brings the repository to.
    pub version: &'static str,
    /// What it changes and why, in one sentence.
    pub summary: &'static str,
    pub run: fn(&mut Tree) -> anyhow::Result<()>,
}

/// Every migration, oldest first.
pub const ALL: [&Migration; 5] = [
    &toolkit_out_of_tree::MIGRATION,
    &licence_kept::MIGRATION,
    &image_pins::MIGRATION,
    &containerfiles_pinned::MIGRATION,
    &observability_platform::MIGRATION,
];

/// The migrations a repository in the formats of `from` needs to reach `to`.
pub fn between(from: &str, to: &str) -> anyhow::Result<Vec<&'static Migration>> {
    let (from, to) = (version(from)?, version(to)?);
    let mut needed = Vec::new();
    for migration in ALL {
        let at = version(migration.version)?;
        if from < at && at <= to {
            needed.push(migration);
        }
    }
    Ok(needed)
}

/// A `MAJOR.MINOR.PATCH` version, for ordering.
pub fn version(text: &str) -> anyhow::Result<(u64, u64, u64)> {
    let parts: Vec<u64> = text
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .ok()
        .filter(|parts: &Vec<u64>| parts.len() == 3)
        .with_context(|| format!("`{text}` is not a version such as 0.2.0"))?;
    Ok((parts[0], parts[1], parts[2]))
}

/// A repository's files as an upgrade will leave them: what is on disk under `root`, with
/// the upgrade's changes laid over it. Paths are relative to the root.
pub struct Tree {
    root: PathBuf,
    changes: BTreeMap<PathBuf, FileEdit>,
    /// What each migration reported, by migration.
    notes: Vec<String>,
    /// The provenance record of a 0.1.0 repository, by path: its toolkit files' hashes.
    pub provenance: BTreeMap<String, String>,
    /// The paths of the scaffold files the new toolkit writes.
    pub scaffold: BTreeSet<String>,
}

/// What the upgrade does to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileEdit {
    Write { contents: Vec<u8>, executable: bool },
    Remove,
}

impl Tree {
    pub fn new(root: &Path, provenance: BTreeMap<String, String>) -> Tree {
        Tree {
            root: root.to_path_buf(),
            changes: BTreeMap::new(),
            notes: Vec::new(),
            provenance,
            scaffold: BTreeSet::new(),
        }
    }

    /// The repository's root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file's contents as the upgrade leaves it; `None` when it does not exist then.
    pub fn read(&self, path: &Path) -> anyhow::Result<Option<Vec<u8>>> {
        match self.changes.get(path) {
            Some(FileEdit::Write { contents, .. }) => Ok(Some(contents.clone())),
            Some(FileEdit::Remove) => Ok(None),
            None => match std::fs::read(self.root.join(path)) {
                Ok(contents) => Ok(Some(contents)),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
                Err(err) => Err(err).with_context(|| format!("reading {}", path.display())),
            },
        }
    }

    /// The file's text, as [`Tree::read`].
    pub fn read_text(&self, path: &Path) -> anyhow::Result<Option<String>> {
        self.read(path)?
            .map(|bytes| {
                String::from_utf8(bytes)
                    .with_context(|| format!("{} is not UTF-8 text", path.display()))
            })
            .transpose()
    }

    /// Sets the file's contents; a file that exists keeps its permissions.
    pub fn write(&mut self, path: &Path, contents: Vec<u8>, executable: bool) {
        self.changes.insert(
            path.to_path_buf(),
            FileEdit::Write {
                contents,
                executable,
            },
        );
    }

    pub fn remove(&mut self, path: &Path) {
        self.changes.insert(path.to_path_buf(), FileEdit::Remove);
    }

    /// The crate manifests of the workspace's `crates/*` members, as the upgrade leaves
    /// them on disk.
    pub fn crate_manifests(&self) -> anyhow::Result<Vec<PathBuf>> {
        let dir = self.root.join("crates");
        let mut manifests = Vec::new();
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Ok(manifests);
        };
        for entry in entries {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let manifest = Path::new("crates")
                .join(entry.file_name())
                .join("Cargo.toml");
            if self.read(&manifest)?.is_some() {
                manifests.push(manifest);
            }
        }
        manifests.sort();
        Ok(manifests)
    }

    /// Says what a migration did, for the upgrade's report.
    pub fn note(&mut self, text: String) {
        self.notes.push(text);
    }

    pub fn changes(&self) -> &BTreeMap<PathBuf, FileEdit> {
        &self.changes
    }

    pub fn notes(&self) -> &[String] {
        &self.notes
    }
}

#[cfg(test)]
mod tests {
    use super::{ALL, between, version};

    #[test]
    fn migrations_run_when_their_version_lies_after_the_repository_and_up_to_the_toolkit() {
        let names =
            |from, to| -> Vec<&str> { between(from, to).unwrap().iter().map(|m| m.name).collect() };
        assert_eq!(
            names("0.1.0", "0.2.0"),
            [
                "toolkit-out-of-tree",
                "licence-kept",
                "image-pins",
                "containerfiles-pinned",
                "observability-platform"
            ]
        );
        assert!(names("0.2.0", "0.2.0").is_empty());
        assert!(names("0.1.0", "0.1.0").is_empty());
        assert!(between("0.2", "0.2.0").is_err());
    }

    #[test]
    fn migrations_are_listed_oldest_first_with_unique_names() {
        for pair in ALL.windows(2) {
            assert!(version(pair[0].version).unwrap() <= version(pair[1].version).unwrap());
        }
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }
}
