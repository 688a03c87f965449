//! Properties over many generated inputs (proptest): whatever an environment file holds,
//! the tool answers with a verdict or a located refusal, never a panic, and a refusal
//! writes nothing; `promote` changes only the version bytes of any well-formed file.

use crate::common;
use common::{Repo, TODAY};
use platform_toolkit::checks::{self, Facts};
use platform_toolkit::diagnostic::SourceFile;
use platform_toolkit::model::date::Date;
use platform_toolkit::repository::SourceTree;
use proptest::prelude::*;
use proptest::sample::{Index, select};
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestRng, TestRunner};

const STAGING: &str = "environments/staging/environment.toml";
const PROD: &str = "environments/prod/environment.toml";

/// What a hand edit, a bad merge or a hostile file may bring into an environment file.
const FRAGMENTS: &[&str] = &[
    "\"",
    "'",
    "[",
    "]",
    "[[",
    "=",
    "\n",
    "\r\n",
    "#",
    "{",
    "}",
    ",",
    ".",
    "\"\"\"",
    "'''",
    "\\",
    "\\u0000",
    "-1",
    "0",
    "4294967296",
    "1e400",
    "inf",
    "nan",
    "true",
    "2027-13-45",
    "é",
    "🦀",
    "\u{feff}",
    "\t",
    "\u{0}",
    "[services.ghost]\n",
    "[services.storefront]\n",
    "version = \"1.0.0+build.5\"\n",
    "version = \"99.0.0\"\n",
    "arch = \"amd64\"\n",
    "instance_type = \"mac2.metal\"\n",
    "[pools.control-plane]\n",
    "[names]\napi_host = \"k8s.prod.initech.test\"\n",
    "vpc = \"10.30.0.0/16\"\n",
    "vpc = \"8.8.0.0/16\"\n",
    "stage = \"identity\"\n",
    "account = \"444455556666\"\n",
    "env = { DB_PASSWORD = \"hunter2\" }\n",
    "hostname = \"auth.initech.test\"\n",
    "replicas = 0\n",
    "zones = 99\n",
    "[access]\nnobody = \"admins\"\n",
];

/// One change to a file's text; positions are taken modulo its length.
#[derive(Debug, Clone)]
enum Edit {
    Insert(Index, &'static str),
    Delete(Index, usize),
    Replace(Index, usize, &'static str),
    /// Copies a run of the file to another place, as a bad merge does.
    Duplicate(Index, usize, Index),
}

fn edit() -> impl Strategy<Value = Edit> {
    let fragment = select(FRAGMENTS);
    prop_oneof![
        (any::<Index>(), fragment.clone()).prop_map(|(at, text)| Edit::Insert(at, text)),
        (any::<Index>(), 1..40usize).prop_map(|(at, len)| Edit::Delete(at, len)),
        (any::<Index>(), 1..12usize, fragment)
            .prop_map(|(at, len, text)| Edit::Replace(at, len, text)),
        (any::<Index>(), 1..80usize, any::<Index>())
            .prop_map(|(from, len, to)| Edit::Duplicate(from, len, to)),
    ]
}

/// The nearest character boundary at or before `at`.
fn boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

fn apply(text: &str, edits: &[Edit]) -> String {
    let mut text = text.to_owned();
    for edit in edits {
        let position = |index: &Index, text: &str| boundary(text, index.index(text.len() + 1));
        match edit {
            Edit::Insert(at, fragment) => {
                let at = position(at, &text);
                text.insert_str(at, fragment);
            }
            Edit::Delete(at, len) | Edit::Replace(at, len, _) => {
                let start = position(at, &text);
                let end = boundary(&text, start + len);
                let with = match edit {
                    Edit::Replace(_, _, fragment) => fragment,
                    _ => "",
                };
                text.replace_range(start..end, with);
            }
            Edit::Duplicate(from, len, to) => {
                let start = position(from, &text);
                let end = boundary(&text, start + len);
                let run = text[start..end].to_owned();
                let to = position(to, &text);
                text.insert_str(to, &run);
            }
        }
    }
    text
}

/// A runner with a fixed seed, so that every run, in CI too, tries the same inputs and a
/// failure reproduces.
fn runner(cases: u32) -> TestRunner {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha))
}

/// In-process, so thousands of files are tried: loading, rendering in memory, checking
/// and printing the problems never panic, and a file that does not load is refused with at
/// least one problem, each inside the file it names.
#[test]
fn any_edit_to_an_environment_file_loads_or_is_refused_with_located_problems() {
    let repo = Repo::fixture();
    let root = repo.dir.path();
    let tree = SourceTree::read(root).unwrap();
    let services = platform_toolkit::repository::services::declared(root).unwrap();
    let today = Date::parse(TODAY).unwrap();
    let files = tree.environments.len();
    runner(768)
        .run(
            &(0..files, prop::collection::vec(edit(), 1..6)),
            |(which, edits)| {
                let mut environments = tree.environments.clone();
                let (_, file) = &environments[which];
                let text = apply(&file.text, &edits);
                environments[which].1 = SourceFile::new(file.path.clone(), text);
                let edited = SourceTree {
                    root: tree.root.clone(),
                    platform: tree.platform.clone(),
                    environments,
                    pins: None,
                    records_toolkit: false,
                };
                match edited.load(services.clone()) {
                    Ok(platform) => {
                        let context = Facts {
                            today,
                            out_of_date: None,
                            unbumped: None,
                            stale_lock: None,
                            unknown_versions: None,
                            containerfiles: None,
                        };
                        checks::findings(&platform, &context)
                            .map_err(|e| TestCaseError::fail(e.to_string()))?;
                        if let Err(err) = platform_toolkit::commands::generated_files(&platform) {
                            return Err(TestCaseError::fail(format!("render failed: {err}")));
                        }
                    }
                    Err(problems) => {
                        prop_assert!(!problems.is_empty());
                        for problem in &problems.0 {
                            if let platform_toolkit::diagnostic::Location::Span(span) =
                                &problem.location
                            {
                                prop_assert!(span.range.end <= span.file.text.len());
                            }
                        }
                        prop_assert!(problems.render().contains("found "));
                    }
                }
                Ok(())
            },
        )
        .unwrap();
}

/// As a process: every command on an edited file exits 0, 1 or 2 without a panic, and a
/// refusal (2), like every read-only command, leaves every file as it was.
#[test]
fn every_command_on_an_edited_file_exits_0_1_or_2_and_a_refusal_writes_nothing() {
    let repo = Repo::fixture();
    let original = repo.read(STAGING);
    let commands: &[(&[&str], bool)] = &[
        (&["render"], true),
        (&["check"], false),
        (&["diff", "staging", "prod", "--format", "json"], false),
        (&["show", "staging"], false),
        (&["promote", "staging", "prod"], true),
        (&["new-env", "qa", "--stage", "development"], true),
    ];
    runner(64)
        .run(
            &(0..commands.len(), prop::collection::vec(edit(), 1..4)),
            |(which, edits)| {
                let (args, writes) = commands[which];
                repo.write(STAGING, &apply(&original, &edits));
                let before = repo.snapshot();
                let run = repo.run(args);
                let code = run.code();
                prop_assert!(
                    [0, 1, 2].contains(&code),
                    "{args:?} exited {code}: {}",
                    run.stderr()
                );
                prop_assert!(!run.stderr().contains("panicked"), "{}", run.stderr());
                if code == 2 || !writes {
                    prop_assert!(
                        before == repo.snapshot(),
                        "{args:?} exited {code} and wrote"
                    );
                }
                if code == 0 && args[0] == "new-env" {
                    std::fs::remove_dir_all(repo.path("environments/qa")).unwrap();
                }
                Ok(())
            },
        )
        .unwrap();
}

/// One way of writing a key and its value, with the spacing and comments people use.
fn assignment(key: &'static str, value: &'static str) -> impl Strategy<Value = String> {
    (
        select(&["=", " = ", "   =  ", "\t=\t"][..]),
        select(&["", "  # keep", " # version = \"0.0.1\"", "\t#'"][..]),
        any::<bool>(),
    )
        .prop_map(move |(eq, comment, literal)| {
            // A literal string where the value allows it: no quote or backslash inside.
            let value = match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(inner) if literal => format!("'{inner}'"),
                _ => value.to_owned(),
            };
            format!("{key}{eq}{value}{comment}")
        })
}

/// A table of key-value lines in any order.
fn table(
    header: &'static str,
    keys: Vec<(&'static str, &'static str)>,
) -> impl Strategy<Value = String> {
    let lines: Vec<_> = keys.into_iter().map(|(k, v)| assignment(k, v)).collect();
    (lines, select(&["", "\n", "# a comment\n"][..]))
        .prop_flat_map(|(lines, gap)| Just(lines).prop_shuffle().prop_map(move |l| (l, gap)))
        .prop_map(move |(lines, gap)| format!("{header}\n{gap}{}\n", lines.join("\n")))
}

/// The production environment of the test organisation, written in any of the ways TOML
/// allows: key order, spacing, comments that mention versions, literal strings, the
/// services as tables, inline tables or dotted keys, CRLF, a byte-order mark, with or
/// without a final newline. Its values are the fixture's.
fn production_file() -> impl Strategy<Value = String> {
    let top = table(
        "# Production, version = \"1.2.0\" in a comment.",
        vec![
            ("stage", "\"production\""),
            ("description", "\"Customer-facing services\""),
            ("account", "\"444455556666\""),
            ("vpc", "\"10.30.0.0/16\""),
            ("zones", "3"),
        ],
    );
    let pools = (
        table(
            "[pools.control-plane]",
            vec![
                ("arch", "\"arm64\""),
                ("instance_type", "\"m7g.large\""),
                ("size", "3"),
            ],
        ),
        table(
            "[pools.ingress]",
            vec![
                ("arch", "\"arm64\""),
                ("instance_type", "\"m7g.large\""),
                ("size", "2"),
            ],
        ),
        table(
            "[pools.workers]",
            vec![
                ("arch", "\"arm64\""),
                ("instance_type", "\"m7g.xlarge\""),
                ("size", "3"),
                ("disk_size", "200"),
            ],
        ),
    )
        .prop_map(|(a, b, c)| vec![a, b, c])
        .prop_shuffle()
        .prop_map(|pools| pools.join("\n"));
    let access = table(
        "[access]",
        vec![
            ("platform", "\"admins\""),
            ("developers", "\"viewers\""),
            ("sre", "\"operators\""),
        ],
    );
    let services = prop_oneof![
        (
            table(
                "[services.storefront]",
                vec![("version", "\"1.2.0\""), ("env", "{ LOG_LEVEL = \"info\" }")],
            ),
            table(
                "[services.mailer]",
                vec![("version", "\"2.1.0\""), ("replicas", "4")],
            ),
        )
            .prop_map(|(a, b)| format!("{a}\n{b}")),
        Just(
            "[services]\nstorefront = { env = { LOG_LEVEL = \"info\" }, version = \"1.2.0\" }\nmailer = {version='2.1.0',replicas=4}\n"
                .to_owned()
        ),
        Just(
            "[services]\nmailer.replicas = 4\nstorefront.version = \"1.2.0\" # was \"1.1.0\"\nmailer.version = \"2.1.0\"\nstorefront.env.LOG_LEVEL = \"info\"\n"
                .to_owned()
        ),
    ];
    (
        top,
        pools,
        access,
        services,
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(top, pools, access, services, crlf, bom, final_newline)| {
            let mut text = format!("{top}\n{pools}\n{access}\n{services}");
            if !final_newline {
                text.truncate(text.trim_end().len());
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            if bom {
                text.insert(0, '\u{feff}');
            }
            text
        })
}

/// Whether `after` is `before` with one `1.2.0` replaced by `1.10.0`, and nothing else.
fn only_the_version_changed(before: &str, after: &str) -> bool {
    before
        .match_indices("1.2.0")
        .any(|(at, _)| after == format!("{}1.10.0{}", &before[..at], &before[at + 5..]))
}

#[test]
fn promote_changes_only_the_version_bytes_of_any_well_formed_file() {
    let repo = Repo::fixture();
    // A longer version than production's, so that every byte after it moves.
    repo.edit(STAGING, "version = \"1.3.0\"", "version = \"1.10.0\"");
    runner(48)
        .run(&production_file(), |text| {
            repo.write(PROD, &text);
            let run = repo.run(&["promote", "staging", "prod"]);
            prop_assert_eq!(run.code(), 0, "{}\n{}", text, run.stderr());
            let after = repo.read(PROD);
            prop_assert!(
                only_the_version_changed(&text, &after),
                "before:\n{text}\nafter:\n{after}"
            );
            let shown = repo.run(&["show", "prod"]).success().stdout();
            prop_assert!(shown.contains("version = \"1.10.0\""), "{shown}");
            Ok(())
        })
        .unwrap();
}

/// Diagnostics hide secrets in any text they show, multi-byte characters and all, and keep
/// every offset where it was.
#[test]
fn hiding_secrets_keeps_any_text_valid_and_its_length() {
    let piece = prop_oneof![
        select(FRAGMENTS).prop_map(str::to_owned),
        select(
            &[
                "DB_PASSWORD",
                "API_KEY=",
                "\"TOKEN\": ",
                "postgres://a:",
                "@",
                "-----BEGIN",
                "PRIVATE KEY",
                "-----END"
            ][..]
        )
        .prop_map(str::to_owned),
        any::<String>(),
    ];
    runner(2048)
        .run(&prop::collection::vec(piece, 0..12), |pieces| {
            let text = pieces.concat();
            prop_assert_eq!(platform_toolkit::secrets::redact(&text).len(), text.len());
            Ok(())
        })
        .unwrap();
}
