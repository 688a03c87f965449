//! The generated files against the tree on disk: what rendering would create, update and
//! remove. Every directory generated files go to, and every environment's, is listed once;
//! a name the listing does not hold is neither read nor looked for again, so that a first
//! render of thousands of files asks the file system about each only to write it.

use std::collections::{HashMap, HashSet};
use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Change, ENVIRONMENT_FILES, Generated, MARKER, buildkite, schemas, updates, workflows};
use crate::edit;
use crate::model::ENVIRONMENTS_DIR;

/// What the directories of the generated files held when they were listed.
pub struct Listing {
    root: PathBuf,
    /// The names in each directory, by its path under the root as joined to it; `None`
    /// for one that could not be listed, whose files are looked for one by one.
    names: HashMap<PathBuf, Option<HashSet<OsString>>>,
    /// The environments' directories, in name order: where stray generated files may be.
    environments: Vec<PathBuf>,
    /// Temporary files that a killed run left in those directories, under the root.
    leftovers: Vec<PathBuf>,
}

impl Listing {
    /// Lists the directories of `paths` (generated files, relative to `root`) and of every
    /// environment.
    pub fn of(root: &Path, paths: &[&Path]) -> anyhow::Result<Listing> {
        let environments_dir = root.join(ENVIRONMENTS_DIR);
        let mut environments: Vec<PathBuf> = std::fs::read_dir(&environments_dir)
            .with_context(|| format!("reading {}", environments_dir.display()))?
            .filter_map(Result::ok)
            // Directories only, never a link to one: nothing outside the repository is
            // removed.
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .map(|entry| entry.path())
            .filter(|path| {
                !path
                    .file_name()
                    .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            })
            .collect();
        environments.sort();
        let mut places: Vec<PathBuf> = paths
            .iter()
            .filter_map(|path| root.join(path).parent().map(Path::to_path_buf))
            .chain(environments.iter().cloned())
            .collect();
        places.sort();
        places.dedup();
        let listed = crate::parallel::map(places, |dir| {
            let mut leftovers = Vec::new();
            let names = match std::fs::read_dir(&dir) {
                Ok(entries) => Some(
                    entries
                        .filter_map(Result::ok)
                        .map(|entry| {
                            let name = entry.file_name();
                            if name.to_string_lossy().starts_with(edit::TEMPORARY_PREFIX)
                                && entry.file_type().is_ok_and(|t| t.is_file())
                            {
                                leftovers.push(entry.path());
                            }
                            name
                        })
                        .collect(),
                ),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => Some(HashSet::new()),
                Err(_) => None,
            };
            (dir, names, leftovers)
        });
        let mut names = HashMap::new();
        let mut leftovers = Vec::new();
        for (dir, listed, found) in listed {
            names.insert(dir, listed);
            leftovers.extend(
                found
                    .iter()
                    .map(|path| crate::diagnostic::display_path(root, path)),
            );
        }
        leftovers.sort();
        Ok(Listing {
            root: root.to_path_buf(),
            names,
            environments,
            leftovers,
        })
    }

    /// Whether there may be a file at `relative`: not when its directory was listed
    /// without it.
    fn may_hold(&self, relative: &Path) -> bool {
        let path = self.root.join(relative);
        let listed = path
            .parent()
            .and_then(|dir| self.names.get(dir))
            .and_then(Option::as_ref);
        match (listed, path.file_name()) {
            (Some(names), Some(name)) => names.contains(name),
            _ => true,
        }
    }
}

/// Compares the generated files with the tree under `root`: what to create, update, and
/// remove. A file in an environment's directory with a generated file's name counts as
/// stray when it carries the generated-file marker and no environment produces it.
pub fn changes<'f>(root: &Path, files: &'f [Generated]) -> anyhow::Result<Vec<Change<'f>>> {
    let paths: Vec<&Path> = files.iter().map(|file| file.path.as_path()).collect();
    let listing = Listing::of(root, &paths)?;
    let mut changes = compare(root, files, &listing)?;
    changes.extend(not_generated(root, &paths, &listing)?);
    Ok(changes)
}

/// Each of `files` that is missing or differs on disk. Read and compared on all cores when
/// there are many; only what differs is kept.
pub fn compare<'f>(
    root: &Path,
    files: &'f [Generated],
    listing: &Listing,
) -> anyhow::Result<Vec<Change<'f>>> {
    let compared = crate::parallel::map(files.iter().collect(), |file| {
        if !listing.may_hold(&file.path) {
            return anyhow::Ok(Some(Change::Create(file)));
        }
        let path = root.join(&file.path);
        let what = || format!("reading {}", file.path.display());
        anyhow::Ok(
            match holds(&path, file.contents.as_bytes()).with_context(what)? {
                None => Some(Change::Create(file)),
                Some(true) => None,
                // Read again, as text, only to show how it differs.
                Some(false) => match read_if_exists(root, &file.path)? {
                    Some(old) => Some(Change::Update { file, old }),
                    None => Some(Change::Create(file)),
                },
            },
        )
    });
    let mut changes = Vec::new();
    for change in compared {
        changes.extend(change?);
    }
    Ok(changes)
}

/// What is under `root` that rendering, which makes the files at `paths`, would remove:
/// temporary files a killed run left, and generated files nothing makes any more.
pub fn not_generated(
    root: &Path,
    paths: &[&Path],
    listing: &Listing,
) -> anyhow::Result<Vec<Change<'static>>> {
    let mut changes: Vec<Change> = listing
        .leftovers
        .iter()
        .map(|path| Change::Remove {
            path: path.clone(),
            old: String::new(),
        })
        .collect();
    let expected: HashSet<&Path> = paths.iter().copied().collect();
    // What may be a stray: every file of the workflows directory (the pins file is gone, or
    // the flow has no promotion), the pins' schema, then the generated names in every
    // environment directory. Only a file with the marker was written by this tool; a
    // hand-written one stays.
    // Each CI provider's directory: switching providers leaves the other's files strays.
    let mut candidates: Vec<PathBuf> = [workflows::DIR, buildkite::DIR]
        .into_iter()
        .filter_map(|dir| std::fs::read_dir(root.join(dir)).ok())
        .flatten()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|path| path.is_file())
        .collect();
    candidates.sort();
    candidates.push(root.join(workflows::ACTIONLINT));
    candidates.push(root.join(schemas::PINS));
    candidates.push(root.join(updates::path()));
    candidates.extend(
        listing
            .environments
            .iter()
            .flat_map(|dir| ENVIRONMENT_FILES.iter().map(move |name| dir.join(name))),
    );
    for path in candidates {
        let relative = crate::diagnostic::display_path(root, &path);
        if expected.contains(relative.as_path()) || !listing.may_hold(&relative) {
            continue;
        }
        if let Some(old) = read_if_exists(root, &relative)?
            && old.contains(MARKER)
        {
            changes.push(Change::Remove {
                path: relative,
                old,
            });
        }
    }
    Ok(changes)
}

/// Whether the file at `path` holds exactly `expected`; `None` when there is none. Nearly
/// every generated file is unchanged, so each is read into a buffer its thread keeps
/// rather than into a string of its own: checking thousands allocates next to nothing.
fn holds(path: &Path, expected: &[u8]) -> std::io::Result<Option<bool>> {
    use std::io::Read as _;
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    let file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        // One byte more than expected shows a longer file without reading all of it; the
        // file's size is not asked first, which would cost a system call for each file.
        buffer.reserve(expected.len() + 1);
        file.take(expected.len() as u64 + 1).read_to_end(buffer)?;
        Ok(Some(buffer.as_slice() == expected))
    })
}

fn read_if_exists(root: &Path, relative: &Path) -> anyhow::Result<Option<String>> {
    match std::fs::read_to_string(root.join(relative)) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(err) => Err(err).with_context(|| format!("reading {}", relative.display())),
    }
}
