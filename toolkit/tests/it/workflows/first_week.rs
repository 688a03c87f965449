//! A platform team's first week with a repository `new-repo` made, with commands only (no
//! environment file is edited by hand): the first push, a new service, a change to it, its
//! bump, and its promotion to production, each push's deploys rehearsed.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;

use super::rehearsal::{Rehearsal, assert_succeeded};
use crate::common::Repo;

/// What the plan job of the push that made HEAD says.
fn plan(r: &Rehearsal, before: &str) -> BTreeMap<String, String> {
    let plan = r.job("plan", before, &BTreeMap::new());
    assert_succeeded(&plan);
    plan.outputs
}

/// Builds what the plan lists (as the images job would), then deploys staging and prod
/// as the push's run would; returns what each cluster runs.
fn push(r: &Rehearsal, before: &str) -> (BTreeMap<String, String>, BTreeMap<String, String>) {
    let outputs = plan(r, before);
    let services: serde_json::Value = serde_json::from_str(&outputs["services"]).unwrap();
    for service in services.as_array().unwrap() {
        let tag = service["tag"].as_str().unwrap();
        r.standins.build(tag, &format!("sha256:{:0>64}", tag.len()));
    }
    let needs = BTreeMap::from([("plan".to_owned(), outputs.clone())]);
    let deploy: serde_json::Value = serde_json::from_str(&outputs["deploy"]).unwrap();
    for env in ["staging", "prod"] {
        if deploy.as_array().unwrap().contains(&env.into()) {
            assert_succeeded(&r.job(&format!("deploy-{env}"), before, &needs));
        }
    }
    (
        r.standins.running("globex-staging"),
        r.standins.running("globex-prod"),
    )
}

fn versions(running: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    running
        .iter()
        .map(|(name, image)| {
            let tag = image.rsplit(':').next().unwrap();
            (
                name.clone(),
                tag.split("-sha256").next().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn a_new_service_reaches_production_with_commands_only() {
    let repo = Repo::generated_with(&["--github", "globex/platform"]);
    repo.commit_all();
    let r = Rehearsal::on(repo, "globex/platform");
    let step = |message: &str| -> String {
        let before = r.head();
        r.repo.run(&["check"]).success();
        r.repo.git(&["add", "-A"]);
        r.repo.git(&["commit", "-q", "-m", message]);
        before
    };

    // The first push.
    let (staging, prod) = push(&r, "0000000000000000000000000000000000000000");
    assert_eq!(
        versions(&staging),
        BTreeMap::from([("hello".to_owned(), "0.1.0".to_owned())])
    );
    assert_eq!(versions(&prod), versions(&staging));

    // A new service, deployed to dev and staging.
    r.repo
        .run(&[
            "new-service",
            "billing",
            "--template",
            "web",
            "--deploy-to",
            "dev",
            "--deploy-to",
            "staging",
        ])
        .success();
    let before = step("billing");
    let (staging, prod) = push(&r, &before);
    assert_eq!(versions(&staging)["billing"], "0.1.0");
    assert!(!prod.contains_key("billing"));

    // A change to it: the rule asks for a bump, which `bump` makes, environments included.
    let main = "crates/billing/src/main.rs";
    r.repo.write(
        main,
        &format!("{}\n// Invoices in euros.\n", r.repo.read(main)),
    );
    let check = r.repo.run(&["check"]);
    assert_eq!(check.code(), 1);
    crate::common::assert_output(
        "workflows-first_week/a_new_service_reaches_production_with_commands_only",
        &check.stderr(),
        &["run `cargo xtask bump billing`"],
    );
    r.repo.run(&["bump", "billing"]).success();
    let before = step("euros");
    let (staging, _) = push(&r, &before);
    assert_eq!(versions(&staging)["billing"], "0.1.1");

    // The promotion brings billing to production, whole.
    r.repo.run(&["promote", "staging", "prod"]).success();
    let before = step("Promote staging to prod");
    let (staging, prod) = push(&r, &before);
    assert_eq!(versions(&prod), versions(&staging));
    assert_eq!(versions(&prod)["billing"], "0.1.1");
    r.repo.run(&["diff", "staging", "prod"]).success();
}
