//! Loads and resolves the generated repositories: 1,000 environments with 50 services
//! each, and 2 environments with 5,000 services each, every one a crate.
//!
//! `cargo bench -p platform-toolkit --bench load` prints the median and the fastest of several runs,
//! for the whole load (as every command does it) and for its parts.

mod generated;

use std::path::Path;

use generated::{ENVIRONMENTS, generate, generate_pair, report, tempdir};

fn main() {
    let dir = tempdir();
    generate(dir.path());
    measure(dir.path(), ENVIRONMENTS);
    let dir = tempdir();
    generate_pair(dir.path(), 5_000);
    measure(dir.path(), 2);
}

fn measure(root: &Path, environments: usize) {
    // Once to warm the file system cache, keep the record of the workspace, and check that
    // the repository is valid.
    let platform =
        platform_toolkit::repository::load(root).expect("the generated repository loads");
    assert_eq!(platform.environments.len(), environments);
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

    report("load (read + workspace + parse + resolve)", || {
        platform_toolkit::repository::load(root).unwrap();
    });
    report("  read the files", || {
        platform_toolkit::repository::SourceTree::read(root).unwrap();
    });
    report("  the workspace, from its record", || {
        platform_toolkit::repository::workspace::Workspace::load(root).unwrap();
    });
    let workspace = platform_toolkit::repository::workspace::Workspace::load(root).unwrap();
    report("  the service declarations (all cores)", || {
        platform_toolkit::repository::services::declared_in(&workspace).unwrap();
    });
    let tree = platform_toolkit::repository::SourceTree::read(root).unwrap();
    let declared = platform_toolkit::repository::services::declared_in(&workspace).unwrap();
    report("  parse the environment files (one thread)", || {
        for (_, file) in &tree.environments {
            platform_toolkit::model::parse_file::<platform_toolkit::model::files::EnvironmentFile>(
                file,
            )
            .unwrap();
        }
    });
    report("  parse + resolve (all cores)", || {
        tree.load(declared.clone()).unwrap();
    });
}
