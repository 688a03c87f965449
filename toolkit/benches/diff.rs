//! Diffs two environments with 5,000 services each.
//!
//! `cargo bench -p platform-toolkit --bench diff` prints the median and the fastest of several runs
//! of the comparison itself (the environments are loaded once, before timing), and of
//! the comparison with its human report. Each service is a crate of the workspace.

mod generated;

use generated::{generate_pair, report, tempdir};
use platform_toolkit::model::date::Date;

const SERVICES: usize = 5_000;

fn main() {
    let dir = tempdir();
    let root = dir.path();
    generate_pair(root, SERVICES);
    let platform =
        platform_toolkit::repository::load(root).expect("the benchmark repository loads");
    let staging = platform.find("staging").unwrap();
    let prod = platform.find("prod").unwrap();
    let today = Date::today().expect("XTASK_TODAY, when set, is a day");

    let comparison = platform_toolkit::comparison::compare(
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
        platform_toolkit::comparison::compare(
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
        let comparison = platform_toolkit::comparison::compare(
            ("staging", staging),
            ("prod", prod),
            platform.parity.as_ref(),
            today,
        );
        platform_toolkit::comparison::report::human(&comparison);
    });
}
