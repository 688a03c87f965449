//! A git revision of the repository, and its files as committed, read with git: what
//! `ENV@REV`, `affected --base` and `check --base` compare with.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::diagnostic::{Diagnostic, Location};

/// Every version each manifest of `manifests` (relative to `root`) has had in the history
/// of HEAD: each `version = "..."` line its commits added or removed. Run only in a git
/// repository; a history git cannot read (a partial clone whose remote is gone) is an
/// error, never an empty one.
///
/// One `git log` reads the history of every manifest whose path git writes as it is
/// (letters, digits, `/`, `-`, `_` and `.`), each diff told apart by its header; any other
/// path is read on its own.
pub fn versions_in_history(
    root: &Path,
    manifests: &[&str],
) -> anyhow::Result<BTreeMap<String, BTreeSet<String>>> {
    let plain = |path: &&str| {
        path.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_' | b'.'))
    };
    let (together, alone): (Vec<&str>, Vec<&str>) = manifests.iter().copied().partition(plain);
    let mut versions: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    if !together.is_empty() {
        let headers: BTreeMap<String, &str> = together
            .iter()
            .map(|path| (format!("diff --git a/{path} b/{path}"), *path))
            .collect();
        let log = history(root, &together)?;
        let mut current = None;
        for line in log.lines() {
            if line.starts_with("diff --git ") {
                current = headers.get(line).copied();
                continue;
            }
            if let (Some(path), Some(version)) = (current, version_line(line)) {
                versions
                    .entry(path.to_owned())
                    .or_default()
                    .insert(version.to_owned());
            }
        }
    }
    for path in alone {
        let log = history(root, &[path])?;
        versions
            .entry(path.to_owned())
            .or_default()
            .extend(log.lines().filter_map(version_line).map(str::to_owned));
    }
    for path in manifests {
        versions.entry((*path).to_owned()).or_default();
    }
    Ok(versions)
}

/// The patches of every commit of HEAD's history that touched one of `paths`, each file
/// diffed apart (no renames paired), its paths relative to `root` as `paths` are (a
/// platform may be a directory of a larger repository).
fn history(root: &Path, paths: &[&str]) -> anyhow::Result<String> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    cmd!(sh, "git log -p --format= --no-ext-diff --no-renames --relative -- {paths...}")
        .quiet()
        .ignore_stderr()
        .read()
        .map_err(|_| {
            Diagnostic::new(
                format!("cannot read the history of {}", paths.join(", ")),
                Location::Nowhere,
            )
            .with_help("fetch the repository's history (`git fetch --unshallow`, or a full clone instead of a partial one), then run the command again")
            .into_error()
        })
}

/// The version a line of a patch adds, removes or keeps: `version = "1.2.3"`.
fn version_line(line: &str) -> Option<&str> {
    let line = line.strip_prefix(['+', '-', ' '])?;
    let value = line.trim().strip_prefix("version")?.trim_start();
    let value = value.strip_prefix('=')?.trim();
    value.strip_prefix('"')?.split('"').next()
}

/// `revision` itself when it is git's empty tree (what `git hash-object -t tree /dev/null`
/// prints): as a base (`affected --base`, `check --base`, `ENV@REV`) it is the state before
/// the first commit, in which nothing exists, and `ci/base-revision.sh` names it for a
/// repository's first push. An error for anything else.
fn empty_tree(sh: &Shell, revision: &str) -> anyhow::Result<String> {
    // An object id is 40 hex digits (SHA-1) or 64 (SHA-256): anything else is not the
    // empty tree, and git need not be asked.
    anyhow::ensure!(
        matches!(revision.len(), 40 | 64) && revision.bytes().all(|b| b.is_ascii_hexdigit()),
        "not an object id"
    );
    let empty = cmd!(sh, "git hash-object -t tree /dev/null")
        .quiet()
        .ignore_stderr()
        .read()?;
    anyhow::ensure!(revision == empty, "not the empty tree");
    Ok(empty)
}

/// The commit `revision` names, as git says it.
fn commit_of(sh: &Shell, revision: &str) -> xshell::Result<String> {
    let spec = format!("{revision}^{{commit}}");
    cmd!(sh, "git rev-parse --verify --quiet {spec}")
        .quiet()
        .ignore_stderr()
        .read()
}

/// A git revision as the user named it, and the commit it names. Its files are listed
/// once, on first use, and read in batches: a load at a revision is a few git processes,
/// whatever the number of files it reads.
#[derive(Debug, Clone)]
pub struct Revision {
    pub name: String,
    pub commit: String,
    /// Every file of the commit under the root, by path: its object id.
    listing: OnceLock<BTreeMap<String, String>>,
}

impl Revision {
    /// The commit HEAD names in the repository at `root`; `None` outside git and before
    /// the first commit. One git process, where [`Revision::resolve`] would ask git more to
    /// explain an error.
    pub fn head(root: &Path) -> Option<Revision> {
        let sh = Shell::new().ok()?;
        sh.change_dir(root);
        Some(Revision::named("HEAD", commit_of(&sh, "HEAD").ok()?))
    }

    /// The commit `revision` (any revision git understands) names in the repository at
    /// `root`; a diagnostic that says what to do when git does not know it.
    pub fn resolve(root: &Path, revision: &str) -> anyhow::Result<Revision> {
        let sh = Shell::new()?;
        sh.change_dir(root);
        let commit = commit_of(&sh, revision)
            .or_else(|_| empty_tree(&sh, revision))
            .map_err(|_| {
                Diagnostic::new(format!("unknown revision `{revision}`"), Location::Nowhere)
                    .with_help(unknown_revision_help(&sh, revision))
                    .into_error()
            })?;
        Ok(Revision::named(revision, commit))
    }

    fn named(name: &str, commit: String) -> Revision {
        Revision {
            name: name.to_owned(),
            commit,
            listing: OnceLock::new(),
        }
    }

    /// The text of `path` (relative to the root) as committed at this revision; `None`
    /// when the revision has no such file.
    pub fn file(&self, root: &Path, path: &str) -> anyhow::Result<Option<String>> {
        Ok(self.read(root, &[path])?.pop().flatten())
    }

    /// The texts of `paths` (relative to the root) as committed at this revision, in
    /// their order; `None` for each the revision does not have. One git process reads
    /// them all.
    pub fn read(&self, root: &Path, paths: &[&str]) -> anyhow::Result<Vec<Option<String>>> {
        let listing = self.listing(root)?;
        let objects: Vec<(&str, &str)> = paths
            .iter()
            .filter_map(|path| Some((*path, listing.get(*path)?.as_str())))
            .collect();
        let mut texts = self.blobs(root, &objects)?.into_iter();
        Ok(paths
            .iter()
            .map(|path| listing.contains_key(*path).then(|| texts.next()).flatten())
            .collect())
    }

    /// Every file committed at this revision, by path.
    pub fn files(&self, root: &Path) -> anyhow::Result<Vec<String>> {
        Ok(self.listing(root)?.keys().cloned().collect())
    }

    fn listing(&self, root: &Path) -> anyhow::Result<&BTreeMap<String, String>> {
        if let Some(listing) = self.listing.get() {
            return Ok(listing);
        }
        let sh = Shell::new()?;
        sh.change_dir(root);
        let commit = &self.commit;
        // Run at the root, so paths are from the platform's root, which may be a
        // directory of a larger repository; only files (blobs), not submodules.
        let listing = cmd!(sh, "git ls-tree -r -z {commit}")
            .quiet()
            .read()
            .map_err(|_| unreadable(&format!("the files of {}", self.name)))?;
        let listing = listing
            .split('\0')
            .filter_map(|entry| {
                let (meta, path) = entry.split_once('\t')?;
                let mut fields = meta.split(' ');
                let (_mode, kind, object) = (fields.next()?, fields.next()?, fields.next()?);
                (kind == "blob").then(|| (path.to_owned(), object.to_owned()))
            })
            .collect();
        Ok(self.listing.get_or_init(|| listing))
    }

    /// The contents of `objects` (path and object id), read by one `git cat-file`. An
    /// object the listing names but git cannot read (a partial clone whose remote is
    /// gone) is an error, never a missing file.
    fn blobs(&self, root: &Path, objects: &[(&str, &str)]) -> anyhow::Result<Vec<String>> {
        if objects.is_empty() {
            return Ok(Vec::new());
        }
        let sh = Shell::new()?;
        sh.change_dir(root);
        let request: String = objects.iter().map(|(_, id)| format!("{id}\n")).collect();
        let output = cmd!(sh, "git cat-file --batch")
            .quiet()
            .ignore_status()
            .stdin(request)
            .output()
            .with_context(|| format!("reading files at {}", self.name))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            let reason = said.lines().next().unwrap_or("git failed").trim();
            return Err(unreadable(&format!("files at {}: {reason}", self.name)));
        }
        let mut rest = output.stdout.as_slice();
        let mut texts = Vec::with_capacity(objects.len());
        for (path, _) in objects {
            let unread = || unreadable(&format!("{path} at {}", self.name));
            let end = rest.iter().position(|b| *b == b'\n').ok_or_else(unread)?;
            let header = std::str::from_utf8(&rest[..end]).map_err(|_| unread())?;
            let size: usize = match header.split(' ').collect::<Vec<_>>()[..] {
                [_, "blob", size] => size.parse().map_err(|_| unread())?,
                _ => return Err(unread()),
            };
            let body = rest.get(end + 1..end + 1 + size).ok_or_else(unread)?;
            let text = String::from_utf8(body.to_vec())
                .with_context(|| format!("{path} at {} is not UTF-8", self.name))?;
            texts.push(text);
            // The contents end with a newline of cat-file's own.
            rest = rest.get(end + 2 + size..).unwrap_or_default();
        }
        Ok(texts)
    }

    /// The paths whose content in the working tree differs from this revision: changed,
    /// added, deleted (under both names when renamed) and untracked files that git does
    /// not ignore.
    pub fn changed_paths(&self, root: &Path) -> anyhow::Result<BTreeSet<String>> {
        let sh = Shell::new()?;
        sh.change_dir(root);
        let commit = &self.commit;
        // `--relative`: paths from the platform's root, which may be a directory of a
        // larger repository.
        let tracked = cmd!(
            sh,
            "git diff --name-only --relative --no-renames -z {commit} --"
        )
        .quiet()
        .read()
        .with_context(|| format!("listing what changed since {}", self.name))?;
        let untracked = cmd!(sh, "git ls-files --others --exclude-standard -z")
            .quiet()
            .read()
            .context("listing the files git does not track yet")?;
        Ok(split_nul(&tracked)
            .into_iter()
            .chain(split_nul(&untracked))
            .collect())
    }
}

/// What git could not read at a revision (a shallow or partial clone lacks it), and how to
/// get it.
fn unreadable(what: &str) -> anyhow::Error {
    Diagnostic::new(format!("cannot read {what}"), Location::Nowhere)
        .with_help("fetch the revision and what it holds (`git fetch`, or a full clone instead of a shallow or partial one), then run the command again")
        .into_error()
}

fn split_nul(listing: &str) -> Vec<String> {
    listing
        .split('\0')
        .filter(|path| !path.is_empty())
        .map(str::to_owned)
        .collect()
}

/// What to do about a revision git does not know here: a remote branch by its local name,
/// or a shallow clone (as CI checks out) that lacks the history.
fn unknown_revision_help(sh: &Shell, revision: &str) -> String {
    let git_says = |args: &[&str]| {
        cmd!(sh, "git {args...}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
    };
    let mut help =
        "give a branch, a tag or a commit of this repository, such as `main` or `HEAD~1`"
            .to_owned();
    let remote = format!("refs/remotes/origin/{revision}");
    if git_says(&["rev-parse", "--verify", "--quiet", &remote]).is_some() {
        help.push_str(&format!(
            "; the remote's branch is here as `origin/{revision}`"
        ));
    }
    if git_says(&["rev-parse", "--is-shallow-repository"]).as_deref() == Some("true") {
        help.push_str(&format!(
            "; this clone is shallow (as CI checkouts often are) and lacks older commits and other branches: fetch them first with `git fetch --unshallow` or `git fetch origin {revision}`"
        ));
    }
    help
}
