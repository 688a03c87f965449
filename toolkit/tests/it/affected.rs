//! `affected --base REV` on a git repository of the test organisation: which services a
//! change rebuilds, which environments it changes, and the rule that a rebuilt service
//! has a new version.

use crate::common;
use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

const STAGING: &str = "environments/staging/environment.toml";
const STOREFRONT: &str = "crates/storefront/Cargo.toml";

/// The fixture with a lock file and a library `pricing` that `storefront` depends on by
/// path, committed on `main`.
fn repo() -> Repo {
    let repo = Repo::fixture();
    repo.write(
        "crates/pricing/Cargo.toml",
        "[package]\nname = \"pricing\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\n",
    );
    repo.write("crates/pricing/src/lib.rs", "pub const VAT: u32 = 20;\n");
    repo.edit(
        STOREFRONT,
        "publish = false\n",
        "publish = false\n\n[dependencies]\npricing = { path = \"../pricing\" }\n",
    );
    // A registry package in storefront's build, without fetching it: only the lock file
    // says so, and that is all `affected` reads of it.
    repo.write(
        "Cargo.lock",
        &lock(&[
            ("mailer", "2.1.0", "", ""),
            ("pricing", "0.1.0", "", ""),
            ("storefront", "1.3.0", "", "\"itoa\", \"pricing\""),
            ("itoa", "1.0.14", REGISTRY, ""),
        ]),
    );
    repo.run(&["render"]).success();
    repo.commit_versions();
    repo
}

const REGISTRY: &str = "registry+https://github.com/rust-lang/crates.io-index";

/// A lock file of `(name, version, source, dependencies)` packages.
fn lock(packages: &[(&str, &str, &str, &str)]) -> String {
    let mut text = String::from("version = 4\n");
    for (name, version, source, deps) in packages {
        text.push_str(&format!(
            "\n[[package]]\nname = \"{name}\"\nversion = \"{version}\"\n"
        ));
        if !source.is_empty() {
            text.push_str(&format!(
                "source = \"{source}\"\nchecksum = \"{version}\"\n"
            ));
        }
        if !deps.is_empty() {
            text.push_str(&format!("dependencies = [{deps}]\n"));
        }
    }
    text
}

/// `affected --base main --format json`: the services and the environments, by name.
fn affected(repo: &Repo) -> (Vec<String>, Vec<String>, Value) {
    let (code, report) = repo.json(&["affected", "--base", "main", "--format", "json"]);
    assert_eq!(code, 0, "{report}");
    let names = |key: &str| -> Vec<String> {
        report[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|item| item["name"].as_str().unwrap().to_owned())
            .collect()
    };
    (names("services"), names("environments"), report)
}

#[test]
fn a_change_to_a_services_own_source_rebuilds_it_alone() {
    let repo = repo();
    repo.write(
        "crates/mailer/src/main.rs",
        "fn main() { println!(\"sent\"); }\n",
    );
    let (services, environments, report) = affected(&repo);
    assert_eq!(services, ["mailer"]);
    assert_eq!(environments, Vec::<String>::new());
    let mailer = &report["services"][0];
    assert_eq!(mailer["tag"], "ghcr.io/initech/mailer:2.1.0");
    assert_eq!(
        mailer["because"],
        serde_json::json!(["crates/mailer/src/main.rs"])
    );
    assert_eq!(mailer["manifest"], "crates/mailer/Cargo.toml");
    assert_eq!(report["base"]["revision"], "main");
}

#[test]
fn a_change_to_a_path_dependency_rebuilds_the_services_that_use_it() {
    let repo = repo();
    repo.write("crates/pricing/src/lib.rs", "pub const VAT: u32 = 21;\n");
    let (services, _, _) = affected(&repo);
    assert_eq!(services, ["storefront"]);
}

#[test]
fn a_lock_change_rebuilds_the_services_whose_build_resolves_the_changed_package() {
    let repo = repo();
    let bumped = repo.read("Cargo.lock").replace("1.0.14", "1.0.15");
    repo.write("Cargo.lock", &bumped);
    let (services, _, report) = affected(&repo);
    assert_eq!(services, ["storefront"]);
    assert_eq!(
        report["services"][0]["because"],
        serde_json::json!(["Cargo.lock: itoa 1.0.15"])
    );
}

#[test]
fn the_workspace_manifest_rebuilds_by_what_the_builds_read_of_it() {
    let repo = repo();
    // A comment is read by no build.
    repo.edit(
        "Cargo.toml",
        "resolver = \"3\"",
        "resolver = \"3\"\n# a comment",
    );
    let (services, _, _) = affected(&repo);
    assert_eq!(services, Vec::<String>::new());
    // A profile is read by every build.
    repo.write(
        "Cargo.toml",
        &format!(
            "{}\n[profile.release]\nlto = true\n",
            repo.read("Cargo.toml")
        ),
    );
    let (services, _, report) = affected(&repo);
    assert_eq!(services, ["mailer", "storefront"]);
    assert_eq!(
        report["services"][0]["because"],
        serde_json::json!(["Cargo.toml"])
    );
}

#[test]
fn a_change_to_one_environment_file_changes_that_environment_only() {
    let repo = repo();
    repo.edit(STAGING, "version = \"2.1.0\"", "version = \"2.2.0\"");
    let (services, environments, report) = affected(&repo);
    assert_eq!(services, Vec::<String>::new());
    assert_eq!(environments, ["staging"]);
    let staging = &report["environments"][0];
    assert_eq!(staging["deploy"], true);
    assert_eq!(staging["deployed_by_ci"], true);
    assert_eq!(staging["changes"], 1);
    // The generated files it compares are rendered from both revisions, so an environment
    // whose files were not rendered again still counts as changed.
    crate::common::assert_output(
        "affected/a_change_to_one_environment_file_changes_that_environment_only",
        &staging["files"].to_string(),
        &["environments/staging/deploy.sh"],
    );
    let out = repo
        .run(&["affected", "--base", "main", "--format", "github"])
        .success()
        .stdout();
    assert_eq!(
        out.lines().skip(1).collect::<Vec<_>>(),
        ["environments=[\"staging\"]", "deploy=[\"staging\"]"]
    );
    assert!(out.starts_with("services=[]\n"), "{out}");
}

#[test]
fn the_summary_says_who_deploys_each_changed_environment() {
    let repo = repo();
    repo.edit(STAGING, "version = \"2.1.0\"", "version = \"2.2.0\"");
    repo.edit(
        "environments/dev/environment.toml",
        "version = \"2.1.0\"",
        "version = \"2.2.0\"",
    );
    let out = repo.run(&["affected", "--base", "main"]).success().stdout();
    crate::common::assert_output(
        "affected/the_summary_says_who_deploys_each_changed_environment",
        &out,
        &[
            "dev (development): 1 configuration change(s), 2 generated file(s); deploy.sh changed: deployed by hand",
            "staging (staging): 1 configuration change(s), 2 generated file(s); deploy.sh changed: CI deploys it",
        ],
    );
}

#[test]
fn a_comment_or_a_doc_changes_nothing_deployable() {
    let repo = repo();
    repo.edit(
        STAGING,
        "[services.mailer]",
        "# mail goes out\n[services.mailer]",
    );
    repo.write("docs/notes.md", "# Notes\n");
    let out = repo.run(&["affected", "--base", "main"]).success().stdout();
    crate::common::assert_output(
        "affected/a_comment_or_a_doc_changes_nothing_deployable",
        &out,
        &["no service to rebuild", "no environment changed"],
    );
}

#[test]
fn an_unknown_revision_is_bad_input() {
    let repo = repo();
    let err = repo.refuses(&["affected", "--base", "no-such-branch"]);
    crate::common::assert_output(
        "affected/an_unknown_revision_is_bad_input",
        &err,
        &[
            "unknown revision `no-such-branch`",
            "give a branch, a tag or a commit",
        ],
    );
}

#[test]
fn check_denies_a_changed_service_that_kept_its_version() {
    let repo = repo();
    repo.write("crates/pricing/src/lib.rs", "pub const VAT: u32 = 21;\n");
    let run = repo.run(&["check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    crate::common::assert_output(
        "affected/check_denies_a_changed_service_that_kept_its_version",
        &run.stderr(),
        &[
            "error[service-version-bumped]: service `storefront` changed since HEAD but its version is still 1.3.0",
            "crates/storefront/Cargo.toml:3:11",
            "changed: crates/pricing/src/lib.rs",
        ],
    );
    // Committed, the change is found against the base a pull request names.
    repo.git(&["checkout", "-q", "-b", "topic"]);
    repo.git(&["commit", "-q", "-am", "vat"]);
    assert_eq!(repo.run(&["check"]).code(), 0);
    assert_eq!(repo.run(&["check", "--base", "main"]).code(), 1);
    // A new version satisfies it.
    repo.edit(STOREFRONT, "version = \"1.3.0\"", "version = \"1.3.1\"");
    let run = repo.run(&["check", "--base", "main"]);
    assert!(
        !run.stderr().contains("service-version-bumped"),
        "{}",
        run.stderr()
    );
}

/// A platform repository that is a directory of a larger git repository (a layout
/// `new-repo` supports): every command reads a revision's files from the platform's root.
#[test]
fn a_platform_in_a_directory_of_a_larger_repository_reads_its_revisions() {
    let outer = common::tempdir();
    let fixture = Repo::fixture();
    common::copy(&fixture.path("."), &outer.path().join("platform"));
    let repo = Repo { dir: outer };
    repo.write("README.md", "The monorepo of everything.\n");
    repo.commit_versions_in("platform/");
    let platform = repo.path("platform");
    let run = |args: &[&str]| common::xtask(&platform, args).output().unwrap();
    let clean = run(&["check", "--base", "HEAD"]);
    assert_eq!(
        clean.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    let diff = run(&["diff", "prod@HEAD", "prod"]);
    assert_eq!(
        diff.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&diff.stderr)
    );
    // A change to a service is found against the base, as at the top of a repository.
    let main = platform.join("crates/storefront/src/main.rs");
    std::fs::write(
        &main,
        format!("{}\n// changed\n", std::fs::read_to_string(&main).unwrap()),
    )
    .unwrap();
    let changed = run(&["check", "--base", "HEAD"]);
    assert_eq!(changed.status.code(), Some(1));
    crate::common::assert_output(
        "affected/a_platform_in_a_directory_of_a_larger_repository_reads_its_revisions",
        &String::from_utf8_lossy(&changed.stderr),
        &["service `storefront` changed since HEAD but its version is still 1.3.0"],
    );
    let affected = run(&["affected", "--base", "HEAD", "--format", "json"]);
    let report: serde_json::Value = serde_json::from_slice(&affected.stdout).unwrap();
    assert_eq!(report["services"][0]["name"], "storefront", "{report:#}");
}

/// A base whose files git cannot read (a partial clone whose remote is gone) is an error
/// with help, never a pass with every crate taken for new.
#[test]
fn a_base_that_cannot_be_read_is_an_error_not_a_pass() {
    let source = Repo::fixture();
    source.commit_with_history();
    source.git(&["config", "uploadpack.allowFilter", "true"]);
    let clone = common::tempdir();
    let status = std::process::Command::new("git")
        .args(["clone", "-q", "--filter=blob:none"])
        .arg(format!("file://{}", source.path(".").display()))
        .arg(clone.path().join("repo"))
        .status()
        .unwrap();
    assert!(status.success());
    drop(source);
    let repo = clone.path().join("repo");
    let out = common::xtask(&repo, &["check", "--base", "HEAD~1"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    crate::common::assert_output(
        "affected/a_base_that_cannot_be_read_is_an_error_not_a_pass",
        &stderr,
        &["cannot read", "at HEAD~1", "fetch the revision"],
    );
}

/// At a revision, the services are those of the workspace's members: a crate elsewhere in
/// the tree (the toolkit's test fixture here) never shadows a real service of its name.
#[test]
fn a_crate_outside_the_workspace_never_shadows_a_service_at_a_revision() {
    let repo = Repo::example();
    repo.run(&[
        "new-service",
        "storefront",
        "--template",
        "web",
        "--port",
        "9999",
        "--deploy-to",
        "staging",
    ])
    .success();
    repo.commit_all();
    assert!(
        repo.path("toolkit/tests/fixtures/initech/crates/storefront/Cargo.toml")
            .is_file()
    );
    let (code, report) = repo.json(&["affected", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(report["environments"], serde_json::json!([]), "{report:#}");
    assert_eq!(report["services"], serde_json::json!([]), "{report:#}");
    repo.run(&["diff", "staging@HEAD", "staging"]).success();
}

/// `diff ENV@REV` and `affected --base REV` agree on what a revision holds: a change to a
/// service's declaration (its port) since REV shows in both.
#[test]
fn diff_at_a_revision_and_affected_agree_on_what_it_holds() {
    let repo = repo();
    repo.edit(STOREFRONT, "port = 9090", "port = 9191");
    repo.run(&["render"]).success();
    let (_, affected) = repo.json(&["affected", "--base", "HEAD", "--format", "json"]);
    let changed: Vec<&str> = affected["environments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert!(changed.contains(&"staging"), "{affected:#}");
    let (code, diff) = repo.json(&["diff", "staging@HEAD", "staging", "--format", "json"]);
    assert_eq!(code, 0);
    let paths: Vec<&str> = diff["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap())
        .collect();
    assert!(paths.contains(&"services.storefront.port"), "{diff:#}");
}
