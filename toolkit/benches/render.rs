//! Renders every file of a generated repository of 1,000 environments with 50 services
//! each, into a temporary directory.
//!
//! `cargo bench -p platform-toolkit --bench render` prints the median and the fastest of several
//! runs: the whole `render` (load, generate, write every file, with none there before, and
//! with every file stale), and its parts. Writing 4,000 files is the disk's work as much
//! as the program's: `XTASK_BENCH_DIR=/dev/shm` measures without the disk.

mod generated;

use generated::{generate, report, report_after, tempdir};

fn main() {
    let dir = tempdir();
    generate(dir.path());
    let root = dir.path();
    let platform =
        platform_toolkit::repository::load(root).expect("the generated repository loads");
    let files =
        platform_toolkit::commands::generated_files(&platform).expect("the repository renders");
    let bytes: usize = files.iter().map(|f| f.contents.len()).sum();
    println!(
        "repository: {} environments, {} generated files, {} MB",
        platform.environments.len(),
        files.len(),
        bytes / 1_000_000
    );

    // Each run renders into a repository of its own that has never held generated files,
    // as on a first render; they are all removed at the end, not between runs, so that
    // the file system's clean-up does not land inside a timed run.
    let fresh: std::cell::RefCell<Vec<tempfile::TempDir>> = Default::default();
    let new_repository = || {
        let dir = tempdir();
        generate(dir.path());
        fresh.borrow_mut().push(dir);
    };
    let newest = || fresh.borrow().last().unwrap().path().to_path_buf();
    report_after(
        "render (load + generate + write every file)",
        new_repository,
        || {
            let root = newest();
            let platform = platform_toolkit::repository::load(&root).unwrap();
            let files = platform_toolkit::commands::generated_files(&platform).unwrap();
            platform_toolkit::render::write(&root, &files).unwrap();
        },
    );
    let new_stale_repository = || {
        new_repository();
        for file in &files {
            let path = newest().join(&file.path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "stale\n").unwrap();
        }
    };
    report_after(
        "render (load + generate + replace every file)",
        new_stale_repository,
        || {
            let root = newest();
            let platform = platform_toolkit::repository::load(&root).unwrap();
            let files = platform_toolkit::commands::generated_files(&platform).unwrap();
            platform_toolkit::render::write(&root, &files).unwrap();
        },
    );
    report_after("  load a fresh repository", new_repository, || {
        platform_toolkit::repository::load(&newest()).unwrap();
    });
    report_after("  write every file (all cores)", new_repository, || {
        platform_toolkit::render::write(&newest(), &files).unwrap();
    });
    report("  generate in memory (all cores)", || {
        platform_toolkit::commands::generated_files(&platform).unwrap();
    });
    platform_toolkit::render::write(root, &files).unwrap();
    report("render on a fresh tree (load + generate + compare)", || {
        let platform = platform_toolkit::repository::load(root).unwrap();
        let files = platform_toolkit::commands::generated_files(&platform).unwrap();
        platform_toolkit::render::write(root, &files).unwrap();
    });
}
