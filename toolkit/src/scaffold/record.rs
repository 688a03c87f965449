//! `toolkit.toml`, the record a repository keeps of the toolkit it is made with: the
//! version its files are in, the pin its scaffold was written with, the answers `new-repo`
//! was given, and each scaffold file's hash as written.

use std::collections::BTreeMap;

use anyhow::Context as _;
use serde::{Deserialize, Serialize};

use super::NewFile;
use super::repo::Spec;
use super::toolkit::{Source, VERSION, hash};
use super::update::key;

/// What `toolkit.toml` holds.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// The toolkit version the repository's files are in the formats of.
    pub version: String,
    /// The pin the scaffold files were last written with, as `--toolkit` takes it.
    pub pin: String,
    /// What `new-repo` was asked, which the scaffold files are made from again.
    pub answers: Spec,
    /// The SHA-256 of each scaffold file as last written, by path.
    #[serde(default)]
    pub scaffold: BTreeMap<String, String>,
}

impl Record {
    /// The record of this toolkit, with `answers`, pinned to `pin`, of `scaffold` as
    /// written.
    pub fn new(answers: &Spec, pin: &Source, scaffold: &[NewFile]) -> Record {
        Record {
            version: VERSION.to_owned(),
            pin: pin.to_string(),
            answers: answers.clone(),
            scaffold: scaffold
                .iter()
                .map(|file| (key(&file.path), hash(&file.contents)))
                .collect(),
        }
    }

    /// The record's text: a header that says what it is, then the values.
    pub fn to_text(&self) -> anyhow::Result<String> {
        Ok(format!(
            "# The toolkit this repository is made with, written by `cargo xtask new-repo` and\n\
             # `cargo xtask upgrade`; do not edit. `version` is the toolkit whose formats the\n\
             # files are in: every command refuses to run with another. `[answers]` is what\n\
             # new-repo was asked (never a secret), from which `upgrade` makes the scaffold\n\
             # files again; `[scaffold]` holds each scaffold file's hash as last written, so\n\
             # that `upgrade` replaces the files nobody edited and merges the others.\n\n{}",
            self.document()?
        ))
    }

    /// The values as `taplo fmt` lays them out: an array on its key's line when the line
    /// fits in 80 columns, else one item per line, indented by two spaces.
    fn document(&self) -> anyhow::Result<toml_edit::DocumentMut> {
        let mut document = toml_edit::ser::to_document(self)?;
        let answers = document["answers"]
            .as_table_like_mut()
            .context("the answers are a table")?;
        for (key, item) in answers.iter_mut() {
            let Some(array) = item.as_array_mut() else {
                continue;
            };
            array.fmt();
            if key.len() + " = ".len() + array.to_string().trim().len() > 80 {
                for value in array.iter_mut() {
                    value.decor_mut().set_prefix("\n  ");
                }
                array.set_trailing_comma(true);
                array.set_trailing("\n");
            }
        }
        Ok(document)
    }
}
