//! A full disk in the middle of a command that writes: each one either finishes or exits 2
//! with the tree byte for byte as it was. The disk fills at a file size limit
//! (`ulimit -f`, with SIGXFSZ ignored so that the write fails instead of the process),
//! at sizes that let the small hand-written files through and stop some generated one, or
//! the crate's files, or the lock file cargo writes.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::{self, Repo};

/// Runs the binary with `args` in `repo`, files limited to `kib` KiB; its exit code.
fn with_file_limit(repo: &Repo, kib: u32, args: &[&str]) -> (i32, String) {
    let script = format!("trap '' XFSZ; ulimit -f {kib}; exec \"$0\" \"$@\"");
    let mut line = vec!["-c", &script, env!("CARGO_BIN_EXE_platform-toolkit")];
    line.extend(args);
    let output = common::program(Path::new("bash"), repo.dir.path(), &line)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_full_disk_leaves_the_tree_as_it_was() {
    let commands: [&[&str]; 4] = [
        &["promote", "staging", "prod"],
        &["new-env", "qa", "--stage", "staging", "--like", "staging"],
        &[
            "new-service",
            "reports",
            "--template",
            "worker",
            "--deploy-to",
            "dev",
        ],
        &["bump", "storefront"],
    ];
    let mut stopped = 0;
    for args in commands {
        for kib in [1, 2, 4, 8, 64] {
            let repo = Repo::fixture();
            // The workspace record, under target/, is not the repository's.
            repo.run(&["list"]).success();
            let before = repo.snapshot();
            let (code, stderr) = with_file_limit(&repo, kib, args);
            match code {
                0 => {}
                2 => {
                    stopped += 1;
                    let after = repo.snapshot();
                    let changed: BTreeSet<_> = before
                        .keys()
                        .chain(after.keys())
                        .filter(|path| before.get(*path) != after.get(*path))
                        .collect();
                    assert!(
                        changed.is_empty(),
                        "{args:?} at {kib} KiB exited 2 and changed {changed:?}: {stderr}"
                    );
                }
                other => panic!("{args:?} at {kib} KiB exited {other}: {stderr}"),
            }
        }
    }
    // Most of these limits stop the command somewhere: the test tests something.
    assert!(stopped >= 10, "only {stopped} of the 20 runs were stopped");
}
