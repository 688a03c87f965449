//! The toolkit a new repository gets: the same source as the program that runs, read from
//! the directory it was built from, and the record of where it came from.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use sha2::{Digest, Sha256};

use super::NewFile;

/// The file in a new repository that records where its toolkit came from.
pub const PROVENANCE_FILE: &str = "toolkit-provenance.toml";

/// The toolkit's files outside `xtask/` and `ci/`, relative to the workspace root: the
/// workspace's build settings, what image builds leave out, how the generated Markdown is
/// linted, and the toolkit's own documentation. Nothing in them names an organisation.
const ROOT_FILES: [&str; 7] = [
    "Cargo.toml",
    ".cargo/config.toml",
    ".dockerignore",
    ".markdownlint-cli2.jsonc",
    "docs/ARCHITECTURE.md",
    "docs/environments-reference.md",
    "docs/json-output.md",
];

/// The toolkit's directories, copied whole: the program, and what the pipelines run
/// with their pins.
const DIRS: [&str; 2] = ["xtask", "ci"];

/// The workspace the running program was built from.
pub fn source_root() -> PathBuf {
    let xtask = Path::new(env!("CARGO_MANIFEST_DIR"));
    xtask.parent().unwrap_or(xtask).to_path_buf()
}

/// The toolkit's files under `source` (a workspace root): everything of `xtask/` but
/// build output, everything of `ci/`, and [`ROOT_FILES`]. In path order.
pub fn files(source: &Path) -> anyhow::Result<Vec<NewFile>> {
    let mut paths: Vec<PathBuf> = ROOT_FILES.iter().map(PathBuf::from).collect();
    for dir in DIRS {
        walk(source, Path::new(dir), &mut paths)?;
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| {
            let full = source.join(&path);
            let what = || format!("reading the toolkit's {}", full.display());
            let contents = std::fs::read(&full).with_context(what)?;
            Ok(NewFile {
                executable: is_executable(&std::fs::metadata(&full).with_context(what)?),
                path,
                contents,
            })
        })
        .collect()
}

/// Every file under `source/relative`, skipping build output and hidden entries.
fn walk(source: &Path, relative: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let dir = source.join(relative);
    let entries = std::fs::read_dir(&dir)
        .with_context(|| format!("reading the toolkit's {}", dir.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", dir.display()))?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if name.starts_with('.') || name == "target" {
            continue;
        }
        let path = relative.join(&*name);
        if entry.file_type()?.is_dir() {
            walk(source, &path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(unix)]
fn is_executable(meta: &std::fs::Metadata) -> bool {
    use std::os::unix::fs::PermissionsExt as _;
    meta.permissions().mode() & 0o111 != 0
}

#[cfg(not(unix))]
fn is_executable(_: &std::fs::Metadata) -> bool {
    false
}

/// Where the toolkit came from.
pub struct Source {
    pub version: &'static str,
    /// The commit of the source repository, when it is one.
    pub commit: Option<String>,
    /// Whether toolkit files differ from that commit.
    pub modified: bool,
}

/// The provenance record: the toolkit's version, the source commit, and the SHA-256 of
/// each toolkit file as written, so that a later upgrade can tell the files a team edited
/// from those it did not.
pub fn provenance(source: &Source, files: &[NewFile]) -> String {
    let mut text = String::from(
        "# Where this repository's toolkit came from, written by `cargo xtask new-repo`.\n\
         # A toolkit upgrade compares each file with its hash here: a file that still\n\
         # matches was not edited and can be replaced; one that differs was. Do not edit.\n\n",
    );
    let _ = writeln!(text, "toolkit_version = {}", super::toml(source.version));
    if let Some(commit) = &source.commit {
        let _ = writeln!(text, "source_commit = {}", super::toml(commit));
        let _ = writeln!(text, "source_modified = {}", source.modified);
    }
    text.push_str("\n[files]\n");
    for file in files {
        let digest = Sha256::digest(&file.contents);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        let path = file.path.to_string_lossy().replace('\\', "/");
        let _ = writeln!(
            text,
            "{} = \"sha256:{hex}\"",
            toml_edit::Key::new(path).display_repr()
        );
    }
    text
}
