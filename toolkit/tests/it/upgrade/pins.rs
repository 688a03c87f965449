//! `upgrade` and the pin: a repository pinned to a git revision, `upgrade --to` moving the
//! pin (to a revision, or to the newest release), and a pin moved by hand merging beside
//! an edit of the thin xtask.

use super::{commit_all, git, new_repository, tree};
use crate::common::{self, Repo, manifest_dir};
use pretty_assertions::assert_eq;
use std::path::Path;
use std::process::Command;

/// This clone's HEAD, as a `git:` toolkit source over `file://`: cargo fetches it as it
/// fetches any git dependency, without a network. `None` outside a git clone.
fn git_source() -> Option<String> {
    let root = manifest_dir().parent().unwrap().to_path_buf();
    let out = Command::new("git")
        .args(["rev-parse", "--verify", "--quiet", "HEAD"])
        .current_dir(&root)
        .output()
        .ok()
        .filter(|out| out.status.success())?;
    let commit = String::from_utf8(out.stdout).unwrap().trim().to_owned();
    Some(format!("git:file://{}@{commit}", root.display()))
}

#[test]
fn a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one() {
    let Some(source) = git_source() else {
        eprintln!("note: skipped: this checkout is not a git clone, so it has no revision to pin");
        return;
    };
    let (url, commit) = source["git:".len()..].rsplit_once('@').unwrap();
    let locked = format!("source = \"git+{url}?rev={commit}#{commit}\"");
    let pinned = format!("platform-toolkit = {{ git = \"{url}\", rev = \"{commit}\" }}");

    // Made with it: the manifest pins the commit, and the lock file holds it.
    let made = Repo::generated_with(&["--toolkit", &source]);
    crate::common::assert_output(
        "upgrade/a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one",
        &made.read("xtask/Cargo.toml"),
        &[&pinned],
    );
    crate::common::assert_output(
        "upgrade/a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one",
        &made.read("Cargo.lock"),
        &[&locked],
    );
    made.run(&["check"]).success();

    // Moved to it: a repository pinned to a directory, upgraded to the commit.
    let repo = new_repository();
    let run = repo.run(&["upgrade", "--to", &source]).success();
    crate::common::assert_output(
        "upgrade/a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one",
        &run.stderr(),
        &["replaced  xtask/Cargo.toml", "upgraded to 0.2.0"],
    );
    crate::common::assert_output(
        "upgrade/a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one",
        &repo.read("xtask/Cargo.toml"),
        &[&pinned],
    );
    crate::common::assert_output(
        "upgrade/a_repository_pins_a_git_revision_and_upgrade_moves_a_pin_to_one",
        &repo.read("Cargo.lock"),
        &[&locked],
    );
    let metadata = Command::new("cargo")
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(repo.dir.path())
        .output()
        .unwrap();
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );
}

#[test]
fn upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else() {
    let Some(source) = git_source() else {
        eprintln!("note: skipped: this checkout is not a git clone, so it has no releases to tag");
        return;
    };
    let (root, _) = source["git:file://".len()..].rsplit_once('@').unwrap();
    // The toolkit's repository, with release tags as the toolkit's releases are made.
    let releases = common::tempdir();
    let bare = releases.path().join("toolkit.git");
    git(
        releases.path(),
        &["clone", "--quiet", "--bare", root, bare.to_str().unwrap()],
    );
    git(&bare, &["tag", "v0.2.0", "HEAD"]);
    let url = format!("file://{}", bare.display());
    let repo = Repo::generated_with(&["--toolkit", &format!("git:{url}@v0.2.0")]);
    commit_all(repo.dir.path(), "made by new-repo");
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else",
        &repo.read("xtask/Cargo.toml"),
        &["tag = \"v0.2.0\""],
    );
    repo.run(&["upgrade", "--check", "--to", "latest"])
        .success();

    git(&bare, &["tag", "v0.3.0", "HEAD"]);
    git(&bare, &["tag", "v0.2.9", "HEAD"]);
    let check = repo.run(&["upgrade", "--check", "--to", "latest"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else",
        &check.stderr(),
        &["behind: the toolkit's release 0.3.0 is out"],
    );
    let before = tree(&repo);
    repo.run(&["upgrade", "--to", "latest", "--dry-run"])
        .success();
    assert!(tree(&repo) == before, "--dry-run wrote");

    let run = repo.run(&["upgrade", "--to", "latest"]).success();
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else-2",
        &run.stderr(),
        &[
            "pinned the toolkit to",
            "@v0.3.0 (release 0.3.0)",
            "now run `cargo xtask upgrade`",
        ],
    );
    // Only the pin moved: its line in xtask/Cargo.toml, and its entry in Cargo.lock.
    let changed = git(repo.dir.path(), &["status", "--porcelain"]);
    assert_eq!(changed, " M Cargo.lock\n M xtask/Cargo.toml\n");
    let manifest = repo.read("xtask/Cargo.toml");
    assert_eq!(
        manifest,
        String::from_utf8(before[Path::new("xtask/Cargo.toml")].clone())
            .unwrap()
            .replace("v0.2.0", "v0.3.0")
    );
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else",
        &repo.read("Cargo.lock"),
        &[&format!("source = \"git+{url}?tag=v0.3.0#")],
    );

    // An older release is refused, as is looking for releases of no git repository.
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else-3",
        &repo.refuses(&["upgrade", "--to", &format!("git:{url}@v0.1.0"), "--dry-run"]),
        &["is an older release than this toolkit (0.2.0)"],
    );
    let by_path = new_repository();
    crate::common::assert_output(
        "upgrade/upgrade_to_latest_moves_the_pin_to_the_newest_release_and_nothing_else",
        &by_path
            .run(&["upgrade", "--check", "--to", "latest"])
            .success()
            .stderr(),
        &["a directory: it has no releases to look for", "up to date"],
    );
}

#[test]
fn a_pin_moved_by_hand_beside_an_edit_of_the_thin_xtask_merges_cleanly() {
    let repo = new_repository();
    // The team adds a dependency for a rule of its own, and an update bot moves the pin
    // (here to the same toolkit by another path).
    let old_pin = format!("path = \"{}\"", manifest_dir().display());
    let new_dir = format!("{}/../toolkit", manifest_dir().display());
    let edited = repo
        .read("xtask/Cargo.toml")
        .replace(&old_pin, &format!("path = \"{new_dir}\""))
        .replace("[dependencies]\n", "[dependencies]\nanyhow = \"1\"\n");
    repo.write("xtask/Cargo.toml", &edited);
    commit_all(repo.dir.path(), "a rule's dependency; the pin moved");
    let run = repo.run(&["upgrade"]).success();
    crate::common::assert_output(
        "upgrade/a_pin_moved_by_hand_beside_an_edit_of_the_thin_xtask_merges_cleanly",
        &run.stderr(),
        &["changed   toolkit.toml", "upgraded to 0.2.0"],
    );
    assert!(
        !run.stderr().contains("xtask/Cargo.toml"),
        "{}",
        run.stderr()
    );
    assert_eq!(repo.read("xtask/Cargo.toml"), edited);
    let record: toml::Table = toml::from_str(&repo.read("toolkit.toml")).unwrap();
    assert_eq!(
        record["pin"].as_str(),
        Some(format!("path:{new_dir}").as_str())
    );
}
