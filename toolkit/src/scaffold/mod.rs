//! What `new-repo` and `new-service` make: the files of a new platform monorepo and of a
//! new service crate (and the observability services `new-env` and `upgrade` add), as
//! contents in memory. Writing them is the commands' business,
//! through `edit`; so is validating them, by loading them as any repository is loaded.

pub mod observability;
pub mod record;
pub mod repo;
pub mod service;
pub mod toolkit;
pub mod update;

use std::path::PathBuf;

/// A file to create: its path relative to the new tree's root, and its contents.
#[derive(Debug, Clone)]
pub struct NewFile {
    pub path: PathBuf,
    pub contents: Vec<u8>,
    pub executable: bool,
}

impl NewFile {
    pub fn text(path: impl Into<PathBuf>, contents: impl Into<String>) -> NewFile {
        NewFile {
            path: path.into(),
            contents: contents.into().into_bytes(),
            executable: false,
        }
    }
}

/// A string as a TOML value, quoted and escaped, for templates that never quote.
fn toml(value: &str) -> String {
    toml_edit::Value::from(value).to_string()
}
