//! `.buildkite/`: the release flow as Buildkite pipelines, when `[ci] provider =
//! "buildkite"`. Two pipelines, as Buildkite keeps each set of trust apart: the deploy
//! pipeline (`pipeline.yml`), which builds main, and the pull-request pipeline
//! (`pipeline.pull-request.yml`), which builds pull requests and holds no credential.
//! The deploy pipeline's plan uploads the steps of one change (`steps`, which
//! `cargo xtask affected --format buildkite` prints): its images, then a deploy step per
//! environment CI deploys, in the order and behind the gates of [`ReleaseFlow`].

use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::flow::{Gate, ReleaseFlow, build_registries};
use super::{Generated, Sources, comment_preamble};
use crate::model::pins::Pins;
use crate::model::{BuildkitePipeline, CiProvider, Platform, Runners, Stage};
use crate::templates;

/// Where Buildkite reads pipelines.
pub const DIR: &str = ".buildkite";

/// The queue of untrusted work (pull requests): Buildkite's default queue.
const UNTRUSTED_QUEUE: &str = "default";

/// The queue of the steps that build images and deploy, whose agents hold no stored
/// credential and serve no pull request, when the CI cluster does not run them
/// (`runners = "hosted"`).
const DEPLOY_QUEUE: &str = "deploy";

/// The key of the deploy pipeline's checks, which every uploaded step waits for.
const CHECKS_STEP: &str = "checks";

#[derive(Serialize)]
struct Data<'a> {
    preamble: String,
    rust: &'a str,
    podplane: &'a str,
    kubectl: &'a str,
    helm: &'a str,
    queue: String,
    untrusted_queue: &'static str,
    trunk: bool,
    parity: bool,
    /// The environment whose record names the commit a change is compared with: the
    /// first one CI deploys.
    base_environment: String,
    checks_step: &'static str,
    /// The plan's key, which a trust binding of the base environment names.
    plan_step: &'static str,
}

/// The pipelines of `platform`; none unless its CI provider is Buildkite and it has a
/// `ci/pins.toml`.
pub fn generate(platform: &Platform) -> anyhow::Result<Vec<Generated>> {
    let Some(pins) = &platform.pins else {
        return Ok(Vec::new());
    };
    if platform.ci_provider() != CiProvider::Buildkite {
        return Ok(Vec::new());
    }
    let flow = ReleaseFlow::of(platform);
    let data = Data {
        preamble: comment_preamble("#", &Sources::Workflows)
            .trim_end()
            .to_owned(),
        rust: pins.rust.value.as_str(),
        podplane: pins.podplane.value.as_str(),
        kubectl: pins.kubectl.value.as_str(),
        helm: pins.helm.value.as_str(),
        queue: trusted_queue(platform),
        untrusted_queue: UNTRUSTED_QUEUE,
        trunk: flow.trunk,
        parity: flow.parity,
        base_environment: flow
            .deploys
            .first()
            .map(|deploy| deploy.name.clone())
            .unwrap_or_default(),
        checks_step: CHECKS_STEP,
        plan_step: super::trust::PLAN_STEP,
    };
    Ok(vec![
        Generated {
            path: Path::new(DIR).join("pipeline.yml"),
            contents: templates::fill("buildkite-pipeline", &data)?,
        },
        Generated {
            path: Path::new(DIR).join("pipeline.pull-request.yml"),
            contents: templates::fill("buildkite-pull-request", &data)?,
        },
    ])
}

/// A service image one change rebuilds: its tag, its crate's manifest, and the platforms
/// of the clusters that run it.
pub struct Image<'a> {
    pub service: &'a str,
    pub tag: &'a str,
    pub manifest: &'a str,
    pub platforms: &'a str,
}

/// The steps the deploy pipeline's plan uploads for one change: a step per image, then a
/// deploy step per environment CI deploys. Each deploy step waits for every image and for
/// the environments that come before it, runs alone in its environment's concurrency
/// group (in the order the builds were made, so that an older build never deploys over a
/// newer one), and logs in as its key, which its cluster's trust binding names. With
/// `flow = "trunk"`, a block step stands before production.
pub fn steps(
    platform: &Platform,
    pipeline: &BuildkitePipeline,
    pins: &Pins,
    base: &str,
    images: &[Image],
) -> Value {
    let flow = ReleaseFlow::of(platform);
    let queue = trusted_queue(platform);
    let registries = build_registries(platform);
    let mut steps: Vec<Value> = images
        .iter()
        .map(|image| {
            json!({
                "label": format!(":docker: {}", image.tag),
                "key": image_key(image.service),
                "depends_on": CHECKS_STEP,
                "agents": { "queue": queue },
                "timeout_in_minutes": 60,
                "env": {
                    "TAG": image.tag,
                    "MANIFEST": image.manifest,
                    "PLATFORMS": image.platforms,
                },
                "command": "ci/build-image.sh",
            })
        })
        .collect();
    let image_keys: Vec<String> = images.iter().map(|i| image_key(i.service)).collect();
    for deploy in &flow.deploys {
        let key = super::trust::deploy_step_key(&deploy.name);
        let mut depends_on: Vec<Value> = std::iter::once(CHECKS_STEP.to_owned())
            .chain(image_keys.iter().cloned())
            .chain(
                deploy
                    .after
                    .iter()
                    .map(|env| super::trust::deploy_step_key(env)),
            )
            .map(Value::from)
            .collect();
        if flow.trunk && deploy.gate != Gate::None {
            let block = format!("release-{}", deploy.name);
            steps.push(json!({
                "block": format!(":rocket: Release to {}?", deploy.name),
                "key": block,
                "depends_on": depends_on.clone(),
                "prompt": format!("Staging is deployed. Deploy the same images to {}?", deploy.name),
            }));
            depends_on.push(Value::from(block));
        }
        let mut env = json!({
            "DEPLOY_ENVIRONMENT": deploy.name,
            "BASE": base,
            "REGISTRIES": registries.join(" "),
            "RUSTUP_TOOLCHAIN": pins.rust.value.as_str(),
            "PODPLANE_VERSION": pins.podplane.value.as_str(),
            "KUBECTL_VERSION": pins.kubectl.value.as_str(),
            "HELM_VERSION": pins.helm.value.as_str(),
        });
        if let Some(from) = &deploy.promoted_from {
            env["PROMOTED_FROM"] = json!(from);
        }
        if deploy.gate == Gate::Parity {
            env["GATE"] = json!("parity");
        }
        if deploy.monitored {
            env["MONITOR_CHECKS"] = json!(format!(
                "environments/{}/{}",
                deploy.name,
                super::monitor::FILE
            ));
        }
        steps.push(json!({
            "label": format!(":kubernetes: deploy {}", deploy.name),
            "key": key,
            "depends_on": depends_on,
            "agents": { "queue": queue },
            "timeout_in_minutes": 30,
            "concurrency": 1,
            "concurrency_group": format!(
                "{}/{}/deploy-{}",
                pipeline.organization.value, pipeline.pipeline.value, deploy.name
            ),
            "concurrency_method": "ordered",
            "env": env,
            "command": "ci/buildkite-deploy.sh",
        }));
    }
    json!({ "steps": steps })
}

/// The queue of the steps that build images and deploy: the one the CI cluster's agents
/// serve when it runs them (`runners = "self-hosted"`), [`DEPLOY_QUEUE`] otherwise.
fn trusted_queue(platform: &Platform) -> String {
    platform
        .of_stage(Stage::Ci)
        .find_map(|env| {
            let ci = env.ci.as_ref()?;
            let cluster = env.cluster.as_ref()?;
            (ci.runners.value == Runners::SelfHosted)
                .then(|| super::runners::buildkite_queue(cluster).to_owned())
        })
        .unwrap_or_else(|| DEPLOY_QUEUE.to_owned())
}

fn image_key(service: &str) -> String {
    format!("image-{service}")
}
