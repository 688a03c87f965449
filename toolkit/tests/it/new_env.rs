//! `cargo xtask new-env`, end to end: the file it writes, the VPC it allocates, and what
//! it refuses.

use crate::common;
use std::path::Path;

use common::Repo;
use pretty_assertions::assert_eq;

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
    // clients), a row of the environments page, and a staging-stage environment that the
    // main workflow deploys and whose deploy job the issuer trusts; nothing else changes.
    let changed: Vec<_> = before
        .iter()
        .filter(|(k, v)| after.get(*k) != Some(v))
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        changed,
        [
            ".github/workflows/main.yml",
            "docs/environments.md",
            "environments/identity/README.md",
            "environments/identity/podplane.oidc.jsonc",
            "environments/identity/truster_override.tf.json",
        ]
        .map(Path::new)
    );
    crate::common::assert_output(
        "new_env/new_env_like_copies_the_shape_and_allocates_a_free_vpc",
        &repo.read("environments/identity/podplane.oidc.jsonc"),
        &["\"initech-qa\": {\n        \"groups_override\": \"qa\""],
    );
    repo.run(&["render", "--check"]).success();

    let text = repo.read("environments/qa/environment.toml");
    crate::common::assert_output(
        "new_env/new_env_like_copies_the_shape_and_allocates_a_free_vpc",
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
    crate::common::assert_output(
        "new_env/new_env_like_copies_the_shape_and_allocates_a_free_vpc",
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
    crate::common::assert_output(
        "new_env/new_env_without_like_writes_a_working_environment_for_every_stage",
        &list,
        &[
            "sandbox        development    111122223333  us-east-2     initech-sandbox",
            "prod-us        production     345678901234  eu-central-1  initech-prod-us",
        ],
    );
    // A team gets in staging at least the role it has in production, and in production
    // at most the role it has in staging.
    crate::common::assert_output(
        "new_env/new_env_without_like_writes_a_working_environment_for_every_stage",
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
        vpcs,
        vec![
            "vpc = \"10.0.0.0/16\"",
            "vpc = \"10.1.0.0/16\"",
            "vpc = \"10.2.0.0/16\"",
            "vpc = \"10.3.0.0/16\"",
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
    crate::common::assert_output(
        "new_env/new_env_makes_the_identity_environment_when_there_is_none",
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
        crate::common::assert_output(
            "new_env/new_env_refuses_an_environment_that_check_would_reject",
            &repo.refuses(&command),
            expected,
        );
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
    crate::common::assert_output(
        "new_env/a_directory_without_environment_toml_gets_advice_that_works",
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
    crate::common::assert_output(
        "new_env/new_env_refuses_an_existing_environment",
        &err,
        &["environment `staging` already exists"],
    );
}

#[test]
fn new_env_needs_an_account_for_a_first_production_of_its_own() {
    let repo = Repo::fixture();
    repo.run(&["new-env", "live", "--stage", "production"])
        .success();
    let text = repo.read("environments/live/environment.toml");
    crate::common::assert_output(
        "new_env/new_env_needs_an_account_for_a_first_production_of_its_own",
        &text,
        &["# Shared with prod\naccount = \"444455556666\"\n"],
    );

    let empty = Repo::fixture();
    std::fs::remove_dir_all(empty.path("environments/identity")).unwrap();
    let err = empty.refuses(&["new-env", "idp", "--stage", "identity"]);
    crate::common::assert_output(
        "new_env/new_env_needs_an_account_for_a_first_production_of_its_own",
        &err,
        &["no account to default to", "--account"],
    );
}

#[test]
fn new_env_refuses_a_bad_region_or_account() {
    let repo = Repo::fixture();
    let err = repo.refuses(&[
        "new-env", "qa", "--stage", "staging", "--region", "europe-1",
    ]);
    crate::common::assert_output(
        "new_env/new_env_refuses_a_bad_region_or_account",
        &err,
        &["region `europe-1` is not an AWS region"],
    );
    let err = repo.refuses(&["new-env", "qa", "--stage", "staging", "--account", "12"]);
    crate::common::assert_output(
        "new_env/new_env_refuses_a_bad_region_or_account-2",
        &err,
        &["account `12` is not an AWS account id"],
    );
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
    crate::common::assert_output(
        "new_env/new_env_refuses_to_work_on_an_invalid_repository",
        &err,
        &["unknown key `zoens`"],
    );
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

/// A production environment made like production in another region is its
/// disaster-recovery twin: held to parity with it, deployed with it through the same
/// gate, promoted with it, serving its public names; in its region, or serving them
/// without being its twin, it is refused.
#[test]
fn a_second_region_is_productions_twin() {
    let repo = Repo::fixture();
    let prod = "environments/prod/environment.toml";
    let twin = "environments/prod-dr/environment.toml";
    repo.edit(
        prod,
        "[services.storefront]\nversion = \"1.2.0\"",
        "[services.storefront]\nversion = \"1.2.0\"\nhostname = \"shop.initech.com\"",
    );
    let platform = repo.read("environments/platform.toml");
    repo.write(
        "environments/platform.toml",
        &format!("{platform}\n[[hosts.allow]]\nhost = \"shop.initech.com\"\nreason = \"the shop's public name\"\n\n[[parity.allow]]\npath = \"services.storefront.host\"\nreason = \"staging has no public name\"\n"),
    );
    repo.run(&["render"]).success();
    let made = repo
        .run(&[
            "new-env",
            "prod-dr",
            "--stage",
            "production",
            "--like",
            "prod",
            "--region",
            "us-west-2",
            "--account",
            "444455556666",
        ])
        .success();
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &made.stderr(),
        &["the disaster-recovery twin of `prod`"],
    );
    let text = repo.read(twin);
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &text,
        &[
            "dr_of = \"prod\"",
            "region = \"us-west-2\"",
            "hostname = \"shop.initech.com\"",
        ],
    );
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &repo.read("environments/platform.toml"),
        &["candidates = [\"staging\", \"prod-dr\"]"],
    );
    repo.run(&["render", "--check"]).success();
    repo.run(&["parity"]).success();

    // Deployed with production, through the promotion gate, by the digests staging ran.
    let main: serde_json::Value =
        serde_yaml_ng::from_str(&repo.read(".github/workflows/main.yml")).unwrap();
    let steps: Vec<String> = main["jobs"]["deploy-prod-dr"]["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|step| format!("{} {}", step["name"], step["run"]))
        .collect();
    for expected in [
        "ci/promotion-gate.sh staging prod-dr",
        "ci/release-record.sh expect staging",
    ] {
        assert!(
            steps.iter().any(|step| step.contains(expected)),
            "{expected}: {steps:#?}"
        );
    }

    // Promoted with production.
    repo.run(&["promote", "staging", "prod"]).success();
    for file in [prod, twin] {
        crate::common::assert_output(
            "new_env/a_second_region_is_productions_twin",
            &repo.read(file),
            &["version = \"1.3.0\""],
        );
    }

    // In production's region it is refused; as no one's twin, its names clash.
    repo.edit(twin, "region = \"us-west-2\"", "region = \"us-east-2\"");
    let check = repo.run(&["check"]);
    assert_eq!(check.code(), 1);
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &check.stderr(),
        &["error[dr-twin]: `prod-dr` stands in for `prod` in the same region, us-east-2"],
    );
    repo.edit(twin, "region = \"us-east-2\"", "region = \"us-west-2\"");
    repo.edit(twin, "dr_of = \"prod\"\n", "");
    let refused = repo.refuses(&["check"]);
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &refused,
        &["host name `shop.initech.com` is the host of service `storefront` in `prod-dr`"],
    );
    // Only a production environment stands in for one, and only for another.
    repo.edit(
        twin,
        "account = \"444455556666\"",
        "account = \"444455556666\"\ndr_of = \"prod-dr\"",
    );
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &repo.refuses(&["check"]),
        &["`dr_of = \"prod-dr\"` of `prod-dr`: an environment cannot stand in for itself"],
    );
    let staging = "environments/staging/environment.toml";
    repo.edit(
        staging,
        "stage = \"staging\"",
        "stage = \"staging\"\ndr_of = \"prod\"",
    );
    crate::common::assert_output(
        "new_env/a_second_region_is_productions_twin",
        &repo.refuses(&["check"]),
        &["`dr_of` is for a production environment"],
    );
}
