//! Loads and resolves a generated repository of 1,000 environments with 50 services each.
//!
//! `cargo bench -p xtask --bench load` prints the median and the fastest of several runs,
//! for the whole load (as every command does it) and for its parts.

use std::fmt::Write as _;
use std::path::Path;
use std::time::{Duration, Instant};

const ENVIRONMENTS: usize = 1_000;
const SERVICES: usize = 50;
const RUNS: usize = 15;

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    generate(dir.path());
    let root = dir.path();

    // Once to warm the file system cache and check that the repository is valid.
    let platform = xtask::model::load(root).expect("the generated repository loads");
    assert_eq!(platform.environments.len(), ENVIRONMENTS);
    let services: usize = platform
        .environments
        .values()
        .filter_map(|env| env.cluster.as_ref())
        .map(|cluster| cluster.services.len())
        .sum();
    println!(
        "repository: {} environments, {services} deployed services, {} service crates",
        platform.environments.len(),
        platform.services.len()
    );

    report("load (read + cargo metadata + parse + resolve)", || {
        xtask::model::load(root).unwrap();
    });
    report("  read the files", || {
        xtask::model::SourceTree::read(root).unwrap();
    });
    report("  cargo metadata and the service manifests", || {
        xtask::services::declared(root).unwrap();
    });
    let tree = xtask::model::SourceTree::read(root).unwrap();
    let declared = xtask::services::declared(root).unwrap();
    report("  parse the environment files (one thread)", || {
        for (_, file) in &tree.environments {
            xtask::model::parse_file::<xtask::model::files::EnvironmentFile>(file).unwrap();
        }
    });
    report("  parse + resolve (all cores)", || {
        tree.load(declared.clone()).unwrap();
    });
}

fn report(what: &str, mut f: impl FnMut()) {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
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
fn generate(root: &Path) {
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
                 [package.metadata.platform]\ntemplate = \"web\"\nimage = \"ghcr.io/bench/svc{s:02}\"\nport = 8080\n"
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
                writeln!(
                    text,
                    "[services.svc{s:02}]\nversion = \"1.{}.{s}\"\nreplicas = 2\nenv = {{ LOG_LEVEL = \"info\", REGION = \"eu-west-1\" }}\n",
                    e % 7
                )
                .unwrap();
            }
        }
        write(&format!("environments/e{e:04}/environment.toml"), &text);
    }
}
