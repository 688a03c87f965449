//! `--format json`: every command that prints a report prints the shape
//! `docs/json-output.md` documents, on stdout alone, with the same exit codes.

use crate::common;
use std::path::Path;

use common::Repo;
use pretty_assertions::assert_eq;
use serde_json::Value;

const STAGING: &str = "environments/staging/environment.toml";

/// The section of `docs/json-output.md` about `command`: from its heading to the next.
fn documented(command: &str) -> String {
    let doc =
        std::fs::read_to_string(Path::new(&common::manifest_dir()).join("../docs/json-output.md"))
            .unwrap();
    let start = doc
        .find(&format!("\n## `{command}"))
        .unwrap_or_else(|| panic!("docs/json-output.md has no section on `{command}`"));
    let rest = &doc[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |end| end + 3);
    rest[..end].to_owned()
}

/// The keys of an object, sorted.
fn keys(value: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort();
    keys
}

/// Every key of `value` is named, in backticks or as a JSON key, in the section on `command`.
fn assert_documented(command: &str, value: &Value) {
    let section = documented(command);
    for key in keys(value) {
        assert!(
            section.contains(&format!("`{key}`")) || section.contains(&format!("\"{key}\"")),
            "docs/json-output.md does not document `{key}` of `{command}`: {value}"
        );
    }
}

#[test]
fn list_gives_each_environment_its_resolved_names_and_services() {
    let repo = Repo::fixture();
    let (code, listed) = repo.json(&["list", "--format", "json"]);
    assert_eq!(code, 0);
    let listed = listed.as_array().unwrap();
    let names: Vec<&str> = listed.iter().map(|e| e["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["ci", "dev", "identity", "observability", "prod", "staging"]
    );
    let prod = &listed[4];
    assert_eq!(
        keys(prod),
        [
            "account",
            "cluster",
            "description",
            "name",
            "region",
            "services",
            "stage"
        ]
    );
    assert_documented("list", prod);
    assert_eq!(prod["stage"], "production");
    assert_eq!(prod["account"], "444455556666");
    assert_eq!(prod["region"], "us-east-2");
    assert_eq!(
        prod["cluster"],
        serde_json::json!({
            "id": "initech-prod",
            "name": "Initech Production",
            "zone": "prod.initech.test",
            "api_host": "k8s.prod.initech.test",
            "registry_host": "registry.prod.initech.test",
            "vpc": "10.30.0.0/16",
        })
    );
    assert_eq!(
        prod["services"],
        serde_json::json!({
            "mailer": {
                "version": "2.1.0",
                "template": "worker",
                "image": "ghcr.io/initech/mailer:2.1.0",
                "replicas": 4,
            },
            "storefront": {
                "version": "1.2.0",
                "template": "web",
                "image": "ghcr.io/initech/storefront:1.2.0",
                "host": "storefront.prod.initech.test",
            },
        })
    );
    let identity = &listed[2];
    assert_eq!(identity["cluster"], Value::Null);
    assert_eq!(identity["services"], serde_json::json!({}));

    // A hand-written name is the resolved one.
    repo.edit(
        STAGING,
        "zones = 3",
        "zones = 3\n\n[names]\nzone = \"stg.initech.test\"",
    );
    let (_, listed) = repo.json(&["list", "--format", "json"]);
    assert_eq!(listed[5]["cluster"]["zone"], "stg.initech.test");
    assert_eq!(listed[5]["cluster"]["api_host"], "k8s.stg.initech.test");
}

#[test]
fn render_reports_each_file_it_writes_or_would() {
    let repo = Repo::fixture();
    let (code, fresh) = repo.json(&["render", "--check", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(
        fresh,
        serde_json::json!({ "written": false, "fresh": true, "changes": [] })
    );

    repo.edit(STAGING, "version = \"1.3.0\"", "version = \"1.3.1\"");
    let before = repo.read("environments/staging/README.md");
    let (code, stale) = repo.json(&["render", "--check", "--format", "json"]);
    assert_eq!(code, 1, "out of date, as in the human format");
    assert_documented("render", &stale);
    assert_eq!(stale["written"], false);
    assert_eq!(stale["fresh"], false);
    let changes = stale["changes"].as_array().unwrap();
    let readme = changes
        .iter()
        .find(|c| c["path"] == "environments/staging/README.md")
        .unwrap_or_else(|| panic!("{stale}"));
    assert_documented("render", readme);
    assert_eq!(readme["state"], "stale");
    assert!(
        readme["diff"]
            .as_str()
            .unwrap()
            .contains("+| storefront | web | 1.3.1 |")
    );
    assert_eq!(
        repo.read("environments/staging/README.md"),
        before,
        "--check wrote"
    );

    let (code, written) = repo.json(&["render", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(written["written"], true);
    assert_eq!(written["fresh"], false);
    let paths = |report: &Value| -> Vec<Value> {
        report["changes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["path"].clone())
            .collect()
    };
    assert_eq!(paths(&written), paths(&stale));
    assert!(written["changes"][0].get("diff").is_none());
    assert_ne!(repo.read("environments/staging/README.md"), before);
    let (code, _) = repo.json(&["render", "--check", "--format", "json"]);
    assert_eq!(code, 0);
}

#[test]
fn promote_reports_the_versions_it_moves() {
    let repo = Repo::fixture();
    let prod = "environments/prod/environment.toml";
    let before = repo.read(prod);
    let (code, dry) = repo.json(&[
        "promote",
        "staging",
        "prod",
        "--dry-run",
        "--format",
        "json",
    ]);
    assert_eq!(code, 0);
    assert_documented("promote", &dry);
    assert_documented("promote", &dry["services"][0]);
    assert_eq!(
        dry,
        serde_json::json!({
            "from": "staging",
            "to": "prod",
            "written": false,
            "services": [{ "name": "storefront", "old": "1.2.0", "new": "1.3.0" }],
        })
    );
    assert_eq!(repo.read(prod), before);

    let (code, done) = repo.json(&["promote", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(done["written"], true);
    assert_eq!(done["services"], dry["services"]);
    assert!(repo.read(prod).contains("version = \"1.3.0\""));

    let (code, nothing) = repo.json(&["promote", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 0);
    assert_eq!(nothing["written"], false);
    assert_eq!(nothing["services"], serde_json::json!([]));
}

#[test]
fn explain_gives_the_rule_as_an_object() {
    let repo = Repo::fixture();
    let (code, rule) = repo.json(&["explain", "placeholder", "--format", "json"]);
    assert_eq!(code, 0);
    assert_documented("explain", &rule);
    assert_eq!(rule["id"], "placeholder");
    assert_eq!(rule["default"], "warn");
    assert_eq!(rule["configurable"], true);
    let (_, schema) = repo.json(&["explain", "schema", "--format", "json"]);
    assert_eq!(schema["configurable"], false);
    assert!(!schema["explanation"].as_str().unwrap().is_empty());
}

/// The reports that had JSON before: every key they print is documented.
#[test]
fn every_json_key_is_documented() {
    let repo = Repo::fixture();
    repo.put_workers_on_amd64(STAGING);
    let (_, show) = repo.json(&["show", "prod", "--format", "json"]);
    assert_documented("show", &show);
    assert_documented("show", &show["values"]["stage"]);
    assert_documented("show", &show["values"]["stage"]["source"]);

    let (code, diff) = repo.json(&["diff", "staging", "prod", "--format", "json"]);
    assert_eq!(code, 1);
    assert_documented("diff", &diff);
    let differences = diff["differences"].as_array().unwrap();
    for difference in differences {
        assert_documented("diff", difference);
    }
    let allowed = differences
        .iter()
        .find(|d| d["verdict"] == "allowed")
        .unwrap_or_else(|| panic!("{diff}"));
    assert_documented("diff", &allowed["allowance"]);
    let with_value = differences
        .iter()
        .find(|d| d["candidate"].is_object() && d["candidate"].get("value").is_some())
        .unwrap();
    assert_documented("diff", &with_value["candidate"]);

    let check = repo.run(&["check", "--format", "json"]);
    let finding: Value = serde_json::from_str(check.stdout().lines().next().unwrap()).unwrap();
    assert_documented("check", &finding);

    // A service changed since the last commit, with a new version: one to rebuild, and
    // the environments that deploy it.
    repo.commit_all();
    repo.write("crates/mailer/src/main.rs", "fn main() {}\n");
    repo.edit(
        "crates/mailer/Cargo.toml",
        "version = \"2.1.0\"",
        "version = \"2.1.1\"",
    );
    repo.edit(STAGING, "version = \"2.1.0\"", "version = \"2.1.1\"");
    let (code, affected) = repo.json(&["affected", "--base", "HEAD", "--format", "json"]);
    assert_eq!(code, 0);
    assert_documented("affected", &affected);
    assert_documented("affected", &affected["base"]);
    assert_documented("affected", &affected["services"][0]);
    assert_documented("affected", &affected["environments"][0]);
}
