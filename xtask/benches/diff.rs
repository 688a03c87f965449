//! Diffs two environments with 5,000 services each.
//!
//! `cargo bench -p xtask --bench diff` prints the median and the fastest of several runs
//! of the comparison itself (the environments are loaded once, before timing), and of
//! the comparison with its human report.

mod generated;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Arc;

use generated::{report, tempdir};
use xtask::model::date::Date;
use xtask::model::{Origin, ServiceDecl, SourceTree, Sourced, Template};

const SERVICES: usize = 5_000;

fn main() {
    let dir = tempdir();
    let root = dir.path();
    let write = |path: &str, text: &str| {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    };
    write(
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
        for s in 0..SERVICES {
            // Staging runs every tenth service one version ahead.
            let minor = if env == "staging" && s % 10 == 0 {
                1
            } else {
                0
            };
            // Odd services are workers, with a replica count of their own.
            let replicas = if s % 2 == 1 {
                format!("replicas = {replicas}\n")
            } else {
                String::new()
            };
            writeln!(
                text,
                "[services.svc{s:04}]\nversion = \"1.{minor}.{}\"\n{replicas}env = {{ LOG_LEVEL = \"info\", REGION = \"{env}\" }}\n",
                s % 7
            )
            .unwrap();
        }
        write(&format!("environments/{env}/environment.toml"), &text);
    }
    // The services as crates would declare them; declaring 5,000 crates to cargo would
    // measure cargo, not the diff.
    let origin = Origin::Builtin("benchmark");
    let declared: BTreeMap<String, Arc<ServiceDecl>> = (0..SERVICES)
        .map(|s| {
            let worker = s % 2 == 1;
            let decl = ServiceDecl {
                template: Sourced::new(
                    if worker {
                        Template::Worker
                    } else {
                        Template::Web
                    },
                    origin.clone(),
                ),
                image: Sourced::new(format!("ghcr.io/bench/svc{s:04}"), origin.clone()),
                port: (!worker).then(|| Sourced::new(8080, origin.clone())),
            };
            (format!("svc{s:04}"), Arc::new(decl))
        })
        .collect();
    let platform = SourceTree::read(root)
        .unwrap()
        .load(declared)
        .expect("the benchmark repository loads");
    let staging = platform.find("staging").unwrap();
    let prod = platform.find("prod").unwrap();
    let today = Date::today().expect("XTASK_TODAY, when set, is a day");

    let comparison = xtask::comparison::compare(
        ("staging", staging),
        ("prod", prod),
        platform.parity.as_ref(),
        today,
    );
    println!(
        "environments: {SERVICES} services each; {} differences, {} violations",
        comparison.differences.len(),
        comparison.violations()
    );
    report("diff staging prod (compare)", || {
        xtask::comparison::compare(
            ("staging", staging),
            ("prod", prod),
            platform.parity.as_ref(),
            today,
        );
    });
    report(
        "  of which: both environments as trees (one thread)",
        || {
            staging.tree();
            prod.tree();
        },
    );
    report("diff staging prod (compare + human report)", || {
        let comparison = xtask::comparison::compare(
            ("staging", staging),
            ("prod", prod),
            platform.parity.as_ref(),
            today,
        );
        xtask::comparison::report::human(&comparison);
    });
}
