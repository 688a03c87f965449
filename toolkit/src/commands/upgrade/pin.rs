//! Where the toolkit comes from: `--to`, parsed and checked, and `--to latest`, the newest
//! release of the toolkit's git repository.

use std::path::Path;

use crate::diagnostic::{Diagnostic, Location};
use crate::scaffold::toolkit::{Source, VERSION};
use crate::scaffold::update;

/// `--to`, parsed; a directory is taken from the current one, and written relative to
/// the repository when it lies inside it (a vendored toolkit). A directory must hold this
/// toolkit: the one that runs the migrations is the one the pin names.
pub fn given_source(root: &Path, text: &str) -> anyhow::Result<Source> {
    let source = Source::parse(text).map_err(|reason| {
        Diagnostic::new(format!("invalid --to: {reason}"), Location::Nowhere)
            .with_help("git:URL@REV (a commit or tag of the toolkit's repository) or path:DIR (a directory holding its source)")
            .into_error()
    })?;
    let Source::Path(dir) = source else {
        return Ok(source);
    };
    let absolute = std::path::absolute(&dir)?;
    let version = super::super::toolkit_version_at(&absolute)?;
    if version != VERSION {
        return Err(Diagnostic::new(
            format!(
                "the toolkit in {} is version {version}, and this one is {VERSION}",
                absolute.display(),
            ),
            Location::Nowhere,
        )
        .with_help("run the upgrade with the toolkit it pins: from its repository, `cargo xtask -C <this repository> upgrade --to path:DIR`")
        .into_error());
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    Ok(Source::Path(match absolute.strip_prefix(&root) {
        Ok(inside) => update::key(inside),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }))
}

/// What `--to` asks for, resolved.
pub enum Target {
    /// This toolkit, from `source`: the upgrade runs here.
    Here(Source),
    /// A release of another version: only the pin moves, and that toolkit, built by the
    /// next `cargo xtask`, runs the upgrade.
    Release { source: Source, version: String },
}

/// `--to TEXT` for a repository that pins `pinned`. `latest` is the highest release tag
/// (`vMAJOR.MINOR.PATCH`) of the pinned git repository, or the pin as it is when none is
/// newer than this toolkit; a tag of another version is a release of its own.
pub fn target(root: &Path, text: &str, pinned: Option<&Source>) -> anyhow::Result<Target> {
    let source = if text == "latest" {
        let Some(Source::Git { url, .. }) = pinned else {
            if let Some(pinned) = pinned {
                crate::terminal::say(format!(
                    "the toolkit is pinned to {pinned}, a directory: it has no releases to look for"
                ))?;
                return Ok(Target::Here(pinned.clone()));
            }
            return Err(Diagnostic::new(
                "--to latest looks for releases of the git repository the toolkit is pinned to, and this repository pins none",
                Location::Path(root.join("xtask/Cargo.toml")),
            )
            .with_help("pin a git revision first: --to git:URL@REV")
            .into_error());
        };
        match newest_release(url)? {
            Some((tag, version)) if version_of(&version)? > version_of(VERSION)? => Source::Git {
                url: url.clone(),
                rev: tag,
            },
            _ => return Ok(Target::Here(pinned.cloned().expect("a git pin"))),
        }
    } else {
        given_source(root, text)?
    };
    let release = match &source {
        Source::Git { rev, .. } => rev.strip_prefix('v').filter(|v| version_of(v).is_ok()),
        Source::Path(_) => None,
    };
    match release {
        Some(version) if version != VERSION => {
            if version_of(version)? < version_of(VERSION)? {
                return Err(Diagnostic::new(
                    format!("{source} is an older release than this toolkit ({VERSION})"),
                    Location::Nowhere,
                )
                .with_help("an upgrade goes forward: name this release or a newer one")
                .into_error());
            }
            Ok(Target::Release {
                version: version.to_owned(),
                source,
            })
        }
        _ => Ok(Target::Here(source)),
    }
}

fn version_of(text: &str) -> anyhow::Result<(u64, u64, u64)> {
    crate::migrations::version(text)
}

/// The highest release tag of the git repository at `url`, and its version.
fn newest_release(url: &str) -> anyhow::Result<Option<(String, String)>> {
    let sh = xshell::Shell::new()?;
    let listing = xshell::cmd!(sh, "git ls-remote --tags --refs -- {url}")
        .quiet()
        .read()
        .map_err(|err| {
            Diagnostic::new(
                format!("could not list the releases of {url}: {err}"),
                Location::Nowhere,
            )
            .with_help("the toolkit's repository must be reachable, with git's credentials for it")
            .into_error()
        })?;
    let mut releases: Vec<((u64, u64, u64), String)> = listing
        .lines()
        .filter_map(|line| line.split('\t').nth(1)?.strip_prefix("refs/tags/v"))
        .filter_map(|version| Some((version_of(version).ok()?, version.to_owned())))
        .collect();
    releases.sort();
    Ok(releases
        .pop()
        .map(|(_, version)| (format!("v{version}"), version)))
}
