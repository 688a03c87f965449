//! What a change since a revision reaches, read from git and the working tree: the
//! services whose image it rebuilds. `affected` decides from the changed paths and the two
//! lock files and manifests; this module gathers them. `check` (for
//! `service-version-bumped`) and `affected` both ask it, so they agree.

use std::collections::BTreeMap;
use std::path::Path;

use crate::affected::{self, ChangeSince, Crate, LOCK_FILE, WORKSPACE_MANIFEST};
use crate::model::Platform;
use crate::repository::revision::Revision;
use crate::repository::workspace::Workspace;

/// The workspace's packages as [`Crate`]s.
fn crates(workspace: &Workspace) -> Vec<Crate> {
    workspace
        .packages
        .iter()
        .map(|package| Crate {
            name: package.name.clone(),
            dir: package.dir().to_owned(),
            path_dependencies: package.path_dependencies.clone(),
            dependencies: package.dependencies.clone(),
        })
        .collect()
}

/// The services a change since `revision` reaches, with the paths that reach each.
pub fn rebuilds(
    root: &Path,
    revision: &Revision,
    workspace: &Workspace,
    platform: &Platform,
) -> anyhow::Result<BTreeMap<String, Vec<String>>> {
    let paths = revision.changed_paths(root)?;
    let [lock_before, manifest_before]: [Option<String>; 2] = revision
        .read(root, &[LOCK_FILE, WORKSPACE_MANIFEST])?
        .try_into()
        .expect("one text for each path");
    let lock_after = std::fs::read_to_string(root.join(LOCK_FILE)).ok();
    let manifest_after = std::fs::read_to_string(root.join(WORKSPACE_MANIFEST)).ok();
    let change = ChangeSince {
        paths: &paths,
        lock_before: lock_before.as_deref(),
        lock_after: lock_after.as_deref(),
        manifest_before: manifest_before.as_deref(),
        manifest_after: manifest_after.as_deref(),
    };
    Ok(affected::services(
        &crates(workspace),
        platform.services.keys().map(String::as_str),
        &change,
    ))
}
