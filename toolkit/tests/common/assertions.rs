//! The assertions the end-to-end tests share: whole outputs against snapshots, with this
//! checkout's directories, temporary directories and commit ids named, and the lines a
//! test is about.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use super::{manifest_dir, scratch_root};

/// Compares `actual` whole with the snapshot `tests/snapshots/<case>.txt`; with
/// `SNAPSHOTS=overwrite`, writes it instead (then read the diff before committing).
pub fn assert_snapshot(case: &str, actual: &str) {
    let path = manifest_dir()
        .join("tests/snapshots")
        .join(format!("{case}.txt"));
    snapbox::assert_data_eq!(
        actual.to_owned(),
        snapbox::Data::read_from(&path, None).raw()
    );
}

/// Asserts that a line starting with `start` carries the comment `# comment...`.
pub fn assert_commented(out: &str, start: &str, comment: &str) {
    let line = out
        .lines()
        .find(|l| l.starts_with(start))
        .unwrap_or_else(|| panic!("no line starting with `{start}` in:\n{out}"));
    let (_, found) = line
        .split_once("  # ")
        .unwrap_or_else(|| panic!("no comment on `{line}`"));
    assert!(
        found.starts_with(comment),
        "`{line}` should say `{comment}`"
    );
}

pub fn assert_contains(haystack: &str, needles: &[&str]) {
    for needle in needles {
        assert!(
            haystack.contains(needle),
            "expected `{needle}` in:\n{haystack}"
        );
    }
}

/// Asserts that a command's `output` holds each of `needles` (what the test is about),
/// and compares it whole with the snapshot `tests/snapshots/outputs/<case>.txt`, once
/// what varies from run to run is named instead: this toolkit's directory (`[TOOLKIT]`)
/// and its workspace's (`[WORKSPACE]`),
/// a temporary directory (`[TMP]`) and a git commit (`[COMMIT]`); cargo's progress lines
/// are left out.
/// The same case asserted again in one test (in a loop) is `<case>.2`, `<case>.3`, in
/// the order of the calls.
pub fn assert_output(case: &str, output: &str, needles: &[&str]) {
    thread_local! {
        static CALLS: std::cell::RefCell<BTreeMap<String, usize>> =
            const { std::cell::RefCell::new(BTreeMap::new()) };
    }
    let call = CALLS.with(|calls| {
        let mut calls = calls.borrow_mut();
        let n = calls.entry(case.to_owned()).or_insert(0);
        *n += 1;
        *n
    });
    let case = match call {
        1 => case.to_owned(),
        n => format!("{case}.{n}"),
    };
    assert_contains(output, needles);
    assert_snapshot(&format!("outputs/{case}"), &normalized(output));
}

/// `text` with the toolkit's directory, temporary directories (and their names) and commit
/// ids named.
pub fn normalized(text: &str) -> String {
    let toolkit = manifest_dir();
    let workspace = toolkit.parent().unwrap_or(&toolkit).display().to_string();
    let text = text
        .replace(&toolkit.display().to_string(), "[TOOLKIT]")
        .replace(&workspace, "[WORKSPACE]");
    let temp = scratch_root().display().to_string();
    let temp = temp.trim_end_matches('/');
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(&format!("{temp}/.tmp")) {
        out.push_str(&rest[..at]);
        let after = &rest[at + temp.len() + 5..];
        let name_end = after
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(after.len());
        out.push_str("[TMP]");
        rest = &after[name_end..];
    }
    out.push_str(rest);
    // A temporary directory's own name, where a command names it alone (a repository
    // named after its directory).
    static TEMP_NAME: OnceLock<regex::Regex> = OnceLock::new();
    let temp_name =
        TEMP_NAME.get_or_init(|| regex::Regex::new(r"\.tmp[A-Za-z0-9]{6}\b").expect("a regex"));
    let out = temp_name.replace_all(&out, "[TMPNAME]").into_owned();
    // Cargo's own progress lines say how the registry stands today, not what the command
    // did: they are left out.
    let cargo_says = |line: &str| {
        let verb = line.trim_start().split(' ').next().unwrap_or_default();
        (line.starts_with("  ")
            && [
                "Updating",
                "Locking",
                "Removing",
                "Adding",
                "Upgrading",
                "Downgrading",
                "Unchanged",
                "Compiling",
                "Finished",
                "Blocking",
                "Downloaded",
                "Downloading",
            ]
            .contains(&verb))
            || line.starts_with("note: pass `--verbose`")
    };
    let kept: String = out
        .split_inclusive('\n')
        .filter(|line| !cargo_says(line))
        .collect();
    commits_named(&kept)
}

/// Words of 7 to 40 lowercase hexadecimal digits with a digit and a letter, as git
/// abbreviates and spells commits, as `[COMMIT]`; digests (`sha256:…`, 64 digits) stay.
fn commits_named(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut word = String::new();
    let flush = |word: &mut String, out: &mut String| {
        let hex = word
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        let mixed = word.bytes().any(|b| b.is_ascii_digit())
            && word.bytes().any(|b| b.is_ascii_lowercase());
        if (7..=40).contains(&word.len()) && hex && mixed && !out.ends_with("sha256:") {
            out.push_str("[COMMIT]");
        } else {
            out.push_str(word);
        }
        word.clear();
    };
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            word.push(c);
        } else {
            flush(&mut word, &mut out);
            out.push(c);
        }
    }
    flush(&mut word, &mut out);
    out
}
