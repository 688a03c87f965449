//! The CI cluster's self-hosted runners: the CI environment's `deploy.sh`, run as a platform
//! admin would after `podplane login`, with the stand-ins of `tests/standins/` (Podplane,
//! kubectl, Helm, Docker), installs Actions Runner Controller and a runner scale set that
//! is what the workflows' trusted jobs ask for, with a runner image it built and pushed to
//! the cluster's own registry (hosted runners take these files away: `workflows`' test of
//! them); every Containerfile passes hadolint.

use std::process::{Command, Output};

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::{self, Repo};
use crate::{podplane, standins};

/// The CI environment of the test organisation, its cluster and its registry.
const ENV: &str = "ci";
const CLUSTER: &str = "initech-ci";

/// Runs `environments/ci/deploy.sh` of `repo` with `standins`, logged in as a person.
pub fn deploy(repo: &Repo, standins: &standins::Standins, home: &std::path::Path) -> Output {
    let pins = standins::Pins::read(&repo.path("."));
    Command::new("bash")
        .arg(repo.path(&format!("environments/{ENV}/deploy.sh")))
        .current_dir(repo.path("."))
        .env_clear()
        .envs(standins.env(&pins, &repo.path(".")))
        .env(
            "PATH",
            format!("{}:{}", standins.bin.display(), standins.tools.display()),
        )
        .env("HOME", home)
        .env("PODPLANE_KEYRING_PASS", "keyring-pass")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap()
}

/// The tag of the one image `deploy.sh` built so far: the CI environment's
/// `runners.Containerfile`, for `linux/amd64`.
pub fn built_once(repo: &Repo, standins: &standins::Standins) -> String {
    let builds = standins.builds();
    assert_eq!(builds.len(), 1);
    let [file, platform, tag] = &builds[0];
    assert_eq!(
        std::path::Path::new(file),
        repo.path("environments/ci/runners.Containerfile")
            .canonicalize()
            .unwrap()
    );
    assert_eq!(platform, "linux/amd64");
    tag.clone()
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

#[test]
fn the_ci_cluster_runs_the_runners_the_workflows_ask_for() {
    let repo = Repo::fixture();
    let scratch = common::tempdir();
    let standins = standins::Standins::new(scratch.path());
    let config =
        podplane::parse_jsonc(&repo.read(&format!("environments/{ENV}/podplane.cluster.jsonc")));
    let registry = config["cluster"]["registry"]["hostname"].as_str().unwrap();
    standins.logged_in(CLUSTER, registry, "keyring-pass");
    let values = yaml(&repo.read(&format!("environments/{ENV}/runners.values.yaml")));
    let pins: toml::Table = toml::from_str(&repo.read("ci/pins.toml")).unwrap();

    // Without the GitHub App's credentials nothing is built or installed, and the script
    // says how to make them.
    let out = deploy(&repo, &standins, scratch.path());
    assert_eq!(out.status.code(), Some(1));
    crate::common::assert_output(
        "render/runners/the_ci_cluster_runs_the_runners_the_workflows_ask_for",
        &String::from_utf8_lossy(&out.stderr),
        &[
            "kubectl create namespace arc-runners --context initech-ci",
            "kubectl create secret generic github-app --namespace arc-runners --context initech-ci",
            "--from-file=github_app_private_key=PRIVATE_KEY.pem",
        ],
    );
    assert!(standins.builds().is_empty());
    assert_eq!(standins.helm_release(CLUSTER, "arc-systems", "arc"), None);

    // With them: the image is built for the runners' pool and pushed to the cluster's
    // registry, then the controller, then the scale set with the rendered values.
    standins.k8s_secret(CLUSTER, "arc-runners", "github-app");
    let out = deploy(&repo, &standins, scratch.path());
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // Built for the nodes the pods are held to (the pools of initech-ci tie, and amd64
    // comes first, as for services).
    let tag = built_once(&repo, &standins);
    assert_eq!(
        values["template"]["spec"]["nodeSelector"]["kubernetes.io/arch"],
        "amd64"
    );
    let image = format!("apps/{tag}");
    assert!(standins.in_registry(CLUSTER, &image), "{image} was pushed");
    let version = pins["charts"]["arc"].as_str().unwrap();
    assert_eq!(
        standins.helm_release(CLUSTER, "arc-systems", "arc"),
        Some((
            "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller"
                .to_owned(),
            version.to_owned(),
            None
        ))
    );
    let (chart, chart_version, given) = standins
        .helm_release(CLUSTER, "arc-runners", CLUSTER)
        .expect("the scale set is installed");
    assert_eq!(
        chart,
        "oci://ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set"
    );
    assert_eq!(chart_version, version);
    assert_eq!(yaml(&given.unwrap()), values);

    // The values: the scale set is the label the workflows' trusted jobs run on; its pods
    // run the image just pushed and the pinned Docker engine; it registers with the
    // repository the trust bindings name, with the Secret the script checked.
    assert_eq!(values["runnerScaleSetName"], CLUSTER);
    let main = yaml(&repo.read(".github/workflows/main.yml"));
    for (name, job) in main["jobs"].as_object().unwrap() {
        assert_eq!(job["runs-on"], CLUSTER, "main.yml's {name}");
    }
    assert_eq!(
        values["githubConfigUrl"],
        "https://github.com/initech/platform"
    );
    assert_eq!(values["githubConfigSecret"], "github-app");
    let spec = &values["template"]["spec"];
    let runner_image = format!("{registry}/{image}");
    assert_eq!(spec["containers"][0]["name"], "runner");
    assert_eq!(spec["containers"][0]["image"], runner_image.as_str());
    assert_eq!(spec["initContainers"][0]["image"], runner_image.as_str());
    assert_eq!(
        spec["initContainers"][1]["image"],
        pins["images"]["dind"].as_str().unwrap()
    );

    // A second run builds nothing: the image of this Containerfile is there.
    let out = deploy(&repo, &standins, scratch.path());
    assert!(out.status.success());
    assert_eq!(standins.builds().len(), 1);

    // A Containerfile edited by hand is not the one the values name.
    let path = "environments/ci/runners.Containerfile";
    repo.write(path, &format!("{}RUN true\n", repo.read(path)));
    let out = deploy(&repo, &standins, scratch.path());
    assert_eq!(out.status.code(), Some(1));
    crate::common::assert_output(
        "render/runners/the_ci_cluster_runs_the_runners_the_workflows_ask_for",
        &String::from_utf8_lossy(&out.stderr),
        &[
            "is not the file its tag was made from",
            "cargo xtask render",
        ],
    );
}

/// hadolint, which runs shellcheck on each `RUN`, accepts every Containerfile the tool
/// writes: each service's, and the runners' (GitHub's and Buildkite's).
#[test]
fn containerfiles_pass_hadolint() {
    if Command::new("hadolint").arg("--version").output().is_err() {
        assert!(
            std::env::var_os("REQUIRE_HADOLINT").is_none(),
            "REQUIRE_HADOLINT is set but hadolint is not installed"
        );
        common::notice("hadolint is not installed: the Containerfiles are not linted");
        return;
    }
    let repo = Repo::generated();
    repo.run(&["new-service", "mailer", "--template", "worker"])
        .success();
    let files = [
        "crates/hello/Containerfile",
        "crates/mailer/Containerfile",
        "environments/ci/runners.Containerfile",
    ];
    // And the image of Buildkite's agents, which a repository on Buildkite builds instead.
    let buildkite = Repo::generated_with(&["--ci", "buildkite", "--buildkite", "globex-inc/infra"]);
    let agents = buildkite.path("environments/ci/runners.Containerfile");
    assert!(
        buildkite
            .read("environments/ci/runners.Containerfile")
            .contains("Buildkite"),
        "the Buildkite agents' image"
    );
    for path in files
        .iter()
        .map(|file| repo.path(file))
        .chain(std::iter::once(agents))
    {
        let out = Command::new("hadolint")
            .arg("--no-color")
            .arg(&path)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&out.stdout)
        );
    }
    // And it would say so: a tag without a digest, and a shell mistake in a RUN.
    let bad = repo.path("crates/hello/Containerfile");
    std::fs::write(&bad, "FROM debian\nRUN cd /tmp && echo $1\n").unwrap();
    let out = Command::new("hadolint")
        .arg("--no-color")
        .arg(&bad)
        .output()
        .unwrap();
    crate::common::assert_output(
        "render/runners/containerfiles_pass_hadolint",
        &String::from_utf8_lossy(&out.stdout),
        &["DL3006", "DL3003", "SC2086"],
    );
}

/// A service's image builds for every architecture a pool may have without emulating one:
/// BuildKit runs a stage's `RUN` on the stage's platform, which is the target's unless
/// its `FROM` says `--platform=$BUILDPLATFORM`. So every stage that runs a command is on
/// the build platform, the target's Rust target and linker are known for each
/// architecture, and the final stage only copies. Its base images are the pinned ones.
#[test]
fn a_service_image_builds_every_platform_without_emulation() {
    let repo = Repo::generated();
    let text = repo.read("crates/hello/Containerfile");
    let pins: toml::Table = toml::from_str(&repo.read("ci/pins.toml")).unwrap();
    let stages = crate::common::containerfile_stages(&text);
    assert_eq!(stages.len(), 2, "{text}");
    for (from, body) in &stages {
        if body.iter().any(|i| i.starts_with("RUN ")) {
            assert!(
                from.starts_with("FROM --platform=$BUILDPLATFORM "),
                "a stage that runs commands on the target platform is emulated: {from}"
            );
        }
    }
    let (build, body) = &stages[0];
    assert!(build.contains(pins["images"]["build"].as_str().unwrap()));
    let run = body
        .iter()
        .find(|i| i.contains("rustup target add"))
        .unwrap();
    for (arch, target) in [
        ("amd64", "x86_64-unknown-linux-gnu"),
        ("arm64", "aarch64-unknown-linux-gnu"),
    ] {
        assert!(run.contains(&format!("{arch}) target={target}")), "{run}");
        let linker = format!(
            "CARGO_TARGET_{}_LINKER=",
            target.to_uppercase().replace('-', "_")
        );
        assert!(text.contains(&linker), "no linker for {target}");
    }
    let (runtime, body) = &stages[1];
    assert_eq!(
        runtime,
        &format!("FROM {}", pins["images"]["runtime"].as_str().unwrap())
    );
    assert!(body.iter().all(|i| !i.starts_with("RUN ")), "{body:?}");
    // And build-image.sh brings no emulator.
    assert!(!repo.read("ci/build-image.sh").contains("apt-get install"));
}
