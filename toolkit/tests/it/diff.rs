//! `cargo xtask diff` and `parity` on copies of the test organisation, and the
//! README's main job on the shipped example.

use crate::common;
use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

const STAGING: &str = "environments/staging/environment.toml";
const PROD: &str = "environments/prod/environment.toml";

fn difference<'v>(report: &'v Value, path: &str) -> &'v Value {
    report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["path"] == path)
        .unwrap_or_else(|| panic!("no difference at {path}: {report:#}"))
}

#[test]
fn the_readmes_main_job_runs_on_the_shipped_example() {
    let out = Repo::example()
        .run(&["diff", "staging", "prod"])
        .success()
        .stdout();
    crate::common::assert_output(
        "diff/the_readmes_main_job_runs_on_the_shipped_example",
        &out,
        &[
            "comparing staging (candidate) with prod (reference)",
            "no violation: staging matches prod where it must",
        ],
    );
}

#[test]
fn diff_shows_the_pending_promotion_and_exits_0() {
    let run = Repo::fixture().run(&["diff", "staging", "prod"]).success();
    let out = run.stdout();
    crate::common::assert_output(
        "diff/diff_shows_the_pending_promotion_and_exits_0",
        &out,
        &[
            "comparing staging (candidate) with prod (reference)",
            "pending promotion\n  ↑ services.storefront.version  staging \"1.3.0\", prod \"1.2.0\"",
            "allowed by `cluster.acme.server`",
            "pools.workers.size  staging 2, prod 3",
            "services.mailer.replicas  staging 2, prod 4",
            "follow the naming convention: stage, account, cluster.id",
            "no violation: staging matches prod where it must; 1 change pending promotion",
        ],
    );
    assert!(
        !out.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
}

#[test]
fn each_difference_gets_its_class() {
    let repo = Repo::fixture();
    repo.put_workers_on_amd64(STAGING);
    repo.edit(
        STAGING,
        "[pools.ingress]\narch = \"arm64\"\ninstance_type = \"m7g.medium\"\nsize = 2",
        "[pools.ingress]\narch = \"arm64\"\ninstance_type = \"m7g.medium\"\nsize = 5",
    );
    repo.edit(
        STAGING,
        "zones = 3",
        "zones = 3\n\n[names]\nzone = \"stage.initech.test\"",
    );
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 1);
    let class = |path: &str| {
        let d = difference(&report, path);
        (
            d["class"].as_str().unwrap().to_owned(),
            d["verdict"].as_str().unwrap().to_owned(),
        )
    };
    assert_eq!(
        class("pools.workers.arch"),
        ("must-match".into(), "violation".into())
    );
    assert_eq!(
        class("pools.ingress.size"),
        ("scale".into(), "scaled".into())
    );
    assert_eq!(
        class("cluster.id"),
        ("convention".into(), "follows-convention".into())
    );
    assert_eq!(
        class("cluster.zone"),
        ("must-match".into(), "violation".into()),
        "a hand-written zone breaks the convention"
    );
    assert_eq!(class("description"), ("free".into(), "free".into()));
    assert_eq!(
        class("services.storefront.version"),
        ("must-match".into(), "pending-promotion".into())
    );
    // The names made from the zone follow their own conventions: the zone is the one
    // difference, reported once.
    assert_eq!(
        class("cluster.api_host"),
        ("convention".into(), "follows-convention".into())
    );
    assert_eq!(
        class("services.storefront.host"),
        ("convention".into(), "follows-convention".into())
    );
    assert_eq!(report["violations"], 2);

    let workers = difference(&report, "pools.workers.arch");
    assert_eq!(workers["candidate"]["value"], "amd64");
    assert_eq!(workers["reference"]["value"], "arm64");
    assert_eq!(workers["candidate"]["file"], STAGING);
    let line = repo
        .read(STAGING)
        .lines()
        .position(|l| l == "arch = \"amd64\"")
        .unwrap()
        + 1;
    assert_eq!(workers["candidate"]["line"], line);

    let human = repo.run(&["diff", "staging", "prod"]);
    assert_eq!(human.code(), 1);
    let out = human.stdout();
    assert!(
        out.find("must match").unwrap() < out.find("scale").unwrap(),
        "must-match first"
    );
    crate::common::assert_output(
        "diff/each_difference_gets_its_class",
        &out,
        &[
            "✗ pools.workers.arch  staging \"amd64\", prod \"arm64\"",
            "pools.ingress.size  staging 5, prod 2  (staging larger than prod)",
            "2 violations",
        ],
    );
}

#[test]
fn names_are_compared_by_their_conventions_not_by_their_text() {
    // The environments' names occur inside the domain and the org: replacing text would
    // turn `staging.test` into `{env}.test` on one side only.
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "org = \"initech\"\nname = \"Initech\"\ndomain = \"initech.test\"",
        "org = \"prod\"\nname = \"Initech\"\ndomain = \"staging.prod.test\"",
    );
    repo.run(&["render"]).success();
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    for path in [
        "cluster.id",
        "cluster.zone",
        "cluster.api_host",
        "cluster.registry_host",
        "services.storefront.host",
    ] {
        assert_eq!(
            difference(&report, path)["verdict"],
            "follows-convention",
            "{path}"
        );
    }
    repo.run(&["promote", "staging", "prod", "--dry-run"])
        .success();
}

#[test]
fn the_reference_running_a_version_the_candidate_lacks_is_a_violation() {
    let repo = Repo::fixture();
    repo.edit(PROD, "version = \"1.2.0\"", "version = \"1.5.0\"");
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 1);
    assert_eq!(
        difference(&report, "services.storefront.version")["verdict"],
        "violation"
    );
}

#[test]
fn the_set_of_services_has_a_direction_too() {
    let repo = Repo::fixture();
    repo.add_reports_crate();
    repo.write(
        STAGING,
        &format!(
            "{}\n[services.reports]\nversion = \"1.0.0\"\n",
            repo.read(STAGING)
        ),
    );
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(
        code, 0,
        "a service staged but not yet in production is pending promotion"
    );
    assert_eq!(
        difference(&report, "services.reports")["verdict"],
        "pending-promotion"
    );
    assert_eq!(
        difference(&report, "services.reports")["reference"],
        Value::Null
    );

    let (code, report) = repo.json(&["diff", "prod", "staging", "--format", "json"]);
    assert_eq!(
        code, 1,
        "production running a service staging lacks is a violation"
    );
    assert_eq!(
        difference(&report, "services.reports")["verdict"],
        "violation"
    );
}

#[test]
fn a_secret_production_needs_and_staging_lacks_is_a_parity_finding() {
    let repo = Repo::fixture();
    let bind = |file: &str, keys: &str| {
        repo.edit(
            file,
            "[services.storefront]\n",
            &format!("[services.storefront]\nsecrets = [{keys}]\n"),
        );
    };
    // Staging binds a secret production does not yet: pending promotion, like a version.
    bind(STAGING, "\"database-url\", \"payments-key\"");
    bind(PROD, "\"database-url\"");
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    let staged = difference(&report, "services.storefront.secrets.payments-key");
    assert_eq!(staged["verdict"], "pending-promotion");
    assert_eq!(staged["class"], "must-match");

    // Production needs one that staging never bound: a violation, which check reports.
    repo.edit(
        PROD,
        "secrets = [\"database-url\"]",
        "secrets = [\"database-url\", \"legacy-token\"]",
    );
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 1, "{report:#}");
    let lacking = difference(&report, "services.storefront.secrets.legacy-token");
    assert_eq!(lacking["verdict"], "violation");
    assert_eq!(lacking["candidate"], Value::Null);
    let check = repo.run(&["check"]);
    assert_eq!(check.code(), 1);
    crate::common::assert_output(
        "diff/a_secret_production_needs_and_staging_lacks_is_a_parity_finding",
        &check.stderr(),
        &["services.storefront.secrets.legacy-token"],
    );
    // Its deploy line binds it, and its cluster has the provider that keeps it.
    repo.run(&["render"]).success();
    crate::common::assert_output(
        "diff/a_secret_production_needs_and_staging_lacks_is_a_parity_finding",
        &repo.read("environments/prod/deploy.sh"),
        &["--secret database-url \\\n  --secret legacy-token \\\n  --context initech-prod"],
    );
}

#[test]
fn secrets_are_said_to_change_never_shown() {
    let repo = Repo::fixture();
    repo.edit(STAGING, "env = { LOG_LEVEL = \"info\" }", "env = { LOG_LEVEL = \"info\", API_TOKEN = \"staging-t0ken-value\", SESSION = \"Zq8r2LmX9vT4kP7wN3sB6yH1\" }");
    repo.edit(PROD, "env = { LOG_LEVEL = \"info\" }", "env = { LOG_LEVEL = \"info\", API_TOKEN = \"prod-t0ken-value\", SESSION = \"Aq8r2LmX9vT4kP7wN3sB6yH1\" }");
    for format in ["human", "json", "markdown"] {
        let run = repo.run(&["diff", "staging", "prod", "--format", format]);
        for secret in [
            "staging-t0ken-value",
            "prod-t0ken-value",
            "Zq8r2LmX9vT4kP7wN3sB6yH1",
            "Aq8r2LmX9vT4kP7wN3sB6yH1",
        ] {
            assert!(!run.stdout().contains(secret), "{format} shows {secret}");
        }
    }
    let human = repo.run(&["diff", "staging", "prod"]).stdout();
    crate::common::assert_output(
        "diff/secrets_are_said_to_change_never_shown",
        &human,
        &[
            "services.storefront.env.API_TOKEN  differs (value hidden)",
            "services.storefront.env.SESSION  differs (value hidden)",
        ],
    );
    let (_, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    let token = difference(&report, "services.storefront.env.API_TOKEN");
    assert_eq!(token["masked"], true);
    assert_eq!(token["candidate"]["value"], Value::Null);
}

#[test]
fn markdown_is_a_table_for_a_pull_request() {
    let out = Repo::fixture()
        .run(&["diff", "staging", "prod", "--format", "markdown"])
        .success()
        .stdout();
    crate::common::assert_output(
        "diff/markdown_is_a_table_for_a_pull_request",
        &out,
        &[
            "### `staging` (candidate) compared with `prod` (reference)",
            "No violation",
            "| | path | staging | prod | note |\n|---|---|---|---|---|\n",
            "| ⬆️ must-match | `services.storefront.version` | `\"1.3.0\"` | `\"1.2.0\"` | pending promotion |",
            "13 values differ only by the environments' names",
        ],
    );
}

#[test]
fn unknown_environments_and_revisions_are_refused() {
    let repo = Repo::fixture();
    let err = repo.refuses(&["diff", "stagin", "prod"]);
    crate::common::assert_output(
        "diff/unknown_environments_and_revisions_are_refused",
        &err,
        &["unknown environment `stagin`", "did you mean `staging`?"],
    );
    repo.commit_all();
    let err = repo.refuses(&["diff", "prod@no-such-branch", "prod"]);
    crate::common::assert_output(
        "diff/unknown_environments_and_revisions_are_refused-2",
        &err,
        &["unknown revision `no-such-branch`"],
    );
    let err = repo.refuses(&["diff", "prd@HEAD", "prod"]);
    crate::common::assert_output(
        "diff/unknown_environments_and_revisions_are_refused-3",
        &err,
        &[
            "unknown environment `prd` at `HEAD`",
            "did you mean `prod`?",
        ],
    );
}

#[test]
fn a_revision_a_shallow_clone_lacks_gets_a_hint_to_fetch_it() {
    let origin = Repo::fixture();
    origin.commit_all();
    origin.edit(PROD, "version = \"1.2.0\"", "version = \"1.3.0\"");
    origin.git(&["commit", "-q", "-am", "release"]);
    let clone = Repo {
        dir: common::tempdir(),
    };
    let url = format!("file://{}", origin.dir.path().display());
    clone.git(&[
        "clone",
        "-q",
        "--depth",
        "1",
        "--no-single-branch",
        &url,
        ".",
    ]);
    clone.git(&["checkout", "-q", "-b", "topic"]);
    let err = clone.refuses(&["diff", "prod@HEAD~1", "prod"]);
    crate::common::assert_output(
        "diff/a_revision_a_shallow_clone_lacks_gets_a_hint_to_fetch_it",
        &err,
        &[
            "unknown revision `HEAD~1`",
            "this clone is shallow",
            "`git fetch --unshallow`",
        ],
    );
    // A branch of the remote, asked for by its name, is found under `origin/`.
    clone.git(&["branch", "-q", "-D", "main"]);
    let err = clone.refuses(&["diff", "prod@main", "prod"]);
    crate::common::assert_output(
        "diff/a_revision_a_shallow_clone_lacks_gets_a_hint_to_fetch_it-2",
        &err,
        &["the remote's branch is here as `origin/main`"],
    );
    clone.git(&["fetch", "-q", "--unshallow"]);
    clone.run(&["diff", "prod@HEAD~1", "prod"]).success();
}

#[test]
fn a_side_may_be_the_environment_at_a_git_revision() {
    let repo = Repo::fixture();
    repo.commit_all();
    repo.put_workers_on_amd64(STAGING);
    let (code, report) = repo.json(&["diff", "staging@main", "prod", "--format", "json"]);
    assert_eq!(code, 0, "as committed, staging matched prod");
    assert_eq!(report["mode"], "parity");
    assert_eq!(report["candidate"], "staging@main");
    assert!(
        difference(&report, "services.storefront.version")["candidate"]["file"]
            .as_str()
            .unwrap()
            .starts_with("main:environments/staging/"),
        "{report:#}"
    );
    repo.run(&["diff", "prod@HEAD", "prod@main"]).success();
}

#[test]
fn an_environment_against_its_own_past_is_a_report_of_changes() {
    let repo = Repo::fixture();
    repo.commit_all();
    repo.put_workers_on_amd64(PROD);
    repo.edit(PROD, "version = \"1.2.0\"", "version = \"1.3.0\"");
    repo.edit(PROD, "version = \"2.1.0\"", "version = \"2.0.9\"");
    // A release is not a violation: the report exits 0, its sides are before and after.
    let (code, report) = repo.json(&["diff", "prod@main", "prod", "--format", "json"]);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["mode"], "history");
    assert_eq!(report["before"], "prod@main");
    assert_eq!(report["after"], "prod");
    assert_eq!(report["violations"], 0);
    let arch = difference(&report, "pools.workers.arch");
    assert_eq!(arch["verdict"], "changed");
    assert_eq!(arch["before"]["value"], "arm64");
    assert_eq!(
        arch["before"]["file"],
        "main:environments/prod/environment.toml"
    );
    assert_eq!(arch["after"]["value"], "amd64");
    assert_eq!(
        difference(&report, "services.storefront.version")["verdict"],
        "upgrade"
    );
    assert_eq!(
        difference(&report, "services.mailer.version")["verdict"],
        "downgrade"
    );
    assert_eq!(
        difference(&report, "pools.workers.instance_type")["verdict"],
        "scaled"
    );
    assert_eq!(report["differences"].as_array().unwrap().len(), 4);
    // For people, old to new with the direction named.
    let out = repo.run(&["diff", "prod@main", "prod"]).success().stdout();
    crate::common::assert_output(
        "diff/an_environment_against_its_own_past_is_a_report_of_changes",
        &out,
        &[
            "changes from prod@main to prod (old → new)",
            "↑ services.storefront.version  \"1.2.0\" → \"1.3.0\"",
            "↓ services.mailer.version  \"2.1.0\" → \"2.0.9\"  (downgrade)",
            "behaviour\n  pools.workers.arch  \"arm64\" → \"amd64\"",
            "scale\n  pools.workers.instance_type  \"m7g.xlarge\" → \"m7i.xlarge\"",
            "4 changes from prod@main to prod",
        ],
    );
}

#[test]
fn colour_only_where_a_terminal_would_show_it() {
    let repo = Repo::fixture();
    let diff = |env: &[(&str, &str)]| {
        let out = repo
            .command(repo.dir.path(), &["diff", "staging", "prod"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(out.stdout).unwrap()
    };
    assert!(!diff(&[]).contains('\u{1b}'), "a pipe gets no colour");
    // CLICOLOR_FORCE stands in for a terminal.
    assert!(diff(&[("CLICOLOR_FORCE", "1")]).contains("\u{1b}[1mmust match"));
}
