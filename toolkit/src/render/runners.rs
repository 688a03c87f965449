//! The CI cluster's self-hosted runners (`[ci] runners = "self-hosted"`): GitHub's Actions
//! Runner Controller (ARC) deployed into the cluster, with a runner image that holds what
//! the jobs need. Two files beside the CI environment's `deploy.sh`, which installs them:
//! `runners.Containerfile` (the runner image, from the pinned Actions runner image) and
//! `runners.values.yaml` (the runner scale set, whose name is the label the workflows'
//! trusted jobs run on). Rendered when the repository has its pins and names its GitHub
//! repository, which the runners register with.

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{Sources, comment_preamble};
use crate::model::{Environment, Platform, Runners as RunnerKind};
use crate::templates;

pub const CONTAINERFILE: &str = "runners.Containerfile";
pub const VALUES: &str = "runners.values.yaml";

/// The namespace of the runner scale set and of the GitHub App's Secret.
const NAMESPACE: &str = "arc-runners";
/// The namespace of ARC's controller.
const CONTROLLER_NAMESPACE: &str = "arc-systems";
/// The Kubernetes Secret with the GitHub App's credentials, made by hand (ci/README.md).
const SECRET: &str = "github-app";
/// The runner image's repository in the cluster's registry, under `apps/`.
const IMAGE: &str = "ci-runner";
/// Where ARC publishes its charts.
const CHARTS: &str = "oci://ghcr.io/actions/actions-runner-controller-charts";

/// The runners of one CI environment, ready to render.
pub struct Runners {
    pub containerfile: String,
    pub values: String,
    /// What deploy.sh needs to build and install them.
    pub deploy: Deploy,
}

/// What `deploy.sh` passes to `ci/runners.sh`.
#[derive(Serialize)]
pub struct Deploy {
    pub chart_version: String,
    pub charts: &'static str,
    pub namespace: &'static str,
    pub controller_namespace: &'static str,
    pub secret: &'static str,
    /// The runner image's `apps/` repository and its tag, the Containerfile's SHA-256.
    pub image: String,
    pub tag: String,
    pub scale_set: String,
}

#[derive(Serialize)]
struct ContainerfileData<'a> {
    preamble: String,
    cluster_id: &'a str,
    image: &'a str,
    runner: &'a str,
    build: &'a str,
}

#[derive(Serialize)]
struct ValuesData<'a> {
    preamble: String,
    cluster_id: &'a str,
    scale_set: &'a str,
    chart: &'a str,
    github_url: String,
    secret: &'a str,
    namespace: &'a str,
    runner_image: String,
    dind: &'a str,
    /// The architecture of the nodes the runner pods run on, which the image is built for.
    arch: &'static str,
}

/// The runners `env` deploys: `None` unless it is a CI environment with self-hosted
/// runners and a cluster, and the repository has its pins and its GitHub repository.
pub fn of(platform: &Platform, env: &Environment) -> anyhow::Result<Option<Runners>> {
    let (Some(ci), Some(cluster), Some(pins), Some(github)) =
        (&env.ci, &env.cluster, &platform.pins, &platform.github)
    else {
        return Ok(None);
    };
    if ci.runners.value != RunnerKind::SelfHosted {
        return Ok(None);
    }
    let cluster_id = cluster.id.value.as_str();
    let containerfile = templates::fill(
        "runners-containerfile",
        &ContainerfileData {
            preamble: comment_preamble("#", &Sources::Runners(env))
                .trim_end()
                .to_owned(),
            cluster_id,
            image: IMAGE,
            runner: &pins.images.runner.value,
            build: &pins.images.build.value,
        },
    )?;
    let tag = image_tag(&containerfile);
    let values = templates::fill(
        "runners-values",
        &ValuesData {
            preamble: comment_preamble("#", &Sources::Runners(env))
                .trim_end()
                .to_owned(),
            cluster_id,
            scale_set: cluster_id,
            chart: &pins.arc.value,
            github_url: format!("https://github.com/{}", github.repository.value.as_str()),
            secret: SECRET,
            namespace: NAMESPACE,
            runner_image: format!(
                "{}/apps/{IMAGE}:{tag}",
                cluster.registry_host.value.as_str()
            ),
            dind: &pins.images.dind.value,
            arch: cluster.workload_arch().0.as_str(),
        },
    )?;
    Ok(Some(Runners {
        containerfile,
        values,
        deploy: Deploy {
            chart_version: pins.arc.value.clone(),
            charts: CHARTS,
            namespace: NAMESPACE,
            controller_namespace: CONTROLLER_NAMESPACE,
            secret: SECRET,
            image: IMAGE.to_owned(),
            tag,
            scale_set: cluster_id.to_owned(),
        },
    }))
}

/// The runner image's tag: the first 32 hexadecimal digits of its Containerfile's SHA-256,
/// which `ci/runners.sh` computes again from the file it builds.
fn image_tag(containerfile: &str) -> String {
    Sha256::digest(containerfile.as_bytes())
        .iter()
        .take(16)
        .map(|b| format!("{b:02x}"))
        .collect()
}
