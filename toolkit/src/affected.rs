//! Which service crates a change reaches: a crate is affected when a file it is built from
//! changed. Those files are its own directory, the directories of its path dependencies
//! (and theirs), the workspace-wide inputs every crate is built with, and the entries of
//! `Cargo.lock` that its build resolves. This module is given the change (paths and the
//! two lock files) and the workspace's shape; it runs neither git nor cargo.

use std::collections::{BTreeMap, BTreeSet};

/// Files every crate of the workspace is built with: a change to one rebuilds every
/// service. `Cargo.lock` is not among them: only the packages a service resolves count.
/// Nor is the workspace manifest: only what a service's build reads of it counts.
pub const WORKSPACE_INPUTS: [&str; 4] = [
    "rust-toolchain.toml",
    "rust-toolchain",
    ".cargo/config.toml",
    ".cargo/config",
];

/// The lock file, whose entries are compared package by package.
pub const LOCK_FILE: &str = "Cargo.lock";

/// The workspace manifest, compared table by table: a change to its
/// `[workspace.dependencies]` entry for a dependency reaches the crates that depend on it
/// by that name; a change to its lints reaches no build's output; any other change (the
/// profiles, `[patch]`, the inherited package fields, the members) reaches every crate.
pub const WORKSPACE_MANIFEST: &str = "Cargo.toml";

/// One package of the workspace, as far as building it goes.
#[derive(Debug, Clone)]
pub struct Crate {
    pub name: String,
    /// Its directory, relative to the workspace root, with `/` separators.
    pub dir: String,
    /// The directories of its path dependencies, relative to the root as well.
    pub path_dependencies: Vec<String>,
    /// The keys it names its dependencies by.
    pub dependencies: Vec<String>,
}

/// What changed since the base revision.
pub struct ChangeSince<'a> {
    /// Every path (relative to the root) whose content differs from the base.
    pub paths: &'a BTreeSet<String>,
    /// `Cargo.lock` at the base (`None` when it had none) and now.
    pub lock_before: Option<&'a str>,
    pub lock_after: Option<&'a str>,
    /// The workspace manifest at the base and now, `None` where it is missing.
    pub manifest_before: Option<&'a str>,
    pub manifest_after: Option<&'a str>,
}

/// Why each of `services` must be rebuilt, by service; a service the change does not
/// reach is left out. Each reason is a changed path, or `Cargo.lock: NAME VERSION` for a
/// locked package of its build whose entry changed.
pub fn services<'s>(
    crates: &[Crate],
    services: impl IntoIterator<Item = &'s str>,
    change: &ChangeSince,
) -> BTreeMap<String, Vec<String>> {
    let manifest = change
        .paths
        .contains(WORKSPACE_MANIFEST)
        .then(|| ManifestChange::new(change.manifest_before, change.manifest_after));
    let mut workspace_wide: Vec<String> = WORKSPACE_INPUTS
        .iter()
        .filter(|input| change.paths.contains(**input))
        .map(|input| (*input).to_owned())
        .collect();
    if manifest.as_ref().is_some_and(|m| m.everything) {
        workspace_wide.push(WORKSPACE_MANIFEST.to_owned());
    }
    let lock = LockChange::new(change.lock_before, change.lock_after);
    let mut affected = BTreeMap::new();
    for service in services {
        let mut because = workspace_wide.clone();
        if let Some(manifest) = &manifest {
            because.extend(manifest.reasons(crates, service));
        }
        for dir in directories(crates, service) {
            let prefix = format!("{dir}/");
            because.extend(
                change
                    .paths
                    .iter()
                    .filter(|path| path.starts_with(&prefix))
                    .cloned(),
            );
        }
        if change.paths.contains(LOCK_FILE) {
            because.extend(lock.reasons(service));
        }
        if !because.is_empty() {
            because.sort();
            because.dedup();
            affected.insert(service.to_owned(), because);
        }
    }
    affected
}

/// The directories `service` is built from: its own and those of its path dependencies,
/// followed through the workspace.
fn directories(crates: &[Crate], service: &str) -> BTreeSet<String> {
    let mut dirs = BTreeSet::new();
    let mut pending: Vec<String> = crates
        .iter()
        .filter(|c| c.name == service)
        .map(|c| c.dir.clone())
        .collect();
    while let Some(dir) = pending.pop() {
        if !dirs.insert(dir.clone()) {
            continue;
        }
        for krate in crates.iter().filter(|c| c.dir == dir) {
            pending.extend(krate.path_dependencies.iter().cloned());
        }
    }
    dirs
}

/// What changed in the workspace manifest.
struct ManifestChange {
    /// Whether something every crate is built with changed (or a side could not be read).
    everything: bool,
    /// The `[workspace.dependencies]` keys whose entries changed.
    dependencies: BTreeSet<String>,
}

impl ManifestChange {
    fn new(before: Option<&str>, after: Option<&str>) -> ManifestChange {
        let parse =
            |text: Option<&str>| text.and_then(|text| toml::from_str::<toml::Table>(text).ok());
        let (Some(mut before), Some(mut after)) = (parse(before), parse(after)) else {
            return ManifestChange {
                everything: true,
                dependencies: BTreeSet::new(),
            };
        };
        let (old, new) = (split(&mut before), split(&mut after));
        let keys: BTreeSet<&String> = old.keys().chain(new.keys()).collect();
        ManifestChange {
            everything: before != after,
            dependencies: keys
                .into_iter()
                .filter(|key| old.get(*key) != new.get(*key))
                .cloned()
                .collect(),
        }
    }

    /// The changed dependency entries `service`'s build inherits, as reasons.
    fn reasons(&self, crates: &[Crate], service: &str) -> Vec<String> {
        let dirs = directories(crates, service);
        let mut reasons: Vec<String> = crates
            .iter()
            .filter(|krate| dirs.contains(&krate.dir))
            .flat_map(|krate| &krate.dependencies)
            .filter(|key| self.dependencies.contains(*key))
            .map(|key| format!("{WORKSPACE_MANIFEST}: workspace.dependencies.{key}"))
            .collect();
        reasons.sort();
        reasons.dedup();
        reasons
    }
}

/// Takes `[workspace.dependencies]` and `[workspace.lints]` out of a workspace manifest,
/// and returns the first.
fn split(manifest: &mut toml::Table) -> toml::Table {
    let Some(workspace) = manifest
        .get_mut("workspace")
        .and_then(toml::Value::as_table_mut)
    else {
        return toml::Table::new();
    };
    workspace.remove("lints");
    match workspace.remove("dependencies") {
        Some(toml::Value::Table(dependencies)) => dependencies,
        _ => toml::Table::new(),
    }
}

/// The two lock files, read as packages.
struct LockChange {
    before: Option<BTreeSet<String>>,
    after: LockFile,
}

impl LockChange {
    fn new(before: Option<&str>, after: Option<&str>) -> LockChange {
        LockChange {
            before: before
                .and_then(LockFile::parse)
                .map(|lock| lock.packages.iter().map(Package::identity).collect()),
            after: after.and_then(LockFile::parse).unwrap_or_default(),
        }
    }

    /// The locked packages of `service`'s build whose entries are not as they were. When
    /// the lock file of the base cannot be read, every package of the build counts.
    fn reasons(&self, service: &str) -> Vec<String> {
        let closure = self.after.closure(service);
        let changed: Vec<String> = closure
            .into_iter()
            .filter(|package| {
                self.before
                    .as_ref()
                    .is_none_or(|before| !before.contains(&package.identity()))
            })
            .map(|package| format!("{LOCK_FILE}: {} {}", package.name, package.version))
            .collect();
        if changed.is_empty() && self.before.is_none() {
            vec![LOCK_FILE.to_owned()]
        } else {
            changed
        }
    }
}

#[derive(Default)]
struct LockFile {
    packages: Vec<Package>,
}

/// One `[[package]]` of `Cargo.lock`.
struct Package {
    name: String,
    version: String,
    source: String,
    checksum: String,
    /// As the lock writes them: `name`, `name version` or `name version (source)`.
    dependencies: Vec<String>,
}

impl Package {
    /// Everything about the entry that changes what gets built.
    fn identity(&self) -> String {
        format!(
            "{} {} {} {} [{}]",
            self.name,
            self.version,
            self.source,
            self.checksum,
            self.dependencies.join(", ")
        )
    }
}

impl LockFile {
    fn parse(text: &str) -> Option<LockFile> {
        let document: toml_edit::DocumentMut = text.parse().ok()?;
        let field = |table: &toml_edit::Table, key: &str| {
            table
                .get(key)
                .and_then(|item| item.as_str())
                .unwrap_or_default()
                .to_owned()
        };
        let packages = document
            .get("package")?
            .as_array_of_tables()?
            .iter()
            .map(|table| Package {
                name: field(table, "name"),
                version: field(table, "version"),
                source: field(table, "source"),
                checksum: field(table, "checksum"),
                dependencies: table
                    .get("dependencies")
                    .and_then(|item| item.as_array())
                    .map(|deps| {
                        deps.iter()
                            .filter_map(|dep| dep.as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default(),
            })
            .collect();
        Some(LockFile { packages })
    }

    /// The packages `service` (a workspace package) resolves, itself included.
    fn closure(&self, service: &str) -> Vec<&Package> {
        let mut seen = BTreeSet::new();
        let mut found = Vec::new();
        let mut pending: Vec<usize> = self
            .packages
            .iter()
            .position(|p| p.name == service && p.source.is_empty())
            .into_iter()
            .collect();
        while let Some(index) = pending.pop() {
            if !seen.insert(index) {
                continue;
            }
            let package = &self.packages[index];
            found.push(package);
            pending.extend(package.dependencies.iter().filter_map(|dep| self.find(dep)));
        }
        found
    }

    /// The package a dependency entry names: by name and version when it gives one, else
    /// the only package of that name.
    fn find(&self, dependency: &str) -> Option<usize> {
        let mut words = dependency.split(' ');
        let name = words.next()?;
        match words.next() {
            Some(version) => self
                .packages
                .iter()
                .position(|p| p.name == name && p.version == version),
            None => self.packages.iter().position(|p| p.name == name),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK: &str = r#"
version = 4

[[package]]
name = "api"
version = "0.1.0"
dependencies = ["model", "serde"]

[[package]]
name = "model"
version = "0.1.0"

[[package]]
name = "web"
version = "0.2.0"
dependencies = ["itoa 1.0.1"]

[[package]]
name = "itoa"
version = "1.0.1"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "aa"

[[package]]
name = "serde"
version = "1.0.0"
source = "registry+https://github.com/rust-lang/crates.io-index"
checksum = "bb"
"#;

    fn crates() -> Vec<Crate> {
        let krate = |name: &str, deps: &[&str]| Crate {
            name: name.to_owned(),
            dir: format!("crates/{name}"),
            path_dependencies: deps.iter().map(|d| format!("crates/{d}")).collect(),
            dependencies: deps
                .iter()
                .map(|d| (*d).to_owned())
                .chain((name == "model").then(|| "serde".to_owned()))
                .collect(),
        };
        vec![
            krate("api", &["model"]),
            krate("model", &[]),
            krate("web", &[]),
        ]
    }

    fn affected(paths: &[&str], lock_after: &str) -> BTreeMap<String, Vec<String>> {
        let paths: BTreeSet<String> = paths.iter().map(|p| (*p).to_owned()).collect();
        let change = ChangeSince {
            paths: &paths,
            lock_before: Some(LOCK),
            lock_after: Some(lock_after),
            manifest_before: Some(MANIFEST),
            manifest_after: Some(MANIFEST),
        };
        services(&crates(), ["api", "web"], &change)
    }

    const MANIFEST: &str = "[workspace]\nmembers = [\"crates/*\"]\n\n[workspace.dependencies]\nserde = \"1\"\nitoa = \"1\"\n\n[workspace.lints.clippy]\ntodo = \"warn\"\n\n[profile.dev]\ndebug = false\n";

    fn manifest_changed(after: &str) -> Vec<String> {
        let paths = BTreeSet::from(["Cargo.toml".to_owned()]);
        let change = ChangeSince {
            paths: &paths,
            lock_before: Some(LOCK),
            lock_after: Some(LOCK),
            manifest_before: Some(MANIFEST),
            manifest_after: Some(after),
        };
        let found = services(&crates(), ["api", "web"], &change);
        found
            .into_iter()
            .map(|(service, because)| format!("{service}: {}", because.join(", ")))
            .collect()
    }

    #[test]
    fn the_workspace_manifest_reaches_a_service_by_what_its_build_reads() {
        // A dependency entry reaches the crates that name it, through path dependencies.
        assert_eq!(
            manifest_changed(&MANIFEST.replace("serde = \"1\"", "serde = \"1.0.200\"")),
            ["api: Cargo.toml: workspace.dependencies.serde"]
        );
        // One no crate names, or a lint, reaches none; nor does a comment.
        assert!(manifest_changed(&MANIFEST.replace("itoa = \"1\"\n", "")).is_empty());
        assert!(
            manifest_changed(&MANIFEST.replace("todo = \"warn\"", "todo = \"deny\"")).is_empty()
        );
        assert!(manifest_changed(&format!("# ours\n{MANIFEST}")).is_empty());
        // A profile reaches every crate, as does a manifest that cannot be read.
        assert_eq!(
            manifest_changed(&MANIFEST.replace("debug = false", "debug = true")),
            ["api: Cargo.toml", "web: Cargo.toml"]
        );
        assert_eq!(
            manifest_changed("[workspace"),
            ["api: Cargo.toml", "web: Cargo.toml"]
        );
    }

    #[test]
    fn a_service_is_rebuilt_for_its_own_files_and_its_path_dependencies() {
        let found = affected(&["crates/model/src/lib.rs", "docs/x.md"], LOCK);
        assert_eq!(
            found,
            BTreeMap::from([("api".to_owned(), vec!["crates/model/src/lib.rs".to_owned()])])
        );
        let found = affected(&["crates/web/Containerfile"], LOCK);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["web"]);
        // A sibling whose name starts the same is not the crate's directory.
        assert!(affected(&["crates/web-admin/src/main.rs"], LOCK).is_empty());
    }

    #[test]
    fn workspace_wide_inputs_rebuild_every_service() {
        let found = affected(&["rust-toolchain.toml"], LOCK);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["api", "web"]);
        let found = affected(&[".cargo/config.toml"], LOCK);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["api", "web"]);
    }

    #[test]
    fn a_lock_change_rebuilds_only_the_services_that_resolve_the_changed_package() {
        let bumped = LOCK.replace("1.0.0", "1.0.1").replace("\"bb\"", "\"cc\"");
        let found = affected(&["Cargo.lock"], &bumped);
        assert_eq!(
            found,
            BTreeMap::from([("api".to_owned(), vec!["Cargo.lock: serde 1.0.1".to_owned()])])
        );
        // A new package that no service resolves rebuilds nothing.
        let added = format!("{LOCK}\n[[package]]\nname = \"tool\"\nversion = \"0.1.0\"\n");
        assert!(affected(&["Cargo.lock"], &added).is_empty());
    }

    #[test]
    fn an_unreadable_lock_at_the_base_rebuilds_every_service_that_has_one() {
        let paths = BTreeSet::from(["Cargo.lock".to_owned()]);
        let change = ChangeSince {
            paths: &paths,
            lock_before: Some("not [ toml"),
            lock_after: Some(LOCK),
            manifest_before: Some(MANIFEST),
            manifest_after: Some(MANIFEST),
        };
        let found = services(&crates(), ["api", "web"], &change);
        assert_eq!(found.keys().collect::<Vec<_>>(), ["api", "web"]);
    }
}
