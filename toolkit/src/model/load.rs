//! Reading a repository's hand-written files into memory and loading the platform from
//! them: the top of `model`, which parses, asks cargo for the declared services, and
//! resolves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use super::TOOLKIT_RECORD_FILE;
use super::files::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, PLATFORM_FILE, PlatformFile};
use super::parse::parse;
use super::pins::PINS_FILE;
use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::model::Platform;

/// The hand-written sources of a repository, read into memory.
#[derive(Debug)]
pub struct SourceTree {
    pub root: PathBuf,
    pub platform: Arc<SourceFile>,
    /// Each environment directory's name and its `environment.toml`, in name order.
    pub environments: Vec<(String, Arc<SourceFile>)>,
    /// `ci/pins.toml`, when there is one.
    pub pins: Option<Arc<SourceFile>>,
    /// Whether the repository records the toolkit it is made with (`toolkit.toml`).
    pub records_toolkit: bool,
}

impl SourceTree {
    /// Reads `environments/platform.toml` and every `environments/<env>/environment.toml`
    /// under `root`. Directories starting with `.` are not environments.
    pub fn read(root: &Path) -> anyhow::Result<SourceTree> {
        let dir = root.join(ENVIRONMENTS_DIR);
        let platform = read_source(root, &dir.join(PLATFORM_FILE))?;
        let mut environments = Vec::new();
        let mut missing = Diagnostics::default();
        for entry in
            std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
        {
            let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let kind = entry.file_type()?;
            if name.starts_with('.') {
                continue;
            }
            // A link to a directory would be an environment whose generated files are
            // written, and strays removed, outside the repository: refused, not skipped.
            if kind.is_symlink() && entry.path().is_dir() {
                missing.push(
                    Diagnostic::new(
                        format!("`{name}` under {ENVIRONMENTS_DIR}/ is a symbolic link to a directory"),
                        Location::Path(Path::new(ENVIRONMENTS_DIR).join(&name)),
                    )
                    .with_help("an environment is a directory of the repository: `render` writes and removes files in it, and never outside the repository. Replace the link with the directory"),
                );
                continue;
            }
            if !kind.is_dir() {
                continue;
            }
            let path = entry.path().join(ENVIRONMENT_FILE);
            if path.is_file() {
                environments.push((name, read_source(root, &path)?));
            } else {
                missing.push(
                    Diagnostic::new(
                        format!("directory `{name}` has no {ENVIRONMENT_FILE}"),
                        Location::Path(Path::new(ENVIRONMENTS_DIR).join(&name)),
                    )
                    .with_help(format!(
                        "every directory under {ENVIRONMENTS_DIR}/ is an environment: write its {ENVIRONMENT_FILE}, or remove the directory (then `cargo xtask new-env {name} --stage STAGE` can make it)"
                    )),
                );
            }
        }
        if !missing.is_empty() {
            return Err(missing.into());
        }
        environments.sort_by(|a, b| a.0.cmp(&b.0));
        let pins_path = root.join(PINS_FILE);
        let pins = if pins_path.is_file() {
            Some(read_source(root, &pins_path)?)
        } else {
            None
        };
        Ok(SourceTree {
            root: root.to_path_buf(),
            platform,
            environments,
            pins,
            records_toolkit: root.join(TOOLKIT_RECORD_FILE).is_file(),
        })
    }

    /// Parses and resolves the sources, with the services the workspace's crates declare.
    pub fn load(
        &self,
        services: std::collections::BTreeMap<String, Arc<crate::model::ServiceDecl>>,
    ) -> Result<Platform, Diagnostics> {
        let platform = super::resolve(
            &self.root,
            &self.platform,
            parse::<PlatformFile>(&self.platform),
            &self.environments,
            services,
        );
        let pins = self.pins.as_ref().map(super::pins::load).transpose();
        match (platform, pins) {
            (Ok(mut platform), Ok(pins)) => {
                platform.pins = pins;
                platform.records_toolkit = self.records_toolkit;
                Ok(platform)
            }
            (Err(problems), Ok(_)) | (Ok(_), Err(problems)) => Err(problems),
            (Err(mut problems), Err(more)) => {
                problems.0.extend(more.0);
                Err(problems)
            }
        }
    }
}

fn read_source(root: &Path, path: &Path) -> anyhow::Result<Arc<SourceFile>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    Ok(SourceFile::new(
        crate::diagnostic::display_path(root, path),
        text,
    ))
}

/// Finds the repository, reads it, asks cargo which services the crates declare, and
/// resolves everything.
pub fn load(root: &Path) -> anyhow::Result<Platform> {
    let tree = SourceTree::read(root)?;
    let services = crate::model::services::declared(root)?;
    Ok(tree.load(services)?)
}
