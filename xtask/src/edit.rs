//! The only place that writes the user's sources, and it writes them whole or not at all:
//! files go to a temporary place beside their destination and are renamed into it.

use std::path::Path;

use anyhow::Context as _;

/// Creates the directory `dir` holding `files` (name and contents), atomically: the files
/// are written into a hidden sibling directory that is then renamed to `dir`. Fails,
/// writing nothing, when `dir` already exists.
pub fn create_dir_with_files(dir: &Path, files: &[(&str, &str)]) -> anyhow::Result<()> {
    let parent = dir.parent().context("a new directory needs a parent")?;
    let name = dir
        .file_name()
        .context("a new directory needs a name")?
        .to_string_lossy();
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let written = write_staging(&staging, files).and_then(|()| {
        if dir.exists() {
            anyhow::bail!("{} already exists", dir.display());
        }
        std::fs::rename(&staging, dir)
            .with_context(|| format!("moving the new files into {}", dir.display()))
    });
    if written.is_err() {
        // Best effort: the loader skips hidden directories, so a leftover does no harm.
        let _ = std::fs::remove_dir_all(&staging);
    }
    written
}

fn write_staging(staging: &Path, files: &[(&str, &str)]) -> anyhow::Result<()> {
    std::fs::create_dir(staging).with_context(|| format!("creating {}", staging.display()))?;
    for (file, contents) in files {
        let path = staging.join(file);
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn creates_the_directory_with_its_files_and_leaves_nothing_else() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("qa");
        create_dir_with_files(&dir, &[("environment.toml", "stage = \"staging\"\n")]).unwrap();
        assert_eq!(
            std::fs::read_to_string(dir.join("environment.toml")).unwrap(),
            "stage = \"staging\"\n"
        );
        let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(entries.len(), 1);
    }

    #[test]
    fn refuses_an_existing_directory_and_cleans_up() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("qa");
        std::fs::create_dir(&dir).unwrap();
        std::fs::write(dir.join("keep"), "mine").unwrap();
        assert!(create_dir_with_files(&dir, &[("environment.toml", "x")]).is_err());
        assert_eq!(std::fs::read_to_string(dir.join("keep")).unwrap(), "mine");
        let entries: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
        assert_eq!(entries.len(), 1, "the staging directory was removed");
    }
}
