//! End to end: `new-repo` makes a platform monorepo for another organisation that works at
//! once, refuses bad flags and unusable directories without writing anything, and leaves
//! nothing of the example organisation behind.

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Run;
use pretty_assertions::assert_eq;

/// Runs the binary in `cwd`.
fn xtask(cwd: &Path, args: &[&str]) -> Run {
    Run(common::xtask(cwd, args).output().unwrap())
}

/// A new repository for Globex in a fresh temporary directory, made with `extra` flags.
fn globex(extra: &[&str]) -> (tempfile::TempDir, PathBuf, Run) {
    let tmp = common::tempdir();
    let mut args = vec![
        "new-repo",
        "globex",
        "--org",
        "globex",
        "--domain",
        "globex.io",
    ];
    let toolkit = common::toolkit_flag();
    args.extend(["--toolkit", &toolkit]);
    args.extend(extra);
    let run = xtask(tmp.path(), &args);
    let dir = tmp.path().join("globex");
    (tmp, dir, run)
}

/// Every file under `dir` but `.git/`, relative, in path order.
fn files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.file_name().unwrap() == ".git" {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else {
                found.push(path.strip_prefix(dir).unwrap().to_path_buf());
            }
        }
    }
    found.sort();
    found
}

/// The example organisation's slug. Its names are spelled out from it here, so that this
/// file, which a new repository gets too, does not name it.
const EXAMPLE: &str = "acme";

/// Where `text` names the example organisation: its domain, its registry, its human name
/// as a word, or one of its cluster ids as a whole token (`acme-staging-v02`, in Let's
/// Encrypt's staging directory, is not one).
fn example_names(text: &str) -> Vec<String> {
    let mut found = Vec::new();
    for needle in [format!("{EXAMPLE}.dev"), format!("ghcr.io/{EXAMPLE}")] {
        if text.contains(&needle) {
            found.push(needle);
        }
    }
    let word = |c: Option<char>| c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_');
    let token = |c: Option<char>| word(c) || c == Some('-');
    let human = format!("{}{}", EXAMPLE[..1].to_uppercase(), &EXAMPLE[1..]);
    for (at, _) in text.match_indices(&human) {
        let before = text[..at].chars().next_back();
        let after = text[at + human.len()..].chars().next();
        if !word(before) && !word(after) {
            found.push(human.clone());
        }
    }
    for env in ["dev", "staging", "prod", "ci", "observability", "identity"] {
        let id = format!("{EXAMPLE}-{env}");
        for (at, _) in text.match_indices(&id) {
            if !token(text[at + id.len()..].chars().next()) {
                found.push(id.clone());
            }
        }
    }
    found
}

#[test]
fn the_example_names_are_found_where_they_are_and_only_there() {
    let named = format!(
        "{h} Production at prod.{o}.dev runs {o}-prod, ghcr.io/{o}/hello",
        h = "Ac".to_owned() + "me",
        o = EXAMPLE
    );
    assert_eq!(
        example_names(&named).len(),
        4,
        "{:?}",
        example_names(&named)
    );
    let unnamed = format!(
        "{h}Account; https://{o}-staging-v02.api.letsencrypt.org; [{o}]",
        h = "Ac".to_owned() + "me",
        o = EXAMPLE
    );
    assert_eq!(example_names(&unnamed), Vec::<String>::new());
}

#[test]
fn a_new_repository_works_at_once_for_another_organisation() {
    let (_tmp, dir, run) = globex(&["--no-git"]);
    let out = run.success().stderr();
    crate::common::assert_output(
        "new_repo/a_new_repository_works_at_once_for_another_organisation",
        &out,
        &[
            "created globex: the platform repository of Globex",
            "prod           cluster globex-prod in zone prod.globex.io, VPC 10.30.0.0/16",
            "identity       OIDC issuer https://auth.globex.io",
            "placeholder(s) to fill in",
            "identity, observability, ci, dev, staging, prod",
            ".github/workflows/ deploys through",
        ],
    );
    for expected in [
        "Cargo.toml",
        "Cargo.lock",
        ".cargo/config.toml",
        ".ci/run",
        ".gitignore",
        "README.md",
        "toolkit.toml",
        "xtask/Cargo.toml",
        "xtask/src/main.rs",
        "crates/hello/Cargo.toml",
        "crates/hello/src/main.rs",
        "ci/pins.toml",
        "ci/build-image.sh",
        "crates/hello/Containerfile",
        ".dockerignore",
        ".github/workflows/pull-request.yml",
        ".github/workflows/main.yml",
        ".github/workflows/promote.yml",
        "docs/environments.md",
        "docs/checks.md",
        "environments/platform.toml",
        "environments/identity/podplane.oidc.jsonc",
        "environments/prod/podplane.cluster.jsonc",
        "environments/staging/deploy.sh",
    ] {
        assert!(dir.join(expected).is_file(), "{expected} is missing");
    }
    let list = xtask(&dir, &["list"]).success().stdout();
    for env in ["ci", "dev", "observability", "prod", "staging"] {
        crate::common::assert_output(
            "new_repo/a_new_repository_works_at_once_for_another_organisation-2",
            &list,
            &[&format!("globex-{env}"), &format!("{env}.globex.io")],
        );
    }

    // Sound: no rule fails, and every warning is a placeholder that says what belongs there.
    let check = xtask(&dir, &["check", "--format", "json"]);
    assert_eq!(check.code(), 0, "{}", check.stdout());
    let findings: Vec<serde_json::Value> = check
        .stdout()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert!(findings.len() >= 6, "{findings:#?}");
    for finding in &findings {
        assert_eq!(finding["rule"], "placeholder", "{finding:#}");
        assert_eq!(finding["level"], "warn", "{finding:#}");
    }
    let human = xtask(&dir, &["check"]).success().stderr();
    crate::common::assert_output(
        "new_repo/a_new_repository_works_at_once_for_another_organisation-3",
        &human,
        &[
            "`account` is still the placeholder `<production-account-id>`",
            "--> environments/prod/environment.toml:8:11",
            "help: put the 12-digit AWS account id",
            "`defaults.components.seed_digest` is still the placeholder `<seed-digest>`",
            "`teams.developers` is still the placeholder `<developer-email>`",
        ],
    );
    xtask(&dir, &["diff", "staging", "prod"]).success();
    xtask(&dir, &["render", "--check"]).success();

    // The lock file holds exactly this workspace: cargo resolves nothing anew. Not
    // `--offline`: that needs every locked package, Windows-only ones included, in this
    // machine's cache, which says nothing about the lock file.
    let metadata = Command::new("cargo")
        .args(["metadata", "--locked", "--format-version", "1"])
        .current_dir(&dir)
        .output()
        .unwrap();
    assert!(
        metadata.status.success(),
        "{}",
        String::from_utf8_lossy(&metadata.stderr)
    );

    for file in files(&dir) {
        let text = String::from_utf8_lossy(&std::fs::read(dir.join(&file)).unwrap()).into_owned();
        let names = example_names(&text);
        assert!(names.is_empty(), "{} names {names:?}", file.display());
    }
}

#[test]
fn the_new_repository_gets_one_first_commit_on_main() {
    let (_tmp, dir, run) = globex(&[]);
    crate::common::assert_output(
        "new_repo/the_new_repository_gets_one_first_commit_on_main",
        &run.success().stderr(),
        &["git repository on branch `main` with one commit"],
    );
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .args(args)
            .current_dir(&dir)
            .output()
            .unwrap();
        assert!(out.status.success(), "git {args:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    assert_eq!(git(&["rev-parse", "--abbrev-ref", "HEAD"]).trim(), "main");
    assert_eq!(git(&["rev-list", "--count", "HEAD"]).trim(), "1");
    assert_eq!(
        git(&["status", "--porcelain"]),
        "",
        "everything is committed"
    );
    let tracked = git(&["ls-files"]);
    assert!(tracked.lines().any(|f| f == "toolkit.toml"));
    assert!(!tracked.lines().any(|f| f.starts_with("toolkit/")));
}

#[test]
fn inside_a_git_repository_no_second_repository_is_made() {
    let tmp = common::tempdir();
    let init = Command::new("git")
        .args(["init", "--quiet"])
        .current_dir(tmp.path())
        .status()
        .unwrap();
    assert!(init.success());
    let run = xtask(
        tmp.path(),
        &[
            "new-repo",
            "platform",
            "--org",
            "globex",
            "--domain",
            "globex.io",
            "--toolkit",
            &common::toolkit_flag(),
        ],
    );
    crate::common::assert_output(
        "new_repo/inside_a_git_repository_no_second_repository_is_made",
        &run.success().stderr(),
        &["no git repository made: the directory is inside one already"],
    );
    assert!(
        tmp.path()
            .join("platform/environments/platform.toml")
            .is_file()
    );
    assert!(!tmp.path().join("platform/.git").exists());
}

#[test]
fn flags_set_what_they_name_and_leave_fewer_placeholders() {
    let (_tmp, dir, run) = globex(&[
        "--name",
        "Globex Corporation",
        "--region",
        "us-east-2",
        "--registry",
        "registry.globex.io/platform",
        "--prod-account",
        "444455556666",
        "--nonprod-account",
        "111122223333",
        "--observability-account",
        "777788889999",
        "--identity-account",
        "999988887777",
        "--admin",
        "hank@globex.io",
        "--no-git",
    ]);
    run.success();
    let list = xtask(&dir, &["list"]).success().stdout();
    crate::common::assert_output(
        "new_repo/flags_set_what_they_name_and_leave_fewer_placeholders",
        &list,
        &["prod           production     444455556666  us-east-2"],
    );
    let cluster =
        std::fs::read_to_string(dir.join("environments/prod/podplane.cluster.jsonc")).unwrap();
    crate::common::assert_output(
        "new_repo/flags_set_what_they_name_and_leave_fewer_placeholders",
        &cluster,
        &[
            "\"name\": \"Globex Corporation Production\"",
            "\"email\": \"hank@globex.io\"",
        ],
    );
    let manifest = std::fs::read_to_string(dir.join("crates/hello/Cargo.toml")).unwrap();
    crate::common::assert_output(
        "new_repo/flags_set_what_they_name_and_leave_fewer_placeholders",
        &manifest,
        &["image = \"registry.globex.io/platform/hello\""],
    );
    let check = xtask(&dir, &["check"]).success().stderr();
    assert!(!check.contains("account` is still"), "{check}");
    assert!(!check.contains("`teams.platform`"), "{check}");
    crate::common::assert_output(
        "new_repo/flags_set_what_they_name_and_leave_fewer_placeholders-2",
        &check,
        &["`teams.developers` is still the placeholder"],
    );
}

#[test]
fn dry_run_lists_the_files_and_names_and_writes_nothing() {
    let (tmp, dir, run) = globex(&["--dry-run"]);
    let out = run.success().stderr();
    crate::common::assert_output(
        "new_repo/dry_run_lists_the_files_and_names_and_writes_nothing",
        &out,
        &[
            "would create globex with",
            "(--dry-run: nothing written)",
            "  environments/prod/podplane.cluster.jsonc",
            "  xtask/src/main.rs",
            "  toolkit.toml",
            "staging        cluster globex-staging in zone staging.globex.io",
        ],
    );
    assert!(!dir.exists());
    assert_eq!(
        std::fs::read_dir(tmp.path()).unwrap().count(),
        0,
        "nothing beside it either"
    );
    // Each file once, and as many as it says.
    let listed: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.starts_with("would create"))
        .skip(1)
        .take_while(|l| l.starts_with("  ") && !l[2..].contains(' '))
        .collect();
    let unique: std::collections::BTreeSet<&&str> = listed.iter().collect();
    assert_eq!(unique.len(), listed.len(), "a file is listed twice");
    crate::common::assert_output(
        "new_repo/dry_run_lists_the_files_and_names_and_writes_nothing-2",
        &out,
        &[&format!("would create globex with {} files", listed.len())],
    );
}

/// Runs `new-repo` with `args` in an empty directory that holds `existing`, and checks that
/// it fails with exit code 2 and leaves the directory as it was. Returns stderr.
fn refused(existing: &[&str], args: &[&str]) -> String {
    let tmp = common::tempdir();
    for file in existing {
        let path = tmp.path().join(file);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, "mine").unwrap();
    }
    let before = files(tmp.path());
    let toolkit = common::toolkit_flag();
    let mut all = vec!["new-repo", "--toolkit", &toolkit];
    all.extend(args);
    let run = xtask(tmp.path(), &all);
    assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
    assert_eq!(files(tmp.path()), before, "{args:?} changed the directory");
    run.stderr()
}

#[test]
fn bad_flags_are_refused_by_name_and_nothing_is_written() {
    let base = ["out", "--org", "globex", "--domain", "globex.io"];
    let with = |flag: &'static str, value: &'static str| -> Vec<&'static str> {
        let mut args = base.to_vec();
        match args.iter().position(|a| *a == flag) {
            Some(at) => args[at + 1] = value,
            None => args.extend([flag, value]),
        }
        args
    };
    for (args, expected) in [
        (with("--org", "Globex"), "invalid --org:"),
        (with("--org", "globex-"), "invalid --org:"),
        (
            with("--org", "globex-industries-intl"),
            "invalid --org: the cluster id `globex-industries-intl-observability` it makes is invalid",
        ),
        (with("--domain", "globex"), "invalid --domain:"),
        (with("--domain", "Globex.io"), "invalid --domain:"),
        (with("--region", "europe"), "invalid --region:"),
        (with("--prod-account", "12345"), "invalid --prod-account:"),
        (with("--admin", "hank"), "invalid --admin:"),
        (with("--registry", "ghcr.io/Globex"), "invalid --registry:"),
        (with("--name", " "), "invalid --name:"),
        (
            with("--name", "Globex\"\n[checks]\nplaceholder = \"allow"),
            "invalid --name: this text holds a line break",
        ),
        (with("--admin", "hank|x@globex.io"), "invalid --admin:"),
        (with("--github", "globex"), "invalid --github:"),
    ] {
        let err = refused(&[], &args);
        crate::common::assert_output(
            "new_repo/bad_flags_are_refused_by_name_and_nothing_is_written",
            &err,
            &[expected],
        );
        crate::common::assert_output(
            "new_repo/bad_flags_are_refused_by_name_and_nothing_is_written",
            &err,
            &["help:"],
        );
    }
    let same = [
        "out",
        "--org",
        "globex",
        "--domain",
        "globex.io",
        "--prod-account",
        "111122223333",
        "--nonprod-account",
        "111122223333",
    ];
    crate::common::assert_output(
        "new_repo/bad_flags_are_refused_by_name_and_nothing_is_written",
        &refused(&[], &same),
        &["invalid --prod-account: production's account"],
    );
}

#[test]
fn a_directory_that_is_not_empty_is_refused() {
    let err = refused(
        &["out/notes.txt"],
        &["out", "--org", "globex", "--domain", "globex.io"],
    );
    crate::common::assert_output(
        "new_repo/a_directory_that_is_not_empty_is_refused",
        &err,
        &["out exists and is not empty"],
    );
    let err = refused(
        &["out"],
        &["out", "--org", "globex", "--domain", "globex.io"],
    );
    crate::common::assert_output(
        "new_repo/a_directory_that_is_not_empty_is_refused",
        &err,
        &["out exists and is not a directory"],
    );
    let err = refused(
        &[],
        &["no/such/out", "--org", "globex", "--domain", "globex.io"],
    );
    crate::common::assert_output(
        "new_repo/a_directory_that_is_not_empty_is_refused",
        &err,
        &["the parent directory of no/such/out does not exist"],
    );
}

#[test]
fn an_empty_directory_is_filled() {
    let tmp = common::tempdir();
    std::fs::create_dir(tmp.path().join("out")).unwrap();
    xtask(
        tmp.path(),
        &[
            "new-repo",
            "out",
            "--org",
            "globex",
            "--domain",
            "globex.io",
            "--no-git",
            "--toolkit",
            &common::toolkit_flag(),
        ],
    )
    .success();
    assert!(tmp.path().join("out/environments/platform.toml").is_file());
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path()).unwrap().collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no temporary directory is left beside it"
    );
}

/// Every file and directory a new repository's README names (in backquotes) exists in
/// it, and every `cargo xtask` command it shows is one the toolkit has.
#[test]
fn everything_the_new_readme_names_exists() {
    let (_tmp, dir, run) = globex(&["--no-git"]);
    run.success();
    let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
    let quoted: Vec<&str> = readme.split('`').skip(1).step_by(2).collect();
    let mut paths = 0;
    for text in &quoted {
        let looks_like_path = !text.contains(' ')
            && !text.contains('<')
            && !text.starts_with("http")
            && !text.contains('@')
            && (text.contains('/')
                || [".md", ".toml", ".yml", ".sh", ".jsonc", ".json"]
                    .iter()
                    .any(|ext| text.ends_with(ext)));
        if looks_like_path {
            let path = text.trim_end_matches('/');
            let found = dir.join(path).exists()
                || std::fs::read_dir(dir.join("environments"))
                    .unwrap()
                    .any(|env| env.unwrap().path().join(path).exists());
            assert!(
                found,
                "the README names `{text}`, which a new repository does not have"
            );
            paths += 1;
        }
    }
    assert!(paths >= 5, "{paths} paths in:\n{readme}");
    let mut commands = 0;
    for line in readme.lines().chain(quoted.iter().copied()) {
        let Some(at) = line.find("cargo xtask ") else {
            continue;
        };
        let command = line[at + "cargo xtask ".len()..]
            .split(|c: char| c.is_whitespace() || c == '`')
            .next()
            .unwrap();
        if command.starts_with('<') || command.chars().any(|c| c.is_ascii_uppercase()) {
            continue;
        }
        xtask(&dir, &[command, "--help"]).success();
        commands += 1;
    }
    assert!(commands >= 5, "{commands} commands in:\n{readme}");
}

/// The README's everyday commands, each run as written in a new repository of each shape,
/// in order: none is refused.
#[test]
fn the_readmes_everyday_commands_work_as_written_in_each_shape() {
    for shape in ["mature", "smallest"] {
        let (_tmp, dir, run) = globex(&["--no-git", "--shape", shape]);
        run.success();
        let readme = std::fs::read_to_string(dir.join("README.md")).unwrap();
        let block = readme
            .split("## Everyday commands")
            .nth(1)
            .and_then(|rest| rest.split("```sh\n").nth(1))
            .and_then(|rest| rest.split("```").next())
            .unwrap_or_else(|| panic!("no everyday commands in:\n{readme}"));
        let mut ran = 0;
        for line in block.lines() {
            let command = line.split('#').next().unwrap().trim();
            let Some(args) = command.strip_prefix("cargo xtask ") else {
                continue;
            };
            let args: Vec<&str> = args.split_whitespace().collect();
            let out = xtask(&dir, &args);
            assert_eq!(out.code(), 0, "{shape}: `{command}`:\n{}", out.stderr());
            ran += 1;
        }
        assert!(ran >= 5, "{shape}: {ran} commands in:\n{block}");
    }
}
