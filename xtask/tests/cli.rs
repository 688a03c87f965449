//! End to end: the `xtask` binary run on temporary copies of the test organisation, and on
//! the shipped example.

mod common;

use std::path::Path;

use common::{Repo, assert_commented, assert_contains};
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
    assert_contains(
        &out,
        &[
            "id = \"initech-prod\"",
            "api_host = \"k8s.prod.initech.test\"",
            "otlp_endpoint = \"https://otlp.observability.initech.test\"",
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
    assert_contains(
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
    let outside = tempfile::tempdir().unwrap();
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
    assert_contains(
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
        assert_contains(&top, &[command]);
        let out = repo.run(&[command, "--help"]).success().stdout();
        assert_contains(&out, &["Example", &format!("cargo xtask {command}")]);
    }
}

// Naming: conventions and their overrides.

#[test]
fn naming_patterns_in_platform_toml_replace_the_conventions() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nzone = \"{{env}}.eu.{{domain}}\"\n",
    );
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_contains(
        &out,
        &[
            "zone = \"prod.eu.initech.test\"",
            "api_host = \"k8s.prod.eu.initech.test\"",
            "host = \"storefront.prod.eu.initech.test\"",
            "otlp_endpoint = \"https://otlp.observability.eu.initech.test\"",
            "(environments/platform.toml:",
        ],
    );
}

#[test]
fn a_broken_naming_pattern_is_explained_in_words_once() {
    for (pattern, expected) in [
        (
            "{{envv}}.{{domain}}",
            "naming pattern `zone` cannot be used: `{{envv}}` is not a variable it may use",
        ),
        (
            "{{env}.{{domain}}",
            "naming pattern `zone` cannot be used: invalid handlebars syntax: expected identifier",
        ),
    ] {
        let repo = Repo::fixture();
        repo.edit(
            "environments/platform.toml",
            "[naming]\n",
            &format!("[naming]\nzone = \"{pattern}\"\n"),
        );
        let err = repo.refuses(&["list"]);
        assert_contains(
            &err,
            &[expected, "environments/platform.toml:", "found 1 problem"],
        );
        assert!(
            !err.contains("Some(") && !err.contains("Template error"),
            "{err}"
        );
    }

    // A zone the pattern makes but DNS refuses: one problem per environment, none for the
    // host names made from it, and advice that fits.
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nzone = \"{{env}}_x.{{domain}}\"\n",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "environment `prod`: DNS name `prod_x.initech.test` has `_`",
            "change the pattern in [naming] of platform.toml",
            "found 5 problems",
        ],
    );
    assert!(
        !err.contains("api_host") && !err.contains("shorter"),
        "{err}"
    );
}

#[test]
fn a_bad_value_in_platform_toml_is_one_problem_not_one_per_environment() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "email = \"certs@initech.test\"",
        "email = \"certs\"",
    );
    let err = repo.refuses(&["list"]);
    assert_eq!(
        err.matches("`certs` is not an email address").count(),
        1,
        "{err}"
    );
    assert_contains(
        &err,
        &[
            "environments/platform.toml:",
            "found 1 problem in the input",
        ],
    );
}

#[test]
fn a_name_written_in_the_environment_wins_and_says_so() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "zones = 3\n",
        "zones = 3\n\n[names]\ncluster_name = \"Initech Live\"\n",
    );
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_commented(
        &out,
        "name = \"Initech Live\"",
        "environments/prod/environment.toml:",
    );
}

#[test]
fn a_naming_pattern_that_breaks_podplane_rules_is_refused() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\ncluster_id = \"{{org}}--{{env}}\"\n",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "cluster id `initech--prod` contains `--`",
            "convention cluster_id",
        ],
    );
}

// Bad input: exit code 2, a located message, and the tree unchanged.

#[test]
fn malformed_toml_is_located() {
    let repo = Repo::fixture();
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
    let repo = Repo::fixture();
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
            "environments/prod/environment.toml:7:1",
            "did you mean `zones`?",
        ],
    );
}

#[test]
fn a_wrong_type_names_the_key_and_the_expected_type() {
    let repo = Repo::fixture();
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
    let repo = Repo::fixture();
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
            "environments/prod/environment.toml:3:9",
            "did you mean `production`?",
            "`development`, `staging`, `production`, `ci`, `observability`, `identity`",
        ],
    );
}

#[test]
fn bad_environment_names_are_refused_by_new_env() {
    let repo = Repo::fixture();
    for (name, reason) in [
        ("../x", "contains `.`"),
        ("Prod", "contains `P`"),
        ("a--b", "contains `--`"),
        ("k8s", "is reserved"),
        ("", "is empty"),
        (
            "abcdefghijklmnopqrstuvwxyz-abc",
            "cluster id `initech-abcdefghijklmnopqrstuvwxyz-abc` is 38 characters",
        ),
    ] {
        let err = repo.refuses(&["new-env", name, "--stage", "development"]);
        assert_contains(&err, &[reason]);
    }
}

#[test]
fn a_badly_named_environment_directory_is_refused() {
    let repo = Repo::fixture();
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
    let repo = Repo::fixture();
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
            "environments/staging/environment.toml:6:7",
            "environments/prod/environment.toml:6:7",
            "the lowest free /16 of 10.0.0.0/8 is 10.0.0.0/16",
        ],
    );
}

#[test]
fn an_unknown_like_environment_suggests_the_closest() {
    let err = Repo::fixture().refuses(&["new-env", "qa", "--stage", "staging", "--like", "stagng"]);
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
    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "[services.storefront]",
        "[services.storefrnt]",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "service `storefrnt` is not declared by any crate",
            "environments/prod/environment.toml:",
            "did you mean `storefront`?",
        ],
    );
}

#[test]
fn an_unknown_team_is_refused_with_the_closest_team() {
    let repo = Repo::fixture();
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
    let repo = Repo::fixture();
    repo.edit(
        "crates/storefront/Cargo.toml",
        "port = 9090",
        "port = \"9090\"",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "in [package.metadata.platform]",
            "crates/storefront/Cargo.toml:10:8",
        ],
    );
}

#[test]
fn an_unknown_environment_for_show_suggests_the_closest() {
    let err = Repo::fixture().refuses(&["show", "prd"]);
    assert_contains(&err, &["unknown environment `prd`", "did you mean `prod`?"]);
}

#[test]
fn every_problem_is_reported_not_only_the_first() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "account = \"444455556666\"",
        "account = \"4444\"",
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
            "account `4444` is not an AWS account id",
            "zones = 9",
            "found 2 problems",
        ],
    );
}

// new-env

#[test]
fn new_env_like_copies_the_shape_and_allocates_a_free_vpc() {
    let repo = Repo::fixture();
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
        &["\"initech-qa\": {\n        \"groups_override\": \"qa\""],
    );
    repo.run(&["render", "--check"]).success();

    let text = repo.read("environments/qa/environment.toml");
    assert_contains(
        &text,
        &[
            "stage = \"staging\"",
            "account = \"111122223333\"",
            "vpc = \"10.0.0.0/16\"",
            "[pools.workers]\narch = \"arm64\"\ninstance_type = \"m7g.large\"\nsize = 2",
            "[services.storefront]\nversion = \"1.3.0\"\nenv = { LOG_LEVEL = \"info\" }",
            "[services.mailer]\nversion = \"2.1.0\"\nreplicas = 2\n",
            "developers = \"editors\"",
            "# ",
        ],
    );
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &[
            "qa             staging        111122223333  us-east-2  initech-qa             qa.initech.test",
        ],
    );
}

#[test]
fn new_env_without_like_writes_a_working_environment_for_every_stage() {
    let repo = Repo::fixture();
    for (name, stage, extra) in [
        ("sandbox", "development", &[][..]),
        ("preprod", "staging", &[][..]),
        (
            "prod-us",
            "production",
            &["--account", "345678901234", "--region", "eu-central-1"][..],
        ),
        ("build", "ci", &[][..]),
    ] {
        let mut args = vec!["new-env", name, "--stage", stage];
        args.extend(extra);
        repo.run(&args).success();
        repo.run(&["show", name]).success();
        // Each one passes every rule as it is written, with no hand edits.
        repo.run(&["check"]).success();
    }
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &[
            "sandbox        development    111122223333  us-east-2     initech-sandbox",
            "prod-us        production     345678901234  eu-central-1  initech-prod-us",
        ],
    );
    // A team gets in staging at least the role it has in production, and in production
    // at most the role it has in staging.
    assert_contains(
        &repo.read("environments/preprod/environment.toml"),
        &[
            "platform = \"admins\"",
            "sre = \"operators\"",
            "developers = \"editors\"",
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
fn new_env_makes_the_identity_environment_when_there_is_none() {
    let repo = Repo::fixture();
    std::fs::remove_dir_all(repo.path("environments/identity")).unwrap();
    repo.run(&["render"]).success();
    repo.run(&[
        "new-env",
        "idp",
        "--stage",
        "identity",
        "--account",
        "678901234567",
    ])
    .success();
    assert_contains(
        &repo.run(&["list"]).success().stdout(),
        &["idp            identity       678901234567  us-east-2  -"],
    );
    repo.run(&["check"]).success();
}

#[test]
fn new_env_refuses_an_environment_that_check_would_reject() {
    let repo = Repo::fixture();
    for (args, expected) in [
        (
            &[
                "dev2",
                "--stage",
                "development",
                "--account",
                "444455556666",
            ][..],
            &[
                "error[prod-separate-account]: `dev2` shares production's account 444455556666 with `prod`",
                "environments/dev2/environment.toml:",
            ][..],
        ),
        (
            &["builds", "--stage", "ci", "--account", "444455556666"],
            &["error[ci-outside-prod]: CI environment `builds` runs in production's account"],
        ),
        (
            &["idp", "--stage", "identity", "--account", "678901234567"],
            &["error[single-issuer]: `idp` is a second identity environment besides `identity`"],
        ),
        (
            &[
                "sandbox",
                "--stage",
                "development",
                "--account",
                "999988887777",
            ],
            &["error[single-issuer]: the issuer's account 999988887777 is also `sandbox`'s"],
        ),
        (
            &[
                "prod-eu",
                "--stage",
                "production",
                "--account",
                "111122223333",
            ],
            &[
                "error[prod-separate-account]: `dev` shares production's account 111122223333 with `prod-eu`",
                "error[ci-outside-prod]: CI environment `ci` runs in production's account 111122223333",
                "nothing was written",
            ],
        ),
    ] {
        let mut command = vec!["new-env"];
        command.extend(args);
        assert_contains(&repo.refuses(&command), expected);
    }
}

#[test]
fn new_env_leaves_problems_the_repository_already_has_to_check() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "platform = \"admins\"",
        "platform = \"viewers\"",
    );
    assert_eq!(repo.run(&["check"]).code(), 1);
    repo.run(&["new-env", "sandbox", "--stage", "development"])
        .success();
}

#[test]
fn a_directory_without_environment_toml_gets_advice_that_works() {
    let repo = Repo::fixture();
    std::fs::create_dir(repo.path("environments/qa")).unwrap();
    let err = repo.refuses(&["new-env", "qa", "--stage", "development"]);
    assert_contains(
        &err,
        &[
            "directory `qa` has no environment.toml",
            "write its environment.toml, or remove the directory (then `cargo xtask new-env qa --stage STAGE` can make it)",
        ],
    );
    std::fs::remove_dir(repo.path("environments/qa")).unwrap();
    repo.run(&["new-env", "qa", "--stage", "development"])
        .success();
}

#[test]
fn new_env_refuses_an_existing_environment() {
    let err = Repo::fixture().refuses(&["new-env", "staging", "--stage", "staging"]);
    assert_contains(&err, &["environment `staging` already exists"]);
}

#[test]
fn new_env_needs_an_account_for_a_first_production_of_its_own() {
    let repo = Repo::fixture();
    repo.run(&["new-env", "live", "--stage", "production"])
        .success();
    let text = repo.read("environments/live/environment.toml");
    assert_contains(&text, &["account = \"444455556666\"  # shared with prod"]);

    let empty = Repo::fixture();
    std::fs::remove_dir_all(empty.path("environments/identity")).unwrap();
    let err = empty.refuses(&["new-env", "idp", "--stage", "identity"]);
    assert_contains(&err, &["no account to default to", "--account"]);
}

#[test]
fn new_env_refuses_a_bad_region_or_account() {
    let repo = Repo::fixture();
    let err = repo.refuses(&[
        "new-env", "qa", "--stage", "staging", "--region", "europe-1",
    ]);
    assert_contains(&err, &["region `europe-1` is not an AWS region"]);
    let err = repo.refuses(&["new-env", "qa", "--stage", "staging", "--account", "12"]);
    assert_contains(&err, &["account `12` is not an AWS account id"]);
}

#[test]
fn new_env_refuses_to_work_on_an_invalid_repository() {
    let repo = Repo::fixture();
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
                "identity/environment.toml:7:7",
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
            "[observability]\nplatform = \"victoriametrics\"\nretention_days = 14\nmonitor = \"uptime-robot\"",
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
            "vpc = \"10.30.0.0/16\"",
            "vpc = \"10.20.0\"",
            &[
                "`10.20.0` is not an IPv4 CIDR: write a network address and a prefix length from /16 to /20",
                // A suggestion no other environment uses, not a fixed example.
                "`vpc = \"10.0.0.0/16\"` is the lowest free /16 of 10.0.0.0/8",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "vpc = \"10.30.0.0/16\"\n",
            "",
            &[
                "missing key `vpc`",
                "`vpc = \"10.0.0.0/16\"` is the lowest free /16 of 10.0.0.0/8",
            ],
        ),
        (
            "environments/prod/environment.toml",
            "version = \"1.2.0\"",
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
            "\"bo@initech.test\"",
            "\"bo\"",
            &["`bo` is not an email address"],
        ),
        (
            "environments/staging/environment.toml",
            "zones = 3",
            "zones = 3\n\n[names]\ncluster_id = \"initech-prod\"",
            &["cluster id `initech-prod` of `staging` is also the cluster id of `prod`"],
        ),
    ];
    for (file, from, to, expected) in cases {
        let repo = Repo::fixture();
        repo.edit(file, from, to);
        let err = repo.refuses(&["list"]);
        assert_contains(&err, expected);
    }
}

#[test]
fn hosted_ci_runs_no_cluster() {
    let repo = Repo::fixture();
    let text = "stage = \"ci\"\naccount = \"111122223333\"\n\n[ci]\nrunners = \"hosted\"\n\n[access]\nplatform = \"admins\"\n";
    repo.write("environments/ci/environment.toml", text);
    let list = repo.run(&["list"]).success().stdout();
    assert_contains(
        &list,
        &["ci             ci             111122223333  us-east-2  -"],
    );
}

#[test]
fn a_second_observability_environment_is_refused() {
    let err = Repo::fixture().refuses(&["new-env", "telemetry", "--stage", "observability"]);
    assert_contains(&err, &["more than one observability environment"]);
}

// Services: only what their Podplane template takes.

#[test]
fn a_template_is_web_or_worker() {
    let repo = Repo::fixture();
    repo.edit(
        "crates/mailer/Cargo.toml",
        "template = \"worker\"",
        "template = \"cron\"",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "unknown value `cron` for `template` in [package.metadata.platform]",
            "crates/mailer/Cargo.toml:8:12",
            "valid values: `web`, `worker`",
        ],
    );
}

#[test]
fn a_web_service_listens_on_8080_unless_it_says_otherwise() {
    let repo = Repo::fixture();
    repo.edit("crates/storefront/Cargo.toml", "port = 9090\n", "");
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_commented(&out, "port = 8080", "default: port = 8080");
    repo.run(&["render"]).success();
    assert_contains(
        &repo.read("environments/prod/deploy.sh"),
        &["--set app.port=8080 \\"],
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "template = \"web\"",
        "template = \"web\"\nport = 0",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "port 0 cannot be served",
            "crates/storefront/Cargo.toml:9:8",
        ],
    );
}

#[test]
fn a_worker_has_no_port_and_no_host_name() {
    let repo = Repo::fixture();
    repo.edit(
        "crates/mailer/Cargo.toml",
        "image = \"ghcr.io/initech/mailer\"",
        "image = \"ghcr.io/initech/mailer\"\nport = 8080",
    );
    let err = repo.refuses(&["list"]);
    assert_contains(
        &err,
        &[
            "a worker has no port in [package.metadata.platform]",
            "crates/mailer/Cargo.toml:10:8",
            "worker template runs no Service",
        ],
    );

    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "[services.mailer]\n",
        "[services.mailer]\nhostname = \"mail.prod.initech.test\"\n",
    );
    let err = repo.refuses(&["render"]);
    assert_contains(
        &err,
        &[
            "`hostname` cannot be set for `mailer`: a worker is not served at a host name",
            "environments/prod/environment.toml:35:12",
        ],
    );
}

#[test]
fn only_a_worker_takes_a_replica_count() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "version = \"1.2.0\"\n",
        "version = \"1.2.0\"\nreplicas = 3\n",
    );
    let err = repo.refuses(&["render"]);
    assert_contains(
        &err,
        &[
            "`replicas` cannot be set for `storefront`: Podplane's web template runs one replica",
            "environments/prod/environment.toml:32:12",
            "accept no replica count",
        ],
    );

    let repo = Repo::fixture();
    repo.edit(
        "environments/prod/environment.toml",
        "replicas = 4",
        "replicas = 0",
    );
    let err = repo.refuses(&["render"]);
    assert_contains(&err, &["a worker needs at least 1 replica"]);
}

#[test]
fn new_env_runs_at_the_same_moment_get_different_vpcs() {
    let repo = Repo::fixture();
    let spawn = |name: &str| {
        repo.command(
            repo.dir.path(),
            &["new-env", name, "--stage", "development", "--like", "dev"],
        )
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap()
    };
    let children = [spawn("qa"), spawn("preview")];
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let vpc = |env: &str| {
        let text = repo.read(&format!("environments/{env}/environment.toml"));
        text.lines()
            .find(|l| l.starts_with("vpc = "))
            .unwrap()
            .to_owned()
    };
    assert_ne!(vpc("qa"), vpc("preview"));
    repo.run(&["list"]).success();
    repo.run(&["render", "--check"]).success();
}

#[test]
fn vpcs_are_private_unless_the_platform_says_why_not() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "vpc = \"10.20.0.0/16\"",
        "vpc = \"8.8.0.0/16\"",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &[
            "`8.8.0.0/16` is not a private range",
            "environments/staging/environment.toml:6:7",
            "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16",
        ],
    );
    repo.edit(
        "environments/platform.toml",
        "vpc_range = \"10.0.0.0/8\"",
        "vpc_range = \"10.0.0.0/7\"",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &[
            "`10.0.0.0/7` is not a private range",
            "environments/platform.toml:21:",
        ],
    );
    repo.edit(
        "environments/platform.toml",
        "vpc_range = \"10.0.0.0/7\"",
        "vpc_range = \"10.0.0.0/8\"\nallow_public = \"AS64500 owns 8.8.0.0/16 and routes it to our VPCs\"",
    );
    repo.run(&["list"]).success();
}

#[test]
fn every_host_name_names_one_thing_on_the_whole_platform() {
    for (file, from, to, expected) in [
        (
            "environments/staging/environment.toml",
            "zones = 3\n",
            "zones = 3\n\n[names]\napi_host = \"k8s.prod.initech.test\"\n",
            "host name `k8s.prod.initech.test` is the API host of `staging` and also the API host of `prod`",
        ),
        (
            "environments/prod/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"auth.initech.test\"\n",
            "host name `auth.initech.test` is the host of service `storefront` in `prod` and also the OIDC issuer's host, served by `identity`",
        ),
        (
            "environments/staging/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"otlp.observability.initech.test\"\n",
            "host name `otlp.observability.initech.test` is the host of service `storefront` in `staging` and also the OTLP endpoint's host",
        ),
        (
            "environments/staging/environment.toml",
            "[services.storefront]\n",
            "[services.storefront]\nhostname = \"prod.initech.test\"\n",
            "host name `prod.initech.test` is the host of service `storefront` in `staging` and also the zone of `prod`",
        ),
    ] {
        let repo = Repo::fixture();
        repo.edit(file, from, to);
        assert_contains(
            &repo.refuses(&["check"]),
            &[
                "error[host-unique]",
                expected,
                file,
                "every host name names one thing",
            ],
        );
        repo.refuses(&["render"]);
    }
    // The issuer's host on a zone claimed before it, in name order, clashes all the same.
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nissuer = \"https://dev.{{domain}}\"\n",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &[
            "error[host-unique]",
            "host name `dev.initech.test` is the OIDC issuer's host, served by `identity` and also the zone of `dev`",
            "environments/identity/environment.toml",
        ],
    );
}

#[test]
fn images_and_versions_follow_the_oci_rules() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "version = \"1.3.0\"",
        "version = \"1.3.0+build.5\"",
    );
    assert_contains(
        &repo.refuses(&["show", "staging"]),
        &[
            "`1.3.0+build.5` cannot tag an image: an OCI tag has no `+`",
            "environments/staging/environment.toml:33:",
            "such as `1.3.0-build.5`",
        ],
    );
    repo.edit(
        "environments/staging/environment.toml",
        "version = \"1.3.0+build.5\"",
        "version = \"1.3.0\"",
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "image = \"ghcr.io/initech/storefront\"",
        "image = \"ghcr.io/Initech/storefront:1.0\"",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &[
            "image `ghcr.io/Initech/storefront:1.0` already has the tag `1.0`",
            "crates/storefront/Cargo.toml:",
        ],
    );
    repo.edit(
        "crates/storefront/Cargo.toml",
        "image = \"ghcr.io/Initech/storefront:1.0\"",
        "image = \"ghcr.io/Initech/storefront\"",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &["has `Initech`, not an OCI repository name"],
    );
}

#[test]
fn a_pools_instance_type_runs_its_arch() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/staging/environment.toml",
        "instance_type = \"m7g.large\"",
        "instance_type = \"m7i.large\"",
    );
    assert_contains(
        &repo.refuses(&["list"]),
        &[
            "`m7i.large` runs amd64, but the pool's arch is arm64",
            "environments/staging/environment.toml:24:",
        ],
    );
}
