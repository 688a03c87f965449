//! `cargo xtask check` and `explain`: every rule trips on a broken copy of the test
//! organisation and stays quiet on it, and on the shipped example; levels and formats.

use crate::common;
mod releases;

use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

pub const PLATFORM: &str = "environments/platform.toml";
pub const STAGING: &str = "environments/staging/environment.toml";
pub const PROD: &str = "environments/prod/environment.toml";
pub const DEV: &str = "environments/dev/environment.toml";
const OBSERVABILITY: &str = "environments/observability/environment.toml";

/// The findings of `check --format json`, and the exit code.
pub fn findings(repo: &Repo) -> (i32, Vec<Value>) {
    let run = repo.run(&["check", "--format", "json"]);
    let findings = run
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
        .collect();
    (run.code(), findings)
}

/// The rules that found something.
pub fn rules(findings: &[Value]) -> Vec<&str> {
    let mut rules: Vec<&str> = findings
        .iter()
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    rules.dedup();
    rules
}

/// Breaks a copy of the example with `edit`, and checks that `rule` (and only it, with
/// `generated-fresh` where the edit changes generated files) finds it at deny level,
/// with `message` in what it says.
pub fn trips(rule: &str, message: &str, edit: impl FnOnce(&Repo)) -> Vec<Value> {
    let repo = Repo::fixture();
    edit(&repo);
    repo.run(&["render"]);
    let (code, found) = findings(&repo);
    let mine: Vec<Value> = found
        .iter()
        .filter(|f| f["rule"] == rule)
        .cloned()
        .collect();
    assert!(!mine.is_empty(), "{rule} found nothing: {found:#?}");
    let others: Vec<&str> = rules(&found)
        .into_iter()
        .filter(|r| *r != rule && *r != "generated-fresh")
        .collect();
    assert!(others.is_empty(), "only {rule} trips: {found:#?}");
    assert_eq!(code, 1, "{rule} denies");
    assert!(
        mine.iter()
            .any(|f| f["message"].as_str().unwrap().contains(message)),
        "{rule}: no `{message}` in {mine:#?}"
    );
    mine
}

/// Changes a copy of the example with `edit`, and checks that `rule` alone finds it, at
/// warn level, so that the check still passes; the findings, for more assertions.
fn warns(rule: &str, edit: impl FnOnce(&Repo)) -> Vec<Value> {
    let repo = Repo::fixture();
    edit(&repo);
    repo.run(&["render"]).success();
    let (code, found) = findings(&repo);
    assert_eq!(rules(&found), [rule], "{found:#?}");
    assert!(found.iter().all(|f| f["level"] == "warn"), "{found:#?}");
    assert_eq!(code, 0, "a warning does not fail the check");
    found
}

/// What holds for any organisation's repository, this one or one `new-repo` made: no rule
/// fails, and the only warnings are placeholders still to be filled in.
#[test]
fn the_test_organisation_passes_every_rule() {
    let repo = Repo::fixture();
    let (code, found) = findings(&repo);
    assert_eq!(found, Vec::<Value>::new());
    assert_eq!(code, 0);
    let human = repo.run(&["check"]).success();
    crate::common::assert_output(
        "check-mod/the_test_organisation_passes_every_rule",
        &human.stderr(),
        &["check: 0 errors, 0 warnings; the repository is sound"],
    );
}

#[test]
fn prod_separate_account() {
    let found = trips(
        "prod-separate-account",
        "`staging` shares production's account 444455556666",
        |repo| {
            repo.edit(
                STAGING,
                "account = \"111122223333\"",
                "account = \"444455556666\"",
            );
        },
    );
    assert_eq!(found[0]["file"], STAGING);
    assert_eq!(found[0]["line"], 6);
    assert_eq!(found[0]["column"], 11);
}

#[test]
fn prod_access_narrower() {
    trips(
        "prod-access-narrower",
        "team `developers` is `admins` in `prod` but has `editors` in `staging`",
        |repo| {
            repo.edit(PROD, "developers = \"viewers\"", "developers = \"admins\"");
        },
    );
}

#[test]
fn telemetry_to_observability() {
    trips(
        "telemetry-to-observability",
        "into the production cluster `prod`",
        |repo| {
            repo.edit(
                PLATFORM,
                "[naming]\n",
                "[naming]\notlp_endpoint = \"https://otlp.prod.{{domain}}\"\n",
            );
        },
    );
}

#[test]
fn observability_monitored() {
    trips(
        "observability-monitored",
        "no hosted monitor watches `observability`",
        |repo| {
            repo.edit(OBSERVABILITY, "monitor = \"uptime-robot\"", "");
        },
    );
}

#[test]
fn observability_access_separate_warns() {
    warns("observability-access-separate", |repo| {
        repo.edit(
            OBSERVABILITY,
            "sre = \"admins\"\nplatform = \"operators\"",
            "sre = \"operators\"\nplatform = \"admins\"",
        );
    });
}

#[test]
fn ci_outside_prod() {
    trips(
        "ci-outside-prod",
        "CI environment `ci` runs in production's account",
        |repo| {
            repo.edit(
                "environments/ci/environment.toml",
                "account = \"111122223333\"",
                "account = \"444455556666\"",
            );
            // CI is also a non-production environment in production's account; this test is
            // about the CI rule.
            repo.edit(
                PLATFORM,
                "[checks]",
                "[checks]\nprod-separate-account = \"allow\"",
            );
        },
    );
}

#[test]
fn single_issuer() {
    trips(
        "single-issuer",
        "the issuer's account 999988887777 is also `dev`'s",
        |repo| {
            repo.edit(
                "environments/dev/environment.toml",
                "account = \"111122223333\"",
                "account = \"999988887777\"",
            );
        },
    );
    trips(
        "single-issuer",
        "no identity environment serves the OIDC issuer",
        |repo| {
            std::fs::remove_dir_all(repo.path("environments/identity")).unwrap();
        },
    );
}

#[test]
fn vpc_no_overlap_is_found_while_loading() {
    let repo = Repo::fixture();
    repo.edit(PROD, "10.30.0.0/16", "10.20.0.0/16");
    let (code, found) = findings(&repo);
    assert_eq!(code, 2, "input no command accepts, as for every command");
    assert_eq!(rules(&found), ["vpc-no-overlap"]);
    assert_eq!(found[0]["file"], STAGING);
}

#[test]
fn no_secret_values() {
    let found = trips(
        "no-secret-values",
        "`services.storefront.env.DB_PASSWORD` holds a secret: a value under a key named like a secret",
        |repo| {
            repo.edit(
                PROD,
                "env = { LOG_LEVEL = \"info\" }",
                "env = { LOG_LEVEL = \"info\", DB_PASSWORD = \"hunter2\" }",
            );
            repo.edit(
                STAGING,
                "env = { LOG_LEVEL = \"info\" }",
                "env = { LOG_LEVEL = \"info\", DB_PASSWORD = \"hunter2\" }",
            );
        },
    );
    assert_eq!(found.len(), 2);
    // A reference to a secret kept elsewhere is fine.
    let repo = Repo::fixture();
    for file in [PROD, STAGING] {
        repo.edit(file, "env = { LOG_LEVEL = \"info\" }", "env = { LOG_LEVEL = \"info\", DB_PASSWORD = \"arn:aws:secretsmanager:eu-west-1:1:secret:db\" }");
    }
    repo.run(&["render"]).success();
    assert_eq!(findings(&repo), (0, Vec::new()));
}

#[test]
fn host_in_zone() {
    let outside = |repo: &Repo| {
        repo.edit(
            PROD,
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"www.initech.com\"\n",
        );
        // A hand-written host also breaks the convention and parity; this test is about
        // the zone.
        repo.edit(
            PLATFORM,
            "[checks]",
            "[checks]\nnaming-convention = \"allow\"\nparity = \"allow\"",
        );
    };
    let found = trips(
        "host-in-zone",
        "`www.initech.com` is the host of service `storefront` in `prod`, outside its zone `prod.initech.test`",
        outside,
    );
    assert_eq!(
        (found[0]["file"].as_str(), found[0]["line"].as_u64()),
        (Some(PROD), Some(32))
    );
    crate::common::assert_output(
        "check/host_in_zone",
        found[0]["help"].as_str().unwrap(),
        &["[[hosts.allow]]", "host = \"www.initech.com\""],
    );

    // A host outside its zone on purpose is allowed by name or glob, with a reason.
    let repo = Repo::fixture();
    outside(&repo);
    repo.edit(
        PLATFORM,
        "[checks]",
        "[[hosts.allow]]\nhost = \"*.initech.com\"\nreason = \"the shop's public name\"\n\n[checks]",
    );
    repo.run(&["render"]).success();
    assert_eq!(findings(&repo), (0, Vec::new()));

    repo.edit(
        PLATFORM,
        "reason = \"the shop's public name\"",
        "reason = \" \"",
    );
    crate::common::assert_output(
        "check-mod/host_in_zone",
        &repo.refuses(&["check"]),
        &["an exception needs a reason: say why the host lies outside its environment's zone"],
    );
}

#[test]
fn instance_arch_unchecked_warns_about_types_the_tool_cannot_read() {
    let found = warns("instance-arch-unchecked", |repo| {
        repo.edit(
            DEV,
            "[pools.workers]\narch = \"arm64\"\ninstance_type = \"t4g.large\"",
            "[pools.workers]\narch = \"arm64\"\ninstance_type = \"mac2-m2.metal\"",
        );
    });
    assert_eq!(found[0]["file"], DEV);
    crate::common::assert_output(
        "check/instance_arch_unchecked_warns_about_types_the_tool_cannot_read",
        found[0]["message"].as_str().unwrap(),
        &[
            "pool `workers` of `dev`: `mac2-m2.metal` is not a type whose architecture the tool can tell",
        ],
    );
}

#[test]
fn staged_before_prod() {
    trips(
        "staged-before-prod",
        "service `storefront` runs in `prod` but in no staging environment",
        |repo| {
            repo.edit(
                STAGING,
                "[services.storefront]\nversion = \"1.3.0\"\nenv = { LOG_LEVEL = \"info\" }\n",
                "",
            );
            // Parity would also see the missing service; this test is about the rule.
            repo.edit(PLATFORM, "[checks]", "[checks]\nparity = \"allow\"");
        },
    );
}

#[test]
fn naming_convention_warns_about_names_written_by_hand() {
    let found = warns("naming-convention", |repo| {
        repo.edit(
            DEV,
            "zones = 2",
            "zones = 2\n\n[names]\ncluster_name = \"Initech Sandbox\"",
        );
    });
    crate::common::assert_output(
        "check/naming_convention_warns_about_names_written_by_hand",
        found[0]["message"].as_str().unwrap(),
        &[
            "`cluster_name` is written by hand as `Initech Sandbox`; the convention makes `Initech Development`",
        ],
    );
}

#[test]
fn parity() {
    trips(
        "parity",
        "`staging` does not match `prod`: pools.workers.arch  staging \"amd64\", prod \"arm64\"",
        |repo| {
            repo.put_workers_on_amd64(STAGING);
        },
    );
}

#[test]
fn generated_fresh() {
    let repo = Repo::fixture();
    std::fs::remove_file(repo.path("environments/prod/deploy.sh")).unwrap();
    let (code, found) = findings(&repo);
    assert_eq!(code, 1);
    assert_eq!(rules(&found), ["generated-fresh"]);
    assert_eq!(
        found[0]["message"],
        "generated file environments/prod/deploy.sh is missing"
    );
}

#[test]
fn schema_errors_are_findings_too() {
    let repo = Repo::fixture();
    repo.edit(PROD, "zones = 3", "zoens = 3");
    let (code, found) = findings(&repo);
    assert_eq!(code, 2, "bad input, as for every command");
    assert_eq!(rules(&found), ["schema"]);
    assert_eq!(found[0]["message"], "unknown key `zoens`");
    assert_eq!(
        (found[0]["line"].as_u64(), found[0]["column"].as_u64()),
        (Some(8), Some(1))
    );
}

#[test]
fn levels_can_be_changed_like_clippy_lints() {
    let repo = Repo::fixture();
    repo.edit(
        STAGING,
        "account = \"111122223333\"",
        "account = \"444455556666\"",
    );
    repo.run(&["render"]).success();
    repo.edit(
        PLATFORM,
        "[checks]",
        "[checks]\nprod-separate-account = \"warn\"",
    );
    let (code, found) = findings(&repo);
    assert_eq!(code, 0);
    assert_eq!(found[0]["level"], "warn");
    repo.edit(
        PLATFORM,
        "prod-separate-account = \"warn\"",
        "prod-separate-account = \"allow\"",
    );
    assert_eq!(findings(&repo), (0, Vec::new()));

    repo.edit(
        PLATFORM,
        "prod-separate-account = \"allow\"",
        "prod-separate-acount = \"allow\"",
    );
    let err = repo.refuses(&["list"]);
    crate::common::assert_output(
        "check-mod/levels_can_be_changed_like_clippy_lints",
        &err,
        &[
            "unknown rule `prod-separate-acount`",
            "did you mean `prod-separate-account`?",
        ],
    );
    repo.edit(
        PLATFORM,
        "prod-separate-acount = \"allow\"",
        "vpc-no-overlap = \"allow\"",
    );
    let err = repo.refuses(&["list"]);
    crate::common::assert_output(
        "check-mod/levels_can_be_changed_like_clippy_lints-2",
        &err,
        &["rule `vpc-no-overlap` is always deny"],
    );
}

#[test]
fn human_output_is_rustc_like() {
    let repo = Repo::fixture();
    repo.edit(
        STAGING,
        "account = \"111122223333\"",
        "account = \"444455556666\"",
    );
    repo.run(&["render"]).success();
    let run = repo.run(&["check"]);
    assert_eq!(run.code(), 1);
    crate::common::assert_output(
        "check-mod/human_output_is_rustc_like",
        &run.stderr(),
        &[
            "error[prod-separate-account]: `staging` shares production's account 444455556666 with `prod`",
            " --> environments/staging/environment.toml:6:11",
            "6 | account = \"444455556666\"",
            "  |           ^^^^^^^^^^^^^^ production's account",
            "= help: move `staging` to an account of its own",
            "check: 1 error, 0 warnings",
        ],
    );
}

#[test]
fn github_output_is_workflow_annotations() {
    let repo = Repo::fixture();
    repo.edit(
        STAGING,
        "account = \"111122223333\"",
        "account = \"444455556666\"",
    );
    repo.edit(
        DEV,
        "zones = 2",
        "zones = 2\n\n[names]\ncluster_name = \"Initech Sandbox\"",
    );
    repo.run(&["render"]).success();
    let run = repo.run(&["check", "--format", "github"]);
    assert_eq!(run.code(), 1);
    let lines: Vec<String> = run.stdout().lines().map(str::to_owned).collect();
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(lines[0].starts_with(
        "::error file=environments/staging/environment.toml,line=6,col=11,title=prod-separate-account::`staging` shares production's account"
    ));
    assert!(
        lines[0].contains("%0Ahelp: move `staging`"),
        "newlines are escaped: {}",
        lines[0]
    );
    assert!(lines[1].starts_with("::warning file=environments/dev/environment.toml,line="));
    assert!(lines[1].contains("title=naming-convention::"));
}

#[test]
fn explain_says_what_a_rule_is_for() {
    let repo = Repo::fixture();
    let out = repo
        .run(&["explain", "prod-separate-account"])
        .success()
        .stdout();
    crate::common::assert_output(
        "check-mod/explain_says_what_a_rule_is_for",
        &out,
        &[
            "prod-separate-account: no other environment shares production's cloud account",
            "default level: deny",
            "separate cloud accounts",
            "[checks]\nprod-separate-account = \"warn\"",
        ],
    );
    let err = repo.refuses(&["explain", "single-isuer"]);
    crate::common::assert_output(
        "check-mod/explain_says_what_a_rule_is_for-2",
        &err,
        &[
            "unknown rule `single-isuer`",
            "did you mean `single-issuer`?",
        ],
    );
}

#[test]
fn a_placeholder_is_found_however_it_is_written() {
    let repo = Repo::fixture();
    repo.edit(
        STAGING,
        "description = \"Release validation\"",
        "description = \"\\u003cstaging-purpose>\"",
    );
    repo.edit(
        PROD,
        "account = \"444455556666\"",
        "account = '<prod-account>'",
    );
    let (_, found) = findings(&repo);
    let messages: Vec<&str> = found
        .iter()
        .filter(|f| f["rule"] == "placeholder")
        .map(|f| f["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        messages,
        [
            "`account` is still the placeholder `<prod-account>`",
            "`description` is still the placeholder `<staging-purpose>`",
        ]
    );
}
