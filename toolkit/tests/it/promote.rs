//! `cargo xtask promote`, end to end: only the versions change, byte for byte, and what
//! was not validated is refused.

use crate::common;
use common::Repo;
use pretty_assertions::assert_eq;

const STAGING: &str = "environments/staging/environment.toml";
const PROD: &str = "environments/prod/environment.toml";

/// A production file written the way people write them: comments everywhere, aligned
/// values, inline and dotted tables, blank lines.
const HAND_WRITTEN_PROD: &str = r#"# Production.   Hands off.
stage   = "production"   # stage
description = "Customer-facing services"
account = "444455556666"
vpc = "10.30.0.0/16"
zones = 3

[pools]
control-plane = { arch = "arm64", instance_type = "m7g.medium", size = 3 }  # small for now
ingress       = { arch = "arm64", instance_type = "m7g.medium", size = 2 }
workers.arch = "arm64"
workers.instance_type = "m7g.large"
workers.size = 2

[access]
platform = "admins"
developers = "editors"
sre = "operators"

[acme]
server = "https://acme-staging-v02.api.letsencrypt.org/directory"

# The shop.
[services.storefront]
version  =  '1.2.0'     # promoted from staging
env = { LOG_LEVEL = "info" }

[services]
mailer = { version = "2.1.0", replicas = 4 }  # sends the receipts
"#;

#[test]
fn promote_changes_only_the_versions_byte_for_byte() {
    let repo = Repo::fixture();
    repo.write(PROD, HAND_WRITTEN_PROD);
    let run = repo.run(&["promote", "staging", "prod"]).success();
    let expected = HAND_WRITTEN_PROD.replace("'1.2.0'", "'1.3.0'");
    assert_eq!(repo.read(PROD), expected);
    crate::common::assert_output(
        "promote/promote_changes_only_the_versions_byte_for_byte",
        &run.stdout(),
        &[
            "-version  =  '1.2.0'     # promoted from staging\n+version  =  '1.3.0'     # promoted from staging",
        ],
    );
    crate::common::assert_output(
        "promote/promote_changes_only_the_versions_byte_for_byte-2",
        &run.stderr(),
        &["promoted storefront in prod from 1.2.0 to 1.3.0, the version staging runs"],
    );
    crate::common::assert_output(
        "promote/promote_changes_only_the_versions_byte_for_byte",
        &repo.read("environments/prod/deploy.sh"),
        &["image[storefront]=\"$(publish storefront 1.3.0 ghcr.io/initech/storefront:1.3.0)\""],
    );
    repo.run(&["render", "--check"]).success();
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0);
    assert!(
        report["differences"]
            .as_array()
            .unwrap()
            .iter()
            .all(|d| d["path"] != "services.storefront.version")
    );
}

#[cfg(unix)]
#[test]
fn promote_keeps_line_endings_byte_order_mark_mode_and_links() {
    use std::os::unix::fs::{PermissionsExt as _, symlink};
    let repo = Repo::fixture();
    // Windows line endings, a byte-order mark, no final newline.
    let crlf = format!(
        "\u{feff}{}",
        HAND_WRITTEN_PROD.trim_end().replace('\n', "\r\n")
    );
    // The file lives elsewhere; the environment holds a link to it.
    let target = repo.path("shared/prod.toml");
    std::fs::create_dir_all(target.parent().unwrap()).unwrap();
    std::fs::write(&target, &crlf).unwrap();
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o600)).unwrap();
    std::fs::remove_file(repo.path(PROD)).unwrap();
    symlink(&target, repo.path(PROD)).unwrap();
    repo.run(&["promote", "staging", "prod"]).success();
    assert!(
        std::fs::symlink_metadata(repo.path(PROD))
            .unwrap()
            .file_type()
            .is_symlink(),
        "the link stays a link"
    );
    assert_eq!(
        std::fs::read_to_string(&target).unwrap(),
        crlf.replace("'1.2.0'", "'1.3.0'")
    );
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn promote_dry_run_writes_nothing() {
    let repo = Repo::fixture();
    let before = repo.snapshot();
    let run = repo
        .run(&["promote", "staging", "prod", "--dry-run"])
        .success();
    assert!(repo.snapshot() == before);
    crate::common::assert_output(
        "promote/promote_dry_run_writes_nothing",
        &run.stdout(),
        &["-version = \"1.2.0\"\n+version = \"1.3.0\""],
    );
    crate::common::assert_output(
        "promote/promote_dry_run_writes_nothing-2",
        &run.stderr(),
        &[
            "would promote storefront in prod from 1.2.0 to 1.3.0",
            "dry run: nothing was written",
        ],
    );
}

#[test]
fn promote_refuses_what_was_not_validated_unless_forced() {
    let repo = Repo::fixture();
    repo.edit(
        STAGING,
        "env = { LOG_LEVEL = \"info\" }",
        "env = { LOG_LEVEL = \"trace\" }",
    );
    let err = repo.refuses(&["promote", "staging", "prod"]);
    crate::common::assert_output(
        "promote/promote_refuses_what_was_not_validated_unless_forced",
        &err,
        &[
            "`staging` differs from `prod` where it must not",
            "services.storefront.env.LOG_LEVEL  staging \"trace\", prod \"info\"",
            "--force",
        ],
    );
    repo.run(&["promote", "staging", "prod", "--force"])
        .success();
    crate::common::assert_output(
        "promote/promote_refuses_what_was_not_validated_unless_forced",
        &repo.read(PROD),
        &["version = \"1.3.0\"", "env = { LOG_LEVEL = \"info\" }"],
    );
}

#[test]
fn promote_never_lowers_a_version_unless_forced() {
    let repo = Repo::fixture();
    repo.edit(PROD, "version = \"1.2.0\"", "version = \"1.5.0\"");
    let err = repo.refuses(&["promote", "staging", "prod"]);
    crate::common::assert_output(
        "promote/promote_never_lowers_a_version_unless_forced",
        &err,
        &["storefront: staging runs 1.3.0, older than 1.5.0 in prod"],
    );
}

#[test]
fn promote_one_service() {
    let repo = Repo::fixture();
    repo.add_reports_crate();
    for (file, version) in [(STAGING, "2.0.0"), (PROD, "1.0.0")] {
        repo.write(
            file,
            &format!(
                "{}\n[services.reports]\nversion = \"{version}\"\n",
                repo.read(file)
            ),
        );
    }
    repo.run(&["render"]).success();
    repo.run(&["promote", "staging", "prod", "--service", "reports"])
        .success();
    let prod = repo.read(PROD);
    crate::common::assert_output(
        "promote/promote_one_service",
        &prod,
        &[
            "version = \"1.2.0\"",
            "[services.reports]\nversion = \"2.0.0\"",
        ],
    );
    let err = repo.refuses(&["promote", "staging", "prod", "--service", "reprots"]);
    crate::common::assert_output(
        "promote/promote_one_service",
        &err,
        &[
            "`staging` deploys no service `reprots`",
            "did you mean `reports`?",
        ],
    );
}

#[test]
fn promote_brings_a_new_service_to_production_whole() {
    let repo = Repo::fixture();
    repo.add_reports_crate();
    repo.write(
        STAGING,
        &format!(
            "{}\n[services.reports]\nversion = \"1.0.0\"\nreplicas = 2\nenv = {{ BATCH = \"50\" }}\nsecrets = [\"database-url\"]\n",
            repo.read(STAGING)
        ),
    );
    repo.run(&["render"]).success();
    let before = repo.read(PROD);
    let run = repo.run(&["promote", "staging", "prod"]).success();
    crate::common::assert_output(
        "promote/promote_brings_a_new_service_to_production_whole",
        &run.stderr(),
        &["added reports to prod at 1.0.0, as staging runs it"],
    );
    // Storefront's version moves, and reports comes whole; nothing else changes.
    let before = before.replace("version = \"1.2.0\"", "version = \"1.3.0\"");
    assert_eq!(
        repo.read(PROD),
        format!(
            "{before}\n[services.reports]\nversion = \"1.0.0\"\nreplicas = 2\nenv = {{ BATCH = \"50\" }}\nsecrets = [\"database-url\"]\n"
        )
    );
    // Production now runs everything staging validated.
    repo.run(&["diff", "staging", "prod"]).success();
    let (code, report) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0);
    let pending: Vec<&serde_json::Value> = report["differences"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["verdict"] == "pending-promotion")
        .collect();
    assert!(pending.is_empty(), "{pending:#?}");
    crate::common::assert_output(
        "promote/promote_brings_a_new_service_to_production_whole",
        &repo.read("environments/prod/deploy.sh"),
        &["--name reports", "--secret database-url"],
    );
    let (_, promoted) = repo.json(&["promote", "staging", "prod", "--format", "json"]);
    assert_eq!(promoted["services"], serde_json::json!([]));
}

#[test]
fn bump_moves_the_crate_the_lock_and_the_environments_that_track_it() {
    let repo = Repo::fixture();
    repo.commit_with_history();
    let out = repo.run(&["bump", "storefront", "--minor"]).success();
    crate::common::assert_output(
        "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it",
        &out.stderr(),
        &[
            "bumped storefront 1.3.0 -> 1.4.0 in crates/storefront/Cargo.toml and Cargo.lock; dev, staging moved with it",
        ],
    );
    crate::common::assert_output(
        "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it",
        &repo.read("crates/storefront/Cargo.toml"),
        &["version = \"1.4.0\""],
    );
    for env in ["dev", "staging"] {
        crate::common::assert_output(
            "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it",
            &repo.read(&format!("environments/{env}/environment.toml")),
            &["[services.storefront]\nversion = \"1.4.0\""],
        );
    }
    // Production moves by promotion only.
    crate::common::assert_output(
        "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it",
        &repo.read(PROD),
        &["[services.storefront]\nversion = \"1.2.0\""],
    );
    // The lock file, the rules and the generated files agree with it.
    let lock = repo.read("Cargo.lock");
    assert!(
        lock.contains("name = \"storefront\"\nversion = \"1.4.0\""),
        "{lock}"
    );
    repo.run(&["check"]).success();
    repo.run(&["render", "--check"]).success();
    // A version only moves forward, and nothing is written when it would not.
    let before = repo.snapshot();
    let err = repo.refuses(&["bump", "storefront", "--to", "1.3.9"]);
    crate::common::assert_output(
        "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it-2",
        &err,
        &["1.3.9 is not a new version after 1.4.0"],
    );
    let err = repo.refuses(&["bump", "storefrnt"]);
    crate::common::assert_output(
        "promote/bump_moves_the_crate_the_lock_and_the_environments_that_track_it-3",
        &err,
        &[
            "no crate declares the service `storefrnt`",
            "did you mean `storefront`?",
        ],
    );
    assert_eq!(repo.snapshot(), before);
}

#[test]
fn bump_of_a_prerelease_releases_it() {
    let repo = Repo::fixture();
    repo.run(&["bump", "mailer", "--to", "2.2.0-rc.1"])
        .success();
    repo.run(&["bump", "mailer"]).success();
    crate::common::assert_output(
        "promote/bump_of_a_prerelease_releases_it",
        &repo.read("crates/mailer/Cargo.toml"),
        &["version = \"2.2.0\""],
    );
}
