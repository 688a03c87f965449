//! The rules of the release path: the clusters trust CI's deploy jobs, an environment
//! names only a version its crate had, and Cargo.lock keeps up with the crates.

use pretty_assertions::assert_eq;

use super::{DEV, PLATFORM, PROD, STAGING, findings, rules, trips};
use crate::common::Repo;

#[test]
fn ci_trusted() {
    let found = trips(
        "ci-trusted",
        "CI deploys staging, observability, prod but no cluster trusts its deploy jobs",
        |repo| {
            let text = repo.read(PLATFORM);
            let cut = text.find("# The repository CI deploys from").unwrap();
            repo.write(PLATFORM, &text[..cut]);
        },
    );
    assert_eq!(found[0]["file"], PLATFORM);
    assert!(
        found[0]["help"]
            .as_str()
            .unwrap()
            .contains("gh api repos/OWNER/NAME")
    );
    // Without workflows, nothing needs the trust.
    let repo = Repo::fixture();
    let text = repo.read(PLATFORM);
    repo.write(
        PLATFORM,
        &text[..text.find("# The repository CI deploys from").unwrap()],
    );
    std::fs::remove_file(repo.path("ci/pins.toml")).unwrap();
    repo.run(&["render"]).success();
    let (_, found) = findings(&repo);
    assert!(!rules(&found).contains(&"ci-trusted"), "{found:#?}");
}

#[test]
fn version_known() {
    let repo = Repo::fixture();
    repo.commit_with_history();
    repo.run(&["check"]).success();
    repo.edit(STAGING, "version = \"1.3.0\"", "version = \"1.3.1\"");
    repo.run(&["render"]).success();
    let (code, found) = findings(&repo);
    assert_eq!(code, 1);
    assert_eq!(rules(&found), ["version-known"], "{found:#?}");
    assert_eq!(found[0]["file"], STAGING);
    crate::common::assert_output(
        "check/releases/version_known",
        found[0]["message"].as_str().unwrap(),
        &["`staging` runs storefront 1.3.1, a version its crate never had (it is 1.3.0)"],
    );
    // A version the crate had at an earlier commit was built then.
    repo.edit(STAGING, "version = \"1.3.1\"", "version = \"1.2.0\"");
    repo.run(&["render"]).success();
    let (_, found) = findings(&repo);
    assert!(!rules(&found).contains(&"version-known"), "{found:#?}");
    // Each crate's own history: 1.2.0 was storefront's, never mailer's, though the two
    // histories are read together.
    repo.edit(STAGING, "version = \"2.1.0\"", "version = \"1.2.0\"");
    repo.run(&["render"]).success();
    let (_, found) = findings(&repo);
    let unknown: Vec<&str> = found
        .iter()
        .filter(|finding| finding["rule"] == "version-known")
        .map(|finding| finding["message"].as_str().unwrap())
        .collect();
    assert_eq!(
        unknown,
        ["`staging` runs mailer 1.2.0, a version its crate never had (it is 2.1.0)"],
        "{found:#?}"
    );
}

#[test]
fn lock_current() {
    let found = trips(
        "lock-current",
        "Cargo.lock has `mailer` at 2.1.0, but its Cargo.toml says 2.1.1",
        |repo| {
            repo.make_lock_file();
            repo.edit(
                "crates/mailer/Cargo.toml",
                "version = \"2.1.0\"",
                "version = \"2.1.1\"",
            );
            for env in [STAGING, PROD, DEV] {
                repo.edit(env, "version = \"2.1.0\"", "version = \"2.1.1\"");
            }
        },
    );
    assert_eq!(found[0]["file"], "crates/mailer/Cargo.toml");
    assert!(
        found[0]["help"]
            .as_str()
            .unwrap()
            .contains("cargo update --workspace")
    );
}
