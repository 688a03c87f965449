//! `ci/pins.toml`: the third-party code the rendered workflows run, pinned. Actions by a
//! full commit SHA (a tag can be moved to other code; a commit cannot), tools by an exact
//! version. `render` writes the pins into `.github/workflows/`; this file is where they
//! are changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::spanned::Spanned;
use schemars::JsonSchema;
use serde::Deserialize;

use super::Sourced;
use super::parse::parse;
use super::patterns;
use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span};

/// Where the pins are, relative to the root.
pub const PINS_FILE: &str = "ci/pins.toml";

/// `ci/pins.toml` as written; also the source of its JSON Schema.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PinsFile {
    /// The actions the workflows use, by `owner/repository`.
    #[schemars(extend("propertyNames" = { "pattern": patterns::ACTION }))]
    actions: BTreeMap<Spanned<String>, ActionFile>,
    /// The tools every job installs, at exact versions.
    tools: ToolsFile,
}

/// `[actions."OWNER/REPO"]`: an action pinned to a commit.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "action")]
struct ActionFile {
    /// The full 40-character commit SHA of a release: a tag or a short SHA can come to name other code.
    #[schemars(pattern(patterns::COMMIT_SHA))]
    commit: Spanned<String>,
    /// The release's tag, written beside the SHA for people and update tools: letters, digits, `.`, `_`, `+` and `-`.
    #[schemars(pattern(patterns::TOOL_VERSION))]
    version: Spanned<String>,
}

/// `[tools]`: the toolchain and CLI versions the jobs install.
#[derive(Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(rename = "tools")]
struct ToolsFile {
    /// The Rust toolchain every job installs: an exact version, so that a new release's lints cannot fail a pipeline that passed yesterday.
    #[schemars(pattern(patterns::TOOL_VERSION))]
    rust: Spanned<String>,
    /// The Podplane CLI the deploy jobs install with `go install github.com/podplane/podplane@<version>` (Go's checksum database verifies it): a release tag or a full commit.
    #[schemars(pattern(patterns::TOOL_VERSION))]
    podplane: Spanned<String>,
    /// The kubectl release the deploy jobs install (`v1.37.0`), checked against the checksum Kubernetes publishes beside it.
    #[schemars(pattern(patterns::TOOL_VERSION))]
    kubectl: Spanned<String>,
    /// The Helm release the deploy jobs install (`v4.0.0`), which `podplane deploy` runs, checked against the checksum Helm publishes beside it.
    #[schemars(pattern(patterns::TOOL_VERSION))]
    helm: Spanned<String>,
}

/// The pins, validated.
#[derive(Debug)]
pub struct Pins {
    pub file: Arc<SourceFile>,
    /// By the action's `owner/repository`.
    pub actions: BTreeMap<String, ActionPin>,
    /// The Rust toolchain every job builds with, so that a new release's lints cannot
    /// fail a pipeline that passed yesterday.
    pub rust: Sourced<String>,
    /// The Podplane CLI version the deploy jobs install (`go install ...@VERSION`).
    pub podplane: Sourced<String>,
    /// The kubectl release the deploy jobs install.
    pub kubectl: Sourced<String>,
    /// The Helm release the deploy jobs install.
    pub helm: Sourced<String>,
}

#[derive(Debug)]
pub struct ActionPin {
    pub commit: Sourced<String>,
    /// The release the commit is, for people: written beside the SHA as a comment.
    pub version: Sourced<String>,
}

impl Pins {
    /// `owner/repository@SHA # VERSION`, as a workflow's `uses:` takes it; a diagnostic
    /// at the pins file when `action` has no pin.
    pub fn uses(&self, action: &str) -> Result<String, Diagnostic> {
        match self.actions.get(action) {
            Some(pin) => Ok(format!(
                "{action}@{} # {}",
                pin.commit.value, pin.version.value
            )),
            None => Err(Diagnostic::new(
                format!("{PINS_FILE} has no pin for the action `{action}`, which the workflows use"),
                Location::Path(self.file.path.clone()),
            )
            .with_help(format!(
                "add [actions.\"{action}\"] with `commit` (the full 40-character SHA of a release) and `version` (its tag)"
            ))),
        }
    }
}

/// Parses and validates the pins file.
pub fn load(file: &Arc<SourceFile>) -> Result<Pins, Diagnostics> {
    let parsed: PinsFile = parse(file).map_err(|d| Diagnostics(vec![d]))?;
    let mut problems = Diagnostics::default();
    let span = |range: std::ops::Range<usize>| Span {
        file: file.clone(),
        range,
    };
    let mut actions = BTreeMap::new();
    let mut tags = Vec::new();
    for (name, action) in parsed.actions {
        tags.push(action.version.clone());
        if !is_action_name(name.get_ref()) {
            problems.push(
                Diagnostic::at(
                    span(name.span()),
                    format!("`{}` is not an action's `owner/repository`", name.get_ref()),
                )
                .with_help(
                    "name the action as a workflow's `uses:` does, such as \"actions/checkout\"",
                ),
            );
        }
        let commit = action.commit.get_ref();
        if !is_commit_sha(commit) {
            problems.push(
                Diagnostic::at(
                    span(action.commit.span()),
                    format!("`{commit}` is not a full commit SHA"),
                )
                .with_label("a tag or a short SHA can come to name other code")
                .with_help("write the 40 lowercase hexadecimal digits of the release's commit, as `git rev-parse TAG^{commit}` prints them"),
            );
        }
        actions.insert(
            name.into_inner(),
            ActionPin {
                commit: Sourced::written(file, action.commit),
                version: Sourced::written(file, action.version),
            },
        );
    }
    let ToolsFile {
        rust,
        podplane,
        kubectl,
        helm,
    } = parsed.tools;
    let versions = [
        (&rust, "\"1.95.0\""),
        (&podplane, "\"v1.2.3\" or a full commit"),
        (&kubectl, "\"v1.37.0\""),
        (&helm, "\"v4.0.0\""),
    ];
    for (version, example) in versions.into_iter().chain(
        tags.iter()
            .map(|t| (t, "the release's tag, such as \"v4.3.0\"")),
    ) {
        if !is_version(version.get_ref()) {
            problems.push(
                Diagnostic::at(
                    span(version.span()),
                    format!("`{}` is not a version", version.get_ref().escape_debug()),
                )
                .with_label("written into the workflows, so it may hold only letters, digits, `.`, `_`, `+` and `-`")
                .with_help(format!("write an exact version, such as {example}")),
            );
        }
    }
    problems.into_result(Pins {
        file: file.clone(),
        actions,
        rust: Sourced::written(file, rust),
        podplane: Sourced::written(file, podplane),
        kubectl: Sourced::written(file, kubectl),
        helm: Sourced::written(file, helm),
    })
}

/// An action as a workflow's `uses:` names it: `owner/repository`, maybe with a path.
pub fn is_action_name(name: &str) -> bool {
    name.split('/').count() >= 2
        && name.split('/').all(|part| {
            !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
        })
}

/// A version or tag as the workflows and scripts take it: one word of letters, digits,
/// `.`, `_`, `+` and `-`, at most 64 characters, so that nothing it holds can end a YAML
/// comment or a shell word.
pub fn is_version(version: &str) -> bool {
    (1..=64).contains(&version.len())
        && version
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+-".contains(&b))
}

/// The 40 lowercase hexadecimal digits of a full commit SHA.
pub fn is_commit_sha(commit: &str) -> bool {
    commit.len() == 40
        && commit
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
