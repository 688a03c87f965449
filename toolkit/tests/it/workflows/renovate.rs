//! `.github/renovate.json5`: Renovate's own JSON Schema takes it, and its custom managers,
//! run as Renovate runs them (each regular expression over the whole pins file), find
//! every pin of `ci/pins.toml` once, with what Renovate needs to update it; the rendered
//! files are not Renovate's to edit.

use std::collections::BTreeMap;

use crate::common::{self, Repo};
use pretty_assertions::assert_eq;
use serde_json::Value;

/// The configuration as Renovate reads it: JSON5, here without trailing commas.
fn config(repo: &Repo) -> Value {
    let text = repo.read(".github/renovate.json5");
    serde_json::from_reader(json_comments::StripComments::new(text.as_bytes())).unwrap()
}

#[test]
fn renovates_own_schema_takes_the_configuration() {
    let Some(dir) = common::shared_dir(
        "RENOVATE_SCHEMA_DIR",
        "REQUIRE_RENOVATE_SCHEMA",
        "renovate",
        "renovate-schema.json",
        "Renovate's schema (renovate-schema.json, from the renovate npm package) is not here: the Renovate configuration is not validated against it",
    ) else {
        return;
    };
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(dir.join("renovate-schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for repo in [Repo::fixture(), Repo::generated()] {
        let config = config(&repo);
        let errors: Vec<String> = validator
            .iter_errors(&config)
            .map(|e| format!("{e} at {}", e.instance_path()))
            .collect();
        assert_eq!(errors, Vec::<String>::new());
        // And a misspelt key is refused, so the check can fail.
        let mut wrong = config.clone();
        wrong["customManagers"][0]["customType"] = Value::from("regexp");
        assert!(!validator.is_valid(&wrong));
    }
}

#[test]
fn the_custom_managers_find_every_pin_once() {
    let repo = Repo::generated();
    let config = config(&repo);
    let pins_text = repo.read("ci/pins.toml");
    let pins: toml::Table = toml::from_str(&pins_text).unwrap();
    // Each pin's value as the pins file has it, by what Renovate would call it.
    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for (action, pin) in pins["actions"].as_table().unwrap() {
        expected.insert(
            action.clone(),
            format!(
                "{}@{}",
                pin["version"].as_str().unwrap(),
                pin["commit"].as_str().unwrap()
            ),
        );
    }
    for (tool, name) in [
        ("rust", "rust-lang/rust"),
        ("podplane", "https://github.com/podplane/podplane"),
        ("kubectl", "kubernetes/kubernetes"),
        ("helm", "helm/helm"),
    ] {
        let value = pins["tools"][tool].as_str().unwrap();
        let value = if tool == "podplane" {
            format!("main@{value}")
        } else {
            value.to_owned()
        };
        expected.insert(name.to_owned(), value);
    }
    for (_, image) in pins["images"].as_table().unwrap() {
        let image = image.as_str().unwrap();
        let (name, digest) = image.split_once('@').unwrap();
        let (repository, tag) = name.rsplit_once(':').unwrap();
        expected.insert(repository.to_owned(), format!("{tag}@{digest}"));
    }
    // Each chart by the OCI repository Renovate looks its versions up in.
    let charts = [
        (
            "arc",
            "ghcr.io/actions/actions-runner-controller-charts/gha-runner-scale-set-controller",
        ),
        ("agent-stack-k8s", "ghcr.io/buildkite/helm/agent-stack-k8s"),
    ];
    for (chart, version) in pins["charts"].as_table().unwrap() {
        let (_, name) = charts
            .iter()
            .find(|(key, _)| key == chart)
            .unwrap_or_else(|| panic!("a chart the test does not know: {chart}"));
        expected.insert((*name).to_owned(), version.as_str().unwrap().to_owned());
    }

    let mut found: BTreeMap<String, String> = BTreeMap::new();
    for manager in config["customManagers"].as_array().unwrap() {
        assert_eq!(
            manager["managerFilePatterns"],
            serde_json::json!(["/^ci/pins\\.toml$/"])
        );
        for pattern in manager["matchStrings"].as_array().unwrap() {
            let regex = regex::Regex::new(pattern.as_str().unwrap()).unwrap();
            for captures in regex.captures_iter(&pins_text) {
                let template = |key: &str| manager[key].as_str().map(str::to_owned);
                let name = captures
                    .name("depName")
                    .map(|m| m.as_str().to_owned())
                    .or_else(|| template("depNameTemplate"))
                    .expect("a package name");
                let value = captures
                    .name("currentValue")
                    .map(|m| m.as_str().to_owned())
                    .or_else(|| template("currentValueTemplate"))
                    .expect("a current value");
                let value = match captures.name("currentDigest") {
                    Some(digest) => format!("{value}@{}", digest.as_str()),
                    None => value,
                };
                assert!(
                    found.insert(name.clone(), value).is_none(),
                    "{name} is found twice"
                );
            }
        }
    }
    assert_eq!(found, expected);

    // The rendered files are not Renovate's to edit.
    let ignored = config["ignorePaths"].as_array().unwrap();
    for path in [".github/workflows/**", ".buildkite/**", "environments/**"] {
        assert!(ignored.contains(&Value::from(path)), "{path}");
    }
}
