//! Loads and resolves a generated repository of 1,000 environments with 50 services each.
//!
//! `cargo bench -p xtask --bench load` prints the median and the fastest of several runs,
//! for the whole load (as every command does it) and for its parts.

mod generated;

use generated::{ENVIRONMENTS, generate, report, tempdir};

fn main() {
    let dir = tempdir();
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
        xtask::model::services::declared(root).unwrap();
    });
    let tree = xtask::model::SourceTree::read(root).unwrap();
    let declared = xtask::model::services::declared(root).unwrap();
    report("  parse the environment files (one thread)", || {
        for (_, file) in &tree.environments {
            xtask::model::parse_file::<xtask::model::files::EnvironmentFile>(file).unwrap();
        }
    });
    report("  parse + resolve (all cores)", || {
        tree.load(declared.clone()).unwrap();
    });
}
