//! End to end: the toolkit as a pinned dependency. A new repository holds no toolkit
//! source and records what `upgrade` needs; every command refuses a repository at another
//! toolkit version; the program needs nothing from where it was built; and `upgrade`
//! brings a repository of the 0.1.0 layout to this one, keeping every hand edit.
//!
//! `tests/fixtures/globex-0.1.0` is what `new-repo` of toolkit 0.1.0 (commit dfa494f)
//! made for `--org globex --domain globex.io --github globex/platform`, with hand edits: a
//! section in README.md, an install line changed and a step added in .ci/run (the first
//! clashes with 0.2.0, which drops that block), a release profile in Cargo.toml, a pin and
//! a comment in ci/pins.toml, the platform team's email and comments in the environments,
//! a line in docs/json-output.md (which 0.2.0 changes elsewhere). Left out, to keep it small: the files `render` makes
//! (the upgrade renders them), `docs/ARCHITECTURE.md`, and 186 of the 189 files of the
//! toolkit's source copy under `xtask/` (the provenance record still lists them all; a
//! listed file that is missing is left missing).

use crate::common;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{Repo, Run, copy, manifest_dir, toolkit_flag};
use pretty_assertions::assert_eq;
use sha2::{Digest, Sha256};

mod pins;

const FIXTURE: &str = "tests/fixtures/globex-0.1.0";

fn git(dir: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "test")
        .env("GIT_AUTHOR_EMAIL", "test@globex.io")
        .env("GIT_COMMITTER_NAME", "test")
        .env("GIT_COMMITTER_EMAIL", "test@globex.io")
        .env("GIT_AUTHOR_DATE", common::GIT_DATE)
        .env("GIT_COMMITTER_DATE", common::GIT_DATE)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// `dir` as a git repository with everything committed.
fn commit_all(dir: &Path, message: &str) {
    if !dir.join(".git").exists() {
        git(dir, &["init", "--quiet", "--initial-branch=main"]);
    }
    git(dir, &["add", "--all"]);
    git(dir, &["commit", "--quiet", "--allow-empty", "-m", message]);
}

/// A copy of the 0.1.0 repository, committed.
fn old_repository() -> Repo {
    let dir = common::tempdir();
    copy(&manifest_dir().join(FIXTURE), dir.path());
    commit_all(dir.path(), "made by toolkit 0.1.0");
    Repo { dir }
}

/// A repository this toolkit's `new-repo` made, committed.
fn new_repository() -> Repo {
    let repo = Repo::generated();
    commit_all(repo.dir.path(), "made by new-repo");
    repo
}

/// Every file's bytes, `.git` and `target` left out.
fn tree(repo: &Repo) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut files = repo.snapshot();
    files.retain(|path, _| !path.starts_with(".git"));
    files
}

#[test]
fn an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit() {
    let repo = old_repository();
    let before = tree(&repo);
    // Behind, and `--check` and `--dry-run` say so without writing.
    let check = repo.run(&["upgrade", "--check"]);
    assert_eq!(check.code(), 1, "{}", check.stderr());
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &check.stderr(),
        &["behind: this repository is in the 0.1.0 layout"],
    );
    let to = toolkit_flag();
    repo.run(&["upgrade", "--to", &to, "--dry-run"]).success();
    assert!(tree(&repo) == before, "--dry-run wrote");
    // Every other command says what to run.
    let refused = repo.refuses(&["list"]);
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit-2",
        &refused,
        &[
            "this repository is at toolkit 0.1.0",
            "upgrade --to git:URL@REV",
        ],
    );

    let run = repo.run(&["upgrade", "--to", &to]);
    assert_eq!(run.code(), 1, "a conflict is exit 1: {}", run.stderr());
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit-3",
        &run.stderr(),
        &[
            "from toolkit 0.1.0 to 0.2.0, pinned to path:",
            "conflict  .ci/run: 2 conflict(s) marked",
            "merged    Cargo.toml: your edits kept",
            "merged    README.md: your edits kept",
            "merged    docs/json-output.md: your edits kept",
            "removed   toolkit-provenance.toml",
            "added     toolkit.toml",
            "replaced  xtask/Cargo.toml",
            "removed   1 file(s) of the toolkit's source copy under xtask/",
            "migration licence-kept",
            "migration image-pins",
            "migration containerfiles-pinned",
            "replaced crates/hello/Containerfile",
            "with 2 conflict(s)",
        ],
    );
    let after = tree(&repo);

    // The hand-written files are byte for byte as they were, but for what the migrations
    // say they change: the pins gain [images] and [charts] after every byte they had, the
    // Containerfile new-service wrote, unedited, is the new one, and the observability
    // environment gains its platform after every byte it had.
    let containerfile = Path::new("crates/hello/Containerfile");
    let observability = Path::new("environments/observability/environment.toml");
    for (path, bytes) in &before {
        let path_text = path.to_string_lossy();
        if (path_text.starts_with("environments/") || path_text.starts_with("crates/"))
            && path != containerfile
            && path != observability
        {
            assert!(after.get(path) == Some(bytes), "{path_text} changed");
        }
    }
    // Its monitor becomes Healthchecks, whose checks are rendered; the rest is added at the
    // end.
    let kept = String::from_utf8(before[observability].clone())
        .unwrap()
        .replace("monitor = \"grafana-cloud\"", "monitor = \"healthchecks\"");
    let after_text = std::str::from_utf8(&after[observability]).unwrap();
    assert!(after_text.starts_with(&kept), "{after_text}");
    let added = &after_text[kept.len()..];
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit-observability",
        added,
        &[
            "[services.openobserve]",
            "hostname = \"otlp.observability.globex.io\"",
        ],
    );
    let pins = &after[Path::new("ci/pins.toml")];
    assert!(pins.starts_with(&before[Path::new("ci/pins.toml")]));
    let pins: toml::Table = toml::from_str(std::str::from_utf8(pins).unwrap()).unwrap();
    assert_eq!(pins["charts"]["arc"].as_str(), Some("0.14.2"));
    let containerfile = repo.read("crates/hello/Containerfile");
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &containerfile,
        &[
            "FROM --platform=$BUILDPLATFORM docker.io/library/rust:1.95.0-slim-bookworm@sha256:",
            "--package hello --target",
            "FROM docker.io/library/debian:bookworm-slim@sha256:",
        ],
    );
    // Edits kept, and the toolkit's changes taken.
    let readme = repo.read("README.md");
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &readme,
        &["## On call", "## The toolkit", "toolkit.toml"],
    );
    assert!(!readme.contains("toolkit-provenance.toml"), "{readme}");
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &repo.read("docs/json-output.md"),
        &[
            "Globex: our dashboards read",
            "the toolkit's `toolkit/tests/it/json_output.rs`",
        ],
    );
    let workspace = repo.read("Cargo.toml");
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &workspace,
        &[
            "lto = true",
            "license = \"MIT OR Apache-2.0\"",
            "signal-hook",
        ],
    );
    assert!(!workspace.contains("handlebars"), "{workspace}");
    // The clashes are marked, with both sides named; the step added at the end, beside
    // the toolkit's own change there, is kept in its clash.
    let ci_run = repo.read(".ci/run");
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit",
        &ci_run,
        &[
            "<<<<<<< yours (.ci/run)",
            "shellcheck jq cmake",
            "=======\n>>>>>>> toolkit 0.2.0",
            "cargo deny check",
        ],
    );
    // The toolkit left: a thin xtask that pins it, and the new record.
    let xtask: Vec<&PathBuf> = after.keys().filter(|p| p.starts_with("xtask")).collect();
    assert_eq!(
        xtask,
        [
            Path::new("xtask/Cargo.toml"),
            Path::new("xtask/src/main.rs")
        ]
    );
    assert!(!after.contains_key(Path::new("toolkit-provenance.toml")));
    let record: toml::Table = toml::from_str(&repo.read("toolkit.toml")).unwrap();
    assert_eq!(record["version"].as_str(), Some("0.2.0"));
    assert_eq!(
        record["answers"]["github"].as_str(),
        Some("globex/platform")
    );
    assert_eq!(
        record["answers"]["admins"][0].as_str(),
        Some("hank@globex.io")
    );

    // Resolved as a person would (the new side, and the step of their own), it checks.
    let start = ci_run.find("<<<<<<<").unwrap();
    let end = ci_run.find(">>>>>>> toolkit 0.2.0\n").unwrap() + ">>>>>>> toolkit 0.2.0\n".len();
    repo.write(
        ".ci/run",
        &format!("{}{}", &ci_run[..start], &ci_run[end..]),
    );
    // The new Containerfile makes a new image of hello, under a new version.
    repo.run(&["bump", "hello"]).success();
    let check = repo.run(&["check"]);
    assert_eq!(check.code(), 0, "{}", check.stderr());
    repo.run(&["render", "--check"]).success();
    // Every script the rendered workflows run is there: those the new toolkit brought
    // were added, not taken for ones the repository had deleted.
    for workflow in std::fs::read_dir(repo.path(".github/workflows")).unwrap() {
        let text = std::fs::read_to_string(workflow.unwrap().path()).unwrap();
        for script in text.split(|c: char| c.is_whitespace() || c == '"') {
            if script.starts_with("ci/") && script.ends_with(".sh") {
                assert!(repo.path(script).is_file(), "{script} is missing");
            }
        }
    }
    commit_all(repo.dir.path(), "upgrade to 0.2.0");

    // Again: nothing to do, nothing written.
    let upgraded = tree(&repo);
    let again = repo.run(&["upgrade"]).success();
    crate::common::assert_output(
        "upgrade/an_old_repository_is_brought_to_the_new_layout_keeping_every_hand_edit-4",
        &again.stderr(),
        &["up to date with toolkit 0.2.0: nothing to do"],
    );
    assert!(tree(&repo) == upgraded, "the second upgrade changed files");
    repo.run(&["upgrade", "--check"]).success();
}

#[test]
fn upgrade_needs_a_clean_tree_and_a_toolkit_of_its_version() {
    let repo = old_repository();
    let to = toolkit_flag();
    repo.write("environments/dev/notes.txt", "mine\n");
    crate::common::assert_output(
        "upgrade/upgrade_needs_a_clean_tree_and_a_toolkit_of_its_version",
        &repo.refuses(&["upgrade", "--to", &to]),
        &[
            "uncommitted changes: ?? environments/dev/notes.txt",
            "commit or stash",
        ],
    );
    std::fs::remove_file(repo.path("environments/dev/notes.txt")).unwrap();
    crate::common::assert_output(
        "upgrade/upgrade_needs_a_clean_tree_and_a_toolkit_of_its_version-2",
        &repo.refuses(&["upgrade"]),
        &[
            "pins no toolkit: it is in the 0.1.0 layout",
            "--to git:URL@REV",
        ],
    );
    let elsewhere = common::tempdir();
    std::fs::write(
        elsewhere.path().join("Cargo.toml"),
        "[package]\nname = \"platform-toolkit\"\nversion = \"0.1.0\"\n",
    )
    .unwrap();
    let old = format!("path:{}", elsewhere.path().display());
    crate::common::assert_output(
        "upgrade/upgrade_needs_a_clean_tree_and_a_toolkit_of_its_version-3",
        &repo.refuses(&["upgrade", "--to", &old]),
        &["is version 0.1.0, and this one is 0.2.0"],
    );
    crate::common::assert_output(
        "upgrade/upgrade_needs_a_clean_tree_and_a_toolkit_of_its_version-4",
        &repo.refuses(&["upgrade", "--to", "git:https://example.com/t@-x"]),
        &["invalid --to: `-x` is not a commit or a tag"],
    );
}

#[test]
fn a_failed_upgrade_puts_the_tree_back() {
    let repo = old_repository();
    // A crate whose manifest cargo cannot resolve fails the upgrade once it has written.
    repo.write(
        "crates/broken/Cargo.toml",
        "[package]\nname = \"broken\"\nversion = \"0.1.0\"\n\n[dependencies]\nmissing = { path = \"../missing\" }\n",
    );
    repo.write("crates/broken/src/lib.rs", "");
    commit_all(repo.dir.path(), "a broken crate");
    let before = tree(&repo);
    let run = repo.run(&["upgrade", "--to", &toolkit_flag()]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    crate::common::assert_output(
        "upgrade/a_failed_upgrade_puts_the_tree_back",
        &run.stderr(),
        &["the upgrade failed; the tree is as it was"],
    );
    assert!(tree(&repo) == before, "a failed upgrade left changes");
    assert_eq!(git(repo.dir.path(), &["status", "--porcelain"]), "");
}

#[test]
fn a_new_repository_is_up_to_date_and_at_another_version_is_refused() {
    let repo = new_repository();
    repo.run(&["upgrade", "--check"]).success();
    let before = tree(&repo);
    crate::common::assert_output(
        "upgrade/a_new_repository_is_up_to_date_and_at_another_version_is_refused",
        &repo.run(&["upgrade"]).success().stderr(),
        &["nothing to do"],
    );
    assert!(tree(&repo) == before);

    let record = repo.read("toolkit.toml");
    repo.write(
        "toolkit.toml",
        &record.replace("version = \"0.2.0\"", "version = \"0.1.9\""),
    );
    crate::common::assert_output(
        "upgrade/a_new_repository_is_up_to_date_and_at_another_version_is_refused-2",
        &repo.refuses(&["check"]),
        &[
            "this repository is at toolkit 0.1.9 (toolkit.toml), and the toolkit running is 0.2.0",
            "run `cargo xtask upgrade`",
        ],
    );
    repo.write(
        "toolkit.toml",
        &record.replace("version = \"0.2.0\"", "version = \"9.0.0\""),
    );
    crate::common::assert_output(
        "upgrade/a_new_repository_is_up_to_date_and_at_another_version_is_refused-3",
        &repo.refuses(&["list"]),
        &["at toolkit 9.0.0", "upgraded past this toolkit"],
    );
    repo.write("toolkit.toml", "version = [\n");
    crate::common::assert_output(
        "upgrade/a_new_repository_is_up_to_date_and_at_another_version_is_refused-4",
        &repo.refuses(&["list"]),
        &["toolkit.toml is not the record"],
    );
}

#[test]
fn the_program_needs_nothing_from_where_it_was_built() {
    // The binary alone, moved away from its build, makes a repository that checks.
    let bin = common::tempdir();
    let moved = bin.path().join("xtask");
    std::fs::copy(env!("CARGO_BIN_EXE_platform-toolkit"), &moved).unwrap();
    let work = common::tempdir();
    let run = |cwd: &Path, args: &[&str]| {
        let mut command = common::program(&moved, cwd, args);
        Run(command.env_remove("CARGO_MANIFEST_DIR").output().unwrap())
    };
    let toolkit = toolkit_flag();
    let new = [
        "new-repo",
        "globex",
        "--org",
        "globex",
        "--domain",
        "globex.io",
        "--no-git",
        "--toolkit",
        &toolkit,
    ];
    run(work.path(), &new).success();
    let dir = work.path().join("globex");
    assert!(
        dir.join("ci/release.sh").is_file() && dir.join("docs/environments-reference.md").is_file()
    );
    run(&dir, &["check"]).success();
    run(&dir, &["render", "--check"]).success();
}

#[test]
fn the_new_repository_holds_no_toolkit_source_and_pins_it() {
    let repo = Repo::generated_with(&["--admin", "hank@globex.io", "--region", "us-east-2"]);
    let files = tree(&repo);
    let xtask: Vec<&PathBuf> = files.keys().filter(|p| p.starts_with("xtask")).collect();
    assert_eq!(
        xtask,
        [
            Path::new("xtask/Cargo.toml"),
            Path::new("xtask/src/main.rs")
        ]
    );
    let rust: Vec<&PathBuf> = files
        .keys()
        .filter(|p| p.extension().is_some_and(|e| e == "rs") && !p.starts_with("crates"))
        .collect();
    assert_eq!(
        rust,
        [Path::new("xtask/src/main.rs")],
        "Rust source beyond the thin xtask"
    );
    assert!(
        !files
            .keys()
            .any(|p| p.starts_with("toolkit") && p != Path::new("toolkit.toml"))
    );
    let manifest: toml::Table = toml::from_str(&repo.read("xtask/Cargo.toml")).unwrap();
    assert_eq!(
        manifest["dependencies"]["platform-toolkit"]["path"].as_str(),
        manifest_dir().to_str()
    );

    let record: toml::Table = toml::from_str(&repo.read("toolkit.toml")).unwrap();
    assert_eq!(record["version"].as_str(), Some(env!("CARGO_PKG_VERSION")));
    let answers = record["answers"].as_table().unwrap();
    assert_eq!(answers["org"].as_str(), Some("globex"));
    assert_eq!(answers["region"].as_str(), Some("us-east-2"));
    assert_eq!(answers["admins"][0].as_str(), Some("hank@globex.io"));
    // Each scaffold file's hash as written; the organisation's own files are not among them.
    let hashes = record["scaffold"].as_table().unwrap();
    for expected in [
        ".ci/run",
        "Cargo.toml",
        "README.md",
        "ci/release.sh",
        "xtask/src/main.rs",
    ] {
        assert!(hashes.contains_key(expected), "{expected} not recorded");
    }
    for (path, hash) in hashes {
        let digest = Sha256::digest(&files[Path::new(path)]);
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hash.as_str(),
            Some(format!("sha256:{hex}").as_str()),
            "{path}"
        );
        let own = ["environments/", "crates/", ".github/", "ci/pins"];
        assert!(
            !own.iter().any(|p| path.starts_with(p)),
            "{path} is the repository's own"
        );
    }
}
