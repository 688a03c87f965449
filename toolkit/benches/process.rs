//! What a user waits for: the release binary run as a whole process, on generated
//! repositories of two shapes, side by side with the tools people would use instead.
//!
//! `cargo bench -p platform-toolkit --bench process` prints the median of several runs of
//! each command with the range of its runs (fastest–slowest, in ms), and, where an anchor
//! is installed, the anchor's median on the same input and the ratio between the two. The
//! runs are interleaved, round by round, so that a ratio compares runs made at the same
//! time:
//!
//! - two environments of 5,000 services each, every service a crate of the workspace:
//!   `diff`, `show` and `list`, against deepdiff-rs and Python's DeepDiff diffing the same
//!   two environment files as JSON (the Python named by `XTASK_BENCH_PYTHON`, else
//!   `python3`, when it imports them);
//! - 1,000 environments of 50 services each: `list`, `check` and `render`, against one
//!   `kubectl kustomize` overlay of 50 Deployments (`kubectl` on the `PATH`).
//!
//! Before each run, untimed, `sync` writes to disk what earlier runs left to write.
//!
//! `XTASK_BENCH_RUNS` sets the number of runs (9); `XTASK_BENCH_DIR` the directory the
//! repositories are generated in (a tmpfs such as `/dev/shm` takes the disk out).

mod generated;

use std::cell::RefCell;
use std::ffi::OsStr;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use generated::{generate, generate_pair, tempdir};

const PAIR_SERVICES: usize = 5_000;

fn main() {
    let runs: usize = std::env::var("XTASK_BENCH_RUNS")
        .ok()
        .and_then(|runs| runs.parse().ok())
        .unwrap_or(9)
        .max(1);
    let bench = Bench { runs };
    pair(&bench);
    many(&bench);
}

struct Bench {
    runs: usize,
}

/// One command to time: how to build it, what to do before each run (untimed), and the
/// exit codes it may end with.
struct Case<'a> {
    name: &'static str,
    setup: Box<dyn FnMut() + 'a>,
    make: Box<dyn FnMut() -> Command + 'a>,
    codes: &'static [i32],
}

impl<'a> Case<'a> {
    fn new(name: &'static str, make: impl FnMut() -> Command + 'a) -> Case<'a> {
        Case {
            name,
            setup: Box::new(|| ()),
            make: Box::new(make),
            codes: &[0],
        }
    }

    fn xtask(name: &'static str, root: &'a Path, args: &'a [&'a str]) -> Case<'a> {
        Case::new(name, move || xtask(root, args))
    }

    fn setup(mut self, setup: impl FnMut() + 'a) -> Case<'a> {
        self.setup = Box::new(setup);
        self
    }

    fn codes(mut self, codes: &'static [i32]) -> Case<'a> {
        self.codes = codes;
        self
    }

    /// One run: the wall-clock time of the command, its output discarded. It must exit
    /// with one of its codes, or the benchmark stops with its error.
    fn run(&mut self) -> Duration {
        (self.setup)();
        settle();
        let mut command = (self.make)();
        command.stdout(Stdio::null()).stderr(Stdio::piped());
        let start = Instant::now();
        let output = command.output().expect("the command starts");
        let elapsed = start.elapsed();
        let code = output.status.code().unwrap_or(-1);
        assert!(
            self.codes.contains(&code),
            "{command:?} exited with {code}:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        elapsed
    }
}

/// Writes every dirty page to disk before a run, untimed: the files a run before wrote
/// (a render's 4,000, a copy's) are otherwise written back while the next command runs,
/// and their writing is timed as its own.
fn settle() {
    let _ = Command::new("sync").status();
}

impl Bench {
    /// The wall-clock times of each case, by name: median, fastest and slowest. The runs
    /// are interleaved: each round runs every case once, so that this machine's drift over
    /// the minutes of a benchmark touches a command and its anchors alike, and their ratio
    /// holds.
    fn medians(&self, mut cases: Vec<Case>) -> Vec<(&'static str, Times)> {
        let mut times: Vec<Vec<Duration>> = vec![Vec::with_capacity(self.runs); cases.len()];
        for _ in 0..self.runs {
            for (case, times) in cases.iter_mut().zip(&mut times) {
                times.push(case.run());
            }
        }
        cases
            .iter()
            .zip(times)
            .map(|(case, mut times)| {
                times.sort();
                let times = Times {
                    median: times[times.len() / 2],
                    fastest: times[0],
                    slowest: times[times.len() - 1],
                };
                (case.name, times)
            })
            .collect()
    }
}

/// One case's runs: the median, and the spread around it.
#[derive(Clone, Copy)]
struct Times {
    median: Duration,
    fastest: Duration,
    slowest: Duration,
}

/// The times, looked up by the name of their case.
struct Medians(Vec<(&'static str, Times)>);

impl Medians {
    fn times(&self, name: &str) -> Option<Times> {
        self.0
            .iter()
            .find(|(case, _)| *case == name)
            .map(|(_, times)| *times)
    }

    fn get(&self, name: &str) -> Option<Duration> {
        self.times(name).map(|times| times.median)
    }

    /// One line: what ran, its median and the range of its runs, and the ratios of its
    /// median to those of `anchors` that ran.
    fn row(&self, name: &str, anchors: &[&str]) {
        let times = self.times(name).expect("every row was timed");
        let time = times.median;
        let spread = format!("({}–{})", ms_bare(times.fastest), ms_bare(times.slowest));
        let mut line = format!("  {name:<48} {:>9} {spread:>13}", ms(time));
        for anchor in anchors {
            if let Some(anchor_time) = self.get(anchor) {
                write!(
                    line,
                    "   {:>5.2}× {}",
                    time.as_secs_f64() / anchor_time.as_secs_f64(),
                    short(anchor)
                )
                .unwrap();
            }
        }
        println!("{line}");
    }

    /// The line of an anchor, or why it did not run.
    fn anchor(&self, name: &str) {
        match self.get(name) {
            Some(_) => self.row(name, &[]),
            None => println!("  {name}: not installed; no ratio to it"),
        }
    }
}

/// An anchor's name as a ratio names it: "anchor: deepdiff-rs, the same pair" is
/// "deepdiff-rs".
fn short(name: &str) -> &str {
    let name = name.strip_prefix("anchor: ").unwrap_or(name);
    let name = name.strip_prefix("floor: ").unwrap_or(name);
    name.split(',').next().unwrap_or(name)
}

/// `xtask -C root ARGS...`, the binary cargo built for this benchmark.
fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_platform-toolkit"));
    command.arg("-C").arg(root).args(args);
    command
}

/// A command that runs `program ARGS...`, if it starts and exits 0 with them.
fn installed(program: impl AsRef<OsStr>, args: &[&str]) -> Option<String> {
    let program = program.as_ref();
    let works = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success());
    works.then(|| program.to_string_lossy().into_owned())
}

fn ms(time: Duration) -> String {
    format!("{} ms", ms_bare(time))
}

fn ms_bare(time: Duration) -> String {
    format!("{:.0}", time.as_secs_f64() * 1e3)
}

const DEEPDIFF_RS: &str = "anchor: deepdiff-rs, the same pair as JSON";
const DEEPDIFF: &str = "anchor: DeepDiff (Python), the same pair as JSON";
const DIFF_JSON: &str = "diff staging prod --format json";
const DIFF: &str = "diff staging prod";
const LIST: &str = "list";
const FIRST_LIST: &str = "list, the first command in a new clone";
const SHOW: &str = "show prod";
const SHOW_JSON: &str = "show prod --format json";

/// Two environments of 5,000 services each, and 5,000 service crates.
fn pair(bench: &Bench) {
    let dir = tempdir();
    let root = dir.path();
    generate_pair(root, PAIR_SERVICES);
    println!(
        "\n2 environments × {PAIR_SERVICES} services, {PAIR_SERVICES} service crates ({} runs each)",
        bench.runs
    );
    // The anchors diff the same two files, as JSON.
    let json = |env: &str| {
        let text =
            std::fs::read_to_string(root.join(format!("environments/{env}/environment.toml")))
                .unwrap();
        let value: serde_json::Value = toml_edit::de::from_str(&text).unwrap();
        let path = root.join(format!("{env}.json"));
        std::fs::write(&path, serde_json::to_string(&value).unwrap()).unwrap();
        path
    };
    let (staging, prod) = (json("staging"), json("prod"));
    let python = std::env::var_os("XTASK_BENCH_PYTHON").unwrap_or_else(|| "python3".into());
    let anchor = |name: &'static str, module: &str, script: &'static str| {
        let python = installed(&python, &["-c", &format!("import {module}")])?;
        let (staging, prod) = (&staging, &prod);
        Some(Case::new(name, move || {
            let mut command = Command::new(&python);
            command.args(["-c", script]).arg(staging).arg(prod);
            command
        }))
    };
    let mut cases: Vec<Case> = [
        anchor(
            DEEPDIFF_RS,
            "deepdiff_rs",
            "import sys, deepdiff_rs\n\
             a, b = (open(path).read() for path in sys.argv[1:])\n\
             print(deepdiff_rs.diff_json(a, b))",
        ),
        anchor(
            DEEPDIFF,
            "deepdiff",
            "import sys, json, deepdiff\n\
             a, b = (json.load(open(path)) for path in sys.argv[1:])\n\
             print(deepdiff.DeepDiff(a, b, verbose_level=2).to_json())",
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    cases.extend([
        // The first command in a new clone: nothing of the workspace is known yet.
        Case::xtask(FIRST_LIST, root, &["list"]).setup(|| {
            let _ = std::fs::remove_dir_all(root.join("target"));
        }),
        Case::xtask(LIST, root, &["list"]),
        Case::xtask(
            DIFF_JSON,
            root,
            &["diff", "staging", "prod", "--format", "json"],
        )
        .codes(&[0, 1]),
        Case::xtask(DIFF, root, &["diff", "staging", "prod"]).codes(&[0, 1]),
        Case::xtask(SHOW, root, &["show", "prod"]),
        Case::xtask(SHOW_JSON, root, &["show", "prod", "--format", "json"]),
    ]);
    let medians = Medians(bench.medians(cases));
    medians.anchor(DEEPDIFF_RS);
    medians.anchor(DEEPDIFF);
    let anchors = [DEEPDIFF_RS, DEEPDIFF];
    medians.row(DIFF_JSON, &anchors);
    medians.row(DIFF, &anchors);
    medians.row(LIST, &[]);
    medians.row(FIRST_LIST, &[]);
    medians.row(SHOW, &[LIST]);
    medians.row(SHOW_JSON, &[LIST]);
}

const KUSTOMIZE: &str = "anchor: kubectl kustomize, 50 Deployments";
const COPY: &str = "floor: cp -r, a copy of the rendered environments";
const RENDER_NEW: &str = "render, every file new";
const RENDER_FRESH: &str = "render, nothing to change";
const RENDER_CHECK: &str = "render --check";
const CHECK: &str = "check";

/// 1,000 environments of 50 services each.
fn many(bench: &Bench) {
    let dir = tempdir();
    let root = dir.path();
    generate(root);
    println!(
        "\n{} environments × {} services ({} runs each)",
        generated::ENVIRONMENTS,
        generated::SERVICES,
        bench.runs
    );
    let overlay = tempdir();
    kustomization(overlay.path());
    let output = xtask(root, &["render"]).output().unwrap();
    assert!(output.status.success(), "render exits 0");

    // Each render from scratch gets a repository of its own that has never held generated
    // files, but whose workspace has been seen (as after `git clean` of the output).
    let fresh: RefCell<Vec<tempfile::TempDir>> = RefCell::default();
    let copies: RefCell<Vec<tempfile::TempDir>> = RefCell::default();
    let mut cases: Vec<Case> = Vec::new();
    if let Some(kubectl) = installed("kubectl", &["version", "--client"]) {
        let overlay = overlay.path().join("overlays/prod");
        cases.push(Case::new(KUSTOMIZE, move || {
            let mut command = Command::new(&kubectl);
            command.arg("kustomize").arg(&overlay);
            command
        }));
    }
    // What the file system costs: the same tree, generated files and all, copied by `cp`.
    cases.push(
        Case::new(COPY, || {
            let mut command = Command::new("cp");
            command
                .arg("-r")
                .arg(root.join("environments"))
                .arg(copies.borrow().last().unwrap().path());
            command
        })
        .setup(|| {
            // The copy of the previous round is removed outside the timing.
            let mut copies = copies.borrow_mut();
            copies.clear();
            copies.push(tempdir());
        }),
    );
    cases.push(
        Case::new(RENDER_NEW, || {
            xtask(fresh.borrow().last().unwrap().path(), &["render"])
        })
        .setup(|| {
            let mut fresh = fresh.borrow_mut();
            fresh.clear();
            let dir = tempdir();
            generate(dir.path());
            xtask(dir.path(), &["list"]).output().unwrap();
            fresh.push(dir);
        }),
    );
    cases.extend([
        Case::xtask(RENDER_FRESH, root, &["render"]),
        Case::xtask(RENDER_CHECK, root, &["render", "--check"]),
        Case::xtask(CHECK, root, &["check"]).codes(&[0, 1]),
        Case::xtask(LIST, root, &["list"]),
    ]);
    let medians = Medians(bench.medians(cases));
    medians.anchor(KUSTOMIZE);
    medians.row(COPY, &[]);
    medians.row(RENDER_NEW, &[KUSTOMIZE, COPY]);
    for name in [RENDER_FRESH, RENDER_CHECK, CHECK, LIST] {
        medians.row(name, &[KUSTOMIZE]);
    }
}

/// A base of 50 Deployments and a production overlay that gives each its own image tag and
/// replica count, a namespace, labels and a patch: what `kubectl kustomize` would render
/// for one environment of the same shape.
fn kustomization(dir: &Path) {
    let write = |path: &str, text: &str| {
        let path = dir.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    let services: Vec<String> = (0..generated::SERVICES)
        .map(|s| generated::service(s, generated::SERVICES))
        .collect();
    let mut resources = String::from("resources:\n");
    let mut overlay = String::from(
        "resources:\n- ../../base\nnamespace: prod\nlabels:\n- pairs:\n    environment: prod\n  includeSelectors: false\n\
         patches:\n- path: env.yaml\n  target:\n    kind: Deployment\nimages:\n",
    );
    let mut replicas = String::from("replicas:\n");
    for name in &services {
        write(
            &format!("base/{name}.yaml"),
            &format!(
                "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n  labels:\n    app: {name}\n\
                 spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: {name}\n  template:\n    metadata:\n      labels:\n        app: {name}\n\
                 \x20   spec:\n      containers:\n      - name: app\n        image: ghcr.io/bench/{name}:latest\n        ports:\n        - containerPort: 8080\n\
                 \x20       env:\n        - name: LOG_LEVEL\n          value: info\n        resources:\n          requests:\n            cpu: 100m\n            memory: 128Mi\n"
            ),
        );
        writeln!(resources, "- {name}.yaml").unwrap();
        writeln!(overlay, "- name: ghcr.io/bench/{name}\n  newTag: 1.0.0").unwrap();
        writeln!(replicas, "- name: {name}\n  count: 2").unwrap();
    }
    write("base/kustomization.yaml", &resources);
    write(
        "overlays/prod/kustomization.yaml",
        &format!("{overlay}{replicas}"),
    );
    write(
        "overlays/prod/env.yaml",
        "- op: add\n  path: /spec/template/spec/containers/0/env/-\n  value:\n    name: REGION\n    value: eu-west-1\n",
    );
}
