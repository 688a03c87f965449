//! The record of `cargo metadata` under the target directory: used while the manifests it
//! was made from are unchanged, never once they are not. Each test tells whether cargo was
//! asked by making it fail (`CARGO=false`): a command that needs cargo then exits 2.

use crate::common;
use std::path::{Path, PathBuf};

use common::Repo;

/// Runs `args` with a cargo that always fails: exit code 0 when the record was used.
fn without_cargo(repo: &Repo, args: &[&str]) -> i32 {
    let output = repo
        .command(repo.dir.path(), args)
        .env("CARGO", "false")
        .output()
        .unwrap();
    output.status.code().unwrap()
}

/// A copy of the test organisation after its first command, which kept a record.
fn recorded() -> Repo {
    let repo = Repo::fixture();
    repo.run(&["list"]).success();
    repo
}

/// The records under `target`.
fn records(target: &Path) -> Vec<PathBuf> {
    match std::fs::read_dir(target.join("xtask")) {
        Ok(entries) => entries.map(|entry| entry.unwrap().path()).collect(),
        Err(_) => Vec::new(),
    }
}

#[test]
fn cargo_is_asked_again_only_when_a_manifest_changes() {
    let repo = recorded();
    assert_eq!(
        records(&repo.path("target")).len(),
        1,
        "its first command kept a record"
    );
    assert_eq!(without_cargo(&repo, &["list"]), 0, "the record is used");

    repo.edit("crates/storefront/Cargo.toml", "port = 9090", "port = 9091");
    assert_eq!(without_cargo(&repo, &["list"]), 2, "a changed manifest");
    let (_, shown) = repo.json(&["show", "prod", "--format", "json"]);
    assert_eq!(
        shown["values"]["services"]["storefront"]["port"]["value"], 9091,
        "{shown:#}"
    );
    assert_eq!(without_cargo(&repo, &["list"]), 0, "the new record is used");

    let root = repo.read("Cargo.toml");
    repo.write("Cargo.toml", &format!("{root}# a comment\n"));
    assert_eq!(
        without_cargo(&repo, &["list"]),
        2,
        "a changed root manifest"
    );
}

#[test]
fn a_crate_added_under_a_member_glob_is_seen() {
    let repo = Repo::fixture();
    repo.write(
        "crates/billing/Cargo.toml",
        "[package]\nname = \"billing\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
         [package.metadata.platform]\ntemplate = \"worker\"\nimage = \"ghcr.io/initech/billing\"\n",
    );
    repo.write("crates/billing/src/main.rs", "fn main() {}\n");
    assert_eq!(without_cargo(&repo, &["list"]), 2, "a new crate");
    let env = repo.read("environments/dev/environment.toml");
    repo.write(
        "environments/dev/environment.toml",
        &format!("{env}\n[services.billing]\nversion = \"0.1.0\"\n"),
    );
    let (_, shown) = repo.json(&["show", "dev", "--format", "json"]);
    assert_eq!(
        shown["values"]["services"]["billing"]["image"]["value"], "ghcr.io/initech/billing:0.1.0",
        "{shown:#}"
    );

    std::fs::remove_dir_all(repo.path("crates/billing")).unwrap();
    assert_eq!(without_cargo(&repo, &["list"]), 2, "a removed crate");
}

#[test]
fn a_corrupt_or_foreign_record_is_ignored_and_replaced() {
    let repo = recorded();
    let [record] = records(&repo.path("target")).try_into().unwrap();
    let good = std::fs::read_to_string(&record).unwrap();
    let mut older: serde_json::Value = serde_json::from_str(&good).unwrap();
    older["format"] = 0.into();
    for bad in [
        "{\"format\": 3, \"key\": \"".to_owned(),
        older.to_string(),
        good.replace("storefront", "storefrnt"),
        String::new(),
    ] {
        std::fs::write(&record, &bad).unwrap();
        assert_eq!(without_cargo(&repo, &["list"]), 2, "{bad}");
        repo.run(&["list"]).success();
        assert_eq!(std::fs::read_to_string(&record).unwrap(), good);
    }
}

#[test]
fn the_record_goes_where_cargo_puts_its_output() {
    let repo = Repo::fixture();
    let elsewhere = common::tempdir();
    let status = repo
        .command(repo.dir.path(), &["list"])
        .env("CARGO_TARGET_DIR", elsewhere.path())
        .output()
        .unwrap()
        .status;
    assert!(status.success());
    assert_eq!(records(elsewhere.path()).len(), 1);
}

#[test]
fn a_copied_repository_keeps_its_record_unless_it_reaches_outside() {
    let repo = recorded();
    let copied = |from: &Repo| {
        let to = Repo {
            dir: common::tempdir(),
        };
        // `cp`, which takes `target` with the rest, as a user's copy does.
        let status = std::process::Command::new("cp")
            .arg("-R")
            .arg(from.path("."))
            .arg(to.path("."))
            .status()
            .unwrap();
        assert!(status.success());
        to
    };
    assert_eq!(without_cargo(&copied(&repo), &["list"]), 0, "copied whole");

    // A path dependency outside the root: cargo answers with where it is from here.
    let outside = common::tempdir();
    std::fs::write(
        outside.path().join("Cargo.toml"),
        "[package]\nname = \"shared\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    )
    .unwrap();
    std::fs::create_dir(outside.path().join("src")).unwrap();
    std::fs::write(outside.path().join("src/lib.rs"), "").unwrap();
    let manifest = repo.read("crates/mailer/Cargo.toml");
    repo.write(
        "crates/mailer/Cargo.toml",
        &format!(
            "{manifest}\n[dependencies]\nshared = {{ path = \"{}\" }}\n",
            outside.path().display()
        ),
    );
    repo.run(&["list"]).success();
    assert_eq!(without_cargo(&repo, &["list"]), 0, "recorded in place");
    assert_eq!(without_cargo(&copied(&repo), &["list"]), 2, "moved away");
}

#[test]
fn the_record_answers_as_cargo_and_the_manifests_do() {
    let repo = recorded();
    let show = || repo.run(&["show", "prod", "--format", "json"]).stdout();
    for edit in [None, Some(("port = 9090\n", ""))] {
        if let Some((from, to)) = edit {
            repo.edit("crates/storefront/Cargo.toml", from, to);
            repo.run(&["list"]).success();
        }
        assert_eq!(
            without_cargo(&repo, &["show", "prod"]),
            0,
            "the record is used"
        );
        let from_record = show();
        std::fs::remove_dir_all(repo.path("target")).unwrap();
        let from_cargo = show();
        assert_eq!(from_record, from_cargo, "{edit:?}");
        assert!(
            from_cargo.contains("crates/storefront/Cargo.toml"),
            "{from_cargo}"
        );
    }
}

#[test]
fn a_record_that_is_not_a_file_is_never_waited_on() {
    let repo = recorded();
    let [record] = records(&repo.path("target")).try_into().unwrap();
    std::fs::remove_file(&record).unwrap();
    let fifo = std::process::Command::new("mkfifo")
        .arg(&record)
        .status()
        .unwrap();
    assert!(fifo.success());
    let mut list = repo
        .command(repo.dir.path(), &["list"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if list.try_wait().unwrap().is_some() {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let Some(status) = list.try_wait().unwrap() else {
        list.kill().unwrap();
        panic!("list waited on a FIFO in the record's place");
    };
    // It asked cargo, and could not put its record where the FIFO is; it answered.
    assert!(status.success());
}

#[test]
fn a_name_under_a_member_glob_that_becomes_a_crate_is_seen() {
    let repo = Repo::fixture();
    // A file where a crate will be: cargo sees no crate there.
    repo.write("crates/billing", "notes\n");
    repo.run(&["list"]).success();
    assert_eq!(without_cargo(&repo, &["list"]), 0, "the record holds");
    std::fs::remove_file(repo.path("crates/billing")).unwrap();
    repo.write(
        "crates/billing/Cargo.toml",
        "[package]\nname = \"billing\"\nversion = \"0.1.0\"\nedition = \"2024\"\n",
    );
    repo.write("crates/billing/src/main.rs", "fn main() {}\n");
    assert_eq!(without_cargo(&repo, &["list"]), 2, "cargo is asked again");
}
