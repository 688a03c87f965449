//! Helpers shared by the end-to-end tests: a temporary copy of the test organisation (or
//! of the shipped example), a way to run the binary on it, and snapshots of its files.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Mutex, OnceLock};

use pretty_assertions::assert_eq;
use tempfile::TempDir;

mod assertions;
pub use assertions::*;

/// The day every command of the tests runs as (`XTASK_TODAY`), whatever the clock says:
/// the fixture's allowance runs until 2027-06-30.
pub const TODAY: &str = "2027-01-15";

/// When every commit the tests make is made: a commit's id then depends only on what it
/// holds, and an output that names one is the same in every run.
pub const GIT_DATE: &str = "2027-01-15T12:00:00Z";

/// Where the tests' temporary directories go: `TMPDIR` when it is set, else `/dev/shm` when
/// there is one to write in, else the system's. The tests copy and fork trees by the
/// thousand and none of them tests the disk; in memory the suite takes a fifth less time.
pub fn scratch_root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let shm = Path::new("/dev/shm");
        if std::env::var_os("TMPDIR").is_none() && tempfile::tempdir_in(shm).is_ok() {
            shm.to_owned()
        } else {
            std::env::temp_dir()
        }
    })
}

/// A new temporary directory under [`scratch_root`].
pub fn tempdir() -> TempDir {
    tempfile::tempdir_in(scratch_root()).unwrap()
}

/// A temporary repository the binary runs on.
pub struct Repo {
    pub dir: TempDir,
}

/// Initech, the organisation under `tests/fixtures/initech`: its own services (`storefront`,
/// web on port 9090; `mailer`, a worker) and six environments. The tool's behaviour is
/// tested on it, so that the shipped example may change freely.
const FIXTURE: &str = "tests/fixtures/initech";

/// What a copy of the shipped example takes from the real repository: enough for
/// `cargo metadata`.
const COPIED: &[&str] = &[
    ".github",
    "ci",
    "docs",
    "Cargo.toml",
    "Cargo.lock",
    ".cargo",
    "crates",
    "environments",
    "xtask",
    "toolkit/Cargo.toml",
    "toolkit/src",
    "toolkit/benches",
    // A crate outside the workspace that declares a service, as a test fixture does.
    "toolkit/tests/fixtures/initech",
];

/// Every file of the test organisation, rendered once per test binary (each test writes
/// its own copy rather than rendering it again): its path, bytes and whether it is
/// executable, with the record of `cargo metadata` that a copy keeps using.
fn rendered_fixture() -> &'static [(PathBuf, Vec<u8>, bool)] {
    static FILES: OnceLock<Files> = OnceLock::new();
    FILES.get_or_init(|| {
        let dir = tempdir();
        copy(&Path::new(&manifest_dir()).join(FIXTURE), dir.path());
        // The pipeline scripts every repository has (new-repo copies them): deploy.sh
        // sources ci/release.sh.
        let scripts = Path::new(&manifest_dir()).join("../ci");
        for entry in std::fs::read_dir(scripts).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "sh") {
                std::fs::copy(&path, dir.path().join("ci").join(path.file_name().unwrap()))
                    .unwrap();
            }
        }
        let repo = Repo { dir };
        repo.run(&["render"]).success();
        files_of(repo.dir.path())
    })
}

/// A repository's files, as [`rendered_fixture`] keeps them.
type Files = Vec<(PathBuf, Vec<u8>, bool)>;

/// Where a repository keeps its record of `cargo metadata`, which holds wherever the
/// repository is copied.
const RECORD: &str = "target/xtask/workspace.json";

/// Every file under `root` but `target/`, and the record of `cargo metadata` when there is
/// one: its path, bytes and whether it is executable.
fn files_of(root: &Path) -> Files {
    let mut files = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if path.file_name().is_some_and(|n| n != "target") {
                    stack.push(path);
                }
                continue;
            }
            use std::os::unix::fs::PermissionsExt as _;
            let executable = path.metadata().unwrap().permissions().mode() & 0o111 != 0;
            let relative = path.strip_prefix(root).unwrap().to_path_buf();
            files.push((relative, std::fs::read(&path).unwrap(), executable));
        }
    }
    if let Ok(record) = std::fs::read(root.join(RECORD)) {
        files.push((PathBuf::from(RECORD), record, false));
    }
    files
}

/// A new temporary repository holding `files`.
fn written(files: &[(PathBuf, Vec<u8>, bool)]) -> Repo {
    let dir = tempdir();
    for (path, bytes, executable) in files {
        let to = dir.path().join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::write(&to, bytes).unwrap();
        if *executable {
            use std::os::unix::fs::PermissionsExt as _;
            std::fs::set_permissions(&to, std::fs::Permissions::from_mode(0o755)).unwrap();
        }
    }
    Repo { dir }
}

impl Repo {
    /// A copy of the test organisation, rendered.
    pub fn fixture() -> Repo {
        written(rendered_fixture())
    }

    /// A repository `new-repo` made for Globex (domain `globex.io`), without git: what any
    /// organisation starts from.
    pub fn generated() -> Repo {
        Repo::generated_with(&[])
    }

    /// [`Repo::generated`] with more arguments to `new-repo`. Each set of arguments is made
    /// once per test binary; each test gets a copy of its files.
    pub fn generated_with(more: &[&str]) -> Repo {
        static MADE: Mutex<BTreeMap<Vec<String>, std::sync::Arc<Files>>> =
            Mutex::new(BTreeMap::new());
        let key: Vec<String> = more.iter().map(|arg| (*arg).to_owned()).collect();
        let made = MADE.lock().unwrap().get(&key).cloned();
        let files = made.unwrap_or_else(|| {
            let repo = Repo::newly_generated(more);
            let files = std::sync::Arc::new(files_of(repo.dir.path()));
            MADE.lock().unwrap().insert(key, files.clone());
            files
        });
        written(&files)
    }

    /// What `new-repo` makes with `more` arguments, made now.
    fn newly_generated(more: &[&str]) -> Repo {
        let dir = tempdir();
        let mut args = vec![
            "new-repo",
            ".",
            "--org",
            "globex",
            "--domain",
            "globex.io",
            "--no-git",
        ];
        let toolkit = toolkit_flag();
        if !more.contains(&"--toolkit") {
            args.extend(["--toolkit", &toolkit]);
        }
        args.extend(more);
        Run(xtask(dir.path(), &args).output().unwrap()).success();
        Repo { dir }
    }

    /// A copy of the shipped example, as committed: for the tests that the example itself
    /// is sound. Tests of the tool's behaviour use [`Repo::fixture`].
    pub fn example() -> Repo {
        let toolkit = manifest_dir();
        let source = toolkit.parent().unwrap();
        let dir = tempdir();
        for entry in COPIED {
            copy(&source.join(entry), &dir.path().join(entry));
        }
        Repo { dir }
    }

    pub fn path(&self, relative: &str) -> PathBuf {
        self.dir.path().join(relative)
    }

    pub fn read(&self, relative: &str) -> String {
        std::fs::read_to_string(self.path(relative)).unwrap()
    }

    pub fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    /// Replaces the one occurrence of `from` in a file.
    pub fn edit(&self, relative: &str, from: &str, to: &str) {
        let text = self.read(relative);
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {relative}");
        self.write(relative, &text.replacen(from, to, 1));
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_in(self.dir.path(), args)
    }

    pub fn run_in(&self, cwd: &Path, args: &[&str]) -> Run {
        Run(self.command(cwd, args).output().unwrap())
    }

    /// Runs as on another day than [`TODAY`].
    pub fn run_on(&self, today: &str, args: &[&str]) -> Run {
        let mut command = self.command(self.dir.path(), args);
        Run(command.env("XTASK_TODAY", today).output().unwrap())
    }

    /// The binary with `args`, in `cwd`, on [`TODAY`], without colour settings.
    pub fn command(&self, cwd: &Path, args: &[&str]) -> Command {
        xtask(cwd, args)
    }

    /// Every file under the repository and its bytes; `target`, cargo's output and the
    /// xtask's record of it, left out.
    pub fn snapshot(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        let mut files = BTreeMap::new();
        let mut stack = vec![self.dir.path().to_path_buf()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                let kind = std::fs::symlink_metadata(&path).unwrap().file_type();
                if kind.is_dir() && path == self.dir.path().join("target") {
                    continue;
                }
                if kind.is_dir() {
                    stack.push(path);
                } else {
                    // A link is recorded by where it points, even where that is nowhere.
                    let bytes = if kind.is_symlink() {
                        std::fs::read_link(&path)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned()
                            .into_bytes()
                    } else {
                        std::fs::read(&path).unwrap()
                    };
                    files.insert(
                        path.strip_prefix(self.dir.path()).unwrap().to_path_buf(),
                        bytes,
                    );
                }
            }
        }
        files
    }

    /// Runs a command that must fail on bad input: exit code 2, nothing written.
    pub fn refuses(&self, args: &[&str]) -> String {
        self.refuses_with(&[], args)
    }

    /// [`Repo::refuses`] with more environment variables set.
    pub fn refuses_with(&self, vars: &[(&str, &str)], args: &[&str]) -> String {
        let before = self.snapshot();
        let output = self
            .command(self.dir.path(), args)
            .envs(vars.iter().copied())
            .output()
            .unwrap();
        let run = Run(output);
        assert_eq!(run.code(), 2, "{args:?}: {}", run.stderr());
        assert_eq!(
            before.keys().collect::<Vec<_>>(),
            self.snapshot().keys().collect::<Vec<_>>(),
            "{args:?} changed the tree"
        );
        assert!(before == self.snapshot(), "{args:?} changed a file");
        run.stderr()
    }

    /// Every environment that has a generated file `name`, with the file's text, by
    /// environment name.
    pub fn generated_in(&self, name: &str) -> Vec<(String, String)> {
        let mut found = Vec::new();
        for entry in std::fs::read_dir(self.path("environments")).unwrap() {
            let dir = entry.unwrap().path();
            let file = dir.join(name);
            if file.is_file() {
                let env = dir.file_name().unwrap().to_string_lossy().into_owned();
                found.push((env, std::fs::read_to_string(file).unwrap()));
            }
        }
        found.sort();
        found
    }

    /// Runs the binary and parses its stdout as JSON: the exit code and the value.
    pub fn json(&self, args: &[&str]) -> (i32, serde_json::Value) {
        let run = self.run(args);
        let value =
            serde_json::from_str(&run.stdout()).unwrap_or_else(|e| panic!("{e}: {}", run.stdout()));
        (run.code(), value)
    }

    /// Puts the `workers` pool of the environment file `file` on amd64 instances: a
    /// must-match difference from every other environment.
    pub fn put_workers_on_amd64(&self, file: &str) {
        self.edit(
            file,
            "[pools.workers]\narch = \"arm64\"\ninstance_type = \"m7g",
            "[pools.workers]\narch = \"amd64\"\ninstance_type = \"m7i",
        );
    }

    /// Makes the repository a git repository on `main` with everything committed.
    pub fn commit_all(&self) {
        self.git(&["init", "-q", "-b", "main"]);
        self.git(&["add", "-A"]);
        self.git(&["commit", "-q", "-m", "example"]);
    }

    /// Makes the workspace's Cargo.lock, offline.
    pub fn make_lock_file(&self) {
        let lock = Command::new("cargo")
            .args(["generate-lockfile", "--offline"])
            .current_dir(self.dir.path())
            .output()
            .unwrap();
        assert!(
            lock.status.success(),
            "{}",
            String::from_utf8_lossy(&lock.stderr)
        );
    }

    /// [`Repo::commit_versions`] with a Cargo.lock made first.
    pub fn commit_with_history(&self) {
        self.make_lock_file();
        self.commit_versions();
    }

    /// [`Repo::commit_all`] with a history the fixture's versions can come from:
    /// storefront at 1.2.0 (what production runs) before 1.3.0.
    pub fn commit_versions(&self) {
        self.commit_versions_in("");
    }

    /// [`Repo::commit_versions`] for the fixture in the directory `platform` of the
    /// repository (`""` for its root, else with a trailing `/`).
    pub fn commit_versions_in(&self, platform: &str) {
        let manifest = &format!("{platform}crates/storefront/Cargo.toml");
        let now = self.read(manifest);
        self.write(
            manifest,
            &now.replace("version = \"1.3.0\"", "version = \"1.2.0\""),
        );
        self.commit_all();
        self.write(manifest, &now);
        self.git(&["commit", "-q", "-am", "storefront 1.3.0"]);
    }

    /// Runs git in the repository, as a test author with no identity of their own, at
    /// [`GIT_DATE`]: the same commits get the same ids in every run.
    pub fn git(&self, args: &[&str]) {
        let out = Command::new("git")
            .args(["-c", "user.name=Test", "-c", "user.email=test@example.com"])
            .args(args)
            .current_dir(self.dir.path())
            .env("GIT_AUTHOR_DATE", GIT_DATE)
            .env("GIT_COMMITTER_DATE", GIT_DATE)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Adds a third service crate, the worker `reports`, to the workspace.
    pub fn add_reports_crate(&self) {
        let manifest = self
            .read("crates/mailer/Cargo.toml")
            .replace("name = \"mailer\"", "name = \"reports\"")
            .replace("ghcr.io/initech/mailer", "ghcr.io/initech/reports");
        self.write("crates/reports/Cargo.toml", &manifest);
        self.write("crates/reports/src/main.rs", "fn main() {}\n");
    }
}

pub fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        if from.file_name().is_some_and(|n| n == "target") {
            return;
        }
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else if from.exists() {
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(from, to).unwrap();
    }
}

/// The toolkit crate's directory, as cargo gives it to the running test: a test binary
/// built into a target directory that another clone shares still reads this clone.
pub fn manifest_dir() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .expect("cargo sets CARGO_MANIFEST_DIR for the tests it runs")
}

/// `path:<this toolkit>`, the `--toolkit` of the repositories the tests make.
pub fn toolkit_flag() -> String {
    format!("path:{}", manifest_dir().display())
}

/// The binary with `args`, in `cwd`, on [`TODAY`], without colour settings.
pub fn xtask(cwd: &Path, args: &[&str]) -> Command {
    program(Path::new(env!("CARGO_BIN_EXE_platform-toolkit")), cwd, args)
}

/// [`xtask`], with the program at `path`.
pub fn program(path: &Path, cwd: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(path);
    command
        .args(args)
        .current_dir(cwd)
        .env("XTASK_TODAY", TODAY)
        .env("GIT_AUTHOR_DATE", GIT_DATE)
        .env("GIT_COMMITTER_DATE", GIT_DATE)
        .env("TMPDIR", scratch_root())
        // Each repository keeps its record of `cargo metadata` in its own `target`.
        .env_remove("CARGO_TARGET_DIR")
        .env_remove("NO_COLOR")
        .env_remove("CLICOLOR_FORCE");
    command
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap()
    }

    pub fn stdout(&self) -> String {
        String::from_utf8(self.0.stdout.clone()).unwrap()
    }

    pub fn stderr(&self) -> String {
        String::from_utf8(self.0.stderr.clone()).unwrap()
    }

    pub fn success(self) -> Run {
        assert_eq!(self.code(), 0, "stderr: {}", self.stderr());
        self
    }
}

/// Says once per test binary, past the test harness's capture, that some assertions were
/// skipped and why: a skip must be visible in a plain `cargo test`.
/// The directory of reference files named by the variable `var`, else `beside` (relative to
/// the checkout's parent, as `../shared/...`), when it holds `file`. Where neither does,
/// `None` after one notice that says what is `skipped`, unless the variable `require` is
/// set (as `.ci/run` sets it): then the test fails instead.
pub fn shared_dir(
    var: &str,
    require: &str,
    beside: &str,
    file: &str,
    skipped: &str,
) -> Option<PathBuf> {
    let candidates = [
        std::env::var_os(var).map(PathBuf::from),
        Some(Path::new(&manifest_dir()).join("../..").join(beside)),
    ];
    let found = candidates
        .into_iter()
        .flatten()
        .find(|dir| dir.join(file).is_file());
    if found.is_none() {
        assert!(
            std::env::var_os(require).is_none(),
            "{require} is set, but {file} is in neither ${var} nor ../{beside}"
        );
        notice(&format!(
            "{file} was not found (set {var}, or put {beside} beside the checkout): {skipped}"
        ));
    }
    found
}

pub fn notice(message: &str) {
    static SAID: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut said = SAID.lock().unwrap_or_else(|e| e.into_inner());
    if !said.iter().any(|m| m == message) {
        said.push(message.to_owned());
        // The harness captures print! and eprint!, not the stream itself.
        let _ = writeln!(std::io::stderr().lock(), "note: {message}");
    }
}

/// The Containerfile's stages: each FROM line with the instructions after it, comments
/// left out and continuation lines joined.
pub fn containerfile_stages(text: &str) -> Vec<(String, Vec<String>)> {
    let mut stages: Vec<(String, Vec<String>)> = Vec::new();
    let mut instruction = String::new();
    for line in text.lines().filter(|l| !l.trim_start().starts_with('#')) {
        instruction.push_str(line.trim_end_matches('\\'));
        if line.ends_with('\\') {
            continue;
        }
        let done = std::mem::take(&mut instruction);
        if done.starts_with("FROM ") {
            stages.push((done, Vec::new()));
        } else if let Some((_, body)) = stages.last_mut()
            && !done.trim().is_empty()
        {
            body.push(done);
        }
    }
    stages
}
