//! The hand-written sources as committed at a git revision, read with git, so that
//! `diff prod@main prod` compares a branch with what it started from.

use std::path::Path;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use super::files::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, PLATFORM_FILE};
use super::load::SourceTree;
use crate::diagnostic::{Diagnostic, Location, SourceFile};

impl SourceTree {
    /// The sources as committed at `revision` (any revision git understands). Files are
    /// named `REVISION:path`, as git names them.
    pub fn at_revision(root: &Path, revision: &str) -> anyhow::Result<SourceTree> {
        let sh = Shell::new()?;
        sh.change_dir(root);
        let spec = format!("{revision}^{{commit}}");
        let commit = cmd!(sh, "git rev-parse --verify --quiet {spec}")
            .quiet()
            .ignore_stderr()
            .read()
            .map_err(|_| {
                Diagnostic::new(format!("unknown revision `{revision}`"), Location::Nowhere)
                    .with_help(unknown_revision_help(&sh, revision))
                    .into_error()
            })?;
        let show = |path: &str| -> anyhow::Result<std::sync::Arc<SourceFile>> {
            let object = format!("{commit}:{path}");
            let output = cmd!(sh, "git show {object}")
                .quiet()
                .output()
                .with_context(|| format!("reading {path} at {revision}"))?;
            let text = String::from_utf8(output.stdout)
                .with_context(|| format!("{path} at {revision} is not UTF-8"))?;
            Ok(SourceFile::new(format!("{revision}:{path}"), text))
        };
        let listing = cmd!(
            sh,
            "git ls-tree -r --name-only {commit} -- {ENVIRONMENTS_DIR}"
        )
        .quiet()
        .read()
        .with_context(|| format!("listing {ENVIRONMENTS_DIR}/ at {revision}"))?;
        let platform_path = format!("{ENVIRONMENTS_DIR}/{PLATFORM_FILE}");
        if !listing.lines().any(|line| line == platform_path) {
            return Err(Diagnostic::new(
                format!("revision `{revision}` has no {platform_path}"),
                Location::Nowhere,
            )
            .with_help("choose a revision from after the platform repository was set up")
            .into_error());
        }
        let mut environments = Vec::new();
        for line in listing.lines() {
            let Some(dir) = line
                .strip_prefix(&format!("{ENVIRONMENTS_DIR}/"))
                .and_then(|rest| rest.strip_suffix(&format!("/{ENVIRONMENT_FILE}")))
            else {
                continue;
            };
            if !dir.contains('/') && !dir.starts_with('.') {
                environments.push((dir.to_owned(), show(line)?));
            }
        }
        environments.sort_by(|a, b| a.0.cmp(&b.0));
        Ok(SourceTree {
            root: root.to_path_buf(),
            platform: show(&platform_path)?,
            environments,
        })
    }
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
        "give a branch, a tag or a commit of this repository, such as `prod@main` or `prod@HEAD~1`"
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
