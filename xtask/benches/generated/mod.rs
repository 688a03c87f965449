//! A generated repository for the benchmarks: `ENVIRONMENTS` environments with
//! `SERVICES` services each, and as many service crates; and the timing helpers.

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

/// Writes the workspace: `SERVICES` service crates and `ENVIRONMENTS` environments, one
/// of them observability and one identity, the rest development, staging and production.
pub fn generate(root: &Path) {
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
        "Cargo.toml",
        "[workspace]\nresolver = \"3\"\nmembers = [\"crates/*\"]\n",
    );
    for s in 0..SERVICES {
        write(
            &format!("crates/svc{s:02}/Cargo.toml"),
            &format!(
                "[package]\nname = \"svc{s:02}\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n\
                 [package.metadata.platform]\n{}image = \"ghcr.io/bench/svc{s:02}\"\n",
                // Odd services are workers.
                if s % 2 == 1 {
                    "template = \"worker\"\n"
                } else {
                    "template = \"web\"\nport = 8080\n"
                }
            ),
        );
        write(&format!("crates/svc{s:02}/src/lib.rs"), "");
    }
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
                    "[services.svc{s:02}]\nversion = \"1.{}.{s}\"\n{replicas}env = {{ LOG_LEVEL = \"info\", REGION = \"eu-west-1\" }}\n",
                    e % 7
                )
                .unwrap();
            }
        }
        write(&format!("environments/e{e:04}/environment.toml"), &text);
    }
}
