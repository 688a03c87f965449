//! What the shell completes from the repository it is in: environment names (and
//! `ENV@REV` with the repository's branches and tags), services and rule ids. The shell
//! asks the program itself (clap_complete's dynamic completion, `XTASK_COMPLETE=<shell>`),
//! so that a new environment completes as soon as its directory exists. Everything here is
//! best effort: outside a repository, or with a file it cannot read, it offers nothing.

use std::ffi::OsStr;
use std::path::PathBuf;

use clap_complete::engine::CompletionCandidate;
use clap_complete::env::Shells;

use crate::model::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR};

/// The environment variable the shell's completion function sets, with the shell's name.
pub const VAR: &str = "XTASK_COMPLETE";

/// The command the script completes: the alias the README suggests for `cargo xtask`.
const BIN: &str = "xtask";

/// The script that makes `shell` complete `xtask` by asking `program` for the candidates
/// of the word being typed; the shells there are, when there is no such shell.
pub fn script(shell: &str, program: &str) -> Result<String, Vec<&'static str>> {
    let shells = Shells::builtins();
    let Some(completer) = shells.completer(shell) else {
        return Err(shells.names().collect());
    };
    let mut script = Vec::new();
    completer
        .write_registration(VAR, BIN, BIN, program, &mut script)
        .map_err(|_| Vec::new())?;
    Ok(String::from_utf8_lossy(&script).into_owned())
}

/// The repository the current directory is in.
fn root() -> Option<PathBuf> {
    crate::repository::find_root(&std::env::current_dir().ok()?).ok()
}

/// Every environment: each directory of `environments/` that holds an environment file.
pub fn environments() -> Vec<CompletionCandidate> {
    environment_names()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}

fn environment_names() -> Vec<String> {
    let Some(root) = root() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(root.join(ENVIRONMENTS_DIR)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join(ENVIRONMENT_FILE).is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// `ENV`, or once the word has an `@`, `ENV@REV` for the repository's branches and tags.
pub fn environments_at_revisions(current: &OsStr) -> Vec<CompletionCandidate> {
    let current = current.to_string_lossy();
    let Some((env, _)) = current.split_once('@') else {
        return environment_names()
            .into_iter()
            .filter(|name| name.starts_with(current.as_ref()))
            .map(CompletionCandidate::new)
            .collect();
    };
    let Some(root) = root() else {
        return Vec::new();
    };
    let refs = std::process::Command::new("git")
        .args([
            "for-each-ref",
            "--format=%(refname:short)",
            "refs/heads",
            "refs/tags",
            "refs/remotes",
        ])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
        .unwrap_or_default();
    std::iter::once("HEAD")
        .chain(refs.lines())
        .map(|rev| format!("{env}@{rev}"))
        .filter(|word| word.starts_with(current.as_ref()))
        .map(CompletionCandidate::new)
        .collect()
}

/// The services: each crate under `crates/` whose manifest declares
/// `[package.metadata.platform]`.
pub fn services() -> Vec<CompletionCandidate> {
    let Some(root) = root() else {
        return Vec::new();
    };
    let Ok(entries) = std::fs::read_dir(root.join("crates")) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read_to_string(entry.path().join("Cargo.toml"))
                .is_ok_and(|manifest| manifest.contains("[package.metadata.platform]"))
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names.into_iter().map(CompletionCandidate::new).collect()
}

/// Every rule id, the organisation's included.
pub fn rules() -> Vec<CompletionCandidate> {
    crate::rule::RuleId::names()
        .into_iter()
        .map(CompletionCandidate::new)
        .collect()
}
