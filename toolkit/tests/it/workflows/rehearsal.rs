//! The rendered deploy jobs, rehearsed step by step as Actions runs them (`actions`)
//! against stand-ins of Podplane, kubectl, Helm, Docker, the build registry and GitHub's
//! deployments API that enforce what their documentation says (`tests/standins/`). Not
//! rehearsed: a real cluster, registry or issuer; ci/README.md says what that leaves.

use std::collections::BTreeMap;

use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use sha2::Digest as _;

use super::actions::{Github, JobRun, Runner};
use super::workflow;
use crate::common::{self, Repo, copy};
use crate::standins::{Pins, Standins};
use crate::{podplane, truster};

pub const STAGING: &str = "initech-staging";
pub const PROD: &str = "initech-prod";
/// Initech's repository and ids, as its platform.toml names them.
const GITHUB: (&str, &str, &str) = ("initech/platform", "1999", "4242");
/// The images the fixture's staging and production run.
pub const IMAGES: [&str; 3] = [
    "ghcr.io/initech/storefront:1.3.0",
    "ghcr.io/initech/storefront:1.2.0",
    "ghcr.io/initech/mailer:2.1.0",
];

/// The digest the build registry gives `what`.
pub fn digest(what: &str) -> String {
    format!("sha256:{:x}", sha2::Sha256::digest(what.as_bytes()))
}

/// The image `publish` deploys for `image` from `registry`: the build's digest in the tag.
fn cluster_image(registry: &str, image: &str, built: &str) -> String {
    let (repository, version) = image.rsplit_once(':').unwrap();
    let name = repository.rsplit('/').next().unwrap();
    format!(
        "{registry}/apps/{name}:{version}-{}",
        built.replace(':', "-")
    )
}

/// Initech with storefront reading the secret `database-url` in staging and production,
/// committed on main; its images built, its secrets created, the pinned tools served.
pub struct Rehearsal {
    pub repo: Repo,
    /// The repository as GitHub names it.
    github: &'static str,
    scratch: tempfile::TempDir,
    pub standins: Standins,
    pins: Pins,
    /// The deploy workflow as rendered, or as a test changed it.
    workflow: Option<Value>,
}

impl Rehearsal {
    pub fn new() -> Rehearsal {
        let repo = Repo::fixture();
        for env in ["staging", "prod"] {
            repo.edit(
                &format!("environments/{env}/environment.toml"),
                "[services.storefront]\n",
                "[services.storefront]\nsecrets = [\"database-url\"]\n",
            );
        }
        repo.run(&["render"]).success();
        repo.commit_all();
        let rehearsal = Rehearsal::on(repo, GITHUB.0);
        for image in IMAGES {
            rehearsal.standins.build(image, &digest(image));
        }
        for context in [STAGING, PROD] {
            rehearsal
                .standins
                .secret(context, "storefront", "database-url");
        }
        rehearsal
    }

    /// A rehearsal of `repo`, committed on main, which GitHub knows as `github`: the
    /// pinned tools served, nothing built, no secret created.
    pub fn on(repo: Repo, github: &'static str) -> Rehearsal {
        let scratch = common::tempdir();
        let standins = Standins::new(scratch.path());
        let pins = Pins::read(&repo.path("."));
        standins.serve_tools(&pins, false);
        Rehearsal {
            repo,
            github,
            scratch,
            standins,
            pins,
            workflow: None,
        }
    }

    /// A copy of this rehearsal at the same point: its repository, and all that the
    /// stand-ins hold (what was built, deployed, recorded and logged in).
    fn fork(&self) -> Rehearsal {
        let repo = Repo {
            dir: common::tempdir(),
        };
        copy(self.repo.dir.path(), repo.dir.path());
        let scratch = common::tempdir();
        let standins = Standins::new(scratch.path());
        for entry in std::fs::read_dir(&self.standins.state).unwrap() {
            let entry = entry.unwrap();
            // The runner image's links point into this rehearsal's own directories.
            if entry.file_name() != "runner-image" {
                copy(&entry.path(), &standins.state.join(entry.file_name()));
            }
        }
        let pins = Pins::read(&repo.path("."));
        Rehearsal {
            repo,
            github: self.github,
            scratch,
            standins,
            pins,
            workflow: self.workflow.clone(),
        }
    }

    pub fn head(&self) -> String {
        let out = std::process::Command::new("git")
            .args(["rev-parse", "HEAD"])
            .current_dir(self.repo.path("."))
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap().trim().to_owned()
    }

    /// Runs `job` of the main workflow for a push to main from `before`, with the
    /// outputs of the jobs it needs.
    pub fn job(
        &self,
        job: &str,
        before: &str,
        needs: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> JobRun {
        self.job_at(&self.head(), job, before, needs)
    }

    /// [`Rehearsal::job`] for the push that made `sha`, which main may have moved past.
    pub fn job_at(
        &self,
        sha: &str,
        job: &str,
        before: &str,
        needs: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> JobRun {
        let workflow = self
            .workflow
            .clone()
            .unwrap_or_else(|| workflow(&self.repo, "main.yml"));
        let source = self.repo.path(".");
        let runner = Runner {
            source: &source,
            scratch: self.scratch.path(),
            github: Github {
                repository: self.github.to_owned(),
                sha: sha.to_owned(),
                event: "push",
                git_ref: "refs/heads/main",
                workflow: ".github/workflows/main.yml",
                before: before.to_owned(),
            },
            path: self.standins.path(),
            image_env: self.standins.env(&self.pins, &source),
        };
        let run = runner.run(&workflow, job, needs);
        run.assert_masks_hold();
        run
    }

    /// Runs `deploy-ENV` of the main workflow for a push whose base is `base`.
    pub fn deploy(&self, env: &str, base: &str) -> JobRun {
        let needs = BTreeMap::from([(
            "plan".to_owned(),
            BTreeMap::from([
                ("base".to_owned(), base.to_owned()),
                ("deploy".to_owned(), r#"["staging","prod"]"#.to_owned()),
            ]),
        )]);
        self.job(&format!("deploy-{env}"), base, &needs)
    }

    /// `cargo xtask promote staging prod`, committed: returns the commit before it.
    fn promote(&self) -> String {
        let base = self.head();
        self.repo.run(&["promote", "staging", "prod"]).success();
        self.repo
            .git(&["commit", "-q", "-am", "Promote staging to prod"]);
        base
    }

    /// Staging deployed from the first commit, then the promotion to production merged:
    /// the base of that push.
    fn staged_and_promoted(&self) -> String {
        let staging = self.deploy("staging", &self.head());
        assert!(staging.succeeded(), "{}", staging.log);
        self.promote()
    }

    /// Production's storefront gets a variable staging does not have, committed with the
    /// promotion: a must-match difference (its only `env` is storefront's).
    fn diverge_production(&self) {
        self.repo.edit(
            "environments/prod/environment.toml",
            "env = { LOG_LEVEL = \"info\" }",
            "env = { LOG_LEVEL = \"info\", CHECKOUT = \"v2\" }",
        );
        self.repo.run(&["render"]).success();
        self.repo
            .git(&["commit", "-q", "--amend", "-a", "--no-edit"]);
    }

    fn pushes(&self) -> usize {
        self.standins
            .podplane_calls()
            .iter()
            .filter(|call| call[0] == "push")
            .count()
    }
}

pub fn assert_succeeded(run: &JobRun) {
    assert!(run.succeeded(), "failed at {:?}:\n{}", run.failed, run.log);
}

fn assert_failed_at(run: &JobRun, step: &str, says: &str) {
    assert!(
        run.failed.as_deref().is_some_and(|s| s.starts_with(step)),
        "expected a failure at `{step}`, got {:?}:\n{}",
        run.failed,
        run.log
    );
    assert!(run.log.contains(says), "expected `{says}` in:\n{}", run.log);
}

#[test]
fn the_release_reaches_production_by_the_digest_staging_ran() {
    let r = Rehearsal::new();
    let staging = r.deploy("staging", &r.head());
    assert_succeeded(&staging);
    let built = digest(IMAGES[0]);
    let staging_image = cluster_image("registry.staging.initech.test", IMAGES[0], &built);
    assert_eq!(r.standins.running(STAGING)["storefront"], staging_image);

    let base = r.promote();
    let prod = r.deploy("prod", &base);
    assert_succeeded(&prod);
    let prod_image = cluster_image("registry.prod.initech.test", IMAGES[0], &built);
    assert_eq!(
        r.standins.running(PROD),
        BTreeMap::from([
            ("storefront".to_owned(), prod_image),
            (
                "mailer".to_owned(),
                cluster_image("registry.prod.initech.test", IMAGES[2], &digest(IMAGES[2]))
            ),
        ])
    );

    // Each job logged in only through service login, and the issuer lets exactly that
    // job in: its own environment, this workflow, main, a push.
    assert_eq!(r.standins.logins(), [STAGING, PROD]);
    let file: Value = serde_json::from_str(
        &r.repo
            .read("environments/identity/truster_override.tf.json"),
    )
    .unwrap();
    let issuer = truster::server_config(
        truster::truster_config(&file),
        "https://auth.initech.test",
        "eu-west-1",
    );
    for (cluster, env) in [(STAGING, "staging"), (PROD, "prod")] {
        let token = truster::GithubToken {
            repository: GITHUB.0,
            owner_id: GITHUB.1,
            repository_id: GITHUB.2,
            workflow: ".github/workflows/main.yml",
            event: "push",
            git_ref: "refs/heads/main",
            environment: Some(env),
            audience: cluster,
        };
        let (subject, groups) = truster::exchange(&issuer, cluster, &token.claims()).unwrap();
        assert_eq!(subject, format!("trusted:github:{}:{env}", GITHUB.0));
        assert_eq!(groups, ["podplane:editors"]);
    }

    // Every deploy is one Podplane accepts, and binds storefront's secret.
    let deploys: Vec<Vec<String>> = r
        .standins
        .podplane_calls()
        .into_iter()
        .filter(|call| call[0] == "deploy")
        .collect();
    assert_eq!(deploys.len(), 4);
    for words in &deploys {
        assert_eq!(podplane::deploy_violations(words), Vec::<String>::new());
        let secret = words.windows(2).any(|w| w == ["--secret", "database-url"]);
        assert_eq!(
            secret,
            words.contains(&"storefront".to_owned()),
            "{words:?}"
        );
    }

    // What each environment ran is on record, by digest.
    let records: Vec<(Value, Value)> = r
        .standins
        .deployments()
        .into_iter()
        .map(|d| {
            (
                d["environment"].clone(),
                d["payload"]["services"]["storefront"].clone(),
            )
        })
        .collect();
    let storefront = json!({ "version": "1.3.0", "digest": built });
    assert_eq!(
        records,
        [
            (json!("staging"), storefront.clone()),
            (json!("prod"), storefront)
        ]
    );
}

#[test]
fn a_rerun_pushes_nothing_again_and_deploys_the_same_images() {
    let r = Rehearsal::new();
    assert_succeeded(&r.deploy("staging", &r.head()));
    let (pushes, running) = (r.pushes(), r.standins.running(STAGING));
    assert_eq!(pushes, 2);
    let again = r.deploy("staging", &r.head());
    assert_succeeded(&again);
    assert_eq!(r.pushes(), pushes, "a re-run pushed again");
    assert_eq!(r.standins.running(STAGING), running);
    assert!(again.log.contains("is already in the cluster's registry"));
}

#[test]
fn production_refuses_an_image_staging_did_not_run() {
    // The build registry's tag moved after staging ran it.
    let r = Rehearsal::new();
    let base = r.staged_and_promoted();
    r.standins.build(IMAGES[0], &digest("something else"));
    let prod = r.deploy("prod", &base);
    assert_failed_at(&prod, "deploy prod", "the tag was moved");
    assert!(r.standins.running(PROD).is_empty());

    // A version staging never ran.
    let r = Rehearsal::new();
    let staging = r.deploy("staging", &r.head());
    assert_succeeded(&staging);
    let prod = r.deploy("prod", &r.head());
    assert_failed_at(
        &prod,
        "deploy prod",
        "storefront 1.2.0 never ran where it is promoted from",
    );

    // A configuration staging never had.
    let r = Rehearsal::new();
    let base = r.staged_and_promoted();
    r.diverge_production();
    let prod = r.deploy("prod", &base);
    assert_failed_at(
        &prod,
        "only versions staging ran",
        "services.storefront.env.CHECKOUT",
    );

    // Nothing ever ran in staging.
    let r = Rehearsal::new();
    let prod = r.deploy("prod", &r.head());
    assert_failed_at(
        &prod,
        "the digests staging ran",
        "staging has no successful deploy on record",
    );
}

#[test]
fn a_missing_secret_stops_the_deploy_before_anything_changes_and_names_the_command() {
    let r = Rehearsal::new();
    let base = r.staged_and_promoted();
    r.standins.remove_secrets(PROD, "storefront");
    let prod = r.deploy("prod", &base);
    assert_failed_at(
        &prod,
        "deploy prod",
        "podplane secret create --for storefront database-url --stdin --context initech-prod",
    );
    assert!(r.standins.running(PROD).is_empty());
    assert_eq!(r.pushes(), 2, "only staging's images were pushed");
}

#[test]
fn a_refused_login_says_what_to_check() {
    let r = Rehearsal::new();
    std::fs::write(r.standins.state.join("refuse-login"), "").unwrap();
    let staging = r.deploy("staging", &r.head());
    assert_failed_at(
        &staging,
        "log in to initech-staging",
        "github-deploy-staging",
    );
    for says in [
        "[github] in environments/platform.toml",
        "GitHub Environment `staging`",
    ] {
        assert!(staging.log.contains(says), "{}", staging.log);
    }
}

#[test]
fn a_download_that_does_not_match_its_checksum_is_not_installed() {
    let r = Rehearsal::new();
    r.standins.serve_tools(&r.pins, true);
    let staging = r.deploy("staging", &r.head());
    assert_failed_at(&staging, "kubectl", "does not match its published checksum");
}

/// Where the production deploy's promises are tried from: a rehearsal where nothing ran
/// yet, and one where staging deployed and the promotion to production merged (with the
/// base of that push). Each scenario runs on a fork of one of them.
struct Starts {
    fresh: Rehearsal,
    promoted: Rehearsal,
    base: String,
}

impl Starts {
    fn new() -> Starts {
        let promoted = Rehearsal::new();
        let base = promoted.staged_and_promoted();
        Starts {
            fresh: Rehearsal::new(),
            promoted,
            base,
        }
    }
}

/// Whether the production deploy still holds every promise with `workflow` in place of the
/// rendered one: it deploys what staging ran and records it, and refuses a moved tag, a
/// missing secret, an environment with nothing on record and a configuration staging
/// never had.
fn production_holds(workflow: &Value, starts: &Starts) -> Result<(), String> {
    let fork = |start: &Rehearsal| {
        let mut r = start.fork();
        r.workflow = Some(workflow.clone());
        r
    };
    let base = starts.base.as_str();
    let r = fork(&starts.promoted);
    let prod = r.deploy("prod", base);
    if !prod.succeeded() {
        return Err(format!("the release fails at {:?}", prod.failed));
    }
    let built = digest(IMAGES[0]);
    if r.standins.running(PROD).get("storefront")
        != Some(&cluster_image(
            "registry.prod.initech.test",
            IMAGES[0],
            &built,
        ))
    {
        return Err("production does not run what staging ran".to_owned());
    }
    if !r
        .standins
        .deployments()
        .iter()
        .any(|d| d["environment"] == "prod")
    {
        return Err("nothing records what production runs".to_owned());
    }
    let r = fork(&starts.promoted);
    r.standins.build(IMAGES[0], &digest("something else"));
    if r.deploy("prod", base).succeeded() {
        return Err("a moved tag reaches production".to_owned());
    }
    let r = fork(&starts.promoted);
    r.standins.remove_secrets(PROD, "storefront");
    if r.deploy("prod", base).succeeded() || !r.standins.running(PROD).is_empty() {
        return Err("a service deploys without its secret".to_owned());
    }
    let r = fork(&starts.fresh);
    if r.deploy("prod", &r.head()).succeeded() {
        return Err("production deploys what staging never ran".to_owned());
    }
    let r = fork(&starts.promoted);
    r.diverge_production();
    if r.deploy("prod", base).succeeded() {
        return Err("production deploys a configuration staging never had".to_owned());
    }
    Ok(())
}

#[test]
fn every_step_of_the_production_deploy_is_needed_and_in_its_place() {
    let starts = Starts::new();
    let rendered = workflow(&starts.fresh.repo, "main.yml");
    assert_eq!(production_holds(&rendered, &starts), Ok(()));
    let steps = rendered["jobs"]["deploy-prod"]["steps"]
        .as_array()
        .unwrap()
        .clone();
    let with_steps = |steps: Vec<Value>| {
        let mut workflow = rendered.clone();
        workflow["jobs"]["deploy-prod"]["steps"] = Value::Array(steps);
        workflow
    };
    let name = |step: &Value| {
        step["name"]
            .as_str()
            .or_else(|| step["uses"].as_str())
            .unwrap()
            .to_owned()
    };
    // Each step removed.
    let mut broken: Vec<(String, Value)> = steps
        .iter()
        .enumerate()
        .map(|(index, step)| {
            let mut without = steps.clone();
            without.remove(index);
            (format!("without `{}`", name(step)), with_steps(without))
        })
        .collect();
    // Moved: each of these steps later than the one it needs.
    let position = |prefix: &str| {
        steps
            .iter()
            .position(|s| name(s).starts_with(prefix))
            .unwrap_or_else(|| panic!("no step `{prefix}`"))
    };
    for (moved, after) in [
        ("a newer push", "deploy prod"),
        ("kubectl", "log in"),
        ("log in", "deploy prod"),
        ("pull from", "deploy prod"),
        ("the digests staging ran", "deploy prod"),
        ("deploy prod", "record what prod runs"),
    ] {
        let mut reordered = steps.clone();
        let step = reordered.remove(position(moved));
        let to = reordered
            .iter()
            .position(|s| name(s).starts_with(after))
            .unwrap();
        reordered.insert(to + 1, step);
        broken.push((
            format!("with `{moved}` after `{after}`"),
            with_steps(reordered),
        ));
    }
    // On every core: each is a handful of processes at a time.
    let holding: Vec<String> = std::thread::scope(|scope| {
        let tries: Vec<_> = broken
            .iter()
            .map(|(what, workflow)| {
                let starts = &starts;
                scope.spawn(move || {
                    production_holds(workflow, starts)
                        .is_ok()
                        .then(|| what.clone())
                })
            })
            .collect();
        tries
            .into_iter()
            .filter_map(|t| t.join().unwrap())
            .collect()
    });
    assert!(holding.is_empty(), "the deploy still holds {holding:?}");
}
