//! The trust the identity environment's issuer is given: exactly the deploy job of each
//! environment CI deploys gets in, with the least privilege, and nothing else does.

use pretty_assertions::assert_eq;
use serde_json::Value;

use crate::common::Repo;
use crate::{podplane, truster};

/// The issuer's configuration from the identity environment's override file, as the
/// Truster module hands it to the server.
fn issuer_config(repo: &Repo, issuer: &str) -> Value {
    let text = repo.read("environments/identity/truster_override.tf.json");
    let file: Value = serde_json::from_str(&text).expect("the override file is JSON");
    truster::server_config(truster::truster_config(&file), issuer, "eu-west-1")
}

/// The deploy job's token for `env` in the repository of `(name, owner id, id)`.
fn deploy_token<'a>(
    repo: (&'a str, &'a str, &'a str),
    env: &'a str,
    audience: &'a str,
) -> truster::GithubToken<'a> {
    truster::GithubToken {
        repository: repo.0,
        owner_id: repo.1,
        repository_id: repo.2,
        workflow: ".github/workflows/main.yml",
        event: "push",
        git_ref: "refs/heads/main",
        environment: Some(env),
        audience,
    }
}

/// `repo`'s organisation, issuer and `[github]` (repository, owner id, repository id),
/// from its platform.toml; ids still placeholders are filled in and the repository
/// rendered again, as its owner would.
fn identities(repo: &Repo) -> (String, String, (String, String, String)) {
    let platform: toml::Table = toml::from_str(&repo.read("environments/platform.toml")).unwrap();
    let text = |table: &toml::Table, key: &str| table[key].as_str().unwrap().to_owned();
    let github = platform["github"].as_table().unwrap();
    let mut ids = (text(github, "owner_id"), text(github, "repository_id"));
    if ids.0.starts_with('<') {
        repo.edit("environments/platform.toml", &ids.0, "1001");
        repo.edit("environments/platform.toml", &ids.1, "2002");
        repo.run(&["render"]).success();
        ids = ("1001".to_owned(), "2002".to_owned());
    }
    (
        text(&platform, "org"),
        format!("https://auth.{}", text(&platform, "domain")),
        (text(github, "repository"), ids.0, ids.1),
    )
}

#[test]
fn the_issuer_lets_in_exactly_the_deploy_job_of_each_environment_ci_deploys() {
    for repo in [Repo::example(), Repo::fixture()] {
        let (org, issuer, github) = identities(&repo);
        let org = org.as_str();
        let github = (github.0.as_str(), github.1.as_str(), github.2.as_str());
        let config = issuer_config(&repo, &issuer);
        if let Some(errors) = truster::schema_errors(&config) {
            assert_eq!(errors, Vec::<String>::new(), "{org}: Truster's schema");
        }
        // The same clients and people as podplane.oidc.jsonc, which the override replaces.
        let oidc = podplane::parse_jsonc(&repo.read("environments/identity/podplane.oidc.jsonc"));
        let policy = &config["static_policy"];
        let clients: Vec<&String> = policy["clients"].as_object().unwrap().keys().collect();
        let oidc_clients: Vec<&String> = oidc["oidc"]["clients"]
            .as_object()
            .unwrap()
            .keys()
            .collect();
        assert_eq!(clients, oidc_clients, "{org}");
        assert_eq!(
            policy["user_group_mappings"], oidc["oidc"]["groups_overrides"],
            "{org}"
        );

        for env in ["staging", "observability", "prod"] {
            let client = format!("{org}-{env}");
            let token = deploy_token(github, env, &client).claims();
            let (subject, groups) = truster::exchange(&config, &client, &token)
                .unwrap_or_else(|why| panic!("{org}: {env}'s deploy job is refused: {why}"));
            assert_eq!(subject, format!("trusted:github:{}:{env}", github.0));
            assert_eq!(
                groups,
                ["podplane:editors"],
                "{org}: least privilege, never admins"
            );

            // What must never get in.
            let refused = |claims: Value, client: &str, what: &str| {
                assert!(
                    truster::exchange(&config, client, &claims).is_err(),
                    "{org}: {what} gets into {client}"
                );
            };
            let pull_request = truster::GithubToken {
                event: "pull_request",
                git_ref: "refs/pull/7/merge",
                environment: None,
                ..deploy_token(github, env, &client)
            };
            refused(pull_request.claims(), &client, "a pull request");
            let pull_request_in_environment = truster::GithubToken {
                event: "pull_request",
                git_ref: "refs/pull/7/merge",
                ..deploy_token(github, env, &client)
            };
            refused(
                pull_request_in_environment.claims(),
                &client,
                "a pull request naming the environment",
            );
            let branch = truster::GithubToken {
                git_ref: "refs/heads/feature",
                ..deploy_token(github, env, &client)
            };
            refused(branch.claims(), &client, "another branch");
            let dispatch = truster::GithubToken {
                event: "workflow_dispatch",
                ..deploy_token(github, env, &client)
            };
            refused(dispatch.claims(), &client, "a run by hand");
            let other_workflow = truster::GithubToken {
                workflow: ".github/workflows/promote.yml",
                ..deploy_token(github, env, &client)
            };
            refused(other_workflow.claims(), &client, "another workflow");
            let fork = truster::GithubToken {
                repository_id: "1",
                ..deploy_token(github, env, &client)
            };
            refused(fork.claims(), &client, "a repository of the same name");
            let other = if env == "prod" { "staging" } else { "prod" };
            refused(
                deploy_token(github, other, &client).claims(),
                &client,
                "another environment's job",
            );
            refused(
                deploy_token(github, env, &format!("{org}-{other}")).claims(),
                &client,
                "a token for another cluster",
            );
        }
        for env in ["dev", "ci"] {
            let client = format!("{org}-{env}");
            let token = deploy_token(github, env, &client).claims();
            assert!(
                truster::exchange(&config, &client, &token).is_err(),
                "{org}: CI gets into {env}"
            );
        }
        // Terraform gives the clients one type, so every binding names the same claims.
        let shapes: Vec<Vec<&String>> = policy["clients"]
            .as_object()
            .unwrap()
            .values()
            .filter_map(|c| c["trust_bindings"].as_array())
            .flatten()
            .map(|b| b["claims"].as_object().unwrap().keys().collect())
            .collect();
        assert_eq!(
            shapes.len(),
            3,
            "{org}: one binding per CI-deployed environment"
        );
        assert!(shapes.windows(2).all(|w| w[0] == w[1]), "{org}: {shapes:?}");
    }
}

#[test]
fn a_new_repository_trusts_no_one_until_its_ids_are_filled_in() {
    let repo = Repo::generated_with(&["--github", "globex/infra"]);
    let config = issuer_config(&repo, "https://auth.globex.io");
    if let Some(errors) = truster::schema_errors(&config) {
        assert_eq!(errors, Vec::<String>::new(), "Truster's schema");
    }
    let token = deploy_token(("globex/infra", "77", "88"), "staging", "globex-staging").claims();
    assert!(truster::exchange(&config, "globex-staging", &token).is_err());
    let check = repo.run(&["check"]).success().stderr();
    crate::common::assert_output(
        "render-trust/a_new_repository_trusts_no_one_until_its_ids_are_filled_in",
        &check,
        &[
            "`github.owner_id` is still the placeholder `<github-owner-id>`",
            "`github.repository_id` is still the placeholder `<github-repository-id>`",
            "gh api repos/OWNER/NAME",
        ],
    );
    repo.edit("environments/platform.toml", "<github-owner-id>", "77");
    repo.edit("environments/platform.toml", "<github-repository-id>", "88");
    repo.run(&["render"]).success();
    let config = issuer_config(&repo, "https://auth.globex.io");
    let (subject, _) = truster::exchange(&config, "globex-staging", &token).unwrap();
    assert_eq!(subject, "trusted:github:globex/infra:staging");
}

#[test]
fn with_buildkite_the_issuer_lets_in_exactly_the_deploy_step_of_each_environment() {
    const ORG_ID: &str = "0184990a-477b-4fa8-9968-496074483c77";
    const PIPELINE_ID: &str = "0184990a-4782-42b5-afc1-16715b10b1f0";
    let repo = crate::buildkite::on_buildkite(None);
    let config = issuer_config(&repo, "https://auth.initech.test");
    if let Some(errors) = truster::schema_errors(&config) {
        assert_eq!(errors, Vec::<String>::new(), "Truster's schema");
    }
    let step = |env: &'static str, audience: &'static str| truster::BuildkiteToken {
        organization: ("initech", ORG_ID),
        pipeline: ("platform", PIPELINE_ID),
        branch: "main",
        step_key: match env {
            "staging" => "deploy-staging",
            "observability" => "deploy-observability",
            _ => "deploy-prod",
        },
        audience,
    };
    for (env, client) in [
        ("staging", "initech-staging"),
        ("observability", "initech-observability"),
        ("prod", "initech-prod"),
    ] {
        let (subject, groups) = truster::exchange(&config, client, &step(env, client).claims())
            .unwrap_or_else(|why| panic!("{env}'s deploy step is refused: {why}"));
        assert_eq!(subject, format!("trusted:buildkite:initech/platform:{env}"));
        assert_eq!(groups, ["podplane:editors"], "least privilege");

        let refused = |token: truster::BuildkiteToken, what: &str| {
            assert!(
                truster::exchange(&config, client, &token.claims()).is_err(),
                "{what} gets into {client}"
            );
        };
        refused(
            truster::BuildkiteToken {
                branch: "feature",
                ..step(env, client)
            },
            "a build of another branch",
        );
        refused(
            truster::BuildkiteToken {
                step_key: "checks",
                ..step(env, client)
            },
            "another step",
        );
        refused(
            truster::BuildkiteToken {
                pipeline: ("platform", "0184990a-0000-42b5-afc1-16715b10b1f0"),
                ..step(env, client)
            },
            "another pipeline of the same slug (the pull-request pipeline, a re-created one)",
        );
        refused(
            truster::BuildkiteToken {
                organization: ("initech", "0184990a-0000-4fa8-9968-496074483c77"),
                ..step(env, client)
            },
            "another organisation of the same slug",
        );
        // (Production's deploy step reads staging, below: it does not deploy there.)
        let other = match env {
            "prod" => "staging",
            "staging" => "observability",
            _ => "prod",
        };
        refused(step(other, client), "another environment's step");
    }
    // Reading, as a viewer: the plan reads staging's record (the base of a change), and
    // production's deploy step reads it (the digests staging ran); nothing else does.
    for (step_key, client) in [
        ("plan", "initech-staging"),
        ("deploy-prod", "initech-staging"),
    ] {
        let token = truster::BuildkiteToken {
            step_key,
            ..step("staging", client)
        };
        let (subject, groups) = truster::exchange(&config, client, &token.claims())
            .unwrap_or_else(|why| panic!("{step_key} cannot read staging: {why}"));
        assert_eq!(
            subject,
            format!("trusted:buildkite:initech/platform:{step_key}:reads")
        );
        assert_eq!(groups, ["podplane:viewers"], "{step_key} only reads");
    }
    for (step_key, client) in [
        ("plan", "initech-prod"),
        ("deploy-prod", "initech-observability"),
        ("deploy-observability", "initech-staging"),
    ] {
        let token = truster::BuildkiteToken {
            step_key,
            ..step("staging", client)
        };
        assert!(
            truster::exchange(&config, client, &token.claims()).is_err(),
            "{step_key} gets into {client}"
        );
    }
    // A GitHub job of the repository no longer gets in: one provider is trusted.
    let github = deploy_token(
        ("initech/platform", "1999", "4242"),
        "staging",
        "initech-staging",
    );
    assert!(truster::exchange(&config, "initech-staging", &github.claims()).is_err());
}
