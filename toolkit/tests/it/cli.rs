//! End to end: `list`, `show`, `--help` and finding the repository, run as the binary on
//! temporary copies of the test organisation and on the shipped example.

use crate::common;
use common::{Repo, assert_commented};
use pretty_assertions::assert_eq;

// The shipped example.

#[test]
fn every_example_environment_can_be_listed_and_shown() {
    let repo = Repo::example();
    let list = repo.run(&["list"]).success().stdout();
    let names: Vec<&str> = list
        .lines()
        .skip(1)
        .filter_map(|line| line.split_whitespace().next())
        .collect();
    assert!(!names.is_empty(), "{list}");
    for env in names {
        repo.run(&["show", env]).success();
        repo.run(&["show", env, "--format", "json"]).success();
    }
}

// The test organisation.

#[test]
fn list_shows_every_environment() {
    let out = Repo::fixture().run(&["list"]).success().stdout();
    assert_eq!(
        out,
        "\
NAME           STAGE          ACCOUNT       REGION     CLUSTER ID             ZONE
ci             ci             111122223333  us-east-2  initech-ci             ci.initech.test
dev            development    111122223333  us-east-2  initech-dev            dev.initech.test
identity       identity       999988887777  us-east-2  -                      -
observability  observability  777788889999  us-east-2  initech-observability  observability.initech.test
prod           production     444455556666  us-east-2  initech-prod           prod.initech.test
staging        staging        111122223333  us-east-2  initech-staging        staging.initech.test
"
    );
}

#[test]
fn show_toml_marks_each_value_with_its_origin_and_parses_back() {
    let repo = Repo::fixture();
    let out = repo.run(&["show", "prod"]).success().stdout();
    let stage_line = repo
        .read("environments/prod/environment.toml")
        .lines()
        .position(|l| l.starts_with("stage ="))
        .unwrap()
        + 1;
    crate::common::assert_output(
        "cli/show_toml_marks_each_value_with_its_origin_and_parses_back",
        &out,
        &[
            "id = \"initech-prod\"",
            "api_host = \"k8s.prod.initech.test\"",
            "otlp_endpoint = \"https://otlp.observability.initech.test/prod/v1/logs\"",
            "group = \"podplane:viewers\"",
            "host = \"storefront.prod.initech.test\"",
            "image = \"ghcr.io/initech/storefront:1.2.0\"",
        ],
    );
    let stage_origin = format!("environments/prod/environment.toml:{stage_line}:9");
    assert_commented(&out, "stage = ", &stage_origin);
    assert_commented(&out, "id = ", "convention cluster_id = \"{{org}}-{{env}}\"");
    assert_commented(&out, "region = ", "environments/platform.toml:");
    assert_commented(&out, "template = ", "crates/mailer/Cargo.toml:");
    let parsed: toml_edit::DocumentMut = out.parse().expect("show prints valid TOML");
    assert_eq!(
        parsed["cluster"]["client_id"].as_str(),
        Some("initech-prod")
    );
    let storefront = &parsed["services"]["storefront"];
    assert_eq!(storefront["version"].as_str(), Some("1.2.0"));
    assert_eq!(storefront["template"].as_str(), Some("web"));
    assert_eq!(storefront["port"].as_integer(), Some(9090));
    assert!(
        storefront.get("replicas").is_none(),
        "a web service runs one"
    );
    let mailer = &parsed["services"]["mailer"];
    assert_eq!(mailer["template"].as_str(), Some("worker"));
    assert_eq!(mailer["replicas"].as_integer(), Some(4));
    assert!(mailer.get("host").is_none(), "a worker has no host name");
    assert!(mailer.get("port").is_none(), "a worker has no port");
    assert_eq!(
        parsed["pools"]["workers"]["disk_size"].as_integer(),
        Some(200)
    );
    assert_eq!(
        parsed["pools"]["ingress"]["disk_size"].as_integer(),
        Some(100)
    );
}

#[test]
fn show_json_gives_values_and_structured_sources() {
    let out = Repo::fixture()
        .run(&["show", "staging", "--format", "json"])
        .success()
        .stdout();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let values = &json["values"];
    assert_eq!(values["cluster"]["id"]["value"], "initech-staging");
    assert_eq!(values["cluster"]["id"]["source"]["kind"], "convention");
    assert_eq!(values["stage"]["source"]["kind"], "file");
    assert_eq!(
        values["stage"]["source"]["path"],
        "environments/staging/environment.toml"
    );
    assert!(values["stage"]["source"]["line"].as_u64().unwrap() > 1);
    assert_eq!(
        values["services"]["storefront"]["version"]["value"],
        "1.3.0"
    );
    assert_eq!(values["services"]["mailer"]["replicas"]["value"], 2);
    assert_eq!(
        values["access"]["developers"]["members"]["value"][0],
        "cy@initech.test"
    );
    assert_eq!(
        values["components"]["seed"]["source"]["path"],
        "environments/platform.toml"
    );
}

#[test]
fn every_environment_can_be_shown() {
    let repo = Repo::fixture();
    for env in ["ci", "dev", "identity", "observability", "prod", "staging"] {
        repo.run(&["show", env]).success();
    }
    let identity = repo.run(&["show", "identity"]).success().stdout();
    crate::common::assert_output(
        "cli/every_environment_can_be_shown",
        &identity,
        &["hostname = \"auth.initech.test\"", "connector = \"github\""],
    );
    assert!(!identity.contains("[cluster]"), "identity runs no cluster");
}

#[test]
fn the_repository_is_found_from_a_subdirectory_and_with_dash_c() {
    let repo = Repo::fixture();
    let from_inside = repo
        .run_in(&repo.path("environments/prod"), &["list"])
        .success()
        .stdout();
    let outside = common::tempdir();
    let with_c = repo
        .run_in(
            outside.path(),
            &[
                "-C",
                repo.path("crates/storefront").to_str().unwrap(),
                "list",
            ],
        )
        .success()
        .stdout();
    assert_eq!(from_inside, with_c);
    let lost = repo.run_in(outside.path(), &["list"]);
    assert_eq!(lost.code(), 2);
    crate::common::assert_output(
        "cli/the_repository_is_found_from_a_subdirectory_and_with_dash_c",
        &lost.stderr(),
        &["could not find environments/platform.toml", "-C DIR"],
    );
}

#[test]
fn every_command_explains_itself_with_an_example() {
    let repo = Repo::fixture();
    let commands = [
        "list", "show", "new-env", "render", "diff", "parity", "promote", "check", "explain",
    ];
    let top = repo.run(&["--help"]).success().stdout();
    for command in commands {
        crate::common::assert_output(
            "cli/every_command_explains_itself_with_an_example",
            &top,
            &[command],
        );
        let out = repo.run(&[command, "--help"]).success().stdout();
        crate::common::assert_output(
            "cli/every_command_explains_itself_with_an_example-2",
            &out,
            &["Example", &format!("cargo xtask {command}")],
        );
    }
}

// Naming: conventions and their overrides.

/// What bash offers after the words of `line` (the last one being typed), through the
/// script `completions bash` prints, loaded in a real bash in `repo`, as bash calls a
/// completion function.
fn bash_offers(repo: &Repo, script: &str, line: &[&str]) -> Vec<String> {
    let words: Vec<String> = line.iter().map(|w| format!("'{w}'")).collect();
    let program = format!(
        "{script}\nCOMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); COMP_TYPE=9\n\
         _clap_complete_xtask xtask \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
         printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
        words = words.join(" ")
    );
    let out = std::process::Command::new("bash")
        .args(["--norc", "-c", &program])
        .current_dir(repo.path("."))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// `completions bash`, loaded in bash, completes commands, environments (and ENV@REV),
/// rule ids and services from the repository it is in; the other shells get their scripts.
#[test]
fn the_shell_completes_environments_services_and_rules() {
    let repo = Repo::fixture();
    repo.commit_all();
    let script = repo.run(&["completions", "bash"]).success().stdout();
    assert!(script.contains("complete -o"), "{script}");
    let offers = |line: &[&str]| bash_offers(&repo, &script, line);
    assert_eq!(offers(&["xtask", "diff", "stag"]), ["staging"]);
    let next = offers(&["xtask", "diff", "staging", ""]);
    assert!(next.iter().any(|w| w == "prod"), "{next:?}");
    assert_eq!(offers(&["xtask", "diff", "prod@HE"]), ["prod@HEAD"]);
    assert_eq!(
        offers(&["xtask", "explain", "prod-s"]),
        ["prod-separate-account"]
    );
    let services = offers(&["xtask", "bump", ""]);
    assert!(
        services.starts_with(&["mailer".to_owned(), "storefront".to_owned()]),
        "{services:?}"
    );
    assert_eq!(offers(&["xtask", "pari"]), ["parity"]);
    // A new environment completes at once: the shell asks the program each time.
    repo.run(&["new-env", "qa", "--stage", "staging", "--like", "staging"])
        .success();
    assert_eq!(offers(&["xtask", "show", "q"]), ["qa"]);
    for shell in ["zsh", "fish", "powershell", "elvish"] {
        let script = repo.run(&["completions", shell]).success().stdout();
        assert!(script.contains("XTASK_COMPLETE"), "{shell}: {script}");
    }
    let refused = repo.refuses(&["completions", "tcsh"]);
    assert!(
        refused.contains("no completion for the shell `tcsh`"),
        "{refused}"
    );
}

/// `man` prints a manual page that names every command, and with `--out` one page per
/// command; `man` itself (groff) renders them without a warning.
#[test]
fn the_manual_is_made_from_the_same_definitions() {
    let repo = Repo::fixture();
    let page = repo.run(&["man"]).success().stdout();
    assert!(page.contains(".TH cargo-xtask 1"), "{page}");
    let help = repo.run(&["--help"]).success().stdout();
    for command in [
        "list",
        "show",
        "diff",
        "promote",
        "bump",
        "completions",
        "man",
    ] {
        assert!(
            help.contains(command) && page.contains(command),
            "{command}"
        );
    }
    let out = common::tempdir();
    let out_dir = out.path().join("man");
    repo.run(&["man", "--out", out_dir.to_str().unwrap()])
        .success();
    let mut pages: Vec<String> = std::fs::read_dir(&out_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    for command in [
        "",
        "-list",
        "-show",
        "-diff",
        "-parity",
        "-promote",
        "-bump",
        "-check",
        "-render",
        "-new-env",
        "-new-repo",
        "-new-service",
        "-upgrade",
        "-completions",
        "-man",
    ] {
        let name = format!("cargo-xtask{command}.1");
        assert!(pages.contains(&name), "{name}: {pages:?}");
    }
    if std::process::Command::new("groff")
        .arg("--version")
        .output()
        .is_ok()
    {
        let rendered = std::process::Command::new("groff")
            .args(["-k", "-man", "-Tutf8", "-ww", "-z"])
            .arg(out_dir.join("cargo-xtask-diff.1"))
            .output()
            .unwrap();
        assert!(
            rendered.status.success() && rendered.stderr.is_empty(),
            "{}",
            String::from_utf8_lossy(&rendered.stderr)
        );
    } else {
        common::notice("groff is not installed: the manual pages are not rendered");
    }
}
