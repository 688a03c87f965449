//! The only place that writes files, and it writes them whole or not at all: contents go
//! to a temporary place beside their destination and are renamed into it. Also the only
//! place that edits the hand-written TOML sources, with `toml_edit`, so that every comment
//! and the formatting of every other line survive.

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

/// `text` (an `environment.toml`) with the `version` of each named service replaced.
/// Only the version values change: their comments, and every other byte, stay.
pub fn set_service_versions(text: &str, versions: &[(&str, &str)]) -> anyhow::Result<String> {
    let mut document: toml_edit::DocumentMut =
        text.parse().context("parsing the environment file")?;
    for (service, version) in versions {
        let value = document
            .get_mut("services")
            .and_then(|services| services.get_mut(service))
            .and_then(|table| table.get_mut("version"))
            .and_then(toml_edit::Item::as_value_mut)
            .with_context(|| format!("no `version` for service `{service}`"))?;
        let decor = value.decor().clone();
        *value = toml_edit::Value::from(*version);
        *value.decor_mut() = decor;
    }
    Ok(document.to_string())
}

/// Replaces (or creates) the file at `path` with `contents`, atomically: the contents go to
/// a hidden sibling that is then renamed over the file. `executable` sets the mode of a
/// script.
pub fn write_file(path: &Path, contents: &str, executable: bool) -> anyhow::Result<()> {
    let parent = path.parent().context("a file needs a parent directory")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let name = path
        .file_name()
        .context("a file needs a name")?
        .to_string_lossy();
    let staging = parent.join(format!(".{name}.new-{}", std::process::id()));
    let written = std::fs::write(&staging, contents)
        .with_context(|| format!("writing {}", staging.display()))
        .and_then(|()| set_executable(&staging, executable))
        .and_then(|()| {
            std::fs::rename(&staging, path).with_context(|| format!("replacing {}", path.display()))
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&staging);
    }
    written
}

/// Creates the file at `path`, which must not exist, with `contents`. Used for files that
/// are new, where there is nothing to keep whole; `executable` sets the mode of a script.
pub fn create_file(path: &Path, contents: &str, executable: bool) -> anyhow::Result<()> {
    let parent = path.parent().context("a file needs a parent directory")?;
    std::fs::create_dir_all(parent).with_context(|| format!("creating {}", parent.display()))?;
    let mut file =
        std::fs::File::create_new(path).with_context(|| format!("creating {}", path.display()))?;
    std::io::Write::write_all(&mut file, contents.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    if executable {
        set_executable(path, true)?;
    }
    Ok(())
}

#[cfg(unix)]
fn set_executable(path: &Path, executable: bool) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = if executable { 0o755 } else { 0o644 };
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .with_context(|| format!("setting the mode of {}", path.display()))
}

#[cfg(not(unix))]
fn set_executable(_: &Path, _: bool) -> anyhow::Result<()> {
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
