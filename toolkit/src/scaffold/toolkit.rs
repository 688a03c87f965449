//! The toolkit as a platform repository holds it: a pin in its thin `xtask/Cargo.toml`
//! ([`Source`]), and the scaffold files every repository gets as this program carries
//! them (compiled in: nothing is read from where the program was built). The record that
//! `upgrade` works from is `super::record`.

use std::fmt;

use sha2::{Digest, Sha256};

/// The version of this toolkit, which is also the version of the formats it reads.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// The record of the toolkit a repository is made with.
pub const RECORD_FILE: &str = crate::model::TOOLKIT_RECORD_FILE;

/// The record of the 0.1.0 layout, whose toolkit was a copy of its source under `xtask/`.
pub const PROVENANCE_FILE: &str = "toolkit-provenance.toml";

/// The package a repository's `xtask` depends on.
pub const PACKAGE: &str = "platform-toolkit";

/// Where a repository's `xtask` gets the toolkit from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A revision (commit or tag) of a git repository.
    Git { url: String, rev: String },
    /// A directory on disk: absolute, or relative to the repository's root (vendored).
    Path(String),
}

impl Source {
    /// `git:URL@REV` or `path:DIR`, as `--toolkit` and `upgrade --to` take it. Every part
    /// lands in a TOML string, where it is quoted; what is refused here is what git or
    /// cargo would refuse later, with a worse message.
    pub fn parse(text: &str) -> Result<Source, String> {
        let printable = |part: &str| !part.chars().any(char::is_control);
        if let Some(rest) = text.strip_prefix("git:") {
            let Some((url, rev)) = rest.rsplit_once('@') else {
                return Err(format!("`{text}` names no revision: git:URL@REV"));
            };
            let url_ok = url.contains("://") || url.starts_with("git@");
            if !url_ok || url.chars().any(char::is_whitespace) || !printable(url) {
                return Err(format!(
                    "`{url}` is not a git URL such as https://github.com/OWNER/NAME"
                ));
            }
            let rev_ok = !rev.is_empty()
                && !rev.starts_with('-')
                && rev
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"._/-".contains(&b));
            if !rev_ok {
                return Err(format!("`{rev}` is not a commit or a tag"));
            }
            return Ok(Source::Git {
                url: url.to_owned(),
                rev: rev.to_owned(),
            });
        }
        if let Some(dir) = text.strip_prefix("path:") {
            if dir.is_empty() || !printable(dir) {
                return Err(format!("`{dir}` is not a directory"));
            }
            return Ok(Source::Path(dir.trim_end_matches('/').to_owned()));
        }
        Err(format!("`{text}` is neither git:URL@REV nor path:DIR"))
    }

    /// The dependency in `xtask/Cargo.toml`, as a TOML inline table: a commit as `rev`, a
    /// tag as `tag`, a relative directory from `xtask/`.
    pub fn dependency(&self) -> String {
        let mut table = toml_edit::InlineTable::new();
        match self {
            Source::Git { url, rev } => {
                table.insert("git", url.as_str().into());
                let commit = rev.len() >= 7 && rev.bytes().all(|b| b.is_ascii_hexdigit());
                table.insert(if commit { "rev" } else { "tag" }, rev.as_str().into());
            }
            Source::Path(dir) => {
                let from_xtask = if std::path::Path::new(dir).is_absolute() {
                    dir.clone()
                } else {
                    format!("../{dir}")
                };
                table.insert("path", from_xtask.into());
            }
        }
        table.fmt();
        table.to_string()
    }

    /// The source `xtask/Cargo.toml` pins, when it pins one this way.
    pub fn pinned(manifest: &str) -> Option<Source> {
        let document: toml::Table = toml::from_str(manifest).ok()?;
        let dependency = document.get("dependencies")?.get(PACKAGE)?.as_table()?;
        let text = |key: &str| dependency.get(key).and_then(toml::Value::as_str);
        if let Some(url) = text("git") {
            let rev = text("rev").or_else(|| text("tag"))?;
            return Some(Source::Git {
                url: url.to_owned(),
                rev: rev.to_owned(),
            });
        }
        let path = text("path")?;
        Some(Source::Path(
            path.strip_prefix("../").unwrap_or(path).to_owned(),
        ))
    }
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Git { url, rev } => write!(f, "git:{url}@{rev}"),
            Source::Path(dir) => write!(f, "path:{dir}"),
        }
    }
}

/// The pipeline scripts every repository runs, as this toolkit ships them.
const SCRIPTS: [(&str, &str); 18] = [
    (
        "ci/base-revision.sh",
        include_str!("../../../ci/base-revision.sh"),
    ),
    (
        "ci/build-image.sh",
        include_str!("../../../ci/build-image.sh"),
    ),
    (
        "ci/buildkite-deploy.sh",
        include_str!("../../../ci/buildkite-deploy.sh"),
    ),
    (
        "ci/buildkite-plan.sh",
        include_str!("../../../ci/buildkite-plan.sh"),
    ),
    (
        "ci/cluster-record.sh",
        include_str!("../../../ci/cluster-record.sh"),
    ),
    (
        "ci/deploy-plan.sh",
        include_str!("../../../ci/deploy-plan.sh"),
    ),
    (
        "ci/install-tools.sh",
        include_str!("../../../ci/install-tools.sh"),
    ),
    ("ci/monitor.sh", include_str!("../../../ci/monitor.sh")),
    ("ci/plan.sh", include_str!("../../../ci/plan.sh")),
    (
        "ci/podplane-login.sh",
        include_str!("../../../ci/podplane-login.sh"),
    ),
    ("ci/promote.sh", include_str!("../../../ci/promote.sh")),
    (
        "ci/promotion-gate.sh",
        include_str!("../../../ci/promotion-gate.sh"),
    ),
    (
        "ci/registry-login.sh",
        include_str!("../../../ci/registry-login.sh"),
    ),
    (
        "ci/release-record.sh",
        include_str!("../../../ci/release-record.sh"),
    ),
    ("ci/release.sh", include_str!("../../../ci/release.sh")),
    ("ci/runners.sh", include_str!("../../../ci/runners.sh")),
    (
        "ci/superseded.sh",
        include_str!("../../../ci/superseded.sh"),
    ),
    ("ci/upgrade.sh", include_str!("../../../ci/upgrade.sh")),
];

/// The scaffold files that name no organisation, as this toolkit ships them: the build's
/// settings, what image builds leave out, how Markdown is linted, the pipelines' guide,
/// the file reference, and the thin program.
const FIXED: [(&str, &str); 8] = [
    (
        ".cargo/config.toml",
        include_str!("../../../.cargo/config.toml"),
    ),
    (".dockerignore", include_str!("../../../.dockerignore")),
    (
        ".markdownlint-cli2.jsonc",
        include_str!("../../../.markdownlint-cli2.jsonc"),
    ),
    (".gitignore", "target/\n"),
    ("ci/README.md", include_str!("../../../ci/README.md")),
    (
        "docs/environments-reference.md",
        include_str!("../../../docs/environments-reference.md"),
    ),
    (
        "docs/json-output.md",
        include_str!("../../../docs/json-output.md"),
    ),
    (
        "xtask/src/main.rs",
        include_str!("../../templates/repo/xtask-main.rs"),
    ),
];

/// The executable scaffold files that name no organisation: the CI entry point and the
/// pipeline scripts.
pub fn executables() -> impl Iterator<Item = (&'static str, &'static str)> {
    std::iter::once((".ci/run", crate::templates::REPO_CI_RUN)).chain(SCRIPTS)
}

/// The non-executable scaffold files that name no organisation.
pub fn fixed() -> impl Iterator<Item = (&'static str, &'static str)> {
    FIXED.into_iter()
}

/// Where a repository's pins are.
pub const PINS_PATH: &str = crate::model::pins::PINS_FILE;

/// The hand-written pins a new repository starts with: this toolkit's own.
pub const PINS: &str = include_str!("../../../ci/pins.toml");

/// `sha256:<hex>` of `contents`, as the records hold hashes.
pub fn hash(contents: &[u8]) -> String {
    let digest = Sha256::digest(contents);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}
