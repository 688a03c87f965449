//! `ci/pins.toml`: the third-party code the rendered workflows run, pinned. Actions by a
//! full commit SHA (a tag can be moved to other code; a commit cannot), tools by an exact
//! version. `render` writes the pins into `.github/workflows/`; this file is where they
//! are changed.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::spanned::Spanned;
use serde::Deserialize;

use super::Sourced;
use super::parse::parse_with_secrets;
use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span};
#[cfg(test)]
use {super::patterns, schemars::JsonSchema};

/// Where the pins are, relative to the root.
pub const PINS_FILE: &str = "ci/pins.toml";

/// `ci/pins.toml` as written; also the source of its JSON Schema.
#[derive(Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
pub struct PinsFile {
    /// The actions the workflows use, by `owner/repository`.
    #[cfg_attr(test, schemars(extend("propertyNames" = { "pattern": patterns::ACTION })))]
    actions: BTreeMap<Spanned<String>, ActionFile>,
    /// The tools every job installs, at exact versions.
    tools: ToolsFile,
    /// The container images builds start from and the CI cluster's runners run, each by digest.
    images: ImagesFile,
    /// The Helm charts the CI cluster's runners are deployed with, at exact versions.
    charts: ChartsFile,
}

/// `[actions."OWNER/REPO"]`: an action pinned to a commit.
#[derive(Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "action"))]
struct ActionFile {
    /// The full 40-character commit SHA of a release: a tag or a short SHA can come to name other code.
    #[cfg_attr(test, schemars(pattern(patterns::COMMIT_SHA)))]
    commit: Spanned<String>,
    /// The release's tag, written beside the SHA for people and update tools: letters, digits, `.`, `_`, `+` and `-`.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    version: Spanned<String>,
}

/// `[tools]`: the toolchain and CLI versions the jobs install.
#[derive(Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "tools"))]
struct ToolsFile {
    /// The Rust toolchain every job installs: an exact version, so that a new release's lints cannot fail a pipeline that passed yesterday.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    rust: Spanned<String>,
    /// The Podplane CLI the deploy jobs install with `go install github.com/podplane/podplane@<version>` (Go's checksum database verifies it): a release tag or a full commit.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    podplane: Spanned<String>,
    /// The kubectl release the deploy jobs install (`v1.37.0`), checked against the checksum Kubernetes publishes beside it.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    kubectl: Spanned<String>,
    /// The Helm release the deploy jobs install (`v4.0.0`), which `podplane deploy` runs, checked against the checksum Helm publishes beside it.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    helm: Spanned<String>,
}

/// `[images]`: base images, each as `HOST/PATH:TAG@sha256:DIGEST`, the digest of the
/// multi-platform index the tag named when it was pinned.
#[derive(Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "images"))]
struct ImagesFile {
    /// What a service's Containerfile builds in: a Rust image at the toolchain of `[tools] rust`. `new-service` writes it into the Containerfile.
    #[cfg_attr(test, schemars(pattern(patterns::IMAGE_BY_DIGEST)))]
    build: Spanned<String>,
    /// What a service's image runs on. `new-service` writes it into the Containerfile.
    #[cfg_attr(test, schemars(pattern(patterns::IMAGE_BY_DIGEST)))]
    runtime: Spanned<String>,
    /// The Actions runner image the CI cluster's runner image is built from.
    #[cfg_attr(test, schemars(pattern(patterns::IMAGE_BY_DIGEST)))]
    runner: Spanned<String>,
    /// The Docker engine that runs beside each of the CI cluster's runners (Docker in Docker).
    #[cfg_attr(test, schemars(pattern(patterns::IMAGE_BY_DIGEST)))]
    dind: Spanned<String>,
    /// OpenObserve's image, which the observability environment's OpenObserve service runs on: its Containerfile's last stage. Needed while a crate's Containerfile starts from it.
    #[cfg_attr(test, schemars(pattern(patterns::IMAGE_BY_DIGEST)))]
    openobserve: Option<Spanned<String>>,
}

/// `[charts]`: Helm charts, at exact versions.
#[derive(Deserialize)]
#[cfg_attr(test, derive(JsonSchema))]
#[serde(deny_unknown_fields)]
#[cfg_attr(test, schemars(rename = "charts"))]
struct ChartsFile {
    /// Actions Runner Controller: the version of its two charts, `gha-runner-scale-set-controller` and `gha-runner-scale-set` (`0.14.2`), which are released together.
    #[cfg_attr(test, schemars(pattern(patterns::TOOL_VERSION)))]
    arc: Spanned<String>,
    /// Buildkite's Agent Stack for Kubernetes: the version of its chart (`0.47.0`), which runs the CI cluster's agents when Buildkite runs the pipelines. Needed while the CI cluster runs them.
    #[serde(rename = "agent-stack-k8s")]
    #[cfg_attr(
        test,
        schemars(rename = "agent-stack-k8s", pattern(patterns::TOOL_VERSION))
    )]
    agent_stack: Option<Spanned<String>>,
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
    pub images: ImagePins,
    /// The version of Actions Runner Controller's charts.
    pub arc: Sourced<String>,
    /// The version of Buildkite's Agent Stack for Kubernetes chart, when the file pins it.
    pub agent_stack: Option<Sourced<String>>,
}

/// `[images]`, each `HOST/PATH:TAG@sha256:DIGEST`.
#[derive(Debug)]
pub struct ImagePins {
    /// What a service's Containerfile builds in.
    pub build: Sourced<String>,
    /// What a service's image runs on.
    pub runtime: Sourced<String>,
    /// The Actions runner image the CI cluster's runner image starts from.
    pub runner: Sourced<String>,
    /// The Docker engine beside each runner.
    pub dind: Sourced<String>,
    /// OpenObserve's image, which the OpenObserve service runs on.
    pub openobserve: Option<Sourced<String>>,
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
    let parsed: PinsFile = parse_with_secrets(file).map_err(|d| Diagnostics(vec![d]))?;
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
    let ImagesFile {
        build,
        runtime,
        runner,
        dind,
        openobserve,
    } = parsed.images;
    for image in [&build, &runtime, &runner, &dind]
        .into_iter()
        .chain(openobserve.as_ref())
    {
        if !is_image_by_digest(image.get_ref()) {
            problems.push(
                Diagnostic::at(
                    span(image.span()),
                    format!("`{}` is not an image by digest", image.get_ref().escape_debug()),
                )
                .with_label("a tag can come to name other content; a digest cannot")
                .with_help("write the registry, the repository, the tag and the digest of its multi-platform index, as `docker buildx imagetools inspect IMAGE:TAG` prints it: \"docker.io/library/debian:bookworm-slim@sha256:<64 hexadecimal digits>\""),
            );
        }
    }
    let ChartsFile { arc, agent_stack } = parsed.charts;
    let versions = [
        (&rust, "\"1.95.0\""),
        (&podplane, "\"v1.2.3\" or a full commit"),
        (&kubectl, "\"v1.37.0\""),
        (&helm, "\"v4.0.0\""),
        (&arc, "\"0.14.2\""),
    ];
    for (version, example) in versions
        .into_iter()
        .chain(agent_stack.iter().map(|v| (v, "\"0.47.0\"")))
        .chain(
            tags.iter()
                .map(|t| (t, "the release's tag, such as \"v4.3.0\"")),
        )
    {
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
        images: ImagePins {
            build: Sourced::written(file, build),
            runtime: Sourced::written(file, runtime),
            runner: Sourced::written(file, runner),
            dind: Sourced::written(file, dind),
            openobserve: openobserve.map(|image| Sourced::written(file, image)),
        },
        arc: Sourced::written(file, arc),
        agent_stack: agent_stack.map(|version| Sourced::written(file, version)),
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

/// An image as `HOST[:PORT]/PATH:TAG@sha256:DIGEST`: the registry, so that no default
/// registry is assumed; the tag, for people and update tools; the digest, which alone says
/// what runs. Nothing it holds can end a YAML value, a shell word or a Containerfile line.
pub fn is_image_by_digest(image: &str) -> bool {
    let component = |text: &str, separators: &[u8]| {
        !text.is_empty()
            && text
                .split(|c: char| separators.contains(&(c as u8)))
                .all(|part| {
                    !part.is_empty()
                        && part
                            .bytes()
                            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
                })
    };
    let Some((name, digest)) = image.split_once("@sha256:") else {
        return false;
    };
    let digest_ok = digest.len() == 64
        && digest
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let Some((repository, tag)) = name.rsplit_once(':') else {
        return false;
    };
    let tag_ok = (1..=128).contains(&tag.len())
        && !tag.starts_with(['.', '-'])
        && tag
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
    let mut parts = repository.split('/');
    let host = parts.next().unwrap_or_default();
    let (host_name, port) = match host.split_once(':') {
        Some((name, port)) => (name, Some(port)),
        None => (host, None),
    };
    let port_ok =
        port.is_none_or(|p| (1..=5).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()));
    let path: Vec<&str> = parts.collect();
    digest_ok
        && tag_ok
        && component(host_name, b".-")
        && port_ok
        && !path.is_empty()
        && path.iter().all(|p| component(p, b"._-"))
}

/// The 40 lowercase hexadecimal digits of a full commit SHA.
pub fn is_commit_sha(commit: &str) -> bool {
    commit.len() == 40
        && commit
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}
