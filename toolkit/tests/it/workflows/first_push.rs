//! The first push of a repository `new-repo` made: the rendered plan job finds everything
//! new, and staging, the observability platform and production deploy what the first
//! commit declares.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::rehearsal::{Rehearsal, assert_succeeded};
use crate::common::Repo;

/// GitHub's `before` for a branch's first push: no commit.
const NO_COMMIT: &str = "0000000000000000000000000000000000000000";

#[test]
fn the_first_push_builds_and_deploys_what_the_first_commit_declares() {
    let repo = Repo::generated_with(&["--github", "globex/platform"]);
    repo.commit_all();
    let r = Rehearsal::on(repo, "globex/platform");
    let plan = r.job("plan", NO_COMMIT, &BTreeMap::new());
    assert_succeeded(&plan);
    let empty_tree = "4b825dc642cb6eb9a060e54bf8d69288fbee4904";
    assert_eq!(plan.outputs["base"], empty_tree);
    let services: Value = serde_json::from_str(&plan.outputs["services"]).unwrap();
    let deploy: Value = serde_json::from_str(&plan.outputs["deploy"]).unwrap();
    for env in ["staging", "observability", "prod"] {
        assert!(deploy.as_array().unwrap().contains(&env.into()), "{deploy}");
    }
    let built: Vec<&str> = services
        .as_array()
        .unwrap()
        .iter()
        .map(|service| service["tag"].as_str().unwrap())
        .collect();
    assert_eq!(
        built,
        [
            "ghcr.io/globex/heartbeat:0.1.0",
            "ghcr.io/globex/hello:0.1.0",
            "ghcr.io/globex/openobserve:0.1.0",
            "ghcr.io/globex/otlp-relay:0.1.0"
        ]
    );

    // The images job builds each 0.1.0; then staging, the observability platform and
    // production, in the same run.
    for (tag, byte) in built.iter().zip(["cf", "c0", "c1", "c2"]) {
        r.standins
            .build(tag, &format!("sha256:{}", byte.repeat(32)));
    }
    let needs = BTreeMap::from([("plan".to_owned(), plan.outputs.clone())]);
    assert_succeeded(&r.job("deploy-staging", NO_COMMIT, &needs));
    // The observability platform deploys once its secrets are in its cluster, and not
    // before: its deploy names the command that makes each.
    let observability = r.job("deploy-observability", NO_COMMIT, &needs);
    assert!(observability.failed.is_some(), "{}", observability.log);
    assert!(
        observability
            .log
            .contains("podplane secret create --for heartbeat healthchecks-ping-key"),
        "{}",
        observability.log
    );
    for (app, key) in [
        ("openobserve", "openobserve-root-password"),
        ("openobserve", "openobserve-s3-access-key"),
        ("openobserve", "openobserve-s3-secret-key"),
        ("otlp-relay", "openobserve-ingest"),
        ("heartbeat", "healthchecks-ping-key"),
        ("heartbeat", "openobserve-query"),
    ] {
        r.standins.secret("globex-observability", app, key);
    }
    // Then the monitor's checks, applied with the key the GitHub Environment holds: one
    // Healthchecks refuses is the job's failure.
    let refused = r.job("deploy-observability", NO_COMMIT, &needs);
    assert_eq!(
        refused.failed.as_deref(),
        Some("the hosted monitor's checks, one per cluster the heartbeat watches"),
        "{}",
        refused.log
    );
    r.standins.healthchecks_key("secrets-HEALTHCHECKS_API_KEY");
    assert_succeeded(&r.job("deploy-observability", NO_COMMIT, &needs));
    let observed = r.standins.running("globex-observability");
    assert_eq!(
        observed.keys().collect::<Vec<_>>(),
        ["heartbeat", "openobserve", "otlp-relay"]
    );
    let checks = || r.standins.healthchecks().into_keys().collect::<Vec<_>>();
    let expected =
        ["ci", "dev", "prod", "staging"].map(|env| format!("globex-{env}-telemetry.json"));
    assert_eq!(checks(), expected);
    // Applied again, they are found, not made twice.
    assert_succeeded(&r.job("deploy-observability", NO_COMMIT, &needs));
    assert_eq!(checks(), expected);
    let prod = r.job("deploy-prod", NO_COMMIT, &needs);
    assert_succeeded(&prod);
    assert!(
        prod.log
            .contains("the first push: prod is compared with what staging runs now")
    );
    let image = |env: &str| {
        format!(
            "registry.{env}.globex.io/apps/hello:0.1.0-sha256-{}",
            "c0".repeat(32)
        )
    };
    assert_eq!(
        r.standins.running("globex-staging")["hello"],
        image("staging")
    );
    assert_eq!(r.standins.running("globex-prod")["hello"], image("prod"));
}
