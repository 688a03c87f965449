//! The JSON Schemas `render` writes for the hand-written TOML files: every hand-written
//! file names its schema on its first line, the schemas take every file the loader takes
//! (the shipped example, the fixture, a new repository), and refuse what it refuses at
//! each level, as an editor would underline it. taplo, the consumer editors use, lints the
//! files with them when it is installed (`REQUIRE_TAPLO=1`, as `.ci/run` sets, makes it
//! required).

use crate::common;
use std::path::{Path, PathBuf};
use std::process::Command;

use common::Repo;

/// TOML as a schema sees it: JSON, with a date as its text (as taplo gives it).
fn json_of(text: &str) -> serde_json::Value {
    fn convert(value: toml::Value) -> serde_json::Value {
        match value {
            toml::Value::String(s) => s.into(),
            toml::Value::Integer(i) => i.into(),
            toml::Value::Float(f) => f.into(),
            toml::Value::Boolean(b) => b.into(),
            toml::Value::Datetime(d) => d.to_string().into(),
            toml::Value::Array(items) => items.into_iter().map(convert).collect(),
            toml::Value::Table(table) => table.into_iter().map(|(k, v)| (k, convert(v))).collect(),
        }
    }
    convert(toml::Value::Table(text.parse::<toml::Table>().unwrap()))
}

/// The hand-written TOML files of `repo`, each with the schema its `#:schema` first line
/// points at (relative to the file), which must exist.
fn hand_written(repo: &Repo) -> Vec<(PathBuf, PathBuf)> {
    let mut files = vec![repo.path("environments/platform.toml")];
    for entry in std::fs::read_dir(repo.path("environments")).unwrap() {
        let file = entry.unwrap().path().join("environment.toml");
        if file.is_file() {
            files.push(file);
        }
    }
    if repo.path("ci/pins.toml").is_file() {
        files.push(repo.path("ci/pins.toml"));
    }
    files.sort();
    files
        .into_iter()
        .map(|file| {
            let text = std::fs::read_to_string(&file).unwrap();
            let first = text.lines().next().unwrap_or_default();
            let relative = first.strip_prefix("#:schema ").unwrap_or_else(|| {
                panic!("{} starts with `{first}`, not `#:schema`", file.display())
            });
            let schema = file.parent().unwrap().join(relative);
            assert!(
                schema.is_file(),
                "{}: no {}",
                file.display(),
                schema.display()
            );
            (file, schema)
        })
        .collect()
}

fn validator(schema: &Path) -> jsonschema::Validator {
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(schema).unwrap()).unwrap();
    assert_eq!(schema["$schema"], "http://json-schema.org/draft-07/schema#");
    jsonschema::draft7::new(&schema).unwrap()
}

/// The schema's complaints about `file`, one line each.
fn schema_errors(file: &Path, schema: &Path) -> Vec<String> {
    let instance = json_of(&std::fs::read_to_string(file).unwrap());
    validator(schema)
        .iter_errors(&instance)
        .map(|error| format!("{} at {}", error, error.instance_path()))
        .collect()
}

#[test]
fn every_hand_written_file_names_a_schema_that_takes_it() {
    // The example is rendered by its own program, with its own rules (xtask/tests/).
    for repo in [Repo::example(), Repo::fixture(), Repo::generated()] {
        let files = hand_written(&repo);
        assert!(files.len() >= 7, "{files:?}");
        for (file, schema) in files {
            let errors = schema_errors(&file, &schema);
            assert!(errors.is_empty(), "{}: {errors:#?}", file.display());
        }
    }
}

#[test]
fn a_new_environment_names_its_schema() {
    let repo = Repo::fixture();
    repo.run(&["new-env", "qa", "--stage", "development", "--like", "dev"])
        .success();
    let (file, schema) = hand_written(&repo)
        .into_iter()
        .find(|(file, _)| file.ends_with("qa/environment.toml"))
        .unwrap();
    assert_eq!(schema_errors(&file, &schema), Vec::<String>::new());
}

/// Whether `text` has `key` as a word of its own: not inside a longer key.
fn names(text: &str, key: &str) -> bool {
    let part_of_key = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '-';
    text.match_indices(key).any(|(at, _)| {
        !text[..at].ends_with(part_of_key) && !text[at + key.len()..].starts_with(part_of_key)
    })
}

/// Every key of every schema has a description (what an editor shows on hover), and the
/// reference documentation names every key.
#[test]
fn every_key_is_described() {
    let repo = Repo::fixture();
    let reference = std::fs::read_to_string(
        Path::new(&common::manifest_dir()).join("../docs/environments-reference.md"),
    )
    .unwrap();
    fn walk(schema: &serde_json::Value, at: &str, reference: &str, keys: &mut usize) {
        let Some(object) = schema.as_object() else {
            return;
        };
        if let Some(properties) = object.get("properties").and_then(|p| p.as_object()) {
            for (key, property) in properties {
                *keys += 1;
                let description = property["description"].as_str().unwrap_or_default();
                assert!(
                    !description.trim().is_empty(),
                    "{at}.{key} has no description"
                );
                assert!(
                    names(reference, key),
                    "docs/environments-reference.md does not name `{key}` ({at})"
                );
            }
        }
        for (name, child) in object {
            walk(child, &format!("{at}.{name}"), reference, keys);
        }
    }
    for schema in [
        "environments/platform.schema.json",
        "environments/environment.schema.json",
        "ci/pins.schema.json",
    ] {
        let value: serde_json::Value = serde_json::from_str(&repo.read(schema)).unwrap();
        let mut keys = 0;
        walk(&value, schema, &reference, &mut keys);
        assert!(keys >= 3, "{schema}: {keys} keys");
    }
}

/// Broken files, each refused by the loader (exit 2, nothing written) and by the schema
/// an editor checks it with: a misspelt key at each level, a value of the wrong type, a
/// stage that is not one, a name of the wrong shape, a rule that does not exist.
#[test]
fn what_the_loader_refuses_the_schema_refuses() {
    const PLATFORM: &str = "environments/platform.toml";
    const PROD: &str = "environments/prod/environment.toml";
    const CI: &str = "environments/ci/environment.toml";
    const OBSERVABILITY: &str = "environments/observability/environment.toml";
    const IDENTITY: &str = "environments/identity/environment.toml";
    const PINS: &str = "ci/pins.toml";
    let cases: &[(&str, &str, &str, &str)] = &[
        (PLATFORM, "org = ", "orgg = \"x\"\norg = ", "orgg"),
        (
            PLATFORM,
            "region = \"us-east-2\"",
            "regoin = \"us-east-2\"",
            "regoin",
        ),
        (
            PLATFORM,
            "seed = \"recommended\"",
            "sead = \"recommended\"",
            "sead",
        ),
        (PLATFORM, "vpc_range", "vpc_rnage", "vpc_rnage"),
        (
            PLATFORM,
            "reason = \"production",
            "raeson = \"production",
            "raeson",
        ),
        (PLATFORM, "[naming]", "[naming]\nzoen = \"x\"", "zoen"),
        (PLATFORM, "email = \"certs", "emial = \"certs", "emial"),
        (
            PLATFORM,
            "[checks]",
            "[checks]\nno-such-rule = \"deny\"",
            "no-such-rule",
        ),
        (
            PLATFORM,
            "[checks]",
            "[checks]\nplaceholder = \"loud\"",
            "loud",
        ),
        (
            PLATFORM,
            "org = \"initech\"",
            "org = \"Initech Inc\"",
            "Initech Inc",
        ),
        (
            PLATFORM,
            "\"bo@initech.test\"",
            "\"bo at initech\"",
            "bo at initech",
        ),
        (PLATFORM, "until = 2027-06-30", "until = \"soon\"", "soon"),
        (PROD, "stage = \"production\"", "stage = \"prod\"", "prod"),
        (PROD, "zones = 3", "zones = \"3\"", "\"3\""),
        (PROD, "zones = 3", "zones = 9", "9"),
        (
            PROD,
            "account = \"444455556666\"",
            "account = \"4444\"",
            "4444",
        ),
        (PROD, "disk_size = 200", "disk_sise = 200", "disk_sise"),
        (PROD, "size = 2\n", "size = 0\n", "0"),
        (PROD, "version = \"2.1.0\"", "version = 2", "2"),
        (PROD, "replicas = 4", "replica = 4", "replica"),
        (
            PROD,
            "developers = \"viewers\"",
            "developers = \"readers\"",
            "readers",
        ),
        (
            PROD,
            "zones = 3",
            "zones = 3\n[names]\nzone_name = \"x\"",
            "zone_name",
        ),
        (
            PROD,
            "zones = 3",
            "zones = 3\ndescripton = \"x\"",
            "descripton",
        ),
        (PROD, "[services.mailer]", "[services.Mailer]", "Mailer"),
        (PROD, "LOG_LEVEL", "LOG-LEVEL", "LOG-LEVEL"),
        (
            CI,
            "runners = \"self-hosted\"",
            "runner = \"self-hosted\"",
            "runner",
        ),
        (
            OBSERVABILITY,
            "retention_days = 14",
            "retention = 14",
            "retention",
        ),
        (
            IDENTITY,
            "connector = \"github\"",
            "connector = \"gitlab\"",
            "gitlab",
        ),
        (PINS, "rust = ", "rustc = \"1\"\nrust = ", "rustc"),
    ];
    let repo = Repo::fixture();
    for (file, from, to, shown) in cases {
        let original = repo.read(file);
        repo.edit(file, from, to);
        let schema = hand_written(&repo)
            .into_iter()
            .find(|(path, _)| path.ends_with(file))
            .unwrap()
            .1;
        let errors = schema_errors(&repo.path(file), &schema);
        assert!(
            errors.iter().any(|error| error.contains(shown)),
            "{file}: `{to}` passes the schema: {errors:#?}"
        );
        let refused = repo.refuses(&["list"]);
        assert!(refused.contains(file), "{file}: `{to}`: {refused}");
        repo.write(file, &original);
    }
    repo.run(&["list"]).success();
}

/// Whether taplo is installed; when it is not, says so (a visible skip), unless
/// `REQUIRE_TAPLO` makes its absence a failure.
fn taplo() -> bool {
    if Command::new("taplo").arg("--version").output().is_ok() {
        return true;
    }
    assert!(
        std::env::var_os("REQUIRE_TAPLO").is_none(),
        "REQUIRE_TAPLO is set but taplo is not installed"
    );
    common::notice(
        "taplo is not installed: the TOML files are not linted or format-checked with it",
    );
    false
}

/// Runs `taplo ARGS... FILES...` offline, with no configuration file of its own.
fn run_taplo(args: &[&str], files: &[PathBuf]) -> std::process::Output {
    Command::new("taplo")
        .args(args)
        .arg("--no-auto-config")
        .args(files)
        .env("RUST_LOG", "error")
        .output()
        .unwrap()
}

/// taplo, which "Even Better TOML" runs in the editor, lints the shipped files with the
/// schemas their first lines name, and underlines a typo.
#[test]
fn taplo_lints_with_the_schemas() {
    if !taplo() {
        return;
    }
    let repo = Repo::example();
    let lint = |repo: &Repo| {
        let files: Vec<PathBuf> = hand_written(repo).into_iter().map(|(f, _)| f).collect();
        run_taplo(&["lint"], &files)
    };
    let clean = lint(&repo);
    assert!(
        clean.status.success(),
        "{}",
        String::from_utf8_lossy(&clean.stderr)
    );
    repo.edit(
        "environments/staging/environment.toml",
        "stage = \"staging\"",
        "stage = \"stagign\"",
    );
    let typo = lint(&repo);
    assert!(!typo.status.success());
    assert!(
        String::from_utf8_lossy(&typo.stderr).contains("\"stagign\" is not one of"),
        "{}",
        String::from_utf8_lossy(&typo.stderr)
    );
}

/// Every TOML file under `root` but build output.
fn toml_files(root: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() && !path.ends_with("target") {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "toml") {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

/// What `new-repo`, `new-env` and `new-service` write, and the shipped example, are laid
/// out as `taplo fmt` leaves them: a team that formats its TOML with taplo sees no churn.
#[test]
fn the_toml_the_tool_writes_is_as_taplo_formats_it() {
    if !taplo() {
        return;
    }
    // Enough platform admins that their array cannot stay on one line.
    let generated = Repo::generated_with(&[
        "--admin",
        "ada@globex.io",
        "--admin",
        "bo.the.builder@globex.io",
        "--admin",
        "cy@globex.io",
        "--admin",
        "di@globex.io",
    ]);
    assert!(
        generated
            .read("environments/platform.toml")
            .contains("platform = [\n  \"ada@globex.io\",\n")
    );
    for (name, stage, like) in [
        ("qa", "development", Some("dev")),
        ("preprod", "staging", Some("prod")),
        ("eu-prod", "production", None),
        ("builds", "ci", None),
    ] {
        let mut args = vec!["new-env", name, "--stage", stage];
        if let Some(like) = like {
            args.extend(["--like", like]);
        }
        generated.run(&args).success();
    }
    generated
        .run(&[
            "new-service",
            "billing",
            "--template",
            "web",
            "--deploy-to",
            "qa",
        ])
        .success();
    generated
        .run(&[
            "new-service",
            "mailer",
            "--template",
            "worker",
            "--deploy-to",
            "staging",
        ])
        .success();
    let example = Repo::example();
    // The smallest shape, grown a staging environment like production, relay and all.
    let smallest = Repo::generated_with(&["--shape", "smallest"]);
    smallest
        .run(&["new-env", "staging", "--stage", "staging", "--like", "prod"])
        .success();
    for root in [generated.path("."), example.path("."), smallest.path(".")] {
        let files = toml_files(&root);
        assert!(files.len() > 10, "{files:?}");
        let check = run_taplo(&["fmt", "--check", "--diff"], &files);
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}

/// `render` writes the schemas, `render --check` finds one edited by hand, and the pins'
/// schema goes when `ci/pins.toml` does, as the workflows do.
#[test]
fn render_keeps_the_schemas_fresh() {
    let repo = Repo::fixture();
    let schema = "environments/environment.schema.json";
    let text = repo.read(schema);
    repo.write(
        schema,
        &text.replace(
            "\"additionalProperties\": false",
            "\"additionalProperties\": true",
        ),
    );
    let run = repo.run(&["render", "--check"]);
    assert_eq!(run.code(), 1);
    crate::common::assert_output(
        "schemas/render_keeps_the_schemas_fresh",
        &run.stderr(),
        &[&format!("stale: {schema}")],
    );
    repo.run(&["render"]).success();
    assert_eq!(repo.read(schema), text);

    std::fs::remove_file(repo.path("ci/pins.toml")).unwrap();
    let run = repo.run(&["render"]).success();
    crate::common::assert_output(
        "schemas/render_keeps_the_schemas_fresh-2",
        &run.stderr(),
        &["removed"],
    );
    assert!(!repo.path("ci/pins.schema.json").exists());
    assert!(repo.path("environments/platform.schema.json").exists());
    repo.run(&["render", "--check"]).success();
}
