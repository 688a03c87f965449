//! What a user waits for: the release binary run as a whole process, on generated
//! repositories of two shapes, side by side with the tools people would use instead.
//!
//! `cargo bench -p xtask --bench process` prints the median of several runs of each
//! command, and, where an anchor is installed, the anchor's median on the same input in
//! the same run and the ratio between the two:
//!
//! - two environments of 5,000 services each, every service a crate of the workspace:
//!   `diff`, `show` and `list`, against deepdiff-rs and Python's DeepDiff diffing the same
//!   two environment files as JSON (the Python named by `XTASK_BENCH_PYTHON`, else
//!   `python3`, when it imports them);
//! - 1,000 environments of 50 services each: `list`, `check` and `render`, against one
//!   `kubectl kustomize` overlay of 50 Deployments (`kubectl` on the `PATH`).
//!
//! `XTASK_BENCH_RUNS` sets the number of runs (9); `XTASK_BENCH_DIR` the directory the
//! repositories are generated in (a tmpfs such as `/dev/shm` takes the disk out).

mod generated;

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

impl Bench {
    /// The median wall-clock time of `runs` runs of the command `make` builds, each after
    /// `setup` (untimed). The command's output is discarded; it must exit with one of
    /// `codes`, or the benchmark stops with its error.
    fn median(
        &self,
        mut setup: impl FnMut(),
        mut make: impl FnMut() -> Command,
        codes: &[i32],
    ) -> Duration {
        let mut times: Vec<Duration> = (0..self.runs)
            .map(|_| {
                setup();
                let mut command = make();
                command.stdout(Stdio::null()).stderr(Stdio::piped());
                let start = Instant::now();
                let output = command.output().expect("the command starts");
                let elapsed = start.elapsed();
                let code = output.status.code().unwrap_or(-1);
                assert!(
                    codes.contains(&code),
                    "{command:?} exited with {code}:\n{}",
                    String::from_utf8_lossy(&output.stderr)
                );
                elapsed
            })
            .collect();
        times.sort();
        times[times.len() / 2]
    }

    /// The median of `xtask -C root ARGS...`.
    fn xtask(&self, root: &Path, args: &[&str], codes: &[i32]) -> Duration {
        self.median(|| (), || xtask(root, args), codes)
    }
}

/// `xtask -C root ARGS...`, the binary cargo built for this benchmark.
fn xtask(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
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
    format!("{:.0} ms", time.as_secs_f64() * 1e3)
}

/// One line: what ran, its median, and its ratios to the anchors that ran.
fn row(what: &str, time: Duration, anchors: &[(&str, Option<Duration>)]) {
    let mut line = format!("  {what:<48} {:>9}", ms(time));
    for (name, anchor) in anchors {
        if let Some(anchor) = anchor {
            write!(
                line,
                "   {:>5.2}× {name}",
                time.as_secs_f64() / anchor.as_secs_f64()
            )
            .unwrap();
        }
    }
    println!("{line}");
}

/// Two environments of 5,000 services each, and 5,000 service crates.
fn pair(bench: &Bench) {
    let dir = tempdir();
    let root = dir.path();
    generate_pair(root, PAIR_SERVICES);
    println!(
        "\n2 environments × {PAIR_SERVICES} services, {PAIR_SERVICES} service crates ({} runs each)",
        bench.runs
    );
    // The first command in a new clone: nothing of the workspace is known yet.
    let first = bench.median(
        || {
            let _ = std::fs::remove_dir_all(root.join("target"));
        },
        || xtask(root, &["list"]),
        &[0],
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
    let anchor = |module: &str, script: &str| -> Option<Duration> {
        let python = installed(&python, &["-c", &format!("import {module}")])?;
        Some(bench.median(
            || (),
            || {
                let mut command = Command::new(&python);
                command.args(["-c", script]).arg(&staging).arg(&prod);
                command
            },
            &[0],
        ))
    };
    let deepdiff_rs = anchor(
        "deepdiff_rs",
        "import sys, deepdiff_rs\n\
         a, b = (open(path).read() for path in sys.argv[1:])\n\
         print(deepdiff_rs.diff_json(a, b))",
    );
    let deepdiff = anchor(
        "deepdiff",
        "import sys, json, deepdiff\n\
         a, b = (json.load(open(path)) for path in sys.argv[1:])\n\
         print(deepdiff.DeepDiff(a, b, verbose_level=2).to_json())",
    );
    for (name, time) in [
        ("deepdiff-rs", deepdiff_rs),
        ("DeepDiff (Python)", deepdiff),
    ] {
        match time {
            Some(time) => row(&format!("anchor: {name}, the same pair as JSON"), time, &[]),
            None => println!("  anchor: {name} is not installed; no ratio to it"),
        }
    }
    let anchors = [("deepdiff-rs", deepdiff_rs), ("DeepDiff", deepdiff)];
    let list = bench.xtask(root, &["list"], &[0]);
    row(
        "diff staging prod --format json",
        bench.xtask(
            root,
            &["diff", "staging", "prod", "--format", "json"],
            &[0, 1],
        ),
        &anchors,
    );
    row(
        "diff staging prod",
        bench.xtask(root, &["diff", "staging", "prod"], &[0, 1]),
        &anchors,
    );
    row("list", list, &[]);
    row("list, the first command in a new clone", first, &[]);
    row(
        "show prod",
        bench.xtask(root, &["show", "prod"], &[0]),
        &[("list", Some(list))],
    );
    row(
        "show prod --format json",
        bench.xtask(root, &["show", "prod", "--format", "json"], &[0]),
        &[("list", Some(list))],
    );
}

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
    let kustomize = installed("kubectl", &["version", "--client"]).map(|kubectl| {
        bench.median(
            || (),
            || {
                let mut command = Command::new(&kubectl);
                command
                    .arg("kustomize")
                    .arg(overlay.path().join("overlays/prod"));
                command
            },
            &[0],
        )
    });
    match kustomize {
        Some(time) => row("anchor: kubectl kustomize, 50 Deployments", time, &[]),
        None => println!("  anchor: kubectl is not installed; no ratio to it"),
    }
    let anchors = [("kustomize", kustomize)];

    // Each render from scratch gets a repository of its own that has never held generated
    // files, but whose workspace has been seen (as after `git clean` of the output).
    let fresh: std::cell::RefCell<Vec<tempfile::TempDir>> = Default::default();
    let from_scratch = bench.median(
        || {
            let dir = tempdir();
            generate(dir.path());
            xtask(dir.path(), &["list"]).output().unwrap();
            fresh.borrow_mut().push(dir);
        },
        || xtask(fresh.borrow().last().unwrap().path(), &["render"]),
        &[0],
    );
    drop(fresh);
    let output = xtask(root, &["render"]).output().unwrap();
    assert!(output.status.success(), "render exits 0");
    // What the file system costs: the same tree, generated files and all, copied by `cp`.
    let copies: std::cell::RefCell<Vec<tempfile::TempDir>> = Default::default();
    let copy = bench.median(
        || copies.borrow_mut().push(tempdir()),
        || {
            let mut command = Command::new("cp");
            command
                .arg("-r")
                .arg(root.join("environments"))
                .arg(copies.borrow().last().unwrap().path());
            command
        },
        &[0],
    );
    drop(copies);
    row("floor: cp -r of the rendered environments", copy, &[]);
    row(
        "render, every file new",
        from_scratch,
        &[("kustomize", kustomize), ("cp -r", Some(copy))],
    );
    row(
        "render, nothing to change",
        bench.xtask(root, &["render"], &[0]),
        &anchors,
    );
    row(
        "render --check",
        bench.xtask(root, &["render", "--check"], &[0]),
        &anchors,
    );
    row("check", bench.xtask(root, &["check"], &[0, 1]), &anchors);
    row("list", bench.xtask(root, &["list"], &[0]), &anchors);
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
