//! Checks a generated repository of 1,000 environments with 50 services each.
//!
//! `cargo bench -p platform-toolkit --bench check` prints the median and the fastest of several runs
//! of the whole check (load, every rule, the freshness of every generated file, which
//! renders all 4,000 of them in memory), on a rendered repository.

mod generated;

use generated::{generate, report, tempdir};

fn main() {
    let dir = tempdir();
    generate(dir.path());
    let root = dir.path();
    let platform =
        platform_toolkit::repository::load(root).expect("the generated repository loads");
    let files =
        platform_toolkit::commands::generated_files(&platform).expect("the repository renders");
    platform_toolkit::render::write(root, &files).expect("the rendered files are written");
    let today =
        platform_toolkit::model::date::Date::today().expect("XTASK_TODAY, when set, is a day");
    let findings = platform_toolkit::commands::check::check(root, today, None)
        .expect("the check runs")
        .findings;
    let mut by_rule = std::collections::BTreeMap::new();
    for finding in &findings {
        *by_rule
            .entry(
                finding
                    .diagnostic
                    .rule
                    .map_or("schema", |rule| rule.as_str()),
            )
            .or_insert(0) += 1;
    }
    println!(
        "repository: {} environments; findings by rule: {by_rule:?}",
        platform.environments.len()
    );
    report("check (load + every rule + render --check)", || {
        platform_toolkit::commands::check::check(root, today, None).unwrap();
    });
}
