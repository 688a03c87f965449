//! Whole outputs pinned: each case runs one command on the test organisation and compares
//! its exit code, stdout and stderr with `tests/snapshots/<case>.txt`, so a change of
//! layout shows as a diff in review. After a deliberate change, regenerate them with
//!
//! ```text
//! SNAPSHOTS=overwrite cargo test -p platform-toolkit --test it snapshots::
//! ```
//!
//! and read the diff before committing it.

use crate::common;

use common::Repo;

const STAGING: &str = "environments/staging/environment.toml";
const DEV: &str = "environments/dev/environment.toml";
const PROD: &str = "environments/prod/environment.toml";

/// Runs `args` on `repo` and compares the whole outcome with the snapshot `case`.
fn check(case: &str, repo: &Repo, args: &[&str]) {
    let run = repo.run(args);
    let actual = format!(
        "$ cargo xtask {}\n[exit {}]\n--- stdout\n{}--- stderr\n{}",
        args.join(" "),
        run.code(),
        run.stdout(),
        run.stderr()
    );
    common::assert_snapshot(case, &actual);
}

/// The fixture with problems for `check`, `diff` and `parity` to report: staging's
/// workers on another architecture, and a development environment in production's
/// account.
fn with_problems() -> Repo {
    let repo = Repo::fixture();
    repo.put_workers_on_amd64(STAGING);
    let prod_account = repo
        .read(PROD)
        .lines()
        .find(|line| line.starts_with("account = "))
        .expect("prod has an account")
        .to_owned();
    let dev = repo.read(DEV);
    let dev_account = dev
        .lines()
        .find(|line| line.starts_with("account = "))
        .expect("dev has an account")
        .to_owned();
    repo.write(DEV, &dev.replace(&dev_account, &prod_account));
    repo.run(&["render"]).success();
    repo
}

#[test]
fn list() {
    check("list", &Repo::fixture(), &["list"]);
}

#[test]
fn show() {
    check("show", &Repo::fixture(), &["show", "staging"]);
}

#[test]
fn diff() {
    check("diff", &with_problems(), &["diff", "staging", "prod"]);
}

#[test]
fn diff_markdown() {
    check(
        "diff-markdown",
        &with_problems(),
        &["diff", "staging", "prod", "--format", "markdown"],
    );
}

#[test]
fn parity() {
    check("parity", &with_problems(), &["parity"]);
}

#[test]
fn check_findings() {
    check("check", &with_problems(), &["check"]);
}

#[test]
fn check_github() {
    check(
        "check-github",
        &with_problems(),
        &["check", "--format", "github"],
    );
}

#[test]
fn check_sound() {
    check("check-sound", &Repo::fixture(), &["check"]);
}

#[test]
fn explain() {
    check(
        "explain",
        &Repo::fixture(),
        &["explain", "prod-separate-account"],
    );
}

#[test]
fn render_check() {
    let repo = Repo::fixture();
    let tfvars = "environments/staging/platform.auto.tfvars";
    repo.write(
        tfvars,
        &format!("{}telemetry_enabled = false\n", repo.read(tfvars)),
    );
    std::fs::remove_file(repo.path("environments/dev/README.md")).unwrap();
    check("render-check", &repo, &["render", "--check"]);
}

#[test]
fn error_malformed_toml() {
    let repo = Repo::fixture();
    repo.edit(STAGING, "zones = 3", "zones = = 3");
    check("error-malformed-toml", &repo, &["list"]);
}

#[test]
fn error_unknown_key() {
    let repo = Repo::fixture();
    repo.edit(STAGING, "zones = 3", "zone = 3");
    check("error-unknown-key", &repo, &["render"]);
}

#[test]
fn error_unknown_environment() {
    check(
        "error-unknown-environment",
        &Repo::fixture(),
        &["show", "stagign"],
    );
}

#[test]
fn error_unknown_rule() {
    check(
        "error-unknown-rule",
        &Repo::fixture(),
        &["explain", "prod-seperate-account"],
    );
}
