//! Which services can be deployed: the workspace's crates that declare themselves in
//! `[package.metadata.platform]`, found through `cargo metadata` in the working tree, or
//! among the manifests committed at a revision.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::revision::Revision;
use super::workspace::Workspace;
use crate::diagnostic::{Diagnostics, SourceFile};
use crate::model::ServiceDecl;
use crate::model::services::{declaration, from_record};

/// The services declared by the workspace at `root`, by name (the package name).
///
/// `cargo metadata` says which packages are in the workspace and which declare a service;
/// the declaration itself is read from the manifest, so that its values keep their spans.
pub fn declared(root: &Path) -> anyhow::Result<BTreeMap<String, Arc<ServiceDecl>>> {
    Ok(declared_in(&Workspace::load(root)?)?)
}

/// The services that `workspace`'s packages declare, as [`declared`].
pub fn declared_in(
    workspace: &Workspace,
) -> Result<BTreeMap<String, Arc<ServiceDecl>>, Diagnostics> {
    let declaring: Vec<_> = workspace
        .manifests()
        .filter(|(package, _)| package.declares_service)
        .collect();
    let declarations = crate::parallel::map(declaring, |(package, text)| {
        let file = SourceFile::new(package.manifest.as_str(), text);
        let declaration = match &package.declared {
            Some(declared) => Ok(from_record(&file, declared)),
            None => declaration(&package.name, &file),
        };
        (package.name.clone(), declaration)
    });
    let mut services = BTreeMap::new();
    let mut problems = Diagnostics::default();
    for (name, declaration) in declarations {
        match declaration {
            Ok(decl) => {
                services.insert(name, Arc::new(decl));
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    problems.into_result(services)
}

/// The services declared as committed at `revision`: every manifest of that commit with a
/// `[package.metadata.platform]` table, its files named `REVISION:path`. No cargo runs: the
/// workspace of the past is not checked out.
pub fn declared_at(
    root: &Path,
    revision: &Revision,
) -> anyhow::Result<BTreeMap<String, Arc<ServiceDecl>>> {
    let mut services = BTreeMap::new();
    let mut problems = Diagnostics::default();
    let members = workspace_members_at(root, revision)?;
    // Only the workspace's own crates: a manifest elsewhere in the tree (a test's fixture,
    // a vendored crate) is no service of this platform.
    let files = revision.files(root)?;
    let manifests: Vec<&str> = files
        .iter()
        .map(String::as_str)
        .filter(|path| {
            path.strip_suffix("/Cargo.toml")
                .is_some_and(|dir| members.is_member(&dir.split('/').collect::<Vec<_>>()))
        })
        .collect();
    let texts = revision.read(root, &manifests)?;
    for (path, text) in manifests.iter().zip(texts) {
        let Some(text) = text else {
            continue;
        };
        let Ok(manifest) = text.parse::<toml_edit::DocumentMut>() else {
            continue;
        };
        let package = manifest.get("package");
        let Some(name) = package.and_then(|p| p.get("name")).and_then(|n| n.as_str()) else {
            continue;
        };
        let declares = package
            .and_then(|p| p.get("metadata"))
            .and_then(|m| m.get("platform"))
            .is_some();
        if !declares {
            continue;
        }
        let file = SourceFile::new(format!("{}:{path}", revision.name), text.clone());
        match declaration(name, &file) {
            Ok(decl) => {
                services.insert(name.to_owned(), Arc::new(decl));
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    Ok(problems.into_result(services)?)
}

/// The `members` and `exclude` globs of the root manifest's `[workspace]`.
struct Members {
    members: Vec<String>,
    exclude: Vec<String>,
}

impl Members {
    /// Whether the directory `dir` (its path's segments) is a member: a `members` glob
    /// matches it (`*` within a segment, as cargo's globs), and no `exclude` entry does.
    fn is_member(&self, dir: &[&str]) -> bool {
        let matches = |glob: &String| {
            let pattern: Vec<&str> = glob.trim_end_matches('/').split('/').collect();
            crate::model::glob::segments_match(&pattern, dir)
        };
        self.members.iter().any(matches) && !self.exclude.iter().any(matches)
    }
}

/// The workspace's members at `revision`, from its root manifest.
fn workspace_members_at(root: &Path, revision: &Revision) -> anyhow::Result<Members> {
    let text = revision.file(root, "Cargo.toml")?.unwrap_or_default();
    let manifest: toml::Table = toml::from_str(&text).unwrap_or_default();
    let list = |key: &str| -> Vec<String> {
        manifest
            .get("workspace")
            .and_then(|w| w.get(key))
            .and_then(toml::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    Ok(Members {
        members: list("members"),
        exclude: list("exclude"),
    })
}
