//! Bad input in the hand-written files, end to end: each problem located at its file, line
//! and column, said in words with what would be valid, exit code 2, nothing written.

use crate::common;
use common::{Repo, assert_commented, assert_snapshot};
use pretty_assertions::assert_eq;

#[test]
fn naming_patterns_in_platform_toml_replace_the_conventions() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\nzone = \"{{env}}.eu.{{domain}}\"\n",
    );
    let out = repo.run(&["show", "prod"]).success().stdout();
    assert_snapshot(
        "bad_input/naming_patterns_in_platform_toml_replace_the_conventions",
        &out,
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
        crate::common::assert_output(
            "bad_input/a_broken_naming_pattern_is_explained_in_words_once",
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
    assert_snapshot(
        "bad_input/a_broken_naming_pattern_is_explained_in_words_once",
        &err,
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
    assert_snapshot(
        "bad_input/a_bad_value_in_platform_toml_is_one_problem_not_one_per_environment",
        &err,
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
    assert_snapshot(
        "bad_input/a_naming_pattern_that_breaks_podplane_rules_is_refused",
        &err,
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
    assert_snapshot("bad_input/malformed_toml_is_located", &err);
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
    assert_snapshot(
        "bad_input/an_unknown_key_suggests_the_closest_valid_one",
        &err,
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
    let err = repo.refuses(&["list"]);
    assert_snapshot(
        "bad_input/a_wrong_type_names_the_key_and_the_expected_type",
        &err,
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
    assert_snapshot("bad_input/an_unknown_stage_lists_the_valid_ones", &err);
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
        crate::common::assert_output(
            "bad_input/bad_environment_names_are_refused_by_new_env",
            &err,
            &[reason],
        );
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
    assert_snapshot(
        "bad_input/a_badly_named_environment_directory_is_refused",
        &err,
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
    assert_snapshot(
        "bad_input/two_environments_with_the_same_vpc_are_refused",
        &err,
    );
}

#[test]
fn an_unknown_like_environment_suggests_the_closest() {
    let err = Repo::fixture().refuses(&["new-env", "qa", "--stage", "staging", "--like", "stagng"]);
    assert_snapshot(
        "bad_input/an_unknown_like_environment_suggests_the_closest",
        &err,
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
    assert_snapshot("bad_input/a_service_no_crate_declares_is_refused", &err);
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
    assert_snapshot(
        "bad_input/an_unknown_team_is_refused_with_the_closest_team",
        &err,
    );
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
    assert_snapshot(
        "bad_input/a_bad_service_declaration_points_into_the_crate_manifest",
        &err,
    );
}

#[test]
fn an_unknown_environment_for_show_suggests_the_closest() {
    let err = Repo::fixture().refuses(&["show", "prd"]);
    assert_snapshot(
        "bad_input/an_unknown_environment_for_show_suggests_the_closest",
        &err,
    );
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
    assert_snapshot(
        "bad_input/every_problem_is_reported_not_only_the_first",
        &err,
    );
}

// new-env

/// Free text that is written into generated files (READMEs, comments, tables, cluster
/// names) must be one line: a line break there would start a line of its own, a heading
/// in a README or a variable in platform.auto.tfvars. Each is refused where it is written.
#[test]
fn free_text_that_spans_lines_is_refused_where_it_is_written() {
    let injected = r#"x\n# injected\ntelemetry_otlp_endpoint = \"https://evil.example\""#;
    for (file, from, line, column) in [
        ("environments/platform.toml", r#"name = "Initech""#, 5, 8),
        (
            "environments/staging/environment.toml",
            r#"description = "Release validation""#,
            5,
            15,
        ),
        (
            "environments/observability/environment.toml",
            r#"monitor = "uptime-robot""#,
            13,
            11,
        ),
        (
            "environments/platform.toml",
            r#"reason = "production access is narrower than staging's""#,
            35,
            10,
        ),
    ] {
        let repo = Repo::fixture();
        let key = from.split(" = ").next().unwrap();
        repo.edit(file, from, &format!("{key} = \"{injected}\""));
        for command in [&["render"][..], &["check"], &["list"]] {
            let err = repo.refuses(command);
            crate::common::assert_output(
                "bad_input/free_text_that_spans_lines_is_refused_where_it_is_written",
                &err,
                &[
                    &format!("--> {file}:{line}:{column}"),
                    "holds a line break",
                    "write it on one line",
                ],
            );
        }
    }
    // A cluster name made by a naming pattern, too.
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "[naming]\n",
        "[naming]\ncluster_name = \"{{name}}\\u0007{{stage_title}}\"\n",
    );
    crate::common::assert_output(
        "bad_input/free_text_that_spans_lines_is_refused_where_it_is_written-2",
        &repo.refuses(&["render"]),
        &["the control character U+0007"],
    );
}

#[test]
fn an_email_the_issuer_would_refuse_is_refused() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/platform.toml",
        "\"ada@initech.test\"",
        "\"ada|x@initech.test\"",
    );
    crate::common::assert_output(
        "bad_input/an_email_the_issuer_would_refuse_is_refused",
        &repo.refuses(&["render"]),
        &["`ada|x@initech.test` is not an email address the issuer accepts"],
    );
}
