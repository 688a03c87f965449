//! `cargo xtask parity` and the allowances of `[parity]`: which candidates are checked,
//! that an allowance needs a reason and a path, and that it expires on the day commands
//! run as.

use crate::common::Repo;
use pretty_assertions::assert_eq;

const PROD: &str = "environments/prod/environment.toml";

#[test]
fn allowances_match_globs_need_reasons_and_expire() {
    let repo = Repo::fixture();
    repo.edit(PROD, "version = \"1.2.0\"", "version = \"1.5.0\"");
    let platform = "environments/platform.toml";
    repo.edit(
        platform,
        "[[parity.allow]]\npath = \"access.*.role\"",
        "[[parity.allow]]\npath = \"services.*.version\"\nreason = \"hotfix 1.5.0 went straight to production\"\n\n[[parity.allow]]\npath = \"access.*.role\"",
    );
    let run = repo.run(&["diff", "staging", "prod"]);
    assert_eq!(run.code(), 0, "{}", run.stdout());
    crate::common::assert_output(
        "parity/allowances_match_globs_need_reasons_and_expire",
        &run.stdout(),
        &["allowed by `services.*.version`: hotfix 1.5.0 went straight to production"],
    );

    repo.edit(
        platform,
        "hotfix 1.5.0 went straight to production\"",
        "hotfix 1.5.0 went straight to production\"\nuntil = 2000-01-01",
    );
    let run = repo.run(&["parity"]);
    assert_eq!(run.code(), 1);
    crate::common::assert_output(
        "parity/allowances_match_globs_need_reasons_and_expire-2",
        &run.stdout(),
        &[
            "allowance `services.*.version` expired on 2000-01-01",
            "1 violation",
        ],
    );

    repo.edit(
        platform,
        "reason = \"hotfix 1.5.0 went straight to production\"",
        "reason = \"\"",
    );
    let err = repo.refuses(&["parity"]);
    crate::common::assert_output(
        "parity/allowances_match_globs_need_reasons_and_expire-3",
        &err,
        &["an allowance needs a reason", "environments/platform.toml:"],
    );
}

#[test]
fn an_allowance_expires_on_the_day_commands_run_as() {
    let repo = Repo::fixture();
    // The fixture allows staging's ACME server until 2027-06-30.
    let last_day = repo.run_on("2027-06-30", &["diff", "staging", "prod"]);
    assert_eq!(last_day.code(), 0, "{}", last_day.stdout());
    let after = repo.run_on("2027-07-01", &["diff", "staging", "prod"]);
    assert_eq!(after.code(), 1);
    crate::common::assert_output(
        "parity/an_allowance_expires_on_the_day_commands_run_as",
        &after.stdout(),
        &["allowance `cluster.acme.server` expired on 2027-06-30"],
    );
    assert_eq!(repo.run_on("2027-07-01", &["parity"]).code(), 1);
    let check = repo.run_on("2027-07-01", &["check", "--format", "json"]);
    assert_eq!(check.code(), 1);
    crate::common::assert_output(
        "parity/an_allowance_expires_on_the_day_commands_run_as-2",
        &check.stdout(),
        &["\"rule\":\"parity\""],
    );
    assert_eq!(
        repo.run_on("2027-07-01", &["promote", "staging", "prod"])
            .code(),
        2
    );

    let err = repo.refuses_with(&[("XTASK_TODAY", "1 July")], &["diff", "staging", "prod"]);
    crate::common::assert_output(
        "parity/an_allowance_expires_on_the_day_commands_run_as-3",
        &err,
        &["XTASK_TODAY=`1 July` is not a day", "YYYY-MM-DD"],
    );
}

#[test]
fn parity_checks_every_candidate_and_needs_its_table() {
    let repo = Repo::fixture();
    repo.run(&["parity"]).success();
    repo.edit(
        "environments/platform.toml",
        "candidates = [\"staging\"]",
        "candidates = [\"staging\", \"dev\"]",
    );
    let (code, reports) = repo.json(&["parity", "--format", "json"]);
    assert_eq!(code, 1, "dev differs from prod where it must");
    let candidates: Vec<&str> = reports
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["candidate"].as_str().unwrap())
        .collect();
    assert_eq!(candidates, ["staging", "dev"]);
    assert_eq!(reports[0]["violations"], 0);

    repo.edit(
        "environments/platform.toml",
        "reference = \"prod\"",
        "reference = \"prd\"",
    );
    let err = repo.refuses(&["parity"]);
    crate::common::assert_output(
        "parity/parity_checks_every_candidate_and_needs_its_table",
        &err,
        &["unknown environment `prd`", "did you mean `prod`?"],
    );

    let platform = repo.read("environments/platform.toml");
    let start = platform.find("[parity]").unwrap();
    let end = platform.find("[teams]").unwrap();
    repo.write(
        "environments/platform.toml",
        &format!("{}{}", &platform[..start], &platform[end..]),
    );
    let err = repo.refuses(&["parity"]);
    crate::common::assert_output(
        "parity/parity_checks_every_candidate_and_needs_its_table-2",
        &err,
        &["platform.toml has no [parity] table"],
    );
}
