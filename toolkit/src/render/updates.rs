//! `.github/renovate.json5`: what Renovate reads, so that the pins update themselves where
//! they live. `ci/pins.toml` is the only place versions are written, and the workflows and
//! the runner files are rendered from it: Renovate's custom managers read and update the
//! pins file (actions by tag and commit, the Rust toolchain, the Podplane CLI by commit,
//! kubectl, Helm, images by tag and digest, the charts of Actions Runner Controller and of
//! Buildkite's Agent Stack for Kubernetes), and it leaves the rendered files alone. A pull
//! request it opens changes the pins only; `render --check` then asks for
//! `cargo xtask render` on its branch.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::{Generated, Sources, comment_preamble};
use crate::model::Platform;

/// Where Renovate finds it.
pub const FILE: &str = ".github/renovate.json5";

/// One custom manager: what it updates, the pattern that finds it in `ci/pins.toml`, and
/// where Renovate looks up its versions.
struct Manager {
    description: &'static str,
    pattern: &'static str,
    datasource: &'static str,
    /// The package, when the pattern does not capture it as `depName`.
    dep_name: Option<&'static str>,
    /// The current value, when the pattern captures only a digest (a commit on a branch).
    current_value: Option<&'static str>,
}

/// The custom managers, one per kind of pin. Each pattern is a JavaScript regular
/// expression, as Renovate reads it, over the whole file.
const MANAGERS: &[Manager] = &[
    Manager {
        description: "an action, by the commit of a release tag",
        pattern: r#"\[actions\."(?<depName>[^"]+)"\]\s*\ncommit = "(?<currentDigest>[0-9a-f]{40})"\s*\nversion = "(?<currentValue>[^"]+)""#,
        datasource: "github-tags",
        dep_name: None,
        current_value: None,
    },
    Manager {
        description: "the Rust toolchain",
        pattern: r#"\nrust = "(?<currentValue>[0-9][^"]*)""#,
        datasource: "github-tags",
        dep_name: Some("rust-lang/rust"),
        current_value: None,
    },
    Manager {
        description: "the Podplane CLI, by commit on its main branch",
        pattern: r#"\npodplane = "(?<currentDigest>[0-9a-f]{40})""#,
        datasource: "git-refs",
        dep_name: Some("https://github.com/podplane/podplane"),
        current_value: Some("main"),
    },
    Manager {
        description: "kubectl",
        pattern: r#"\nkubectl = "(?<currentValue>v[^"]+)""#,
        datasource: "github-releases",
        dep_name: Some("kubernetes/kubernetes"),
        current_value: None,
    },
    Manager {
        description: "Helm",
        pattern: r#"\nhelm = "(?<currentValue>v[^"]+)""#,
        datasource: "github-releases",
        dep_name: Some("helm/helm"),
        current_value: None,
    },
    Manager {
        description: "an image, by tag and digest",
        pattern: r#"\n(?:build|runtime|runner|dind|openobserve) = "(?<depName>[^":@]+(?::[0-9]+)?/[^":@]+):(?<currentValue>[^"@]+)@(?<currentDigest>sha256:[0-9a-f]{64})""#,
        datasource: "docker",
        dep_name: None,
        current_value: None,
    },
    Manager {
        description: "Actions Runner Controller's charts",
        pattern: r#"\narc = "(?<currentValue>[^"]+)""#,
        datasource: "docker",
        dep_name: Some(
            "ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller",
        ),
        current_value: None,
    },
    Manager {
        description: "Buildkite's Agent Stack for Kubernetes chart",
        pattern: r#"\nagent-stack-k8s = "(?<currentValue>[^"]+)""#,
        datasource: "docker",
        dep_name: Some("ghcr.io/buildkite/helm/agent-stack-k8s"),
        current_value: None,
    },
];

/// The rendered files Renovate must not edit: `render` writes them from the pins.
const RENDERED: &[&str] = &[".github/workflows/**", ".buildkite/**", "environments/**"];

/// Renovate's configuration, when the repository has its pins.
pub fn generate(platform: &Platform) -> anyhow::Result<Option<Generated>> {
    if platform.pins.is_none() {
        return Ok(None);
    }
    let managers: Vec<serde_json::Value> = MANAGERS
        .iter()
        .map(|manager| {
            let mut value = json!({
                "customType": "regex",
                "description": manager.description,
                "managerFilePatterns": ["/^ci/pins\\.toml$/"],
                "matchStrings": [manager.pattern],
                "datasourceTemplate": manager.datasource,
            });
            if let Some(name) = manager.dep_name {
                value["depNameTemplate"] = json!(name);
            }
            if let Some(current) = manager.current_value {
                value["currentValueTemplate"] = json!(current);
            }
            value
        })
        .collect();
    let config = json!({
        "$schema": "https://docs.renovatebot.com/renovate-schema.json",
        "ignorePaths": RENDERED,
        "customManagers": managers,
    });
    let preamble = comment_preamble("//", &Sources::Pins);
    Ok(Some(Generated {
        path: PathBuf::from(FILE),
        contents: format!(
            "{preamble}//\n// Renovate updates ci/pins.toml, the one place versions live; the files rendered\n// from it are never its to edit. Its pull request changes the pins only: run\n// `cargo xtask render` on its branch (render --check asks for it) and push.\n{}\n",
            serde_json::to_string_pretty(&config)?
        ),
    }))
}

/// The path of the file, for the stray files rendering removes.
pub fn path() -> &'static Path {
    Path::new(FILE)
}
