//! The deploy pipeline rehearsed build by build as Buildkite runs it (`agent`), against
//! the stand-ins of Podplane, kubectl, Docker, the build registry and buildkite-agent
//! (`tests/standins/`). Each step's login gets exactly what the rendered trust grants its
//! key: the test asks the Truster model for every step and cluster. Not rehearsed: the
//! checks step (cargo on the whole workspace), a real cluster, registry or issuer, and
//! Buildkite itself; ci/README.md says what that leaves.

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::agent::{Build, BuildRun, Outcome};
use crate::common::{self, Repo};
use crate::standins::{Pins, Standins};
use crate::truster;
use crate::workflows::rehearsal::{IMAGES, PROD, STAGING, digest};

const ORG_ID: &str = "0184990a-477b-4fa8-9968-496074483c77";
const PIPELINE_ID: &str = "0184990a-4782-42b5-afc1-16715b10b1f0";

/// The test organisation on Buildkite, committed on main, its images built, the pinned
/// tools served, the trust of its issuer worked out for every step.
struct Rehearsal {
    repo: Repo,
    scratch: tempfile::TempDir,
    standins: Standins,
    pins: Pins,
    builds: u32,
}

impl Rehearsal {
    fn new(flow: Option<&str>) -> Rehearsal {
        let repo = super::on_buildkite(flow);
        // The images are in the build registry already: a build finds each and builds
        // nothing, from the Containerfile every service crate has.
        for crate_name in ["storefront", "mailer"] {
            repo.write(
                &format!("crates/{crate_name}/Containerfile"),
                "FROM scratch\n",
            );
        }
        repo.commit_all();
        let scratch = common::tempdir();
        let standins = Standins::new(scratch.path());
        let pins = Pins::read(&repo.path("."));
        standins.serve_tools(&pins, false);
        for image in IMAGES {
            standins.build(image, &digest(image));
        }
        for (name, value) in [("GHCR_USER", "initech-ci"), ("GHCR_TOKEN", "ghp-token")] {
            let dir = standins.state.join("buildkite/secrets");
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(name), value).unwrap();
        }
        let rehearsal = Rehearsal {
            repo,
            scratch,
            standins,
            pins,
            builds: 0,
        };
        rehearsal.trust();
        rehearsal
    }

    /// What the issuer answers each step of the deploy pipeline for each cluster, from
    /// the rendered trust and the Truster model: the group of the one binding that
    /// matches, where one does.
    fn trust(&self) {
        let text = self
            .repo
            .read("environments/identity/truster_override.tf.json");
        let file: Value = serde_json::from_str(&text).unwrap();
        let config = truster::server_config(
            truster::truster_config(&file),
            "https://auth.initech.test",
            "eu-west-1",
        );
        let steps = [
            "checks",
            "plan",
            "deploy-staging",
            "deploy-observability",
            "deploy-prod",
        ];
        for cluster in [
            "initech-staging",
            "initech-observability",
            "initech-prod",
            "initech-dev",
        ] {
            for step_key in steps {
                let token = truster::BuildkiteToken {
                    organization: ("initech", ORG_ID),
                    pipeline: ("platform", PIPELINE_ID),
                    branch: "main",
                    step_key,
                    audience: cluster,
                };
                if let Ok((_, groups)) = truster::exchange(&config, cluster, &token.claims()) {
                    let dir = self.standins.state.join("trust").join(cluster);
                    std::fs::create_dir_all(&dir).unwrap();
                    std::fs::write(dir.join(step_key), &groups[0]).unwrap();
                }
            }
        }
    }

    fn head(&self) -> String {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(self.repo.path("."))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// A build of main at its head, with `unblocked` block steps released by a person.
    fn build(&mut self, unblocked: &[&str]) -> BuildRun {
        self.builds += 1;
        let source = self.repo.path(".");
        let build = Build {
            source: &source,
            commit: self.head(),
            number: self.builds,
            organization: "initech",
            pipeline: "platform",
            scratch: self.scratch.path(),
            path: self.standins.buildkite_path(),
            agent_env: self.standins.env(&self.pins, &source),
            state: &self.standins.state,
            unblocked: unblocked.to_vec(),
            assumed: vec!["checks"],
        };
        build.run()
    }

    fn pushes(&self) -> usize {
        self.standins
            .podplane_calls()
            .iter()
            .filter(|call| call[0] == "push")
            .count()
    }

    /// The logins of the builds so far: cluster, step key, group.
    fn logins(&self) -> Vec<String> {
        std::fs::read_to_string(self.standins.state.join("logins"))
            .unwrap_or_default()
            .lines()
            .map(str::to_owned)
            .collect()
    }
}

fn assert_outcomes(build: &BuildRun, expected: &[(&str, Outcome)]) {
    let outcomes: Vec<(&str, Outcome)> = build
        .steps
        .iter()
        .map(|step| (step.key.as_str(), step.outcome))
        .collect();
    assert_eq!(outcomes, expected, "{}", build.log());
}

#[test]
fn staging_deploys_on_merge_and_production_only_what_a_promotion_brings_from_it() {
    let mut r = Rehearsal::new(None);
    // The first build: everything is new. Staging and observability deploy; production
    // is refused, since it runs a version staging never ran (storefront 1.2.0).
    let first = r.build(&[]);
    assert_outcomes(
        &first,
        &[
            ("checks", Outcome::Passed),
            ("plan", Outcome::Passed),
            ("image-mailer", Outcome::Passed),
            ("image-storefront", Outcome::Passed),
            ("deploy-staging", Outcome::Passed),
            ("deploy-observability", Outcome::Passed),
            ("deploy-prod", Outcome::Failed),
        ],
    );
    assert!(
        first.step("deploy-prod").log.contains("storefront"),
        "{}",
        first.step("deploy-prod").log
    );
    assert!(r.standins.running(PROD).is_empty(), "production deployed");
    let staging = r.standins.running(STAGING);
    assert!(
        staging["storefront"].contains(&digest(IMAGES[0]).replace(':', "-")),
        "{staging:?}"
    );

    // Everything that holds a credential ran on the agents of the deploy queue.
    for step in &first.steps {
        if step.spec.get("block").is_none() && step.key != "checks" {
            assert_eq!(step.spec["agents"]["queue"], "deploy", "{}", step.key);
        }
    }

    // The promotion lands: production takes what staging ran, by digest, and staging,
    // which already runs its deploy.sh, deploys nothing.
    r.repo.run(&["promote", "staging", "prod"]).success();
    r.repo
        .git(&["commit", "-q", "-am", "Promote staging to prod"]);
    let pushes = r.pushes();
    let second = r.build(&[]);
    assert_eq!(
        second.outcome("deploy-prod"),
        Outcome::Passed,
        "{}",
        second.log()
    );
    assert!(
        second
            .step("deploy-staging")
            .log
            .contains("nothing to deploy"),
        "{}",
        second.step("deploy-staging").log
    );
    assert!(
        !second.keys().iter().any(|key| key.starts_with("image-")),
        "a promotion rebuilds nothing: {:?}",
        second.keys()
    );
    let prod = r.standins.running(PROD);
    assert!(
        prod["storefront"].contains(&digest(IMAGES[0]).replace(':', "-")),
        "{prod:?}"
    );
    assert!(r.pushes() > pushes);

    // The same commit again (a rebuild): nothing is deployed twice.
    let pushes = r.pushes();
    let third = r.build(&[]);
    for env in ["staging", "observability", "prod"] {
        let step = third.step(&format!("deploy-{env}"));
        assert_eq!(step.outcome, Outcome::Passed, "{}", step.log);
        assert!(step.log.contains("nothing to deploy"), "{}", step.log);
    }
    assert_eq!(r.pushes(), pushes);

    // Every login was its own step's, with the group its binding grants: the plan and
    // production's gate only read staging.
    let logins = r.logins();
    for expected in [
        "initech-staging plan podplane:viewers",
        "initech-staging deploy-staging podplane:editors",
        "initech-prod deploy-prod podplane:editors",
        "initech-staging deploy-prod podplane:viewers",
    ] {
        assert!(
            logins.iter().any(|l| l == expected),
            "{expected} in {logins:#?}"
        );
    }
    assert!(!logins.iter().any(|l| l.contains("checks")), "{logins:#?}");
}

#[test]
fn with_trunk_production_waits_for_a_person_then_deploys_what_staging_runs() {
    let mut r = Rehearsal::new(Some("trunk"));
    // Trunk: production matches staging before it may follow (parity), so start equal.
    r.repo.run(&["promote", "staging", "prod"]).success();
    r.repo.git(&["commit", "-q", "-am", "prod as staging"]);
    let waiting = r.build(&[]);
    assert_eq!(
        waiting.outcome("deploy-staging"),
        Outcome::Passed,
        "{}",
        waiting.log()
    );
    assert_eq!(waiting.outcome("release-prod"), Outcome::Waiting);
    assert_eq!(waiting.outcome("deploy-prod"), Outcome::NotRun);
    assert!(r.standins.running(PROD).is_empty());

    let released = r.build(&["release-prod"]);
    assert_eq!(
        released.outcome("deploy-prod"),
        Outcome::Passed,
        "{}",
        released.log()
    );
    assert!(!r.standins.running(PROD).is_empty());
}

#[test]
fn a_step_the_trust_does_not_name_cannot_deploy() {
    let mut r = Rehearsal::new(None);
    // The issuer knows no binding for production's deploy step (an issuer not yet
    // applied, or a renamed key): the step fails at its login, and says what to check.
    std::fs::remove_file(r.standins.state.join("trust/initech-prod/deploy-prod")).unwrap();
    r.repo.run(&["promote", "staging", "prod"]).success();
    r.repo
        .git(&["commit", "-q", "-am", "Promote staging to prod"]);
    let build = r.build(&[]);
    let prod = build.step("deploy-prod");
    assert_eq!(prod.outcome, Outcome::Failed);
    assert!(prod.log.contains("buildkite-deploy-prod"), "{}", prod.log);
    assert!(r.standins.running(PROD).is_empty());
}
