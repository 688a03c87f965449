//! The workspace's own packages, as `cargo metadata` describes them: the part of its
//! answer the xtask reads, kept under the target directory between commands.
//!
//! `cargo metadata` stays the source of truth, but it costs more than everything else a
//! command does (seconds, on thousands of crates). Its answer depends only on the
//! workspace's manifests and on which directories its member globs match, so the answer
//! is kept with a fingerprint of exactly those: the root manifest, every package's
//! manifest, and the listing of each directory a member glob reads. A command reads the
//! manifests anyway (the service declarations are in them) and hashes them; when the hash
//! is the kept one, cargo is not asked again. A missing, stale, unreadable or corrupt
//! record is ignored and written anew; a workspace whose members the fingerprint cannot
//! cover (a glob that is not the last component of its path) always asks cargo.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use crate::diagnostic::display_path;
use crate::model::services::Declared;

/// The directory of the records under the target directory.
const RECORDS: &str = "xtask";

/// Changes whenever the record's shape or the meaning of its fingerprint does, so that a
/// record an older xtask wrote is never read as this one's.
const FORMAT: u32 = 5;

/// A package of the workspace.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Package {
    pub name: String,
    pub version: String,
    /// Its manifest, relative to the root, with `/` separators.
    pub manifest: String,
    /// The directories of its path dependencies, relative to the root as well.
    pub path_dependencies: Vec<String>,
    /// The keys its manifest names its dependencies by (of every kind), which are the keys
    /// of the `[workspace.dependencies]` entries it may inherit.
    pub dependencies: Vec<String>,
    /// Whether it has a `[package.metadata.platform]` table: whether it declares a service.
    pub declares_service: bool,
    /// Its service declaration as validated when the record was made, while its manifest
    /// is unchanged; `None` when it declares none, or one that is not valid.
    pub declared: Option<Declared>,
}

impl Package {
    /// Its directory, relative to the root: empty for the root package.
    pub fn dir(&self) -> &str {
        self.manifest.rsplit_once('/').map_or("", |(dir, _)| dir)
    }
}

/// The workspace's packages, with the text of each manifest as it was read.
pub struct Workspace {
    pub packages: Vec<Package>,
    manifests: Vec<String>,
}

impl Workspace {
    /// The workspace at `root`: from the record when its fingerprint still holds, else from
    /// `cargo metadata`, and the record written anew.
    pub fn load(root: &Path) -> anyhow::Result<Workspace> {
        let record = record_path(root);
        let root_manifest = std::fs::read_to_string(root.join("Cargo.toml")).ok();
        if let Some(root_manifest) = &root_manifest
            && let Some(workspace) = recorded(root, &record, root_manifest)
        {
            return Ok(workspace);
        }
        let packages = from_cargo(root)?;
        let manifests = read_manifests(root, &packages)?;
        let workspace = Workspace {
            packages,
            manifests,
        };
        if let Some(root_manifest) = &root_manifest
            && let Some(key) = fingerprint(root, root_manifest, &workspace)
        {
            // The record keeps each valid declaration; this command reads them from the
            // manifests, as every command does without a record.
            let declared = crate::parallel::map(workspace.manifests().collect(), |(p, text)| {
                p.declares_service
                    .then(|| crate::model::services::recorded(&p.name, &p.manifest, text))
                    .flatten()
            });
            let recorded: Vec<Package> = workspace
                .packages
                .iter()
                .zip(declared)
                .map(|(package, declared)| Package {
                    declared,
                    ..package.clone()
                })
                .collect();
            // Keeping it is an optimisation: a read-only checkout works without.
            let _ = keep(&record, &key, &recorded);
        }
        Ok(workspace)
    }

    /// Each package with the text of its manifest.
    pub fn manifests(&self) -> impl Iterator<Item = (&Package, &str)> {
        self.packages
            .iter()
            .zip(self.manifests.iter().map(String::as_str))
    }

    pub fn package(&self, name: &str) -> Option<&Package> {
        self.packages.iter().find(|package| package.name == name)
    }

    /// The workspace's crates whose entry in `lock` (the text of `Cargo.lock`) names
    /// another version than their manifest: each name, its version, and the lock's. A
    /// crate the lock does not list is left to cargo, which adds it.
    pub fn stale_lock_entries(&self, lock: &str) -> Vec<(String, String, String)> {
        let Ok(lock) = toml::from_str::<toml::Table>(lock) else {
            return Vec::new();
        };
        let entries = lock.get("package").and_then(toml::Value::as_array);
        // The workspace's own crates are the entries without a `source`.
        let locked: BTreeMap<&str, &str> = entries
            .into_iter()
            .flatten()
            .filter_map(|entry| {
                let entry = entry.as_table()?;
                if entry.contains_key("source") {
                    return None;
                }
                Some((
                    entry.get("name")?.as_str()?,
                    entry.get("version")?.as_str()?,
                ))
            })
            .collect();
        self.packages
            .iter()
            .filter_map(|package| {
                let locked = *locked.get(package.name.as_str())?;
                (locked != package.version).then(|| {
                    (
                        package.name.clone(),
                        package.version.clone(),
                        locked.to_owned(),
                    )
                })
            })
            .collect()
    }
}

/// The text of each package's manifest, read on all cores.
fn read_manifests(root: &Path, packages: &[Package]) -> anyhow::Result<Vec<String>> {
    crate::parallel::map(packages.iter().collect(), |package| {
        let path = root.join(&package.manifest);
        std::fs::read_to_string(&path).with_context(|| format!("reading {}", path.display()))
    })
    .into_iter()
    .collect()
}

/// `path` relative to `root`, with `/` separators, as git names paths.
fn relative(root: &Path, path: &Path) -> String {
    display_path(root, path)
        .components()
        .map(|c| c.as_os_str().to_string_lossy())
        .collect::<Vec<_>>()
        .join("/")
}

/// Where the record of the workspace at `root` is kept: in the target directory cargo
/// uses. In `target` at the root it goes with the tree when the tree is moved or copied;
/// in a shared `CARGO_TARGET_DIR` it is named after the root, as that directory may serve
/// several workspaces.
fn record_path(root: &Path) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => {
            let root_hash = format!("{:x}", Sha256::digest(root.as_os_str().as_encoded_bytes()));
            std::path::absolute(PathBuf::from(dir))
                .unwrap_or_default()
                .join(RECORDS)
                .join(format!("workspace-{}.json", &root_hash[..16]))
        }
        None => root.join("target").join(RECORDS).join("workspace.json"),
    }
}

#[derive(Serialize, Deserialize)]
struct Record {
    format: u32,
    /// The [`seal`] of the inputs' fingerprint and the packages.
    key: String,
    packages: Vec<Package>,
}

/// The workspace as recorded, if a record is there and its fingerprint is the workspace's
/// now.
fn recorded(root: &Path, record: &Path, root_manifest: &str) -> Option<Workspace> {
    // Only a regular file of a plausible size: opening a FIFO would wait for a writer,
    // and nothing this tool wrote is larger.
    let meta = std::fs::symlink_metadata(record).ok()?;
    if !meta.is_file() || meta.len() > RECORD_LIMIT {
        return None;
    }
    let record: Record = serde_json::from_slice(&std::fs::read(record).ok()?).ok()?;
    if record.format != FORMAT {
        return None;
    }
    // Anyone can recompute the key, so the contents are held to what fresh input would
    // be: manifests inside the repository, declarations as their manifests say.
    if !record.packages.iter().all(|p| inside(&p.manifest)) {
        return None;
    }
    let manifests = read_manifests(root, &record.packages).ok()?;
    let declared_as_written = crate::parallel::map(
        record.packages.iter().zip(&manifests).collect(),
        |(package, text)| match &package.declared {
            Some(declared) => {
                crate::model::services::recorded(&package.name, &package.manifest, text).as_ref()
                    == Some(declared)
            }
            None => true,
        },
    );
    if !declared_as_written.into_iter().all(|held| held) {
        return None;
    }
    let workspace = Workspace {
        packages: record.packages,
        manifests,
    };
    let key = seal(
        &fingerprint(root, root_manifest, &workspace)?,
        &workspace.packages,
    );
    (key == record.key).then_some(workspace)
}

/// The largest record read: far more than a workspace of thousands of crates needs.
const RECORD_LIMIT: u64 = 64 * 1024 * 1024;

/// The fingerprint of the inputs, sealed with the answer kept for them: a record whose
/// answer was changed after it was written does not match either.
fn seal(fingerprint: &str, packages: &[Package]) -> String {
    let mut hash = Sha256::new();
    hash.update(fingerprint.as_bytes());
    hash.update(serde_json::to_vec(packages).unwrap_or_default());
    format!("{:x}", hash.finalize())
}

/// Writes the record beside its final place, then moves it there, so that a command
/// reading it at the same time finds the old one or the new one, never half of one.
fn keep(record: &Path, fingerprint: &str, packages: &[Package]) -> anyhow::Result<()> {
    let dir = record.parent().context("the record has a directory")?;
    std::fs::create_dir_all(dir)?;
    let text = serde_json::to_vec(&Record {
        format: FORMAT,
        key: seal(fingerprint, packages),
        packages: packages.to_vec(),
    })?;
    let mut file = tempfile::NamedTempFile::new_in(dir)?;
    std::io::Write::write_all(&mut file, &text)?;
    file.persist(record)?;
    Ok(())
}

/// What `cargo metadata` says of the workspace's own packages.
fn from_cargo(root: &Path) -> anyhow::Result<Vec<Package>> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .current_dir(root)
        .no_deps()
        .exec()
        .context("running `cargo metadata` to find the service crates")?;
    Ok(metadata
        .workspace_packages()
        .into_iter()
        .map(|package| Package {
            name: package.name.to_string(),
            version: package.version.to_string(),
            manifest: relative(root, package.manifest_path.as_std_path()),
            path_dependencies: package
                .dependencies
                .iter()
                .filter_map(|dep| dep.path.as_ref())
                .map(|path| relative(root, path.as_std_path()))
                .collect(),
            dependencies: package
                .dependencies
                .iter()
                .map(|dep| dep.rename.clone().unwrap_or_else(|| dep.name.clone()))
                .collect(),
            declares_service: package.metadata.get("platform").is_some(),
            declared: None,
        })
        .collect())
}

/// The hash of everything `cargo metadata`'s answer depends on: the root manifest, each
/// package's manifest, and the entries of each directory a member glob reads. `None` when
/// a member glob reads more than one directory level, which no listing covers.
fn fingerprint(root: &Path, root_manifest: &str, workspace: &Workspace) -> Option<String> {
    let mut hash = Sha256::new();
    let mut add = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    add(&FORMAT.to_le_bytes());
    // The answer of a workspace that reaches outside its root depends on where the root
    // is: its paths outside are recorded whole, and cargo looks above a root manifest
    // without `[workspace]` for one. Any other answer holds wherever the tree is moved or
    // copied, with its `target`.
    if !self_contained(root_manifest, workspace) {
        add(root.as_os_str().as_encoded_bytes());
    }
    add(root_manifest.as_bytes());
    for (package, text) in workspace.manifests() {
        add(package.manifest.as_bytes());
        add(text.as_bytes());
    }
    let manifests: std::collections::HashSet<&str> = workspace
        .packages
        .iter()
        .map(|package| package.manifest.as_str())
        .collect();
    for dir in globbed_dirs(root_manifest)? {
        add(dir.as_bytes());
        match std::fs::read_dir(root.join(&dir)) {
            Ok(entries) => {
                // Each entry by name and by what cargo would find there: a file that
                // becomes a crate, or a dangling link that comes to point at one, changes
                // the answer as much as a new name does.
                // The listing gives each entry's type, and a manifest read above is a
                // file: only links and other directories cost a call to the file system.
                let mut found: Vec<_> = entries
                    .filter_map(|entry| {
                        let entry = entry.ok()?;
                        let path = entry.path();
                        let is_dir = match entry.file_type() {
                            Ok(kind) if kind.is_symlink() => {
                                std::fs::metadata(&path).map(|meta| meta.is_dir())
                            }
                            Ok(kind) => Ok(kind.is_dir()),
                            Err(error) => Err(error),
                        };
                        let name = path.file_name()?.to_owned();
                        let kind = match is_dir {
                            Ok(true) => {
                                let read = name.to_str().is_some_and(|name| {
                                    manifests.contains(format!("{dir}/{name}/Cargo.toml").as_str())
                                });
                                if read || path.join("Cargo.toml").is_file() {
                                    b'c'
                                } else {
                                    b'd'
                                }
                            }
                            Ok(false) => b'f',
                            Err(_) => b'x',
                        };
                        Some((name, kind))
                    })
                    .collect();
                found.sort();
                add(&found.len().to_le_bytes());
                for (name, kind) in found {
                    add(name.as_encoded_bytes());
                    add(&[kind]);
                }
            }
            Err(_) => add(b"\0absent"),
        }
    }
    Some(format!("{:x}", hash.finalize()))
}

/// Whether the workspace's answer is the same wherever its root is: the root manifest
/// declares the workspace, and every manifest and path dependency is inside the root.
fn self_contained(root_manifest: &str, workspace: &Workspace) -> bool {
    let declares_workspace = toml_edit::Document::parse(root_manifest)
        .is_ok_and(|document| document.get("workspace").is_some());
    declares_workspace
        && workspace.packages.iter().all(|package| {
            inside(&package.manifest) && package.path_dependencies.iter().all(|p| inside(p))
        })
}

/// Whether `path` is relative and goes down only: a path inside the root.
fn inside(path: &str) -> bool {
    let path = Path::new(path);
    path.is_relative()
        && path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
}

/// The directories whose entries decide what the root manifest's `workspace.members`
/// globs match: `crates` for `crates/*`. `None` for a glob before the last component,
/// such as `crates/*/service`, and for a root manifest that does not parse.
fn globbed_dirs(root_manifest: &str) -> Option<Vec<String>> {
    let document = toml_edit::Document::parse(root_manifest).ok()?;
    let Some(members) = document
        .get("workspace")
        .and_then(|workspace| workspace.get("members"))
    else {
        return Some(Vec::new());
    };
    let mut dirs = Vec::new();
    for member in members.as_array()? {
        let member = member.as_str()?;
        let is_glob = |component: &str| component.contains(['*', '?', '[']);
        let (parent, last) = member.rsplit_once('/').unwrap_or((".", member));
        if parent.split('/').any(is_glob) || last.contains("**") {
            return None;
        }
        if is_glob(last) {
            dirs.push(parent.to_owned());
        }
    }
    Some(dirs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The same tree in two places has one fingerprint, unless cargo would look above its
    /// root for the workspace.
    #[test]
    fn a_fingerprint_names_the_root_only_when_the_answer_depends_on_it() {
        let package = Package {
            name: "web".to_owned(),
            version: "0.1.0".to_owned(),
            manifest: "Cargo.toml".to_owned(),
            path_dependencies: Vec::new(),
            dependencies: Vec::new(),
            declares_service: false,
            declared: None,
        };
        let print = |root: &str, root_manifest: &str| {
            let workspace = Workspace {
                packages: vec![package.clone()],
                manifests: vec![root_manifest.to_owned()],
            };
            fingerprint(Path::new(root), root_manifest, &workspace).unwrap()
        };
        let alone = "[package]\nname = \"web\"\nversion = \"0.1.0\"\n\n[workspace]\n";
        assert_eq!(print("/a", alone), print("/b", alone));
        let member = "[package]\nname = \"web\"\nversion = \"0.1.0\"\n";
        assert_ne!(print("/a", member), print("/b", member));
    }

    /// A record whose key was computed anew over contents that are not what the
    /// manifests say (a port, a manifest outside the repository) is not used.
    #[test]
    fn a_record_is_held_to_its_manifests_whatever_its_key() {
        let base = tempfile::tempdir().unwrap();
        let root = &base.path().join("repo");
        std::fs::create_dir_all(root).unwrap();
        let root_manifest = "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n";
        std::fs::write(root.join("Cargo.toml"), root_manifest).unwrap();
        std::fs::create_dir_all(root.join("crates/web")).unwrap();
        let manifest = "[package]\nname = \"web\"\nversion = \"0.1.0\"\n\n[package.metadata.platform]\ntemplate = \"web\"\nimage = \"ghcr.io/x/web\"\nport = 9090\n";
        std::fs::write(root.join("crates/web/Cargo.toml"), manifest).unwrap();
        let package = Package {
            name: "web".to_owned(),
            version: "0.1.0".to_owned(),
            manifest: "crates/web/Cargo.toml".to_owned(),
            path_dependencies: Vec::new(),
            dependencies: Vec::new(),
            declares_service: true,
            declared: crate::model::services::recorded("web", "crates/web/Cargo.toml", manifest),
        };
        let record = root.join("record.json");
        let sealed = |packages: Vec<Package>| {
            let workspace = Workspace {
                manifests: read_manifests(root, &packages).unwrap(),
                packages,
            };
            let print = fingerprint(root, root_manifest, &workspace).unwrap();
            keep(&record, &print, &workspace.packages).unwrap();
        };
        sealed(vec![package.clone()]);
        assert!(
            recorded(root, &record, root_manifest).is_some(),
            "as written"
        );
        let mut forged = package.clone();
        if let Some(declared) = &mut forged.declared {
            declared.port = Some((80, declared.port.clone().unwrap().1));
        }
        sealed(vec![forged]);
        assert!(
            recorded(root, &record, root_manifest).is_none(),
            "a port not written"
        );
        std::fs::create_dir_all(base.path().join("outside")).unwrap();
        std::fs::write(base.path().join("outside/Cargo.toml"), manifest).unwrap();
        let mut outside = package;
        outside.manifest = "../outside/Cargo.toml".to_owned();
        let workspace = Workspace {
            manifests: vec![manifest.to_owned()],
            packages: vec![outside],
        };
        let print = fingerprint(root, root_manifest, &workspace).unwrap();
        keep(&record, &print, &workspace.packages).unwrap();
        assert!(
            recorded(root, &record, root_manifest).is_none(),
            "a manifest outside"
        );
    }

    #[test]
    fn member_globs_read_the_directory_they_list() {
        let dirs = |text: &str| globbed_dirs(text);
        assert_eq!(
            dirs("[workspace]\nmembers = [\"xtask\", \"crates/*\", \"tools/a?\", \"x*\"]\n"),
            Some(vec!["crates".into(), "tools".into(), ".".into()])
        );
        assert_eq!(dirs("[package]\nname = \"one\"\n"), Some(vec![]));
        assert_eq!(
            dirs("[workspace]\nmembers = [\"crates/*/service\"]\n"),
            None
        );
        assert_eq!(dirs("[workspace]\nmembers = [\"a/**\"]\n"), None);
        assert_eq!(dirs("[workspace]\nmembers = [\"**/x\"]\n"), None);
        assert_eq!(dirs("[workspace\n"), None);
    }
}
