//! The guide's two starting points: `new-repo --shape smallest` makes a repository that
//! passes its checks without staging, a CI cluster or an observability environment, whose
//! telemetry reaches the managed provider through the relay every cluster runs; and it
//! grows into the mature shape by commands, the pipelines and the rules following.

use std::collections::BTreeSet;

use crate::common::{self, Repo, assert_output};
use crate::render::assert_podplane_accepts;
use crate::workflows::workflow;
use pretty_assertions::assert_eq;

/// The environment directories of `repo`, by name.
fn environments(repo: &Repo) -> BTreeSet<String> {
    std::fs::read_dir(repo.path("environments"))
        .unwrap()
        .filter_map(|entry| {
            let entry = entry.unwrap();
            entry
                .file_type()
                .unwrap()
                .is_dir()
                .then(|| entry.file_name().to_string_lossy().into_owned())
        })
        .collect()
}

/// Where `env`'s VMs ship their telemetry, as its tfvars say.
fn telemetry_endpoint(repo: &Repo, env: &str) -> String {
    let tfvars = repo.read(&format!("environments/{env}/platform.auto.tfvars"));
    let line = tfvars
        .lines()
        .find(|line| line.starts_with("telemetry_otlp_endpoint"))
        .unwrap_or_else(|| panic!("{env} ships telemetry nowhere:\n{tfvars}"));
    line.split('"').nth(1).unwrap().to_owned()
}

#[test]
fn the_smallest_shape_passes_its_checks_with_production_deployed_from_main() {
    let repo = Repo::generated_with(&["--shape", "smallest"]);
    assert_eq!(
        environments(&repo),
        BTreeSet::from(["dev", "identity", "prod"].map(str::to_owned))
    );
    repo.run(&["check"]).success();
    repo.run(&["render", "--check"]).success();
    assert_eq!(assert_podplane_accepts(&repo), 2, "dev and prod");
    let parity = repo.run(&["parity"]).success().stdout();
    assert_output(
        "shapes/smallest_parity",
        &parity,
        &["nothing to compare: this repository has no staging environment"],
    );
    let diff = repo.run(&["diff", "staging", "prod"]);
    assert_eq!(diff.code(), 2);
    assert_output(
        "shapes/smallest_diff",
        &diff.stderr(),
        &["`cargo xtask new-env staging --stage staging` adds one"],
    );

    // Main deploys production after the checks: no promotion, no parity, hosted runners.
    assert!(!repo.path(".github/workflows/promote.yml").exists());
    let main = workflow(&repo, "main.yml");
    let jobs: Vec<&str> = main["jobs"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(jobs, ["checks", "deploy-prod", "images", "plan"]);
    for (name, job) in main["jobs"].as_object().unwrap() {
        assert_eq!(job["runs-on"], "ubuntu-24.04", "{name}");
        let runs = serde_json::to_string(&job["steps"]).unwrap();
        for gate in [
            "cargo xtask parity",
            "promotion-gate.sh",
            "release-record.sh expect",
        ] {
            assert!(!runs.contains(gate), "{name} runs {gate}");
        }
    }
    assert_eq!(main["jobs"]["deploy-prod"]["environment"], "prod");

    // Each cluster's VMs ship to the relay it runs, the crate the toolkit's tests compile.
    for env in ["dev", "prod"] {
        assert_eq!(
            telemetry_endpoint(&repo, env),
            format!("https://otlp-relay.{env}.globex.io")
        );
    }
    assert_eq!(
        repo.read("crates/otlp-relay/src/main.rs"),
        include_str!("../../templates/relay/main.rs")
    );
    let manifest: toml::Table = toml::from_str(&repo.read("crates/otlp-relay/Cargo.toml")).unwrap();
    let workspace: toml::Table = toml::from_str(
        &std::fs::read_to_string(common::manifest_dir().join("../Cargo.toml")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["dependencies"]["ureq"], workspace["workspace"]["dependencies"]["ureq"],
        "the relay depends on the client its tests here compile with"
    );
}

#[test]
fn a_cluster_without_its_relay_or_credential_fails_check_with_what_to_add() {
    let repo = Repo::generated_with(&["--shape", "smallest"]);
    repo.edit(
        "environments/prod/environment.toml",
        "secrets = [\"otlp-credential\"]\n",
        "",
    );
    let text = repo.read("environments/dev/environment.toml");
    let relay = text.find("\n# Carries this cluster's VM logs").unwrap();
    repo.write("environments/dev/environment.toml", &text[..=relay]);
    let check = repo.run(&["check"]);
    assert_eq!(check.code(), 1);
    assert_output(
        "shapes/relay_missing",
        &check.stderr(),
        &[
            "error[telemetry-to-observability]: `dev` sends its telemetry nowhere: it does not run the relay `otlp-relay`",
            "error[telemetry-to-observability]: the relay of `prod` does not read the credential `otlp-credential`",
        ],
    );
}

#[test]
fn the_smallest_shape_grows_into_the_mature_one_by_commands() {
    let repo = Repo::generated_with(&["--shape", "smallest"]);
    let staging = repo.run(&["new-env", "staging", "--stage", "staging", "--like", "prod"]);
    assert_output(
        "shapes/grow_staging",
        &staging.success().stderr(),
        &["held to `prod` by a new [parity] in platform.toml"],
    );
    // Staging turns the promotion flow on.
    assert!(repo.path(".github/workflows/promote.yml").exists());
    let main = workflow(&repo, "main.yml");
    let gate = serde_json::to_string(&main["jobs"]["deploy-prod"]["steps"]).unwrap();
    assert!(gate.contains("ci/promotion-gate.sh staging prod"), "{gate}");
    assert_output(
        "shapes/grown_parity",
        &repo.run(&["parity"]).success().stdout(),
        &["no violation: staging matches prod where it must"],
    );
    repo.run(&["check"]).success();

    // A CI cluster: its runners take the trusted jobs, and it runs the relay as every
    // cluster does.
    repo.run(&["new-env", "ci", "--stage", "ci"]).success();
    let main = workflow(&repo, "main.yml");
    assert_eq!(main["jobs"]["deploy-prod"]["runs-on"], "globex-ci");
    assert!(
        repo.read("environments/ci/environment.toml")
            .contains("[services.otlp-relay]\nversion = \"0.1.0\"\n"),
        "the new cluster runs the relay"
    );
    assert_eq!(
        telemetry_endpoint(&repo, "ci"),
        "https://otlp-relay.ci.globex.io"
    );
    repo.run(&["check"]).success();

    // An observability environment takes the telemetry; the managed table goes.
    let observability = repo.run(&["new-env", "observability", "--stage", "observability"]);
    assert_output(
        "shapes/grow_observability",
        &observability.success().stderr(),
        &["[observability] (<observability-provider>) is gone from platform.toml"],
    );
    assert!(
        !repo
            .read("environments/platform.toml")
            .contains("[observability]")
    );
    for env in ["dev", "staging", "prod", "ci"] {
        // Podplane's VMs post to the endpoint's own path, whose first segment is the
        // cluster's stream in OpenObserve.
        assert_eq!(
            telemetry_endpoint(&repo, env),
            format!("https://otlp.observability.globex.io/{env}/v1/logs")
        );
    }
    repo.run(&["check"]).success();
    repo.run(&["render", "--check"]).success();
}
