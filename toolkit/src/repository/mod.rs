//! Reading a repository: finding it (the nearest directory, from the start upward, that
//! holds `environments/platform.toml`, the way cargo finds `Cargo.toml`), its hand-written
//! files in the working tree (`tree`) or at a git revision (`git`), the cargo workspace
//! and the record kept of it (`workspace`), and the services its crates declare
//! (`services`). `load` is the one way in: a working tree in, a loaded platform out.

pub mod revision;
pub mod services;
pub mod tree;
pub mod workspace;

pub use tree::{SourceTree, load, load_until_exit};

use std::path::{Path, PathBuf};

use crate::diagnostic::{Diagnostic, Location};
use crate::model::{ENVIRONMENTS_DIR, PLATFORM_FILE};

pub fn find_root(start: &Path) -> anyhow::Result<PathBuf> {
    let start = std::path::absolute(start)?;
    if !start.is_dir() {
        return Err(Diagnostic::new(
            format!("`{}` is not a directory", start.display()),
            Location::Nowhere,
        )
        .with_help("pass -C with the repository's directory, or one inside it")
        .into_error());
    }
    start
        .ancestors()
        .find(|dir| dir.join(ENVIRONMENTS_DIR).join(PLATFORM_FILE).is_file())
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            Diagnostic::new(
                format!(
                    "could not find {ENVIRONMENTS_DIR}/{PLATFORM_FILE} in `{}` or any parent directory",
                    start.display()
                ),
                Location::Nowhere,
            )
            .with_help("run inside a platform repository, or pass -C DIR")
            .into_error()
        })
}
