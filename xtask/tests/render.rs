//! `cargo xtask render`: the generated files, checked by their real consumers: Podplane's
//! schemas and rules, bash and shellcheck.

mod common;
mod podplane;

use std::process::Command;

use common::{Repo, assert_contains};
use pretty_assertions::assert_eq;
use serde_json::Value;

/// Every generated file name under `environments/<env>/`.
fn generated_in(repo: &Repo, name: &str) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(repo.path("environments")).unwrap() {
        let dir = entry.unwrap().path();
        let file = dir.join(name);
        if file.is_file() {
            let env = dir.file_name().unwrap().to_string_lossy().into_owned();
            found.push((env, std::fs::read_to_string(file).unwrap()));
        }
    }
    found.sort();
    found
}

/// Checks every Podplane file of `repo` against the schemas and the rules; returns how
/// many cluster configs there were.
fn assert_podplane_accepts(repo: &Repo) -> usize {
    let clusters: Vec<(String, Value)> = generated_in(repo, "podplane.cluster.jsonc")
        .into_iter()
        .map(|(env, text)| (env, podplane::parse_jsonc(&text)))
        .collect();
    for (env, config) in &clusters {
        assert_eq!(
            podplane::schema_errors("podplane.cluster.schema.json", config),
            Vec::<String>::new(),
            "{env}"
        );
        assert_eq!(
            podplane::cluster_rule_violations(config),
            Vec::<String>::new(),
            "{env}"
        );
    }
    assert_eq!(podplane::overlapping_vpcs(&clusters), Vec::<String>::new());
    for (env, text) in generated_in(repo, "podplane.oidc.jsonc") {
        let config = podplane::parse_jsonc(&text);
        assert_eq!(
            podplane::schema_errors("podplane.oidc.schema.json", &config),
            Vec::<String>::new(),
            "{env}"
        );
        assert_eq!(
            podplane::oidc_rule_violations(&config),
            Vec::<String>::new(),
            "{env}"
        );
    }
    clusters.len()
}

#[test]
fn the_shipped_generated_files_are_committed_and_fresh() {
    let run = Repo::example().run(&["render", "--check"]);
    assert_eq!(
        run.code(),
        0,
        "run `cargo xtask render` and commit:\n{}",
        run.stdout()
    );
}

#[test]
fn the_example_renders_what_podplane_accepts() {
    let repo = Repo::example();
    assert_eq!(
        assert_podplane_accepts(&repo),
        5,
        "dev, staging, prod, ci, observability"
    );
    let files: Vec<String> = generated_in(&repo, "podplane.oidc.jsonc")
        .into_iter()
        .map(|(env, _)| env)
        .collect();
    assert_eq!(files, ["identity"]);
}

#[test]
fn variations_of_the_example_render_what_podplane_accepts() {
    let repo = Repo::example();
    // No ACME anywhere (self-signed certificates), a seed of none, a /20 VPC, one zone,
    // hosted CI, and new environments of every stage.
    let platform = repo.read("environments/platform.toml");
    let start = platform.find("[acme]").unwrap();
    let end = start + platform[start..].find("\n\n").unwrap();
    repo.write(
        "environments/platform.toml",
        &format!("{}{}", &platform[..start], &platform[end..]),
    );
    for env in ["dev", "staging"] {
        let file = format!("environments/{env}/environment.toml");
        repo.edit(
            &file,
            "[acme]\nserver = \"https://acme-staging-v02.api.letsencrypt.org/directory\"\n",
            "",
        );
    }
    repo.edit(
        "environments/dev/environment.toml",
        "vpc = \"10.10.0.0/16\"\nzones = 2",
        "vpc = \"10.10.0.0/20\"\nzones = 1\n\n[components]\nseed = \"none\"\nseed_version = \"\"",
    );
    let dev = repo
        .read("environments/dev/environment.toml")
        .replace("seed_version = \"\"\n", "");
    repo.write("environments/dev/environment.toml", &dev);
    repo.write(
        "environments/ci/environment.toml",
        "stage = \"ci\"\naccount = \"123456789012\"\n\n[ci]\nrunners = \"hosted\"\n\n[access]\nplatform = \"admins\"\n",
    );
    repo.run(&["new-env", "qa", "--stage", "staging", "--like", "prod"])
        .success();
    repo.run(&[
        "new-env",
        "prod-us",
        "--stage",
        "production",
        "--account",
        "345678901234",
        "--region",
        "us-east-1",
    ])
    .success();
    repo.run(&["render"]).success();
    repo.run(&["render", "--check"]).success();
    assert_eq!(
        assert_podplane_accepts(&repo),
        6,
        "dev, staging, prod, observability, qa, prod-us; not hosted ci"
    );
    let dev = podplane::parse_jsonc(&repo.read("environments/dev/podplane.cluster.jsonc"));
    assert_eq!(dev["cluster"]["seed"], serde_json::json!({"name": "none"}));
    assert!(dev["cluster"].get("acme").is_none());
    assert!(
        !repo.path("environments/ci/podplane.cluster.jsonc").exists(),
        "hosted CI has no cluster"
    );
    let prod_us = podplane::parse_jsonc(&repo.read("environments/prod-us/podplane.cluster.jsonc"));
    assert_eq!(prod_us["cluster"]["providers"][0]["region"], "us-east-1");
    assert!(
        prod_us["cluster"]["providers"][0]["zones"]
            .get("us-east-1c")
            .is_some()
    );
}

/// What a broken config should be refused for, and how to break it.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn the_rules_checker_catches_what_podplane_refuses() {
    let repo = Repo::example();
    let good = podplane::parse_jsonc(&repo.read("environments/prod/podplane.cluster.jsonc"));
    assert!(podplane::cluster_rule_violations(&good).is_empty());
    let breakages: [Breakage; 5] = [
        ("unknown pool", |c| {
            c["cluster"]["providers"][0]["load_balancers"]["main"]["listeners"][0]["pool"] =
                "edge".into()
        }),
        ("does not listen on 443", |c| {
            c["cluster"]["providers"][0]["load_balancers"]["main"]["listeners"][0]["port"] =
                80.into()
        }),
        ("not public", |c| {
            c["cluster"]["providers"][0]["zones"]["eu-west-1a"][0]["public"] = false.into()
        }),
        ("not a canonical CIDR inside", |c| {
            c["cluster"]["providers"][0]["zones"]["eu-west-1a"][2]["v4cidr"] = "10.99.1.0/24".into()
        }),
        ("exactly one of pool and services", |c| {
            c["cluster"]["providers"][0]["zones"]["eu-west-1b"][2]["services"] =
                serde_json::json!(["nstance"])
        }),
    ];
    for (expected, break_it) in breakages {
        let mut bad = good.clone();
        break_it(&mut bad);
        let violations = podplane::cluster_rule_violations(&bad).join("\n");
        assert!(
            violations.contains(expected),
            "`{expected}` not in {violations:?}"
        );
    }
    let mut oidc = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
    oidc["oidc"]["clients"]["acme-prod"]["groups_override"] = "nope".into();
    assert_contains(
        &podplane::oidc_rule_violations(&oidc).join("\n"),
        &["unknown groups override `nope`"],
    );
    let mut schema_bad = good.clone();
    schema_bad["cluster"]["seed"]["digest"] = "sha512:xyz".into();
    assert!(!podplane::schema_errors("podplane.cluster.schema.json", &schema_bad).is_empty());
}

#[test]
fn the_oidc_config_has_a_client_per_cluster_and_each_environments_groups() {
    let repo = Repo::example();
    let config = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
    let oidc = &config["oidc"];
    assert_eq!(oidc["hostname"], "auth.acme.dev");
    let clients: Vec<&String> = oidc["clients"].as_object().unwrap().keys().collect();
    assert_eq!(
        clients,
        [
            "acme-ci",
            "acme-dev",
            "acme-observability",
            "acme-prod",
            "acme-staging"
        ]
    );
    assert_eq!(oidc["clients"]["acme-prod"]["groups_override"], "prod");
    let prod = &oidc["groups_overrides"]["prod"];
    assert_eq!(
        prod["alice@acme.dev"],
        serde_json::json!(["podplane:admins"])
    );
    assert_eq!(
        prod["carol@acme.dev"],
        serde_json::json!(["podplane:viewers"])
    );
    assert_eq!(
        oidc["groups_overrides"]["dev"]["carol@acme.dev"],
        serde_json::json!(["podplane:operators"])
    );
    assert_eq!(
        oidc["groups_overrides"]["observability"]["frank@acme.dev"],
        serde_json::json!(["podplane:admins"])
    );
}

#[test]
fn a_member_of_two_teams_gets_both_groups() {
    let repo = Repo::example();
    repo.edit(
        "environments/platform.toml",
        "sre = [\"frank@acme.dev\"",
        "sre = [\"carol@acme.dev\", \"frank@acme.dev\"",
    );
    repo.run(&["render"]).success();
    let config = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
    assert_eq!(
        config["oidc"]["groups_overrides"]["prod"]["carol@acme.dev"],
        serde_json::json!(["podplane:operators", "podplane:viewers"])
    );
}

#[test]
fn telemetry_goes_to_observability_and_no_credential_is_written() {
    let repo = Repo::example();
    for (env, text) in generated_in(&repo, "platform.auto.tfvars") {
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        if env == "observability" {
            assert_eq!(settings, ["telemetry_enabled = false"], "{env}");
        } else {
            assert_eq!(
                settings,
                [
                    "telemetry_enabled       = true",
                    "telemetry_otlp_endpoint = \"https://otlp.observability.acme.dev\"",
                ],
                "{env}"
            );
        }
        let lower = text.to_lowercase();
        for word in ["access_key", "secret_access", "password", "token"] {
            assert!(!lower.contains(word), "{env}: {word}");
        }
    }
}

#[test]
fn deploy_scripts_pass_bash_and_shellcheck_and_deploy_each_service() {
    let repo = Repo::example();
    repo.edit(
        "environments/dev/environment.toml",
        "env = { LOG_LEVEL = \"debug\" }",
        "env = { LOG_LEVEL = \"debug\", GREETING = \"it's $HOME\" }",
    );
    repo.run(&["render"]).success();
    let scripts = generated_in(&repo, "deploy.sh");
    assert_eq!(scripts.len(), 5);
    let shellcheck = Command::new("shellcheck").arg("--version").output().is_ok();
    if !shellcheck {
        assert!(
            std::env::var_os("REQUIRE_SHELLCHECK").is_none(),
            "REQUIRE_SHELLCHECK is set but shellcheck is not installed"
        );
        eprintln!("shellcheck is not installed: checking deploy.sh with bash -n only");
    }
    for (env, _) in &scripts {
        let path = repo.path(&format!("environments/{env}/deploy.sh"));
        let bash = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(
            bash.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&bash.stderr)
        );
        if shellcheck {
            let check = Command::new("shellcheck").arg(&path).output().unwrap();
            assert!(
                check.status.success(),
                "{env}: {}",
                String::from_utf8_lossy(&check.stdout)
            );
        }
    }

    // Run dev's script with a stand-in `podplane` that prints the words it was given.
    let bin = repo.path("bin");
    std::fs::create_dir(&bin).unwrap();
    std::fs::write(
        bin.join("podplane"),
        "#!/bin/sh\nfor word in \"$@\"; do printf '[%s]' \"$word\"; done; echo\n",
    )
    .unwrap();
    Command::new("chmod")
        .arg("+x")
        .arg(bin.join("podplane"))
        .status()
        .unwrap();
    let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
    let out = Command::new("bash")
        .arg(repo.path("environments/dev/deploy.sh"))
        .env("PATH", path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        "[deploy][web][--name][hello][--image][ghcr.io/acme/hello:0.4.0][--hostname][hello.dev.acme.dev]\
         [--context][acme-dev][-e][GREETING=it's $HOME][-e][LOG_LEVEL=debug]\n"
    );
}

#[test]
fn every_generated_file_names_its_sources_and_says_do_not_edit() {
    let repo = Repo::example();
    let mut count = 0;
    for name in [
        "podplane.cluster.jsonc",
        "podplane.oidc.jsonc",
        "platform.auto.tfvars",
        "deploy.sh",
        "README.md",
    ] {
        for (env, text) in generated_in(&repo, name) {
            let head: String = text.lines().take(3).collect::<Vec<_>>().join("\n");
            assert_contains(
                &head,
                &[
                    "Generated by `cargo xtask render` from environments/platform.toml",
                    "Do not edit",
                ],
            );
            if name != "podplane.oidc.jsonc" {
                assert!(
                    head.contains(&format!("environments/{env}/environment.toml")),
                    "{env}/{name}: {head}"
                );
            }
            count += 1;
        }
    }
    assert_eq!(count, 5 + 1 + 5 + 5 + 6);
    assert!(
        repo.read("docs/environments.md")
            .starts_with("<!-- Generated by `cargo xtask render`")
    );
}

#[test]
fn rendering_is_deterministic_and_a_second_render_changes_nothing() {
    let repo = Repo::example();
    let committed = repo.snapshot();
    for dir in ["dev", "prod", "identity"] {
        for entry in std::fs::read_dir(repo.path(&format!("environments/{dir}"))).unwrap() {
            let path = entry.unwrap().path();
            if !path.ends_with("environment.toml") {
                std::fs::remove_file(path).unwrap();
            }
        }
    }
    repo.run(&["render"]).success();
    assert!(
        repo.snapshot() == committed,
        "rendering again gave other bytes"
    );
    let again = repo.run(&["render"]).success();
    assert_contains(&again.stderr(), &["already fresh"]);
    assert!(repo.snapshot() == committed);
}

#[test]
fn render_check_reports_missing_stale_and_stray_files_with_a_diff() {
    let repo = Repo::example();
    std::fs::remove_file(repo.path("environments/dev/deploy.sh")).unwrap();
    repo.edit(
        "environments/prod/environment.toml",
        "size = 2\n",
        "size = 4\n",
    );
    repo.write(
        "environments/identity/deploy.sh",
        &repo.read("environments/staging/deploy.sh"),
    );
    let before = repo.snapshot();

    let run = repo.run(&["render", "--check"]);
    assert_eq!(run.code(), 1, "{}", run.stderr());
    assert!(repo.snapshot() == before, "--check wrote nothing");
    assert_contains(
        &run.stdout(),
        &[
            "--- /dev/null\n+++ b/environments/dev/deploy.sh\n",
            "--- a/environments/prod/podplane.cluster.jsonc\n+++ b/environments/prod/podplane.cluster.jsonc\n",
            "-        \"size\": 2,\n+        \"size\": 4,\n",
            "--- a/environments/identity/deploy.sh\n+++ /dev/null\n",
        ],
    );
    assert_contains(
        &run.stderr(),
        &[
            "missing: environments/dev/deploy.sh",
            "stale: environments/prod/podplane.cluster.jsonc",
            "stray: environments/identity/deploy.sh",
            "run `cargo xtask render`",
        ],
    );

    let rendered = repo.run(&["render"]).success();
    assert_contains(&rendered.stderr(), &["1 removed"]);
    repo.run(&["render", "--check"]).success();
    assert!(!repo.path("environments/identity/deploy.sh").exists());
    assert!(repo.path("environments/dev/deploy.sh").exists());
}

#[test]
fn a_file_without_the_generated_marker_is_never_taken_for_a_stray() {
    let repo = Repo::example();
    repo.write("environments/identity/deploy.sh", "#!/bin/sh\necho mine\n");
    repo.run(&["render", "--check"]).success();
    repo.run(&["render"]).success();
    assert_eq!(
        repo.read("environments/identity/deploy.sh"),
        "#!/bin/sh\necho mine\n"
    );
}

#[test]
fn a_failed_render_leaves_every_file_as_it_was() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "size = 2\n",
        "size = 4\n",
    );
    repo.edit(
        "environments/staging/environment.toml",
        "zones = 3",
        "zones = 3\n\n[names]\nzone = \"Staging.acme.dev\"",
    );
    let err = repo.refuses(&["render"]);
    assert_contains(&err, &["DNS name `Staging.acme.dev` has `S`"]);
}

#[test]
fn new_env_refuses_a_name_that_breaks_podplane_rules_before_writing() {
    let repo = Repo::example();
    let err = repo.refuses(&[
        "new-env",
        "a-very-long-environment-name-x",
        "--stage",
        "development",
    ]);
    assert_contains(&err, &["Podplane allows at most 32"]);
}

#[test]
fn generated_scripts_are_executable() {
    let repo = Repo::example();
    std::fs::remove_file(repo.path("environments/prod/deploy.sh")).unwrap();
    repo.run(&["render"]).success();
    let mode = std::fs::metadata(repo.path("environments/prod/deploy.sh"))
        .unwrap()
        .permissions();
    assert!(std::os::unix::fs::PermissionsExt::mode(&mode) & 0o111 != 0);
}
