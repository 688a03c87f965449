//! `.github/workflows/`: the release flow of the topology guide as GitHub Actions
//! workflows, rendered from the model and `ci/pins.toml`. Pull requests are checked and
//! planned on hosted runners; a push to main builds the images a change rebuilds and
//! deploys the staging-stage environments whose deployment changed; production-stage
//! environments deploy after them, when a promotion lands (or, with `flow = "trunk"`,
//! once staging is deployed). Which jobs exist follows the environments: `new-env` adds a
//! deploy job on the next render.

use std::path::Path;

use serde::Serialize;

use super::flow::{Gate, ReleaseFlow, build_registries};
use super::{Generated, Sources, comment_preamble};
use crate::diagnostic::Diagnostics;
use crate::model::pins::Pins;
use crate::model::{CiProvider, Platform, Runners, Stage};
use crate::templates;

/// Where GitHub reads workflows.
pub const DIR: &str = ".github/workflows";

/// actionlint's configuration, beside the workflows.
pub const ACTIONLINT: &str = ".github/actionlint.yaml";

/// The hosted runner image of every job that runs untrusted code, and of every job when
/// the platform has no self-hosted runners.
const HOSTED: &str = "ubuntu-24.04";

/// The checkout action; with the cache, the only actions the workflows use: everything
/// else is a script in `ci/`.
const CHECKOUT: &str = "actions/checkout";
/// GitHub's cache action, for cargo's registry and target directory.
const CACHE: &str = "actions/cache";

/// The registry that the job's own token can push to.
const GITHUB_REGISTRY: &str = "ghcr.io";

#[derive(Serialize)]
struct Data<'a> {
    preamble: String,
    checkout: String,
    /// GitHub's cache, restored and saved (main's jobs).
    cache: String,
    /// GitHub's cache, restored only (pull requests).
    cache_restore: String,
    rust: &'a str,
    podplane: &'a str,
    kubectl: &'a str,
    helm: &'a str,
    /// The build registries the services' images are in, which the deploy jobs pull from.
    registries: Vec<Registry<'a>>,
    hosted: &'static str,
    /// Where jobs that hold credentials run: hosted, or the CI environment's runners.
    trusted: String,
    self_hosted: bool,
    /// The label of the CI environment's runners, when they are self-hosted.
    #[serde(skip)]
    runner_label: Option<String>,
    trunk: bool,
    /// Whether `[parity]` holds candidates to production: without one (no staging) there
    /// is nothing to compare.
    parity: bool,
    /// An image is pushed to ghcr.io, with the job's token.
    packages_write: bool,
    /// An image is pushed elsewhere, with cloud credentials from OIDC federation.
    registry_federation: bool,
    deploys: Vec<Deploy>,
    /// The observability environment, which CI deploys as it deploys staging.
    observability: Option<String>,
    from: String,
    to: String,
}

/// A build registry, and whether the job's own token reaches it (ghcr.io) or a role
/// assumed with its OIDC token does.
#[derive(Serialize)]
struct Registry<'a> {
    host: &'a str,
    github: bool,
}

/// One environment's deploy job.
#[derive(Serialize)]
struct Deploy {
    name: String,
    cluster: String,
    needs: String,
    /// The command that must pass before a production-stage environment deploys.
    gate: Option<String>,
    gate_name: &'static str,
    /// The environment whose recorded digests a production-stage one must deploy.
    promoted_from: Option<String>,
    /// The hosted monitor's checks it applies after it deploys (the observability
    /// environment's `healthchecks.json`).
    monitor: Option<String>,
}

/// The workflows of `platform`; none when it has no `ci/pins.toml`.
pub fn generate(platform: &Platform) -> anyhow::Result<Vec<Generated>> {
    let Some(pins) = &platform.pins else {
        return Ok(Vec::new());
    };
    if platform.ci_provider() != CiProvider::Github {
        return Ok(Vec::new());
    }
    let data = data(platform, pins)?;
    let mut files = vec![
        file(
            "pull-request.yml",
            templates::fill("workflow-pull-request", &data)?,
        ),
        file("main.yml", templates::fill("workflow-main", &data)?),
    ];
    files.push(Generated {
        path: Path::new(ACTIONLINT).to_path_buf(),
        contents: actionlint_config(&data),
    });
    if !data.trunk && !data.from.is_empty() {
        files.push(file(
            "promote.yml",
            templates::fill("workflow-promote", &data)?,
        ));
    }
    // A repository that records its toolkit (one new-repo made) looks for its releases.
    if platform.records_toolkit {
        files.push(file(
            "upgrade.yml",
            templates::fill("workflow-upgrade", &data)?,
        ));
    }
    Ok(files)
}

/// actionlint's configuration: the labels of the self-hosted runners, which it cannot know.
fn actionlint_config(data: &Data) -> String {
    let labels = match &data.runner_label {
        Some(label) => format!("\n    - {label}\n"),
        None => " []\n".to_owned(),
    };
    format!(
        "{}\n# actionlint reads this file: the labels of the self-hosted runners the workflows use.\nself-hosted-runner:\n  labels:{labels}",
        data.preamble
    )
}

fn file(name: &str, contents: String) -> Generated {
    Generated {
        path: Path::new(DIR).join(name),
        contents,
    }
}

fn data<'a>(platform: &'a Platform, pins: &'a Pins) -> anyhow::Result<Data<'a>> {
    let checkout = pins.uses(CHECKOUT).map_err(|d| Diagnostics(vec![d]))?;
    let cache = pins.uses(CACHE).map_err(|d| Diagnostics(vec![d]))?;
    // The same commit's restore-only action.
    let cache_restore = cache.replacen(CACHE, &format!("{CACHE}/restore"), 1);
    let ci = platform.of_stage(Stage::Ci).find_map(|env| {
        let ci = env.ci.as_ref()?;
        Some((env, ci))
    });
    let self_hosted = ci.filter(|(_, ci)| ci.runners.value == Runners::SelfHosted);
    let runner_label = self_hosted
        .and_then(|(env, _)| env.cluster.as_ref())
        .map(|cluster| cluster.id.value.as_str().to_owned());
    // An ARC runner scale set is chosen by its name alone, which is the cluster id.
    let trusted = match &runner_label {
        Some(label) => label.clone(),
        None => HOSTED.to_owned(),
    };
    let flow = ReleaseFlow::of(platform);
    let registries = build_registries(platform);
    let deploys = flow
        .deploys
        .iter()
        .map(|deploy| {
            let needs = ["checks", "plan", "images"]
                .into_iter()
                .map(str::to_owned)
                .chain(deploy.after.iter().map(|env| format!("deploy-{env}")))
                .collect::<Vec<_>>()
                .join(", ");
            let (gate, gate_name) = match &deploy.gate {
                Gate::None => (None, ""),
                Gate::Parity => (
                    Some("cargo xtask parity".to_owned()),
                    "staging matches production",
                ),
                Gate::Promotion { from } => (
                    Some(format!(
                        "ci/promotion-gate.sh {from} {} \"$BASE_SHA\"",
                        deploy.name
                    )),
                    "only versions staging ran before this push (the promotion path)",
                ),
            };
            Deploy {
                name: deploy.name.clone(),
                cluster: deploy.cluster.clone(),
                needs,
                gate,
                gate_name,
                promoted_from: deploy.promoted_from.clone(),
                monitor: deploy
                    .monitored
                    .then(|| format!("environments/{}/{}", deploy.name, super::monitor::FILE)),
            }
        })
        .collect();
    let trunk = flow.trunk;
    let candidate = flow.candidate;
    let (from, to) = candidate.unwrap_or_default();
    Ok(Data {
        preamble: comment_preamble("#", &Sources::Workflows)
            .trim_end()
            .to_owned(),
        checkout,
        cache,
        cache_restore,
        rust: pins.rust.value.as_str(),
        podplane: pins.podplane.value.as_str(),
        kubectl: pins.kubectl.value.as_str(),
        helm: pins.helm.value.as_str(),
        hosted: HOSTED,
        trusted,
        self_hosted: self_hosted.is_some(),
        runner_label,
        trunk,
        parity: flow.parity,
        packages_write: registries.contains(&GITHUB_REGISTRY),
        registry_federation: registries.iter().any(|r| *r != GITHUB_REGISTRY),
        registries: registries
            .into_iter()
            .map(|host| Registry {
                host,
                github: host == GITHUB_REGISTRY,
            })
            .collect(),
        deploys,
        observability: platform
            .deployed_by_ci()
            .find(|env| env.stage.value == Stage::Observability)
            .map(|env| env.name.as_str().to_owned()),
        from,
        to,
    })
}
