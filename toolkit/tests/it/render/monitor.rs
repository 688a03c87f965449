//! The hosted monitor's checks as code: `healthchecks.json` of the observability
//! environment, one check per cluster that ships telemetry, each a body Healthchecks'
//! management API takes (its schema, `../shared/healthchecks/`), the heartbeat watching the
//! same clusters, both following the topology; and `check` failing when either is gone.

use std::path::PathBuf;
use std::sync::OnceLock;

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::{self, Repo};

/// Healthchecks' check schema, from `$HEALTHCHECKS_SCHEMA_DIR` or
/// `../shared/healthchecks/` beside the checkout; the assertion is skipped with a notice
/// where neither has it, unless `REQUIRE_HEALTHCHECKS_SCHEMA` is set (`.ci/run` sets it).
fn schema() -> Option<&'static Value> {
    static SCHEMA: OnceLock<Option<Value>> = OnceLock::new();
    SCHEMA
        .get_or_init(|| {
            let dir: PathBuf = common::shared_dir(
                "HEALTHCHECKS_SCHEMA_DIR",
                "REQUIRE_HEALTHCHECKS_SCHEMA",
                "shared/healthchecks",
                "check.schema.json",
                "the monitor's checks are not validated against Healthchecks' schema",
            )?;
            let text = std::fs::read_to_string(dir.join("check.schema.json")).unwrap();
            Some(serde_json::from_str(&text).unwrap())
        })
        .as_ref()
}

fn checks(repo: &Repo) -> Vec<Value> {
    let file: Value =
        serde_json::from_str(&repo.read("environments/observability/healthchecks.json")).unwrap();
    file["checks"].as_array().unwrap().clone()
}

/// The heartbeat's `HEARTBEAT_CHECKS`, as the observability environment's deploy passes it.
fn watched(repo: &Repo) -> String {
    let deploy = repo.read("environments/observability/deploy.sh");
    let line = deploy
        .lines()
        .find(|line| line.trim_start().starts_with("-e HEARTBEAT_CHECKS="))
        .unwrap_or_else(|| panic!("no HEARTBEAT_CHECKS in\n{deploy}"));
    line.trim()
        .trim_start_matches("-e HEARTBEAT_CHECKS=")
        .trim_end_matches(" \\")
        .to_owned()
}

#[test]
fn one_check_per_shipping_cluster_as_healthchecks_takes_it_and_the_heartbeat_watches_each() {
    let repo = Repo::generated();
    let made = checks(&repo);
    let names: Vec<&str> = made.iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "globex-ci-telemetry",
            "globex-dev-telemetry",
            "globex-prod-telemetry",
            "globex-staging-telemetry"
        ]
    );
    if let Some(schema) = schema() {
        let validator = jsonschema::options()
            .should_validate_formats(true)
            .build(schema)
            .expect("Healthchecks' schema compiles");
        for check in &made {
            let errors: Vec<String> = validator
                .iter_errors(check)
                .map(|e| e.to_string())
                .collect();
            assert_eq!(errors, Vec::<String>::new(), "{check}");
        }
    }
    // Creating a check again finds it by its name: applying them is idempotent.
    for check in &made {
        assert_eq!(check["unique"], serde_json::json!(["name"]));
    }
    assert_eq!(
        watched(&repo),
        "ci:globex-ci-telemetry,dev:globex-dev-telemetry,prod:globex-prod-telemetry,staging:globex-staging-telemetry"
    );

    // A new cluster is watched from its first render, with no edit.
    repo.run(&["new-env", "qa", "--stage", "development"])
        .success();
    let names: Vec<String> = checks(&repo)
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_owned())
        .collect();
    assert!(
        names.contains(&"globex-qa-telemetry".to_owned()),
        "{names:?}"
    );
    assert!(watched(&repo).contains("qa:globex-qa-telemetry"));
}

#[test]
fn without_the_heartbeat_or_its_checks_check_fails_and_says_what_to_add() {
    let repo = Repo::generated();
    let file = "environments/observability/environment.toml";
    let text = repo.read(file);
    let start = text.find("# Watches the watcher").unwrap();
    repo.write(file, &text[..start]);
    let run = repo.run(&["check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let refused = run.stderr();
    assert!(
        refused.contains(
            "error[observability-monitored]: no heartbeat watches OpenObserve in `observability`"
        ),
        "{refused}"
    );
    assert!(refused.contains("add [services.heartbeat]"), "{refused}");

    let repo = Repo::generated();
    std::fs::remove_file(repo.path("environments/observability/healthchecks.json")).unwrap();
    let run = repo.run(&["check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    let refused = run.stderr();
    assert!(
        refused.contains(
            "error[generated-fresh]: generated file environments/observability/healthchecks.json is missing"
        ),
        "{refused}"
    );
}
