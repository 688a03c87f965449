//! The only place that writes files, and it writes them whole or not at all: contents go
//! to a temporary place beside their destination and are renamed into it. Also the only
//! place that edits the hand-written TOML sources, with `toml_edit`, so that every comment
//! and the formatting of every other line survive.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use xshell::{Shell, cmd};

/// Holds the repository for one command's read-modify-write: two `new-env` runs at once
/// would otherwise both take the same free VPC, and a `render` would take another
/// command's staged files for a killed run's leftovers and remove them. Every command
/// that writes takes it. The lock is on `environments/platform.toml`
/// (a file every repository has, so that no lock file is left behind) and is released when
/// the guard is dropped, or when the process ends, however it ends.
pub struct Lock(std::fs::File);

impl Lock {
    /// Waits for any other command holding the repository at `root`, then holds it.
    pub fn repository(root: &Path) -> anyhow::Result<Lock> {
        let path = root
            .join(crate::model::ENVIRONMENTS_DIR)
            .join(crate::model::PLATFORM_FILE);
        let file = std::fs::File::open(&path)
            .with_context(|| format!("opening {} to lock it", path.display()))?;
        file.lock()
            .with_context(|| format!("locking {}", path.display()))?;
        Ok(Lock(file))
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

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
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("creating {}", parent.display()))?;
        }
        std::fs::write(&path, contents).with_context(|| format!("writing {}", path.display()))?;
    }
    Ok(())
}

/// `text` (an `environment.toml`) with each of `replacements` (the byte range of a quoted
/// version as the loader found it, and the new version) spliced in. Every other byte stays
/// as it was: comments, line endings, a byte-order mark, a missing final newline, and the
/// quotes each version was written with.
pub fn set_service_versions(
    text: &str,
    replacements: &[(std::ops::Range<usize>, &str)],
) -> anyhow::Result<String> {
    let mut sorted: Vec<&(std::ops::Range<usize>, &str)> = replacements.iter().collect();
    sorted.sort_by_key(|(range, _)| range.start);
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for (range, version) in sorted {
        let old = text
            .get(range.clone())
            .filter(|old| range.start >= at && old.len() >= 2)
            .with_context(|| format!("no quoted version at bytes {range:?}"))?;
        let quote = old
            .chars()
            .next()
            .filter(|q| matches!(q, '"' | '\'') && old.ends_with(*q))
            .with_context(|| format!("the version at bytes {range:?} is not a quoted string"))?;
        out.push_str(&text[at..range.start]);
        out.push(quote);
        out.push_str(version);
        out.push(quote);
        at = range.end;
    }
    out.push_str(&text[at..]);
    Ok(out)
}

/// `text` (an `environment.toml`) with `[services.NAME]` at `version` added at its end,
/// with the keys of `more` after `version` (each a key and its value). Every byte before
/// stays as it was; the line ending is the file's own. Fails when the file holds
/// `services` in a form a table cannot be added to (an inline table), or has the service
/// already.
pub fn add_service(
    text: &str,
    name: &str,
    version: &str,
    more: &[(&str, toml_edit::Value)],
) -> anyhow::Result<String> {
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let mut out = text.to_owned();
    if !out.is_empty() && !out.ends_with('\n') {
        out.push_str(newline);
    }
    let key = toml_edit::Key::new(name).display_repr().to_string();
    let version = toml_edit::Value::from(version).to_string();
    out.push_str(&format!(
        "{newline}[services.{key}]{newline}version = {version}{newline}"
    ));
    for (key, value) in more {
        let key = toml_edit::Key::new(*key).display_repr().to_string();
        let value = value.clone().decorated("", "");
        out.push_str(&format!("{key} = {value}{newline}"));
    }
    let document = toml_edit::Document::parse(out.as_str())
        .map_err(|err| anyhow::anyhow!("{err}"))
        .context("the service's table cannot be added at the end of the file")?;
    let added = document
        .get("services")
        .and_then(|services| services.get(name))
        .and_then(|service| service.get("version"))
        .and_then(|v| v.as_str());
    anyhow::ensure!(
        added.is_some(),
        "the service's table could not be added at the end of the file"
    );
    Ok(out)
}

/// `text` (a TOML file) with `key = value` added as the last entry of the standard table
/// at `table` (its dotted path), after `comment`'s lines. Every other byte stays as it was;
/// the line ending is the file's own. `None` when the file has no such table, or has the
/// key in it already.
pub fn add_key(
    text: &str,
    table: &[&str],
    key: &str,
    value: &toml_edit::Value,
    comment: &[&str],
) -> anyhow::Result<Option<String>> {
    let document = toml_edit::Document::parse(text).map_err(|err| anyhow::anyhow!("{err}"))?;
    let mut item = document.as_item();
    for name in table {
        match item.get(name) {
            Some(inner) => item = inner,
            None => return Ok(None),
        }
    }
    let Some(found) = item.as_table() else {
        return Ok(None);
    };
    if found.contains_key(key) {
        return Ok(None);
    }
    // After the table's last line: its last value's, else its header's.
    let last = found
        .iter()
        .filter_map(|(_, item)| item.span())
        .chain(found.span())
        .map(|span| span.end)
        .max()
        .context("the table has no place in the file")?;
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let (at, lead) = match text[last..].find('\n') {
        Some(offset) => (last + offset + 1, ""),
        None => (text.len(), newline),
    };
    let mut added = String::from(lead);
    for line in comment {
        added.push_str(&format!("# {line}{newline}"));
    }
    let key = toml_edit::Key::new(key).display_repr().to_string();
    added.push_str(&format!(
        "{key} = {}{newline}",
        value.clone().decorated("", "")
    ));
    Ok(Some(format!("{}{added}{}", &text[..at], &text[at..])))
}

/// `ours` with the change from `base` to `theirs` applied, and the number of conflicts
/// marked in it, by `git merge-file`; `labels` name the three in the markers. The three
/// sides are written to a temporary directory of their own, removed after.
pub fn merge(
    ours: &[u8],
    base: &[u8],
    theirs: &[u8],
    labels: [&str; 3],
) -> anyhow::Result<(Vec<u8>, usize)> {
    let dir = tempfile::tempdir().context("making a directory for a three-way merge")?;
    let write = |name: &str, contents: &[u8]| -> anyhow::Result<std::path::PathBuf> {
        let path = dir.path().join(name);
        std::fs::write(&path, contents).context("writing a side of a three-way merge")?;
        Ok(path)
    };
    let (ours, base, theirs) = (
        write("ours", ours)?,
        write("base", base)?,
        write("theirs", theirs)?,
    );
    let sh = Shell::new()?;
    let [a, b, c] = labels;
    let output = cmd!(
        sh,
        "git merge-file --stdout -L {a} -L {b} -L {c} {ours} {base} {theirs}"
    )
    .quiet()
    .ignore_status()
    .output()
    .context("running git merge-file (git is needed to merge edited files)")?;
    // Its status is the number of conflicts, or a negative number (255 here) on an error.
    match output.status.code() {
        Some(conflicts @ 0..=127) => Ok((output.stdout, conflicts as usize)),
        _ => anyhow::bail!(
            "git merge-file failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ),
    }
}

/// `text` (a TOML file) with the value at `path` (its keys, from the top) replaced by
/// `value`, TOML as it is to be written. Every other byte stays. `None` when there is no
/// such value.
pub fn replace_value(text: &str, path: &[&str], value: &str) -> anyhow::Result<Option<String>> {
    let document = toml_edit::Document::parse(text).map_err(|err| anyhow::anyhow!("{err}"))?;
    let mut item = document.as_item();
    for key in path {
        match item.get(key) {
            Some(inner) => item = inner,
            None => return Ok(None),
        }
    }
    let Some(span) = item.span() else {
        return Ok(None);
    };
    Ok(Some(format!(
        "{}{value}{}",
        &text[..span.start],
        &text[span.end..]
    )))
}

/// `text` (a TOML file) without its top-level table `key` and the comment above it; every
/// other table keeps its bytes. `None` when there is no such table.
pub fn remove_table(text: &str, key: &str) -> anyhow::Result<Option<String>> {
    let mut document: toml_edit::DocumentMut =
        text.parse().map_err(|err| anyhow::anyhow!("{err}"))?;
    Ok(document.remove(key).map(|_| document.to_string()))
}

/// The mode a written file gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileMode {
    /// 0644, or 0755 for a script.
    Generated { executable: bool },
    /// Whatever the file it replaces has: a hand-written file keeps its permissions.
    Kept,
}

/// A file written to a temporary file beside its destination, not yet in place. [`Staged::commit`] renames it over the destination; dropping it removes it.
pub struct Staged {
    temp: tempfile::NamedTempFile,
    destination: PathBuf,
    /// The destination as errors name it.
    shown: PathBuf,
    /// Whether the destination must not exist yet.
    new: bool,
}

/// Temporary files start with this, so that one left behind by a killed run is known.
pub const TEMPORARY_PREFIX: &str = ".xtask-tmp-";

/// Writes `contents` for `relative` (a path under `root`) into a temporary file in the same
/// directory (so that the rename is atomic), flushed to disk when it is hand-written
/// ([`FileMode::Kept`]). A symbolic link is followed:
/// its target is replaced, and the link stays. `new` files must not exist when committed.
/// Errors name the destination as the user knows it.
pub fn stage(
    root: &Path,
    relative: &Path,
    contents: &str,
    mode: FileMode,
    new: bool,
) -> anyhow::Result<Staged> {
    let path = &root.join(relative);
    let destination = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_symlink() => std::fs::canonicalize(path)
            .with_context(|| format!("following the link {}", relative.display()))?,
        _ => path.to_path_buf(),
    };
    let parent = destination
        .parent()
        .context("a file needs a parent directory")?;
    let what = || format!("writing {}", relative.display());
    let temporary = || {
        tempfile::Builder::new()
            .prefix(TEMPORARY_PREFIX)
            .tempfile_in(parent)
    };
    // The directory is made only when it is missing: nearly always it is there, and
    // asking costs two calls to the file system per file.
    let mut temp = match temporary() {
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
            std::fs::create_dir_all(parent).with_context(what)?;
            temporary()
        }
        made => made,
    }
    .with_context(what)?;
    temp.write_all(contents.as_bytes()).with_context(what)?;
    let permissions = match mode {
        FileMode::Generated { executable } => generated_permissions(executable),
        FileMode::Kept => std::fs::metadata(&destination)
            .ok()
            .map(|m| m.permissions()),
    };
    if let Some(permissions) = permissions {
        temp.as_file()
            .set_permissions(permissions)
            .with_context(what)?;
    }
    // A hand-written file is flushed to disk before it replaces the old one, so that a
    // power cut cannot leave it empty. Generated files are not, as git does not flush the
    // files it checks out: `render` makes them again, and flushing 4,000 of them one by one
    // took most of a large render.
    if mode == FileMode::Kept {
        temp.as_file().sync_all().with_context(what)?;
    }
    Ok(Staged {
        temp,
        destination,
        shown: relative.to_path_buf(),
        new,
    })
}

impl Staged {
    /// Renames the staged file into place.
    pub fn commit(self) -> anyhow::Result<()> {
        let destination = self.destination;
        let shown = self.shown;
        let what = || format!("writing {}", shown.display());
        if self.new {
            self.temp
                .persist_noclobber(&destination)
                .map_err(|e| e.error)
                .with_context(what)?;
        } else {
            self.temp
                .persist(&destination)
                .map_err(|e| e.error)
                .with_context(what)?;
        }
        Ok(())
    }
}

/// Removes the file at `relative` under `root`: a generated file no environment makes any
/// more.
pub fn remove_file(root: &Path, relative: &Path) -> anyhow::Result<()> {
    std::fs::remove_file(root.join(relative))
        .with_context(|| format!("removing {}", relative.display()))
}

/// Removes the directories above `relative` (a removed file) that its removal left empty,
/// up to `root`.
pub fn remove_empty_parents(root: &Path, relative: &Path) {
    for dir in relative.ancestors().skip(1) {
        if dir.as_os_str().is_empty() || std::fs::remove_dir(root.join(dir)).is_err() {
            break;
        }
    }
}

/// Removes the directory `dir` and everything in it: a crate a failed command created.
pub fn remove_dir(dir: &Path) -> anyhow::Result<()> {
    std::fs::remove_dir_all(dir).with_context(|| format!("removing {}", dir.display()))
}

/// Replaces (or creates) the file `relative` under `root` with `contents`, atomically.
pub fn write_file(
    root: &Path,
    relative: &Path,
    contents: &str,
    mode: FileMode,
) -> anyhow::Result<()> {
    stage(root, relative, contents, mode, false)?.commit()
}

/// A directory tree built in a hidden directory beside its destination and moved into
/// place whole by [`NewTree::persist`]. Dropped before that, it is removed with everything
/// in it, so that a failed command leaves nothing behind.
pub struct NewTree {
    temp: tempfile::TempDir,
    destination: PathBuf,
}

impl NewTree {
    /// A new tree for `destination`, whose parent must exist. With `beside` false, the tree
    /// is built in the system's temporary directory and can only be dropped: for a dry run.
    pub fn new(destination: &Path, beside: bool) -> anyhow::Result<NewTree> {
        let name = destination
            .file_name()
            .context("a new directory needs a name")?
            .to_string_lossy();
        let mut builder = tempfile::Builder::new();
        let prefix = format!(".{name}.new-");
        builder.prefix(&prefix);
        let temp = if beside {
            let parent = destination
                .parent()
                .context("a new directory needs a parent")?;
            builder.tempdir_in(parent)
        } else {
            builder.tempdir()
        }
        .with_context(|| format!("creating a directory beside {}", destination.display()))?;
        Ok(NewTree {
            temp,
            destination: destination.to_path_buf(),
        })
    }

    /// Where the tree is being built.
    pub fn path(&self) -> &Path {
        self.temp.path()
    }

    /// Writes a file of the tree, creating its directories; `executable` makes it 0755.
    pub fn write(&self, relative: &Path, contents: &[u8], executable: bool) -> anyhow::Result<()> {
        let path = self.temp.path().join(relative);
        let what = || format!("writing {}", relative.display());
        std::fs::create_dir_all(path.parent().context("a file needs a directory")?)
            .with_context(what)?;
        std::fs::write(&path, contents).with_context(what)?;
        if let Some(permissions) = generated_permissions(executable) {
            std::fs::set_permissions(&path, permissions).with_context(what)?;
        }
        Ok(())
    }

    /// Moves the tree to its destination, which must be absent or an empty directory.
    pub fn persist(self) -> anyhow::Result<()> {
        let what = || format!("moving the new tree into {}", self.destination.display());
        if let Ok(mut entries) = std::fs::read_dir(&self.destination)
            && entries.next().is_some()
        {
            anyhow::bail!("{} is no longer empty", self.destination.display());
        }
        // A temporary directory is private (0700); the repository is not.
        if let Some(permissions) = generated_permissions(true) {
            std::fs::set_permissions(self.temp.path(), permissions).with_context(what)?;
        }
        std::fs::rename(self.temp.path(), &self.destination).with_context(what)?;
        // The directory is where it belongs now: nothing is left to remove.
        let _ = self.temp.keep();
        Ok(())
    }
}

#[cfg(unix)]
fn generated_permissions(executable: bool) -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt as _;
    Some(std::fs::Permissions::from_mode(if executable {
        0o755
    } else {
        0o644
    }))
}

/// Elsewhere the temporary file's own permissions are right for a generated file.
#[cfg(not(unix))]
fn generated_permissions(_: bool) -> Option<std::fs::Permissions> {
    None
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

    #[test]
    fn a_service_is_added_at_the_end_and_every_byte_before_stays() {
        let text = "stage = \"dev\"  # kept\r\n[services.hello]\r\nversion = '1.0.0'";
        let out = add_service(text, "billing", "0.1.0", &[]).unwrap();
        assert_eq!(
            out,
            format!("{text}\r\n\r\n[services.billing]\r\nversion = \"0.1.0\"\r\n")
        );
        let inline = "services = { hello = { version = \"1.0.0\" } }\n";
        assert!(add_service(inline, "billing", "0.1.0", &[]).is_err());
    }

    #[test]
    fn versions_are_spliced_into_the_bytes_as_written() {
        let text = "\u{feff}[services.a]\r\nversion = '1.0.0' # pinned\r\n[services.b]\r\nversion=\"2.0.0\"";
        let a = text.find("'1.0.0'").unwrap();
        let b = text.find("\"2.0.0\"").unwrap();
        let out = set_service_versions(text, &[(b..b + 7, "2.1.0"), (a..a + 7, "1.1.0")]).unwrap();
        assert_eq!(
            out,
            "\u{feff}[services.a]\r\nversion = '1.1.0' # pinned\r\n[services.b]\r\nversion=\"2.1.0\""
        );
        assert!(set_service_versions(text, &[(0..3, "1")]).is_err());
    }
}
