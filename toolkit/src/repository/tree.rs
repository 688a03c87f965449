//! Reading a repository's hand-written files into memory and loading the platform from
//! them: the top of `model`, which parses, asks cargo for the declared services, and
//! resolves.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::Context as _;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile};
use crate::model::Platform;
use crate::model::files::PlatformFile;
use crate::model::pins::PINS_FILE;
use crate::model::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, PLATFORM_FILE, TOOLKIT_RECORD_FILE};

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
        let mut directories = Vec::new();
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
            if kind.is_dir() {
                directories.push(name);
            }
        }
        // Read on every core: a file costs a few system calls, and there may be thousands.
        let read = crate::parallel::map(directories, |name| {
            let path = dir.join(&name).join(ENVIRONMENT_FILE);
            let file = path.is_file().then(|| read_source(root, &path)).transpose();
            (name, file)
        });
        for (name, file) in read {
            match file? {
                Some(file) => environments.push((name, file)),
                None => missing.push(
                    Diagnostic::new(
                        format!("directory `{name}` has no {ENVIRONMENT_FILE}"),
                        Location::Path(Path::new(ENVIRONMENTS_DIR).join(&name)),
                    )
                    .with_help(format!(
                        "every directory under {ENVIRONMENTS_DIR}/ is an environment: write its {ENVIRONMENT_FILE}, or remove the directory (then `cargo xtask new-env {name} --stage STAGE` can make it)"
                    )),
                ),
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
        let Ok(platform) = self.load_finding(|| Ok::<_, std::convert::Infallible>(services));
        platform
    }

    /// [`SourceTree::load`], the services found by `services` while the sources are parsed.
    pub fn load_finding<E: Send>(
        &self,
        services: impl FnOnce() -> Result<
            std::collections::BTreeMap<String, Arc<crate::model::ServiceDecl>>,
            E,
        > + Send,
    ) -> Result<Result<Platform, Diagnostics>, E> {
        let platform = crate::model::resolve(
            &self.root,
            &self.platform,
            crate::model::parse_with_secrets::<PlatformFile>(&self.platform),
            &self.environments,
            services,
        )?;
        let pins = self.pins.as_ref().map(crate::model::pins::load).transpose();
        Ok(match (platform, pins) {
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
        })
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

/// Finds the repository, reads it, asks cargo which services the crates declare (while
/// the files are parsed), and resolves everything.
pub fn load(root: &Path) -> anyhow::Result<Platform> {
    let tree = SourceTree::read(root)?;
    Ok(tree.load_finding(|| super::services::declared(root))??)
}

/// [`load`], for a command whose process ends when it does: the platform is never freed.
/// The process's exit returns its memory at once, where running its destructors took a
/// fifth of `list`'s time on 1,000 environments.
pub fn load_until_exit(root: &Path) -> anyhow::Result<&'static Platform> {
    Ok(Box::leak(Box::new(load(root)?)))
}

impl SourceTree {
    /// The sources as committed at `revision`, already resolved. Files are named
    /// `REVISION:path`, as git names them.
    pub fn at(root: &Path, revision: &super::revision::Revision) -> anyhow::Result<SourceTree> {
        let named =
            |path: &str, text: String| SourceFile::new(format!("{}:{path}", revision.name), text);
        let platform_path = format!("{ENVIRONMENTS_DIR}/{PLATFORM_FILE}");
        let files = revision.files(root)?;
        if !files.contains(&platform_path) {
            return Err(Diagnostic::new(
                format!("revision `{}` has no {platform_path}", revision.name),
                Location::Nowhere,
            )
            .with_help("choose a revision from after the platform repository was set up")
            .into_error());
        }
        let directories: Vec<(&str, &str)> = files
            .iter()
            .filter_map(|path| {
                let dir = path
                    .strip_prefix(ENVIRONMENTS_DIR)?
                    .strip_prefix('/')?
                    .strip_suffix(ENVIRONMENT_FILE)?
                    .strip_suffix('/')?;
                (!dir.contains('/') && !dir.starts_with('.')).then_some((dir, path.as_str()))
            })
            .collect();
        let wanted: Vec<&str> = [platform_path.as_str(), PINS_FILE]
            .into_iter()
            .chain(directories.iter().map(|(_, path)| *path))
            .collect();
        let mut texts = revision.read(root, &wanted)?.into_iter();
        let platform = named(&platform_path, texts.next().flatten().unwrap_or_default());
        // The pins reach an environment's files too (the CI cluster's runners). Pins in a
        // format this toolkit no longer reads (before an upgrade) count as none: what they
        // would render is then not compared, and a change is reported.
        let pins = texts
            .next()
            .flatten()
            .map(|text| named(PINS_FILE, text))
            .filter(|file| crate::model::pins::load(file).is_ok());
        let mut environments: Vec<_> = directories
            .iter()
            .zip(texts)
            .map(|((dir, path), text)| ((*dir).to_owned(), named(path, text.unwrap_or_default())))
            .collect();
        environments.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SourceTree {
            root: root.to_path_buf(),
            platform,
            environments,
            pins,
            records_toolkit: false,
        })
    }
}
