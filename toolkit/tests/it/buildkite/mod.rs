//! The Buildkite pipelines `render` writes with `[ci] provider = "buildkite"`, and the steps
//! the deploy pipeline's plan uploads (`cargo xtask affected --format buildkite`), read as
//! Buildkite reads them: each validates against Buildkite's published pipeline schema
//! (`tests/fixtures/buildkite`), deploy steps run one at a time per environment, behind
//! the steps they need, on the queue of the CI cluster, with keys the trust bindings
//! name; production waits for staging, and for a person with `flow = "trunk"`. Switching
//! providers takes the other's rendered files away and nothing hand-written.

mod agent;
mod agents;
mod rehearsal;

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::{self, Repo};

/// Buildkite's pipeline schema, kept in the fixtures with its source and licence.
fn schema() -> jsonschema::Validator {
    let path = common::manifest_dir().join("tests/fixtures/buildkite/schema.json");
    let schema: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    jsonschema::validator_for(&schema).expect("Buildkite's schema compiles")
}

/// `text`, a pipeline as YAML (or JSON, which Buildkite reads as YAML), checked against
/// Buildkite's schema and returned as data.
fn pipeline(name: &str, text: &str) -> Value {
    let value: Value =
        serde_yaml_ng::from_str(text).unwrap_or_else(|e| panic!("{name}: {e}\n{text}"));
    let errors: Vec<String> = schema()
        .iter_errors(&value)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect();
    assert_eq!(errors, Vec::<String>::new(), "{name}: Buildkite's schema");
    value
}

/// The test organisation, with Buildkite as its CI provider on hosted agents, rendered.
pub fn on_buildkite(flow: Option<&str>) -> Repo {
    let repo = Repo::fixture();
    let flow = flow
        .map(|f| format!("flow = \"{f}\"\n"))
        .unwrap_or_default();
    repo.write(
        "environments/ci/environment.toml",
        &format!(
            "stage = \"ci\"\ndescription = \"Buildkite\"\naccount = \"111122223333\"\n\n\
             [ci]\nrunners = \"hosted\"\nprovider = \"buildkite\"\n{flow}\n\
             [access]\nplatform = \"admins\"\n"
        ),
    );
    name_the_pipeline(&repo);
    repo.run(&["render"]).success();
    repo
}

/// `[buildkite]` in the platform file of `repo`, with the test organisation's ids.
fn name_the_pipeline(repo: &Repo) {
    repo.edit(
        "environments/platform.toml",
        "[github]\n",
        "[buildkite]\norganization = \"initech\"\n\
         organization_id = \"0184990a-477b-4fa8-9968-496074483c77\"\n\
         pipeline = \"platform\"\npipeline_id = \"0184990a-4782-42b5-afc1-16715b10b1f0\"\n\n[github]\n",
    );
}

/// The steps the plan uploads for the change since `base`.
fn uploaded(repo: &Repo, base: &str) -> Value {
    let out = repo
        .run(&["affected", "--base", base, "--format", "buildkite"])
        .success()
        .stdout();
    pipeline("uploaded steps", &out)
}

fn step<'a>(steps: &'a Value, key: &str) -> &'a Value {
    steps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == key)
        .unwrap_or_else(|| panic!("no step {key}: {steps:#}"))
}

#[test]
fn the_pipelines_are_what_buildkite_reads_and_no_github_workflow_is_left() {
    let repo = on_buildkite(None);
    for name in ["pipeline.yml", "pipeline.pull-request.yml"] {
        pipeline(name, &repo.read(&format!(".buildkite/{name}")));
    }
    assert!(
        !repo.path(".github/workflows").exists() || {
            std::fs::read_dir(repo.path(".github/workflows"))
                .unwrap()
                .next()
                .is_none()
        }
    );
    assert!(!repo.path(".github/actionlint.yaml").exists());
    repo.run(&["render", "--check"]).success();
    repo.run(&["check"]).success();

    // A hand-written file beside them stays; going back to GitHub takes .buildkite/ away.
    repo.write(".buildkite/hooks-notes.txt", "ours\n");
    repo.edit(
        "environments/ci/environment.toml",
        "provider = \"buildkite\"\n",
        "",
    );

    repo.run(&["render"]).success();
    assert!(repo.path(".github/workflows/main.yml").exists());
    assert!(!repo.path(".buildkite/pipeline.yml").exists());
    assert!(!repo.path(".buildkite/pipeline.pull-request.yml").exists());
    assert_eq!(repo.read(".buildkite/hooks-notes.txt"), "ours\n");
}

#[test]
fn a_new_repository_on_buildkite_checks_and_its_pipelines_are_buildkites() {
    let repo = Repo::generated_with(&["--ci", "buildkite", "--buildkite", "globex-inc/infra"]);
    for name in ["pipeline.yml", "pipeline.pull-request.yml"] {
        pipeline(name, &repo.read(&format!(".buildkite/{name}")));
    }
    assert!(!repo.path(".github/workflows").exists());
    let platform = repo.read("environments/platform.toml");
    assert!(!platform.contains("[github]"), "{platform}");
    let check = repo.run(&["check"]).success().stderr();
    common::assert_output(
        "buildkite/a_new_repository_on_buildkite_checks_and_its_pipelines_are_buildkites",
        &check,
        &[
            "`buildkite.organization_id` is still the placeholder",
            "GET /v2/organizations/ORGANIZATION",
        ],
    );
    repo.run(&["render", "--check"]).success();
    let readme = repo.read("README.md");
    assert!(
        readme.contains("`.buildkite/` is already rendered"),
        "{readme}"
    );
    assert!(!readme.contains("GitHub Environment"), "{readme}");
    // Its ids filled in, the issuer trusts the pipeline's deploy steps.
    repo.edit(
        "environments/platform.toml",
        "<buildkite-organization-id>",
        "0184990a-477b-4fa8-9968-496074483c77",
    );
    repo.edit(
        "environments/platform.toml",
        "<buildkite-pipeline-id>",
        "0184990a-4782-42b5-afc1-16715b10b1f0",
    );
    repo.run(&["render"]).success();
    let trust = repo.read("environments/identity/truster_override.tf.json");
    assert!(
        trust.contains("trusted:buildkite:globex-inc/infra:prod"),
        "{trust}"
    );
}

#[test]
fn new_repo_names_a_bad_buildkite_pipeline_by_its_flag() {
    let dir = common::tempdir();
    for (args, says) in [
        (
            vec!["--ci", "buildkite", "--buildkite", "Globex/Infra"],
            "--buildkite",
        ),
        (vec!["--ci", "buildkite", "--shape", "smallest"], "--ci"),
    ] {
        let mut all = vec![
            "new-repo",
            "repo",
            "--org",
            "globex",
            "--domain",
            "globex.io",
            "--no-git",
        ];
        all.extend(args);
        let run = crate::common::Run(common::xtask(dir.path(), &all).output().unwrap());
        assert_eq!(run.code(), 2, "{}", run.stderr());
        assert!(run.stderr().contains(says), "{}", run.stderr());
        assert!(!dir.path().join("repo").exists(), "nothing written");
    }
}

#[test]
fn the_pull_request_pipeline_holds_nothing_that_deploys() {
    let repo = on_buildkite(None);
    let pr = pipeline(
        "pipeline.pull-request.yml",
        &repo.read(".buildkite/pipeline.pull-request.yml"),
    );
    let text = serde_json::to_string(&pr).unwrap();
    for never in ["pipeline upload", "podplane", "deploy"] {
        assert!(!text.contains(never), "{never} in {text}");
    }
    for step in pr["steps"].as_array().unwrap() {
        assert_eq!(step["agents"]["queue"], "default", "{step:#}");
    }
}

#[test]
fn each_deploy_step_runs_alone_after_what_it_needs_with_the_key_its_binding_names() {
    let repo = on_buildkite(None);
    repo.commit_all();
    repo.edit(
        "crates/storefront/Cargo.toml",
        "version = \"1.3.0\"",
        "version = \"1.4.0\"",
    );
    repo.edit(
        "environments/staging/environment.toml",
        "version = \"1.3.0\"",
        "version = \"1.4.0\"",
    );
    let steps = uploaded(&repo, "HEAD");
    let keys: Vec<&str> = steps["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["key"].as_str().unwrap())
        .collect();
    assert_eq!(
        keys,
        [
            "image-storefront",
            "deploy-staging",
            "deploy-observability",
            "deploy-prod"
        ]
    );
    let image = step(&steps, "image-storefront");
    assert_eq!(image["env"]["TAG"], "ghcr.io/initech/storefront:1.4.0");
    assert_eq!(image["agents"]["queue"], "deploy");
    for env in ["staging", "observability", "prod"] {
        let deploy = step(&steps, &format!("deploy-{env}"));
        assert_eq!(deploy["concurrency"], 1);
        assert_eq!(
            deploy["concurrency_group"],
            format!("initech/platform/deploy-{env}")
        );
        assert_eq!(deploy["concurrency_method"], "ordered");
        assert_eq!(deploy["agents"]["queue"], "deploy");
        assert_eq!(deploy["env"]["DEPLOY_ENVIRONMENT"], env);
    }
    assert_eq!(
        step(&steps, "deploy-staging")["depends_on"],
        serde_json::json!(["checks", "image-storefront"])
    );
    assert_eq!(
        step(&steps, "deploy-prod")["depends_on"],
        serde_json::json!(["checks", "image-storefront", "deploy-staging"])
    );
    assert_eq!(
        step(&steps, "deploy-prod")["env"]["PROMOTED_FROM"],
        "staging"
    );

    // The trust bindings name these keys.
    let trust = repo.read("environments/identity/truster_override.tf.json");
    for env in ["staging", "observability", "prod"] {
        assert!(trust.contains(&format!("\"deploy-{env}\"")), "{trust}");
    }
}

#[test]
fn with_trunk_a_person_releases_production_after_staging() {
    let repo = on_buildkite(Some("trunk"));
    repo.commit_all();
    let steps = uploaded(&repo, "HEAD");
    let block = step(&steps, "release-prod");
    assert!(
        block["block"].as_str().unwrap().contains("prod"),
        "{block:#}"
    );
    assert_eq!(
        block["depends_on"],
        serde_json::json!(["checks", "deploy-staging"])
    );
    assert_eq!(
        step(&steps, "deploy-prod")["depends_on"],
        serde_json::json!(["checks", "deploy-staging", "release-prod"])
    );
    assert!(
        steps["steps"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|s| s.get("block").is_some())
            .count()
            == 1,
        "one block, before production only"
    );
}

#[test]
fn without_buildkite_named_the_plan_cannot_make_steps() {
    let repo = on_buildkite(None);
    repo.commit_all();
    let text = repo.read("environments/platform.toml");
    let start = text.find("[buildkite]").unwrap();
    let end = text.find("[github]").unwrap();
    repo.write(
        "environments/platform.toml",
        &format!("{}{}", &text[..start], &text[end..]),
    );
    let run = repo.run(&["affected", "--base", "HEAD", "--format", "buildkite"]);
    assert_eq!(run.code(), 2);
    assert!(run.stderr().contains("[buildkite]"), "{}", run.stderr());
    assert!(run.stdout().is_empty());
}
