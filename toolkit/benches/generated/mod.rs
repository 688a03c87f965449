//! The generated repositories of the benchmarks, in two shapes: many environments with a
//! few services each (`generate`), and two environments with many services each, every
//! one its own crate (`generate_pair`); and the timing helpers.

#![allow(dead_code)] // each benchmark uses its own subset of these helpers

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

pub const ENVIRONMENTS: usize = 1_000;
pub const SERVICES: usize = 50;
const RUNS: usize = 15;

/// A new temporary directory: under `XTASK_BENCH_DIR` when it is set (a tmpfs such as
/// `/dev/shm` takes the disk out of the measurement), else the system's.
pub fn tempdir() -> tempfile::TempDir {
    match std::env::var_os("XTASK_BENCH_DIR") {
        Some(dir) => tempfile::tempdir_in(dir),
        None => tempfile::tempdir(),
    }
    .expect("a temporary directory")
}

/// Runs `f` `RUNS` times and prints the median and the fastest time.
pub fn report(what: &str, f: impl FnMut()) {
    report_after(what, || (), f);
}

/// Like `report`, with `setup` run before each run of `f`, untimed.
pub fn report_after(what: &str, mut setup: impl FnMut(), mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            setup();
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    println!(
        "{what:<50} median {:>8.1} ms   fastest {:>8.1} ms   ({RUNS} runs)",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[0].as_secs_f64() * 1e3
    );
}

/// Writes `text` to `path` under `root`, with the directories it needs.
fn write(root: &Path, path: &str, text: &str) {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Writes the workspace manifest and `services` service crates, `svc00`, `svc01` ... (as
/// many digits as `services - 1` needs); odd ones are workers.
fn crates(root: &Path, services: usize) {
    write(
        root,
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n",
    );
    for s in 0..services {
        let name = service(s, services);
        write(
            root,
            &format!("crates/{name}/Cargo.toml"),
            &format!(
                "[package]\nname = \"{name}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [package.metadata.platform]\n{}image = \"ghcr.io/bench/{name}\"\n",
                if s % 2 == 1 {
                    "template = \"worker\"\n"
                } else {
                    "template = \"web\"\nport = 8080\n"
                }
            ),
        );
        write(root, &format!("crates/{name}/src/lib.rs"), "");
    }
}

/// The name of service `s` of `services`: `svc` and its number, zero-padded to the width
/// of the largest.
pub fn service(s: usize, services: usize) -> String {
    let width = (services.max(2) - 1).to_string().len().max(2);
    format!("svc{s:0width$}")
}

/// Writes the workspace: `SERVICES` service crates and `ENVIRONMENTS` environments, one
/// of them observability and one identity, the rest development, staging and production.
pub fn generate(root: &Path) {
    let write = |path: &str, text: &str| write(root, path, text);
    crates(root, SERVICES);
    write(
        "environments/platform.toml",
        "org = \"bench\"\nname = \"Bench\"\ndomain = \"bench.dev\"\n\n\
         [defaults]\nprovider = \"aws\"\nregion = \"eu-west-1\"\n\n\
         [defaults.components]\nversion = \"^1.2.3\"\nseed = \"recommended\"\nseed_version = \"v1.2.3-1\"\n\
         seed_digest = \"sha512:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000\"\n\n\
         [teams]\nplatform = [\"a@bench.dev\", \"b@bench.dev\"]\ndevelopers = [\"c@bench.dev\", \"d@bench.dev\"]\n",
    );
    for e in 0..ENVIRONMENTS {
        let stage = match e {
            0 => "observability",
            1 => "identity",
            _ => ["development", "staging", "production"][e % 3],
        };
        let mut text = format!(
            "stage = \"{stage}\"\ndescription = \"environment {e}\"\naccount = \"{:012}\"\n",
            100_000_000_000u64 + e as u64
        );
        if stage == "identity" {
            text.push_str(
                "\n[identity]\nconnector = \"google\"\n\n[access]\nplatform = \"admins\"\n",
            );
        } else {
            // /20s: 10.0.0.0/8 holds 4,096 of them, one per environment.
            writeln!(
                text,
                "vpc = \"10.{}.{}.0/20\"\nzones = 3\n",
                e / 16,
                (e % 16) * 16
            )
            .unwrap();
            if stage == "observability" {
                text.push_str("[observability]\nplatform = \"openobserve\"\nretention_days = 30\nmonitor = \"hosted\"\n\n");
            }
            for (pool, size) in [("control-plane", 3), ("ingress", 2), ("workers", 4)] {
                writeln!(text, "[pools.{pool}]\narch = \"arm64\"\ninstance_type = \"m7g.large\"\nsize = {size}\n").unwrap();
            }
            text.push_str("[access]\nplatform = \"admins\"\ndevelopers = \"viewers\"\n\n");
            for s in 0..SERVICES {
                let replicas = if s % 2 == 1 { "replicas = 2\n" } else { "" };
                writeln!(
                    text,
                    "[services.{}]\nversion = \"1.{}.{s}\"\n{replicas}env = {{ LOG_LEVEL = \"info\", REGION = \"eu-west-1\" }}\n",
                    service(s, SERVICES),
                    e % 7
                )
                .unwrap();
            }
        }
        write(&format!("environments/e{e:04}/environment.toml"), &text);
    }
}

/// Writes the workspace: `services` service crates, and two environments, `staging` and
/// `prod`, that deploy every one of them, with a `[parity]` pair between them. Staging runs
/// every tenth service one minor version ahead; workers have a replica count per stage.
pub fn generate_pair(root: &Path, services: usize) {
    crates(root, services);
    write(
        root,
        "environments/platform.toml",
        "org = \"bench\"\nname = \"Bench\"\ndomain = \"bench.dev\"\n\n\
         [defaults]\nprovider = \"aws\"\nregion = \"eu-west-1\"\n\n\
         [defaults.components]\nversion = \"^1.2.3\"\nseed = \"none\"\n\n\
         [parity]\nreference = \"prod\"\ncandidates = [\"staging\"]\n\n\
         [[parity.allow]]\npath = \"services.*.env.REGION\"\nreason = \"each stage has its own\"\n\n\
         [teams]\nplatform = [\"a@bench.dev\"]\n",
    );
    for (env, stage, vpc, replicas) in
        [("staging", "staging", 20, 2), ("prod", "production", 30, 3)]
    {
        let mut text = format!(
            "stage = \"{stage}\"\naccount = \"1000000000{vpc}\"\nvpc = \"10.{vpc}.0.0/16\"\n\n\
             [pools.control-plane]\narch = \"arm64\"\ninstance_type = \"m7g.large\"\nsize = 3\n\n\
             [pools.ingress]\narch = \"arm64\"\ninstance_type = \"m7g.large\"\nsize = {replicas}\n\n\
             [access]\nplatform = \"admins\"\n\n"
        );
        for s in 0..services {
            let minor = u8::from(env == "staging" && s % 10 == 0);
            let replicas = if s % 2 == 1 {
                format!("replicas = {replicas}\n")
            } else {
                String::new()
            };
            writeln!(
                text,
                "[services.{}]\nversion = \"1.{minor}.{}\"\n{replicas}env = {{ LOG_LEVEL = \"info\", REGION = \"{env}\" }}\n",
                service(s, services),
                s % 7
            )
            .unwrap();
        }
        write(root, &format!("environments/{env}/environment.toml"), &text);
    }
}
