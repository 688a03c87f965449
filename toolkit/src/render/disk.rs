//! The generated files against the tree on disk: what rendering would create, update and
//! remove. Every directory generated files go to, and every environment's, is listed once;
//! a name the listing does not hold is neither read nor looked for again, so that a first
//! render of thousands of files asks the file system about each only to write it.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use rustc_hash::{FxHashMap, FxHashSet};

use super::{Change, ENVIRONMENT_FILES, Generated, MARKER, buildkite, schemas, updates, workflows};
use crate::edit;
use crate::model::ENVIRONMENTS_DIR;

/// What the directories of the generated files held when they were listed. Every path is
/// relative to the root, as the generated files' are, so that asking about a file joins
/// nothing and looks its directory up as it is.
pub struct Listing {
    /// The names in each directory, by its path under the root; `None` for one that could
    /// not be listed, whose files are looked for one by one.
    names: FxHashMap<PathBuf, Option<FxHashSet<OsString>>>,
    /// The environments' directories, in name order: where stray generated files may be.
    environments: Vec<PathBuf>,
    /// Temporary files that a killed run left in those directories.
    leftovers: Vec<PathBuf>,
}

impl Listing {
    /// Lists the directories of `paths` (generated files, relative to `root`) and of every
    /// environment.
    pub fn of(root: &Path, paths: &[&Path]) -> anyhow::Result<Listing> {
        let environments_dir = root.join(ENVIRONMENTS_DIR);
        let mut environments = std::fs::read_dir(&environments_dir)
            .with_context(|| format!("reading {}", environments_dir.display()))?
            .filter_map(Result::ok)
            // Directories only, never a link to one: nothing outside the repository is
            // removed.
            .filter(|entry| entry.file_type().is_ok_and(|kind| kind.is_dir()))
            .map(|entry| entry.file_name())
            .filter(|name| !name.to_string_lossy().starts_with('.'))
            .collect::<Vec<OsString>>();
        // By name: one component each, in the order of their paths.
        environments.sort();
        let environments: Vec<PathBuf> = environments
            .into_iter()
            .map(|name| Path::new(ENVIRONMENTS_DIR).join(name))
            .collect();
        // Each directory once; the order does not matter, the leftovers are sorted.
        let places: FxHashSet<&Path> = paths
            .iter()
            .filter_map(|path| path.parent())
            .chain(environments.iter().map(PathBuf::as_path))
            .collect();
        let listed = crate::parallel::map(places.into_iter().collect(), |dir| {
            let mut leftovers = Vec::new();
            let names = match std::fs::read_dir(root.join(dir)) {
                Ok(entries) => Some(
                    entries
                        .filter_map(Result::ok)
                        .map(|entry| {
                            let name = entry.file_name();
                            if name.to_string_lossy().starts_with(edit::TEMPORARY_PREFIX)
                                && entry.file_type().is_ok_and(|t| t.is_file())
                            {
                                leftovers.push(dir.join(&name));
                            }
                            name
                        })
                        .collect(),
                ),
                Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                    Some(FxHashSet::default())
                }
                Err(_) => None,
            };
            (dir.to_path_buf(), names, leftovers)
        });
        let mut names = FxHashMap::default();
        let mut leftovers = Vec::new();
        for (dir, listed, found) in listed {
            names.insert(dir, listed);
            leftovers.extend(found);
        }
        leftovers.sort();
        Ok(Listing {
            names,
            environments,
            leftovers,
        })
    }

    /// Whether there may be a file at `relative`: not when its directory was listed
    /// without it.
    fn may_hold(&self, relative: &Path) -> bool {
        let listed = relative
            .parent()
            .and_then(|dir| self.names.get(dir))
            .and_then(Option::as_ref);
        match (listed, relative.file_name()) {
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
    let expected: FxHashSet<&Path> = paths.iter().copied().collect();
    // What may be a stray: every file of the workflows directory (the pins file is gone, or
    // the flow has no promotion), the pins' schema, then the generated names in every
    // environment directory. Only a file with the marker was written by this tool; a
    // hand-written one stays.
    // Each CI provider's directory: switching providers leaves the other's files strays.
    let mut candidates: Vec<PathBuf> = [workflows::DIR, buildkite::DIR]
        .into_iter()
        .filter_map(|dir| {
            let entries = std::fs::read_dir(root.join(dir)).ok()?;
            Some(entries.filter_map(move |entry| {
                let entry = entry.ok()?;
                entry
                    .path()
                    .is_file()
                    .then(|| Path::new(dir).join(entry.file_name()))
            }))
        })
        .flatten()
        .collect();
    candidates.sort();
    candidates.push(PathBuf::from(workflows::ACTIONLINT));
    candidates.push(PathBuf::from(schemas::PINS));
    candidates.push(updates::path().to_path_buf());
    candidates.extend(
        listing
            .environments
            .iter()
            .flat_map(|dir| ENVIRONMENT_FILES.iter().map(move |name| dir.join(name))),
    );
    for path in candidates {
        if expected.contains(path.as_path()) || !listing.may_hold(&path) {
            continue;
        }
        if let Some(old) = read_if_exists(root, &path)?
            && old.contains(MARKER)
        {
            changes.push(Change::Remove { path, old });
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
