//! End to end: the `xtask` binary run on temporary copies of the shipped example.

mod common;

use std::path::Path;

use common::{Repo, assert_commented, assert_contains};
use pretty_assertions::assert_eq;

// The shipped example.

#[test]
fn list_shows_every_example_environment() {
    let out = Repo::example().run(&["list"]).success().stdout();
    assert_eq!(
        out,
        "\
NAME           STAGE          ACCOUNT       REGION     CLUSTER ID          ZONE
ci             ci             123456789012  eu-west-1  acme-ci             ci.acme.dev
dev            development    123456789012  eu-west-1  acme-dev            dev.acme.dev
identity       identity       567890123456  eu-west-1  -                   -
observability  observability  456789012345  eu-west-1  acme-observability  observability.acme.dev
prod           production     210987654321  eu-west-1  acme-prod           prod.acme.dev
staging        staging        123456789012  eu-west-1  acme-staging        staging.acme.dev
"
    );
}

#[test]
fn show_toml_marks_each_value_with_its_origin_and_parses_back() {
    let repo = Repo::example();
    let out = repo.run(&["show", "prod"]).success().stdout();
    let stage_line = repo
        .read("environments/prod/environment.toml")
        .lines()
        .position(|l| l.starts_with("stage ="))
        .unwrap()
        + 1;
    assert_contains(
        &out,
        &[
            "id = \"acme-prod\"",
            "api_host = \"k8s.prod.acme.dev\"",
            "otlp_endpoint = \"https://otlp.observability.acme.dev\"",
            "group = \"podplane:viewers\"",
            "host = \"hello.prod.acme.dev\"",
            "image = \"ghcr.io/acme/hello:0.3.1\"",
        ],
    );
    let stage_origin = format!("environments/prod/environment.toml:{stage_line}:9");
    assert_commented(&out, "stage = ", &stage_origin);
    assert_commented(&out, "id = ", "convention cluster_id = \"{{org}}-{{env}}\"");
    assert_commented(&out, "region = ", "environments/platform.toml:");
    assert_commented(&out, "template = ", "crates/hello/Cargo.toml:");
    let parsed: toml_edit::DocumentMut = out.parse().expect("show prints valid TOML");
    assert_eq!(parsed["cluster"]["client_id"].as_str(), Some("acme-prod"));
    assert_eq!(
        parsed["services"]["hello"]["version"].as_str(),
        Some("0.3.1")
    );
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
    let out = Repo::example()
        .run(&["show", "staging", "--format", "json"])
        .success()
        .stdout();
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    let values = &json["values"];
    assert_eq!(values["cluster"]["id"]["value"], "acme-staging");
    assert_eq!(values["cluster"]["id"]["source"]["kind"], "convention");
    assert_eq!(values["stage"]["source"]["kind"], "file");
    assert_eq!(
        values["stage"]["source"]["path"],
        "environments/staging/environment.toml"
    );
    assert!(values["stage"]["source"]["line"].as_u64().unwrap() > 1);
    assert_eq!(values["services"]["hello"]["version"]["value"], "0.4.0");
    assert_eq!(values["services"]["hello"]["replicas"]["value"], 2);
    assert_eq!(
        values["access"]["developers"]["members"]["value"][0],
        "carol@acme.dev"
    );
    assert_eq!(
        values["components"]["seed"]["source"]["path"],
        "environments/platform.toml"
    );
}

#[test]
fn every_example_environment_can_be_shown() {
    let repo = Repo::example();
    for env in ["ci", "dev", "identity", "observability", "prod", "staging"] {
        repo.run(&["show", env]).success();
    }
    let identity = repo.run(&["show", "identity"]).success().stdout();
    assert_contains(
        &identity,
        &["hostname = \"auth.acme.dev\"", "connector = \"google\""],
    );
    assert!(!identity.contains("[cluster]"), "identity runs no cluster");
}

#[test]
fn the_repository_is_found_from_a_subdirectory_and_with_dash_c() {
    let repo = Repo::example();
    let from_inside = repo
        .run_in(&repo.path("environments/prod"), &["list"])
        .success()
        .stdout();
    let outside = tempfile::tempdir().unwrap();
    let with_c = repo
        .run_in(
            outside.path(),
            &["-C", repo.path("crates/hello").to_str().unwrap(), "list"],
        )
        .success()
        .stdout();
    assert_eq!(from_inside, with_c);
    let lost = repo.run_in(outside.path(), &["list"]);
    assert_eq!(lost.code(), 2);
    assert_contains(
        &lost.stderr(),
        &["could not find environments/platform.toml", "-C DIR"],
    );
}

#[test]
fn every_command_explains_itself_with_an_example() {
    let repo = Repo::example();
    let commands = [
        "list", "show", "new-env", "render", "diff", "parity", "promote", "check", "explain",
    ];
    let top = repo.run(&["--help"]).success().stdout();
    for command in commands {
        assert_contains(&top, &[command]);
        let out = repo.run(&[command, "--help"]).success().stdout();
        assert_contains(&out, &["Example", &format!("cargo xtask {command}")]);
    }
}

// Naming: conventions and their overrides.

#[test]
fn naming_patterns_in_platform_toml_replace_the_conventions() {
    let repo = Repo::example();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nzone = \"{{env}}.eu.{{domain}}\"\n",
    );
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_contains(
        &out,
        &[
            "zone = \"prod.eu.acme.dev\"",
            "api_host = \"k8s.prod.eu.acme.dev\"",
            "host = \"hello.prod.eu.acme.dev\"",
            "otlp_endpoint = \"https://otlp.observability.eu.acme.dev\"",
            "(environments/platform.toml:",
        ],
    );
}

#[test]
fn a_name_written_in_the_environment_wins_and_says_so() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "zones = 3\n",
        "zones = 3\n\n[names]\ncluster_name = \"Acme Live\"\n",
    );
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_commented(
        &out,
        "name = \"Acme Live\"",
        "environments/prod/environment.toml:",
    );
}

#[test]
fn a_naming_pattern_that_breaks_podplane_rules_is_refused() {
    let repo = Repo::example();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\ncluster_id = \"{{org}}--{{env}}\"\n",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "cluster id `acme--prod` contains `--`",
            "convention cluster_id",
        ],
    );
}

// Bad input: exit code 2, a located message, and the tree unchanged.

#[test]
fn malformed_toml_is_located() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "zones = 3\n",
        "zones = [3\n",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &["invalid TOML", "environments/prod/environment.toml:"],
    );
}

#[test]
fn an_unknown_key_suggests_the_closest_valid_one() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "zones = 3\n",
        "zoens = 3\n",
    );
    let err = repo.refuses(&["show", "prod"]);
    assert_contains(
        &err,
        &[
            "unknown key `zoens`",
            "environments/prod/environment.toml:8:1",
            "did you mean `zones`?",
        ],
    );
}

#[test]
fn a_wrong_type_names_the_key_and_the_expected_type() {
    let repo = Repo::example();
    repo.edit(
        "environments/staging/environment.toml",
        "size = 3\n",
        "size = \"three\"\n",
    );
    let line = 1 + repo
        .read("environments/staging/environment.toml")
        .lines()
        .position(|l| l == "size = \"three\"")
        .unwrap();
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "wrong type for `size`: expected a whole number in range, found string \"three\"",
            &format!("environments/staging/environment.toml:{line}:8"),
        ],
    );
}

#[test]
fn an_unknown_stage_lists_the_valid_ones() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "stage = \"production\"",
        "stage = \"prod\"",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "unknown value `prod` for `stage`",
            "environments/prod/environment.toml:4:9",
            "did you mean `production`?",
            "`development`, `staging`, `production`, `ci`, `observability`, `identity`",
        ],
    );
}

#[test]
fn bad_environment_names_are_refused_by_new_env() {
    let repo = Repo::example();
    for (name, reason) in [
        ("../x", "contains `.`"),
        ("Prod", "contains `P`"),
        ("a--b", "contains `--`"),
        ("k8s", "is reserved"),
        ("", "is empty"),
        (
            "abcdefghijklmnopqrstuvwxyz-abc",
            "cluster id `acme-abcdefghijklmnopqrstuvwxyz-abc` is 35 characters",
        ),
    ] {
        let err = repo.refuses(&["new-env", name, "--stage", "development"]);
        assert_contains(&err, &[reason]);
    }
}

#[test]
fn a_badly_named_environment_directory_is_refused() {
    let repo = Repo::example();
    let text = repo
        .read("environments/dev/environment.toml")
        .replace("10.10.0.0/16", "10.11.0.0/16");
    repo.write("environments/Dev/environment.toml", &text);
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &["environment name `Dev` contains `D`", "environments/Dev"],
    );
}

#[test]
fn two_environments_with_the_same_vpc_are_refused() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "10.30.0.0/16",
        "10.20.0.0/16",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "VPC 10.20.0.0/16 of `staging` overlaps VPC 10.20.0.0/16 of `prod`",
            "environments/staging/environment.toml:7:7",
            "environments/prod/environment.toml:7:7",
            "the lowest free /16 of 10.0.0.0/8 is 10.0.0.0/16",
        ],
    );
}

#[test]
fn an_unknown_like_environment_suggests_the_closest() {
    let err = Repo::example().refuses(&["new-env", "qa", "--stage", "staging", "--like", "stagng"]);
    assert_contains(
        &err,
        &[
            "unknown environment `stagng` for --like",
            "did you mean `staging`?",
        ],
    );
}

#[test]
fn a_service_no_crate_declares_is_refused() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "[services.hello]",
        "[services.helo]",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "service `helo` is not declared by any crate",
            "environments/prod/environment.toml:",
            "did you mean `hello`?",
        ],
    );
}

#[test]
fn an_unknown_team_is_refused_with_the_closest_team() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "sre = \"operators\"",
        "sres = \"operators\"",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(&err, &["unknown team `sres`", "did you mean `sre`?"]);
}

#[test]
fn a_bad_service_declaration_points_into_the_crate_manifest() {
    let repo = Repo::example();
    repo.edit("crates/hello/Cargo.toml", "port = 8080", "port = \"8080\"");
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &["in [package.metadata.platform]", "crates/hello/Cargo.toml:"],
    );
}

#[test]
fn an_unknown_environment_for_show_suggests_the_closest() {
    let err = Repo::example().refuses(&["show", "prd"]);
    assert_contains(&err, &["unknown environment `prd`", "did you mean `prod`?"]);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "account = \"210987654321\"",
        "account = \"2109\"",
    );
    repo.edit(
        "environments/dev/environment.toml",
        "zones = 2",
        "zones = 9",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "account `2109` is not an AWS account id",
            "zones = 9",
            "found 2 problems",
        ],
    );
}

// new-env

#[test]
fn new_env_like_copies_the_shape_and_allocates_a_free_vpc() {
    let repo = Repo::example();
    let before = repo.snapshot();
    repo.run(&["new-env", "qa", "--stage", "staging", "--like", "staging"])
        .success();
    let after = repo.snapshot();
    let added: Vec<_> = after.keys().filter(|k| !before.contains_key(*k)).collect();
    assert_eq!(
        added,
        [
            "environments/qa/README.md",
            "environments/qa/deploy.sh",
            "environments/qa/environment.toml",
            "environments/qa/platform.auto.tfvars",
            "environments/qa/podplane.cluster.jsonc",
        ]
        .map(Path::new)
    );
    // The new cluster is an OIDC client of the issuer (its config and its page list the
    // clients) and a row of the environments page; nothing else changes.
    let changed: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        changed,
        [
            "docs/environments.md",
            "environments/identity/README.md",
            "environments/identity/podplane.oidc.jsonc",
        ]
        .map(Path::new)
    );
    assert_contains(
        &repo.read("environments/identity/podplane.oidc.jsonc"),
        &["\"acme-qa\": {\n        \"groups_override\": \"qa\""],
    );
    repo.run(&["render", "--check"]).success();

    let text = repo.read("environments/qa/environment.toml");
    assert_contains(
        &text,
        &[
            "stage = \"staging\"",
            "account = \"123456789012\"",
            "vpc = \"10.0.0.0/16\"",
            "[pools.workers]\narch = \"arm64\"\ninstance_type = \"m7g.large\"\nsize = 2",
            "[services.hello]\nversion = \"0.4.0\"\nreplicas = 2\nenv = { LOG_LEVEL = \"info\" }",
            "developers = \"editors\"",
            "# ",
        ],
    );
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &["qa             staging        123456789012  eu-west-1  acme-qa             qa.acme.dev"],
    );
}

#[test]
fn new_env_without_like_writes_a_working_environment_for_every_stage() {
    let repo = Repo::example();
    for (name, stage, extra) in [
        ("sandbox", "development", &[][..]),
        ("preprod", "staging", &[][..]),
        (
            "prod-us",
            "production",
            &["--account", "345678901234", "--region", "us-east-1"][..],
        ),
        ("build", "ci", &[][..]),
        ("idp", "identity", &["--account", "678901234567"][..]),
    ] {
        let mut args = vec!["new-env", name, "--stage", stage];
        args.extend(extra);
        repo.run(&args).success();
        repo.run(&["show", name]).success();
    }
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &[
            "sandbox        development    123456789012  eu-west-1  acme-sandbox",
            "prod-us        production     345678901234  us-east-1  acme-prod-us",
            "idp            identity       678901234567  eu-west-1  -",
        ],
    );
    let vpcs: Vec<String> = ["sandbox", "preprod", "prod-us", "build"]
        .iter()
        .map(|env| {
            let text = repo.read(&format!("environments/{env}/environment.toml"));
            text.lines()
                .find(|l| l.starts_with("vpc = "))
                .unwrap()
                .to_owned()
        })
        .collect();
    assert_eq!(
        vpcs.iter()
            .map(|l| &l[..l.find('#').unwrap()])
            .collect::<Vec<_>>(),
        vec![
            "vpc = \"10.0.0.0/16\"  ",
            "vpc = \"10.1.0.0/16\"  ",
            "vpc = \"10.2.0.0/16\"  ",
            "vpc = \"10.3.0.0/16\"  ",
        ]
    );
}

#[test]
fn new_env_refuses_an_existing_environment() {
    let err = Repo::example().refuses(&["new-env", "staging", "--stage", "staging"]);
    assert_contains(&err, &["environment `staging` already exists"]);
}

#[test]
fn new_env_needs_an_account_for_a_first_production_of_its_own() {
    let repo = Repo::example();
    repo.run(&["new-env", "live", "--stage", "production"])
        .success();
    let text = repo.read("environments/live/environment.toml");
    assert_contains(&text, &["account = \"210987654321\"  # shared with prod"]);

    let empty = Repo::example();
    std::fs::remove_dir_all(empty.path("environments/identity")).unwrap();
    let err = empty.refuses(&["new-env", "idp", "--stage", "identity"]);
    assert_contains(&err, &["no account to default to", "--account"]);
}

#[test]
fn new_env_refuses_a_bad_region_or_account() {
    let repo = Repo::example();
    let err = repo.refuses(&[
        "new-env", "qa", "--stage", "staging", "--region", "europe-1",
    ]);
    assert_contains(&err, &["region `europe-1` is not an AWS region"]);
    let err = repo.refuses(&["new-env", "qa", "--stage", "staging", "--account", "12"]);
    assert_contains(&err, &["account `12` is not an AWS account id"]);
}

#[test]
fn new_env_refuses_to_work_on_an_invalid_repository() {
    let repo = Repo::example();
    repo.edit(
        "environments/prod/environment.toml",
        "zones = 3\n",
        "zoens = 3\n",
    );
    let err = repo.refuses(&["new-env", "qa", "--stage", "staging"]);
    assert_contains(&err, &["unknown key `zoens`"]);
}

#[test]
fn invalid_environments_are_refused_with_the_reason() {
    // (file, text to replace, replacement, what the message must say)
    let cases: &[(&str, &str, &str, &[&str])] = &[
        (
            "environments/identity/environment.toml",
            "[identity]",
            "vpc = \"10.60.0.0/16\"\n\n[identity]",
            &[
                "vpc has no meaning here: an identity environment runs no cluster",
                "identity/environment.toml:8:7",
            ],
        ),
        (
            "environments/ci/environment.toml",
            "runners = \"self-hosted\"",
            "runners = \"hosted\"",
            &[
                "vpc has no meaning here: CI on hosted runners runs no cluster",
                "[pools] has no meaning here",
            ],
        ),
        (
            "environments/dev/environment.toml",
            "[access]",
            "[ci]\nrunners = \"hosted\"\n\n[access]",
            &[
                "[ci] belongs only in an environment of stage `ci`",
                "this environment's stage is `development`",
            ],
        ),
        (
            "environments/observability/environment.toml",
            "[observability]\nplatform = \"openobserve\"\nretention_days = 30\nmonitor = \"grafana-cloud\"",
            "",
            &["an environment of stage `observability` needs its [observability] table"],
        ),
        (
            "environments/dev/environment.toml",
            "[pools.ingress]",
            "[pools.edge]",
            &[
                "missing pool `ingress`",
                "the domain's load balancer targets `ingress`",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "vpc = \"10.30.0.0/16\"",
            "vpc = \"10.30.1.0/16\"",
            &["`10.30.1.0/16` has host bits set: the network is `10.30.0.0/16`"],
        ),
        (
            "environments/prod/environment.toml",
            "version = \"0.3.1\"",
            "version = \"latest\"",
            &["`latest` is not a semver version"],
        ),
        (
            "environments/prod/environment.toml",
            "env = { LOG_LEVEL = \"info\" }",
            "env = { \"LOG-LEVEL\" = \"info\" }",
            &["`LOG-LEVEL` is not an environment variable name"],
        ),
        (
            "environments/platform.toml",
            "seed = \"recommended\"",
            "seed = \"none\"",
            &[
                "a seed release has no meaning when seed = \"none\"",
                "platform.toml:",
            ],
        ),
        (
            "environments/platform.toml",
            "\"bob@acme.dev\"",
            "\"bob\"",
            &["`bob` is not an email address"],
        ),
        (
            "environments/staging/environment.toml",
            "zones = 3",
            "zones = 3\n\n[names]\ncluster_id = \"acme-prod\"",
            &["cluster id `acme-prod` of `staging` is also the cluster id of `prod`"],
        ),
    ];
    for (file, from, to, expected) in cases {
        let repo = Repo::example();
        repo.edit(file, from, to);
        let err = repo.refuses(&["list"]);
        assert_contains(&err, expected);
    }
}

#[test]
fn hosted_ci_runs_no_cluster() {
    let repo = Repo::example();
    let text = "stage = \"ci\"\naccount = \"123456789012\"\n\n[ci]\nrunners = \"hosted\"\n\n[access]\nplatform = \"admins\"\n";
    repo.write("environments/ci/environment.toml", text);
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &["ci             ci             123456789012  eu-west-1  -"],
    );
}

#[test]
fn a_second_observability_environment_is_refused() {
    let err = Repo::example().refuses(&["new-env", "telemetry", "--stage", "observability"]);
    assert_contains(&err, &["more than one observability environment"]);
}
