//! The CI cluster's self-hosted runners (`[ci] runners = "self-hosted"`), as the CI
//! provider runs them, with an image that holds what the jobs need. Two files beside the
//! CI environment's `deploy.sh`, which installs them:
//! - with GitHub Actions, Actions Runner Controller (ARC): `runners.Containerfile` (the
//!   runner image, from the pinned Actions runner image) and `runners.values.yaml` (the
//!   runner scale set, whose name is the label the workflows' trusted jobs run on).
//!   Rendered when the repository names its GitHub repository, which the runners
//!   register with;
//! - with Buildkite, its Agent Stack for Kubernetes: `runners.Containerfile` (the jobs'
//!   image, from the services' pinned build image) and `runners.values.yaml` (the
//!   controller, which takes the jobs of the queue named as the cluster id, the one the
//!   deploy pipeline's steps ask for, and the pod each job runs in), at the chart version
//!   the pins name (pins without one are an error).

use serde::Serialize;
use sha2::{Digest as _, Sha256};

use super::{Sources, comment_preamble};
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::model::pins::{PINS_FILE, Pins};
use crate::model::{CiProvider, Cluster, Environment, Platform, Runners as RunnerKind};
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

/// Buildkite's Agent Stack for Kubernetes: its chart, the namespace it goes into, the
/// Secret with the Buildkite cluster's agent token and the one with the SSH key a private
/// repository is cloned with (both made by hand: ci/README.md, "Buildkite").
const AGENT_STACK_CHART: &str = "oci://ghcr.io/buildkite/helm/agent-stack-k8s";
const AGENT_STACK_NAMESPACE: &str = "buildkite";
const AGENT_TOKEN_SECRET: &str = "buildkite-agent-token";
const GIT_SSH_SECRET: &str = "buildkite-git-ssh";
/// The name the controller gives the container a step's command runs in, which the pod
/// patch gives the job image (`DefaultCommandContainerName` in its source).
const COMMAND_CONTAINER: &str = "container-0";
/// Where Docker's engine beside a job puts its socket, in a volume of the pod.
const DOCKER_SOCKET_DIR: &str = "/run/dind";

/// The runners of one CI environment, ready to render.
pub struct Runners {
    pub containerfile: String,
    pub values: String,
    /// What deploy.sh needs to build and install them.
    pub deploy: Deploy,
}

/// What `deploy.sh` passes to `ci/runners.sh`.
pub struct Deploy {
    /// Buildkite's Agent Stack rather than ARC.
    pub buildkite: bool,
    pub chart_version: String,
    /// ARC's charts' directory, or the Agent Stack's chart.
    pub charts: &'static str,
    pub namespace: &'static str,
    /// ARC's controller's namespace.
    pub controller_namespace: &'static str,
    pub secret: &'static str,
    /// The Secret with the SSH key the Agent Stack clones with.
    pub git_secret: &'static str,
    /// The runner image's `apps/` repository and its tag, the Containerfile's SHA-256.
    pub image: String,
    pub tag: String,
    /// What the trusted jobs ask for: the scale set's name (`runs-on`), or the Buildkite
    /// queue.
    pub label: String,
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

#[derive(Serialize)]
struct AgentsContainerfileData<'a> {
    preamble: String,
    cluster_id: &'a str,
    image: &'a str,
    build: &'a str,
    dind: &'a str,
}

#[derive(Serialize)]
struct AgentsValuesData<'a> {
    preamble: String,
    cluster_id: &'a str,
    chart: &'a str,
    queue: &'a str,
    namespace: &'a str,
    secret: &'a str,
    git_secret: &'a str,
    job_image: String,
    command_container: &'a str,
    dind: &'a str,
    socket_dir: &'a str,
    arch: &'static str,
}

/// The runners `env` deploys: `None` unless it is a CI environment with self-hosted
/// runners and a cluster, and the repository has its pins (and, with GitHub, names its
/// repository). With Buildkite, pins without the Agent Stack's version are an error.
pub fn of(platform: &Platform, env: &Environment) -> anyhow::Result<Option<Runners>> {
    let (Some(ci), Some(cluster), Some(pins)) = (&env.ci, &env.cluster, &platform.pins) else {
        return Ok(None);
    };
    if ci.runners.value != RunnerKind::SelfHosted {
        return Ok(None);
    }
    match ci.provider.value {
        CiProvider::Github => actions_runners(platform, env, cluster, pins),
        CiProvider::Buildkite => buildkite_agents(env, cluster, pins),
    }
}

/// The queue the CI cluster's Buildkite agents serve, which the deploy pipeline's steps
/// ask for: the cluster id, as ARC's scale set is named.
pub fn buildkite_queue(cluster: &Cluster) -> &str {
    cluster.id.value.as_str()
}

/// Buildkite's agents: the Agent Stack, at the version the pins name.
fn buildkite_agents(
    env: &Environment,
    cluster: &Cluster,
    pins: &Pins,
) -> anyhow::Result<Option<Runners>> {
    let Some(chart) = &pins.agent_stack else {
        return Err(Diagnostics(vec![
            Diagnostic::new(
                format!("{PINS_FILE} pins no version of Buildkite's Agent Stack for Kubernetes, which runs the CI cluster's agents"),
                Location::Path(pins.file.path.clone()),
            )
            .with_help("add `agent-stack-k8s = \"0.47.0\"` under [charts] (a release of github.com/buildkite/agent-stack-k8s), then `cargo xtask render`"),
        ])
        .into());
    };
    let cluster_id = cluster.id.value.as_str();
    let preamble = comment_preamble("#", &Sources::Runners(env))
        .trim_end()
        .to_owned();
    let containerfile = templates::fill(
        "buildkite-agents-containerfile",
        &AgentsContainerfileData {
            preamble: preamble.clone(),
            cluster_id,
            image: IMAGE,
            build: &pins.images.build.value,
            dind: &pins.images.dind.value,
        },
    )?;
    let tag = image_tag(&containerfile);
    let queue = buildkite_queue(cluster);
    let values = templates::fill(
        "buildkite-agents-values",
        &AgentsValuesData {
            preamble,
            cluster_id,
            chart: &chart.value,
            queue,
            namespace: AGENT_STACK_NAMESPACE,
            secret: AGENT_TOKEN_SECRET,
            git_secret: GIT_SSH_SECRET,
            job_image: format!(
                "{}/apps/{IMAGE}:{tag}",
                cluster.registry_host.value.as_str()
            ),
            command_container: COMMAND_CONTAINER,
            dind: &pins.images.dind.value,
            socket_dir: DOCKER_SOCKET_DIR,
            arch: cluster.workload_arch().0.as_str(),
        },
    )?;
    Ok(Some(Runners {
        containerfile,
        values,
        deploy: Deploy {
            buildkite: true,
            chart_version: chart.value.clone(),
            charts: AGENT_STACK_CHART,
            namespace: AGENT_STACK_NAMESPACE,
            controller_namespace: AGENT_STACK_NAMESPACE,
            secret: AGENT_TOKEN_SECRET,
            git_secret: GIT_SSH_SECRET,
            image: IMAGE.to_owned(),
            tag,
            label: queue.to_owned(),
        },
    }))
}

/// GitHub's runners: ARC's scale set, registered with the repository `[github]` names.
fn actions_runners(
    platform: &Platform,
    env: &Environment,
    cluster: &Cluster,
    pins: &Pins,
) -> anyhow::Result<Option<Runners>> {
    let Some(github) = &platform.github else {
        return Ok(None);
    };
    let cluster_id = cluster.id.value.as_str();
    let preamble = comment_preamble("#", &Sources::Runners(env))
        .trim_end()
        .to_owned();
    let containerfile = templates::fill(
        "runners-containerfile",
        &ContainerfileData {
            preamble: preamble.clone(),
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
            preamble,
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
            buildkite: false,
            chart_version: pins.arc.value.clone(),
            charts: CHARTS,
            namespace: NAMESPACE,
            controller_namespace: CONTROLLER_NAMESPACE,
            secret: SECRET,
            git_secret: "",
            image: IMAGE.to_owned(),
            tag,
            label: cluster_id.to_owned(),
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
