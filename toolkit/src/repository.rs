//! Finding the repository: the nearest directory, from the start upward, that holds
//! `environments/platform.toml`, the way cargo finds `Cargo.toml`.

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
