//! `cargo xtask render`: the generated files, checked by their real consumers: Podplane's
//! schemas and rules, its `login` and `deploy` commands, bash and shellcheck.

use crate::{common, podplane};
mod deploy;
mod monitor;
pub mod runners;
mod trust;

use std::process::Command;

use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

/// Asserts that Podplane's schema `schema` accepts `config`, where the schemas are there.
fn assert_schema_accepts(schema: &str, config: &Value, what: &str) {
    if let Some(errors) = podplane::schema_errors(schema, config) {
        assert_eq!(errors, Vec::<String>::new(), "{what}");
    }
}

/// Checks every Podplane file of `repo` against the schemas and the rules, and every
/// `podplane login` the generated files show against the issuer's redirect URIs; returns
/// how many cluster configs there were.
pub fn assert_podplane_accepts(repo: &Repo) -> usize {
    let clusters: Vec<(String, Value)> = repo
        .generated_in("podplane.cluster.jsonc")
        .into_iter()
        .map(|(env, text)| (env, podplane::parse_jsonc(&text)))
        .collect();
    for (env, config) in &clusters {
        assert_schema_accepts("podplane.cluster.schema.json", config, env);
        assert_eq!(
            podplane::cluster_rule_violations(config),
            Vec::<String>::new(),
            "{env}"
        );
    }
    assert_eq!(podplane::overlapping_vpcs(&clusters), Vec::<String>::new());
    let issuers = repo.generated_in("podplane.oidc.jsonc");
    for (env, text) in &issuers {
        let config = podplane::parse_jsonc(text);
        assert_schema_accepts("podplane.oidc.schema.json", &config, env);
        assert_eq!(
            podplane::oidc_rule_violations(&config),
            Vec::<String>::new(),
            "{env}"
        );
        assert_logins_come_back(repo, &config, &clusters);
    }
    clusters.len()
}

/// Every `podplane login` that a generated file tells people to run, for a cluster, sends a
/// redirect URI the issuer accepts for that cluster's client.
fn assert_logins_come_back(repo: &Repo, oidc: &Value, clusters: &[(String, Value)]) {
    let mut logins = 0;
    for (env, cluster) in clusters {
        let client = cluster["cluster"]["oidc"]["client_id"].as_str().unwrap();
        for name in ["README.md", "deploy.sh"] {
            let text = repo.read(&format!("environments/{env}/{name}"));
            for line in text.lines().filter(|l| l.contains("podplane login")) {
                let words: Vec<&str> = line.split_whitespace().collect();
                let uri = podplane::login_redirect_uri(&words);
                assert!(
                    podplane::issuer_accepts_redirect(oidc, client, &uri),
                    "{env}/{name}: `{}` sends {uri}, which the issuer does not register for `{client}`",
                    line.trim()
                );
                logins += 1;
            }
        }
    }
    assert!(
        logins >= clusters.len(),
        "every cluster's files show how to log in"
    );
}

#[test]
fn the_example_renders_what_podplane_accepts() {
    let repo = Repo::example();
    assert!(
        assert_podplane_accepts(&repo) > 0,
        "the example runs clusters"
    );
    assert_eq!(
        repo.generated_in("podplane.oidc.jsonc").len(),
        1,
        "one issuer"
    );
}

#[test]
fn a_new_repository_renders_what_podplane_accepts() {
    // Without --admin, the ACME email is a placeholder: self-signed certificates until it
    // is filled in, not an account Podplane would refuse.
    let repo = Repo::generated();
    assert_eq!(
        assert_podplane_accepts(&repo),
        5,
        "dev, staging, prod, ci, observability"
    );
    let prod = podplane::parse_jsonc(&repo.read("environments/prod/podplane.cluster.jsonc"));
    assert_eq!(prod["cluster"]["acme"], Value::Null);
    crate::common::assert_output(
        "render/a_new_repository_renders_what_podplane_accepts",
        &repo.read("environments/prod/README.md"),
        &["self-signed until the ACME email `<certificates-email>` is filled in"],
    );
    let repo = Repo::generated_with(&["--admin", "ada@globex.io"]);
    assert_podplane_accepts(&repo);
    let prod = podplane::parse_jsonc(&repo.read("environments/prod/podplane.cluster.jsonc"));
    assert_eq!(prod["cluster"]["acme"]["email"], "ada@globex.io");
}

#[test]
fn the_test_organisation_renders_what_podplane_accepts() {
    let repo = Repo::fixture();
    assert_eq!(
        assert_podplane_accepts(&repo),
        5,
        "dev, staging, prod, ci, observability"
    );
    let files: Vec<String> = repo
        .generated_in("podplane.oidc.jsonc")
        .into_iter()
        .map(|(env, _)| env)
        .collect();
    assert_eq!(files, ["identity"]);
}

#[test]
fn variations_render_what_podplane_accepts() {
    let repo = Repo::fixture();
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
        "stage = \"ci\"\naccount = \"111122223333\"\n\n[ci]\nrunners = \"hosted\"\n\n[access]\nplatform = \"admins\"\n",
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
        "eu-central-1",
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
    assert_eq!(prod_us["cluster"]["providers"][0]["region"], "eu-central-1");
    assert!(
        prod_us["cluster"]["providers"][0]["zones"]
            .get("eu-central-1c")
            .is_some()
    );
}

/// What a broken config should be refused for, and how to break it.
type Breakage = (&'static str, fn(&mut Value));

#[test]
fn the_rules_checker_catches_what_podplane_refuses() {
    let repo = Repo::fixture();
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
            c["cluster"]["providers"][0]["zones"]["us-east-2a"][0]["public"] = false.into()
        }),
        ("not a canonical CIDR inside", |c| {
            c["cluster"]["providers"][0]["zones"]["us-east-2a"][2]["v4cidr"] = "10.99.1.0/24".into()
        }),
        ("exactly one of pool and services", |c| {
            c["cluster"]["providers"][0]["zones"]["us-east-2b"][2]["services"] =
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
    oidc["oidc"]["clients"]["initech-prod"]["groups_override"] = "nope".into();
    crate::common::assert_output(
        "render/the_rules_checker_catches_what_podplane_refuses",
        &podplane::oidc_rule_violations(&oidc).join("\n"),
        &["unknown groups override `nope`"],
    );
    let mut schema_bad = good.clone();
    schema_bad["cluster"]["seed"]["digest"] = "sha512:xyz".into();
    if let Some(errors) = podplane::schema_errors("podplane.cluster.schema.json", &schema_bad) {
        assert!(!errors.is_empty(), "the schema refuses a bad digest");
    }
    // The login check: the URI `podplane login` sends must be registered exactly.
    let login = ["podplane", "login", "-f", "x.jsonc"];
    assert_eq!(
        podplane::login_redirect_uri(&login),
        "http://localhost:8000/callback"
    );
    let mut without_path = oidc.clone();
    without_path["oidc"]["default_redirect_uris"] = serde_json::json!(["http://localhost:8000"]);
    assert!(!podplane::issuer_accepts_redirect(
        &without_path,
        "initech-prod",
        "http://localhost:8000/callback"
    ));
    assert!(!podplane::issuer_accepts_redirect(
        &oidc,
        "initech-prod",
        &podplane::login_redirect_uri(&["podplane", "login", "--callback-port", "9000"])
    ));
}

#[test]
fn the_oidc_config_has_a_client_per_cluster_and_each_environments_groups() {
    let repo = Repo::fixture();
    let config = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
    let oidc = &config["oidc"];
    assert_eq!(oidc["hostname"], "auth.initech.test");
    assert_eq!(
        oidc["default_redirect_uris"],
        serde_json::json!(["http://localhost:8000/callback"]),
        "only the URI `podplane login` sends"
    );
    let clients: Vec<&String> = oidc["clients"].as_object().unwrap().keys().collect();
    assert_eq!(
        clients,
        [
            "initech-ci",
            "initech-dev",
            "initech-observability",
            "initech-prod",
            "initech-staging"
        ]
    );
    assert_eq!(oidc["clients"]["initech-prod"]["groups_override"], "prod");
    let prod = &oidc["groups_overrides"]["prod"];
    assert_eq!(
        prod["ada@initech.test"],
        serde_json::json!(["podplane:admins"])
    );
    assert_eq!(
        prod["cy@initech.test"],
        serde_json::json!(["podplane:viewers"])
    );
    assert_eq!(
        oidc["groups_overrides"]["dev"]["cy@initech.test"],
        serde_json::json!(["podplane:operators"])
    );
    assert_eq!(
        oidc["groups_overrides"]["observability"]["flo@initech.test"],
        serde_json::json!(["podplane:admins"])
    );
}

#[test]
fn a_member_of_two_teams_gets_both_groups() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "sre = [\"flo@initech.test\"",
        "sre = [\"cy@initech.test\", \"flo@initech.test\"",
    );
    repo.run(&["render"]).success();
    let config = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
    assert_eq!(
        config["oidc"]["groups_overrides"]["prod"]["cy@initech.test"],
        serde_json::json!(["podplane:operators", "podplane:viewers"])
    );
}

#[test]
fn telemetry_goes_to_observability_and_no_credential_is_written() {
    let repo = Repo::fixture();
    for (env, text) in repo.generated_in("platform.auto.tfvars") {
        // Podplane's telemetry variables ship the VMs' logs, and nothing else.
        let comments = text.to_lowercase();
        crate::common::assert_output(
            "render/telemetry_goes_to_observability_and_no_credential_is_written",
            &comments,
            &["vm logs", "not\n# metrics or traces"],
        );
        let settings: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        if env == "observability" {
            assert_eq!(settings, ["telemetry_enabled = false"], "{env}");
        } else {
            assert_eq!(
                settings,
                [
                    "telemetry_enabled       = true".to_owned(),
                    format!(
                        "telemetry_otlp_endpoint = \"https://otlp.observability.initech.test/{env}/v1/logs\""
                    ),
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
fn the_deploy_checker_catches_what_podplane_refuses() {
    let words = |line: &str| -> Vec<String> { line.split(' ').map(str::to_owned).collect() };
    let good = "deploy web --name a --image i:1 --hostname a.example.com --set app.port=9090";
    assert_eq!(
        podplane::deploy_violations(&words(good)),
        Vec::<String>::new()
    );
    for (line, expected) in [
        ("deploy web --name a --set app.port=9090 -y", "`-y`"),
        ("deploy web --name a --replicas 3", "no flag `--replicas`"),
        (
            "deploy web --name a --set app.replicas=3",
            "no value `app.replicas`",
        ),
        ("deploy web --name a --set app.port=0", "out of range"),
        (
            "deploy worker --name a --hostname a.example.com",
            "no value `route.hostname`",
        ),
        (
            "deploy worker --name a --set app.port=8080",
            "no value `app.port`",
        ),
        (
            "deploy worker --name a --set app.replicas=0",
            "out of range",
        ),
        ("deploy cron --name a", "unknown template `cron`"),
        ("deploy web --image i:1", "`--name` is required"),
        (
            "deploy web --name a -e LOG-LEVEL!=x",
            "not a Kubernetes environment variable name",
        ),
    ] {
        let violations = podplane::deploy_violations(&words(line)).join("\n");
        assert!(violations.contains(expected), "{line}: {violations:?}");
    }
}

/// The Markdown `render` writes (each environment's README.md, docs/environments.md and
/// docs/checks.md) passes markdownlint-cli2 with the repository's configuration, which
/// relaxes only the line length of tables and code: a long description, hosts and emails
/// included; and so does every Markdown file of a new repository with two new services.
/// Skipped with a note without markdownlint-cli2, unless `REQUIRE_MARKDOWNLINT` is set.
#[test]
fn generated_markdown_passes_markdownlint() {
    if Command::new("markdownlint-cli2")
        .arg("--help")
        .output()
        .is_err()
    {
        assert!(
            std::env::var_os("REQUIRE_MARKDOWNLINT").is_none(),
            "REQUIRE_MARKDOWNLINT is set but markdownlint-cli2 is not installed"
        );
        common::notice("markdownlint-cli2 is not installed: the generated Markdown is not linted");
        return;
    }
    let config = common::manifest_dir()
        .join("../.markdownlint-cli2.jsonc")
        .canonicalize()
        .unwrap();
    let fixture = Repo::fixture();
    fixture.edit(
        "environments/staging/environment.toml",
        "description = \"Release validation\"",
        "description = \"Release validation: every change merged to main runs here first, with production's pools and components, before it is promoted\"",
    );
    fixture.run(&["render"]).success();
    for repo in [fixture, Repo::generated()] {
        let lint = Command::new("markdownlint-cli2")
            .args([
                "environments/*/README.md",
                "docs/environments.md",
                "docs/checks.md",
                "--config",
            ])
            .arg(&config)
            .current_dir(repo.path("."))
            .output()
            .unwrap();
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&lint.stdout),
            String::from_utf8_lossy(&lint.stderr)
        );
        assert!(lint.status.success(), "{out}");
        assert!(out.contains("Linting: 8 file(s)"), "{out}");
    }
    // And every Markdown file a new repository holds, with its own configuration: what
    // new-repo and new-service write (the README, ci/README.md, docs/, each crate's
    // README) as well as what render writes.
    let repo = Repo::generated();
    repo.run(&[
        "new-service",
        "billing",
        "--template",
        "web",
        "--port",
        "9090",
    ])
    .success();
    repo.run(&["new-service", "reports", "--template", "worker"])
        .success();
    // With the READMEs of the crates of OpenObserve, the relay and the heartbeat.
    assert_every_markdown_file_passes(&repo, 18);
    // The smallest shape's, with its relay's README and no staging.
    assert_every_markdown_file_passes(&Repo::generated_with(&["--shape", "smallest"]), 11);
    // On Buildkite: the same files, with the pipelines' paragraphs of its own.
    assert_every_markdown_file_passes(
        &Repo::generated_with(&["--ci", "buildkite", "--buildkite", "globex/platform"]),
        16,
    );
}

/// Every Markdown file of `repo` (`files` of them) passes markdownlint with the
/// repository's own configuration.
fn assert_every_markdown_file_passes(repo: &Repo, files: usize) {
    let lint = Command::new("markdownlint-cli2")
        .args(["**/*.md", "#target"])
        .current_dir(repo.path("."))
        .output()
        .unwrap();
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&lint.stdout),
        String::from_utf8_lossy(&lint.stderr)
    );
    assert!(lint.status.success(), "{out}");
    assert!(out.contains(&format!("Linting: {files} file(s)")), "{out}");
}
