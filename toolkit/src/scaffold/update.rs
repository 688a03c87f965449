//! Bringing a repository's scaffold files up to this toolkit, as `upgrade` does: a file
//! nobody edited is replaced, an edited one is merged three ways (the toolkit's old text,
//! the repository's, the toolkit's new one) with `git merge-file`, its conflicts marked.

use std::collections::BTreeMap;
use std::path::Path;

use super::NewFile;
use super::toolkit::hash;
use crate::edit::merge;

/// What happened to one scaffold file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// It did not exist, and was not recorded: new in this toolkit.
    Added,
    /// Nobody had edited it: it is now the new toolkit's.
    Replaced,
    /// It was edited, and the edits and the toolkit's changes merged cleanly.
    Merged,
    /// It was edited where the toolkit changed it too: this many conflicts are marked.
    Conflict(usize),
}

/// One scaffold file's update: its path, what happened, and its new contents.
pub struct Update {
    pub file: NewFile,
    pub outcome: Outcome,
}

/// What the repository holds of a scaffold file, and what the toolkit knows of it.
pub struct Known<'a> {
    /// The file as the repository holds it; `None` when it does not exist.
    pub current: Option<&'a [u8]>,
    /// The text the toolkit that last wrote it wrote, when this toolkit can make it again.
    pub base: Option<&'a [u8]>,
    /// The hash recorded when it was last written, if one was.
    pub recorded: Option<&'a str>,
}

/// The update of `new` given what is `known` of it, or `None` when the file stays as it
/// is: already the new text, edited where the toolkit changed nothing, or deleted by the
/// team after the toolkit wrote it.
pub fn update(
    new: &NewFile,
    known: &Known<'_>,
    labels: [&str; 3],
) -> anyhow::Result<Option<Update>> {
    let Some(current) = known.current else {
        return Ok(
            (known.recorded.is_none() && known.base.is_none()).then(|| Update {
                file: new.clone(),
                outcome: Outcome::Added,
            }),
        );
    };
    if current == new.contents.as_slice() {
        return Ok(None);
    }
    let unedited = known.recorded == Some(hash(current).as_str()) || known.base == Some(current);
    if unedited {
        return Ok(Some(Update {
            file: new.clone(),
            outcome: Outcome::Replaced,
        }));
    }
    // An edited file whose old text is unknown is merged from nothing: every difference is
    // a conflict, which is what a person has to look at.
    let base = known.base.unwrap_or_default();
    let (merged, conflicts) = merge(current, base, &new.contents, labels)?;
    if merged == current {
        return Ok(None);
    }
    Ok(Some(Update {
        file: NewFile {
            contents: merged,
            ..new.clone()
        },
        outcome: if conflicts == 0 {
            Outcome::Merged
        } else {
            Outcome::Conflict(conflicts)
        },
    }))
}

/// The scaffold files by path, for lookups.
pub fn by_path(files: &[NewFile]) -> BTreeMap<String, &NewFile> {
    files.iter().map(|file| (key(&file.path), file)).collect()
}

/// A path as the records key it: relative, with forward slashes.
pub fn key(path: &Path) -> String {
    path.to_string_lossy().replace('\\', "/")
}

#[cfg(test)]
mod tests {
    use super::{Known, Outcome, merge, update};
    use crate::scaffold::NewFile;
    use crate::scaffold::toolkit::hash;

    const LABELS: [&str; 3] = ["yours", "old", "new"];

    fn new(text: &str) -> NewFile {
        NewFile::text("README.md", text)
    }

    fn outcome(
        current: Option<&str>,
        base: Option<&str>,
        recorded: Option<&str>,
        next: &str,
    ) -> Option<(Outcome, String)> {
        let recorded = recorded.map(|text| hash(text.as_bytes()));
        update(
            &new(next),
            &Known {
                current: current.map(str::as_bytes),
                base: base.map(str::as_bytes),
                recorded: recorded.as_deref(),
            },
            LABELS,
        )
        .unwrap()
        .map(|update| {
            (
                update.outcome,
                String::from_utf8(update.file.contents).unwrap(),
            )
        })
    }

    #[test]
    fn an_unedited_file_is_replaced_by_its_hash_or_its_base() {
        let replaced = Some((Outcome::Replaced, "b\n".to_owned()));
        assert_eq!(outcome(Some("a\n"), None, Some("a\n"), "b\n"), replaced);
        assert_eq!(outcome(Some("a\n"), Some("a\n"), None, "b\n"), replaced);
        assert_eq!(outcome(Some("b\n"), Some("a\n"), None, "b\n"), None);
    }

    #[test]
    fn an_edited_file_keeps_its_edits_and_takes_the_toolkits() {
        let base = "one\ntwo\nthree\nfour\nfive\n";
        let ours = "one\ntwo (ours)\nthree\nfour\nfive\n";
        let next = "one\ntwo\nthree\nfour\nfive (new)\n";
        assert_eq!(
            outcome(Some(ours), Some(base), Some(base), next),
            Some((
                Outcome::Merged,
                "one\ntwo (ours)\nthree\nfour\nfive (new)\n".to_owned()
            ))
        );
        // Where the toolkit changed nothing, the edited file stays as it is.
        assert_eq!(outcome(Some(ours), Some(base), Some(base), base), None);
    }

    #[test]
    fn a_clash_is_marked_and_counted() {
        let (merged, conflicts) =
            merge(b"a\nours\nc\n", b"a\nb\nc\n", b"a\ntheirs\nc\n", LABELS).unwrap();
        assert_eq!(conflicts, 1);
        assert_eq!(
            String::from_utf8(merged).unwrap(),
            "a\n<<<<<<< yours\nours\n=======\ntheirs\n>>>>>>> new\nc\n"
        );
    }

    #[test]
    fn a_deleted_file_stays_deleted_and_a_new_one_is_added() {
        assert_eq!(outcome(None, None, Some("a\n"), "b\n"), None);
        assert_eq!(
            outcome(None, None, None, "b\n"),
            Some((Outcome::Added, "b\n".to_owned()))
        );
    }
}
