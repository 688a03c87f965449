//! What every command shares about its output: one table of exit codes, one colour policy
//! for reports and diagnostics, and a verdict that survives a reader who goes away.

use crate::common;
use std::process::Stdio;

use common::Repo;
use pretty_assertions::assert_eq;

const STAGING: &str = "environments/staging/environment.toml";

/// The fixture with one must-match violation between staging and prod.
fn with_violation() -> Repo {
    let repo = Repo::fixture();
    repo.put_workers_on_amd64(STAGING);
    repo.run(&["render"]).success();
    repo
}

/// A pipe whose reader is already gone: every write to it fails with a broken pipe.
fn closed_pipe() -> Stdio {
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    Stdio::from(writer)
}

/// Runs `args` with stdout, stderr or both into a closed pipe; the exit code and stderr
/// (when it is not the closed one).
fn into_closed_pipe(repo: &Repo, args: &[&str], stdout: bool, stderr: bool) -> (i32, String) {
    let mut command = repo.command(repo.dir.path(), args);
    command.stdout(if stdout { closed_pipe() } else { Stdio::null() });
    command.stderr(if stderr {
        closed_pipe()
    } else {
        Stdio::piped()
    });
    let out = command.output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_reader_that_goes_away_does_not_change_the_verdict() {
    let repo = with_violation();
    // `diff staging prod | head -1`, `| grep -q`: the violation still exits 1.
    for format in ["human", "json", "markdown"] {
        let (code, err) = into_closed_pipe(
            &repo,
            &["diff", "staging", "prod", "--format", format],
            true,
            false,
        );
        assert_eq!(code, 1, "{format}: {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    // `check 2>&1 | head -1`: findings on a closed stderr, no panic, still exit 1.
    let (code, _) = into_closed_pipe(&repo, &["check"], true, true);
    assert_eq!(code, 1);
    let (code, _) = into_closed_pipe(&repo, &["check", "--format", "json"], true, true);
    assert_eq!(code, 1);
    // Bad input still exits 2 with nobody to tell.
    let (code, _) = into_closed_pipe(&repo, &["show", "nowhere"], true, true);
    assert_eq!(code, 2);
    // And a clean report still exits 0.
    let clean = Repo::fixture();
    let (code, err) = into_closed_pipe(&clean, &["show", "prod"], true, false);
    assert_eq!(code, 0, "{err}");
}

#[test]
fn bad_input_exits_2_for_every_command_check_included() {
    let repo = Repo::fixture();
    repo.edit(STAGING, "zones = 3", "zones = 3\nzones = 4");
    for args in [
        &["check"][..],
        &["check", "--format", "json"],
        &["list"],
        &["show", "prod"],
        &["diff", "staging", "prod"],
        &["parity"],
        &["render", "--check"],
    ] {
        let run = repo.run(args);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
    }
}

#[test]
fn only_commands_that_write_say_nothing_was_written() {
    let repo = Repo::fixture();
    repo.edit(STAGING, "zones = 3", "zones = 3\nzones = 4");
    assert!(
        !repo
            .refuses(&["show", "prod"])
            .contains("nothing was written")
    );
    assert!(
        !repo
            .refuses(&["render", "--check"])
            .contains("nothing was written")
    );
    assert!(repo.refuses(&["render"]).contains("nothing was written"));
}

#[test]
fn diagnostics_follow_the_same_colour_policy_as_reports() {
    let repo = with_violation();
    let check = |env: &[(&str, &str)]| {
        let out = repo
            .command(repo.dir.path(), &["check"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(!check(&[]).contains('\u{1b}'), "a pipe gets no colour");
    assert!(
        check(&[("CLICOLOR_FORCE", "1")]).contains('\u{1b}'),
        "CLICOLOR_FORCE stands in for a terminal"
    );
    assert!(
        !check(&[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]).contains('\u{1b}'),
        "NO_COLOR wins"
    );
    let refused = |env: &[(&str, &str)]| {
        let out = repo
            .command(repo.dir.path(), &["show", "nowhere"])
            .envs(env.iter().copied())
            .output()
            .unwrap();
        String::from_utf8(out.stderr).unwrap()
    };
    assert!(refused(&[("CLICOLOR_FORCE", "1")]).contains('\u{1b}'));
    assert!(!refused(&[]).contains('\u{1b}'));
}
