//! The shipped example, run by its own program: the toolkit with Acme's rules. Its
//! generated files are what this program renders, it passes every rule but its
//! placeholders, and Acme's own rule finds what it is for.

use std::path::Path;
use std::process::{Command, Output};

/// What a copy of the example takes from this repository: enough for `cargo metadata`.
const COPIED: [&str; 11] = [
    ".github",
    "ci",
    "docs",
    "Cargo.toml",
    "Cargo.lock",
    "crates",
    "environments",
    "xtask",
    "toolkit/Cargo.toml",
    "toolkit/src",
    "toolkit/benches",
];

/// A copy of the example as committed (the tests must not touch the real one).
fn example() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let dir = tempfile::tempdir().unwrap();
    for entry in COPIED {
        copy(&root.join(entry), &dir.path().join(entry));
    }
    dir
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// This package's program with `args` in `dir`, on a fixed day.
fn xtask(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .current_dir(dir)
        .env("XTASK_TODAY", "2027-01-15")
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn the_shipped_generated_files_are_committed_and_fresh() {
    let dir = example();
    let run = xtask(dir.path(), &["render", "--check"]);
    assert!(
        run.status.success(),
        "run `cargo xtask render` and commit:\n{}{}",
        text(&run.stdout),
        text(&run.stderr)
    );
    // Acme's rule is documented with the toolkit's.
    let rules = std::fs::read_to_string(dir.path().join("docs/checks.md")).unwrap();
    assert!(rules.contains("prod-log-level"), "{rules}");
}

#[test]
fn the_shipped_repository_passes_every_rule_but_placeholders() {
    let dir = example();
    let run = xtask(dir.path(), &["check", "--format", "json"]);
    let others: Vec<serde_json::Value> = text(&run.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .filter(|f: &serde_json::Value| f["rule"] != "placeholder" || f["level"] != "warn")
        .collect();
    assert_eq!(others, Vec::<serde_json::Value>::new());
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
}

#[test]
fn acmes_rule_refuses_debug_logs_in_production_at_their_line() {
    let dir = example();
    // Staging too, which parity holds to production's value: only production is refused.
    for env in ["staging", "prod"] {
        let path = dir
            .path()
            .join(format!("environments/{env}/environment.toml"));
        let before = std::fs::read_to_string(&path).unwrap();
        let edited = before.replace("LOG_LEVEL = \"info\"", "LOG_LEVEL = \"debug\"");
        assert_ne!(edited, before, "the example's {env} sets LOG_LEVEL");
        std::fs::write(&path, edited).unwrap();
    }
    let run = xtask(dir.path(), &["check"]);
    assert_eq!(run.status.code(), Some(1));
    let stderr = text(&run.stderr);
    assert!(
        stderr.contains(
            "error[prod-log-level]: service `hello` logs at `debug` in production (`prod`)"
        ) && stderr.contains("--> environments/prod/environment.toml:"),
        "{stderr}"
    );
    // Its level is set like any rule's, and `explain` knows it.
    let platform = dir.path().join("environments/platform.toml");
    let with_level = std::fs::read_to_string(&platform)
        .unwrap()
        .replace("[checks]\n", "[checks]\nprod-log-level = \"warn\"\n");
    std::fs::write(&platform, with_level).unwrap();
    // docs/checks.md shows each rule's level.
    assert!(xtask(dir.path(), &["render"]).status.success());
    let run = xtask(dir.path(), &["check"]);
    assert_eq!(run.status.code(), Some(0), "{}", text(&run.stderr));
    assert!(text(&run.stderr).contains("warning[prod-log-level]"));
    let explain = xtask(dir.path(), &["explain", "prod-log-level"]);
    assert!(text(&explain.stdout).contains("production services log at info or above"));
}

#[test]
fn a_repository_this_program_makes_gets_none_of_acmes_rules() {
    // Its own program is the toolkit alone: Acme's rule must not be in its docs, its
    // schema or its checks, or its first `render --check` would fail.
    let work = tempfile::tempdir().unwrap();
    let toolkit = Path::new(env!("CARGO_MANIFEST_DIR")).join("../toolkit");
    let toolkit = format!("path:{}", toolkit.canonicalize().unwrap().display());
    let args = [
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
    let run = xtask(work.path(), &args);
    assert!(run.status.success(), "{}", text(&run.stderr));
    let dir = work.path().join("globex");
    for generated in ["docs/checks.md", "environments/platform.schema.json"] {
        let body = std::fs::read_to_string(dir.join(generated)).unwrap();
        assert!(
            !body.contains("prod-log-level"),
            "{generated} names Acme's rule"
        );
    }
}
