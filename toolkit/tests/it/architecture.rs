//! The layering `docs/ARCHITECTURE.md` describes, checked on the source: which top-level
//! module may name which, and how long a source file may grow.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Each module and the modules it may use; every other use of `crate::` is a layering
/// violation. Lower layers first.
const LAYERS: &[(&str, &[&str])] = &[
    ("rule", &[]),
    ("affected", &[]),
    ("secrets", &[]),
    ("parallel", &[]),
    ("terminal", &[]),
    ("templates", &[]),
    ("diagnostic", &["rule", "secrets"]),
    (
        "model",
        &["rule", "secrets", "parallel", "diagnostic", "templates"],
    ),
    ("edit", &["model"]),
    ("repository", &["model", "diagnostic", "parallel"]),
    ("changes", &["model", "affected", "repository"]),
    (
        "comparison",
        &["model", "diagnostic", "parallel", "secrets"],
    ),
    (
        "render",
        &[
            "model",
            "diagnostic",
            "rule",
            "edit",
            "parallel",
            "secrets",
            "templates",
        ],
    ),
    (
        "checks",
        &[
            "model",
            "diagnostic",
            "rule",
            "comparison",
            "parallel",
            "secrets",
        ],
    ),
    ("scaffold", &["model", "templates", "edit"]),
    ("migrations", &["edit", "scaffold"]),
    ("cli", &["model", "repository", "rule"]),
];

/// The modules named after `crate::` in `text`, comments left out.
fn uses(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for line in text.lines() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(at) = rest.find("crate::") {
            rest = &rest[at + "crate::".len()..];
            let name: String = rest
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect();
            if !name.is_empty() {
                found.insert(name);
            }
            // `use crate::{a, b::c}` names several.
            if let Some(group) = rest.strip_prefix('{') {
                let group = group.split('}').next().unwrap_or("");
                for item in group.split(',') {
                    let name = item.trim().split("::").next().unwrap_or("").trim();
                    if !name.is_empty() {
                        found.insert(name.to_owned());
                    }
                }
            }
        }
    }
    found
}

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

fn src() -> PathBuf {
    Path::new(
        &std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR for its tests"),
    )
    .join("src")
}

/// The top-level module a file of `src/` belongs to.
fn module_of(path: &Path) -> String {
    let relative = path.strip_prefix(src()).unwrap();
    let first = relative.components().next().unwrap();
    first
        .as_os_str()
        .to_string_lossy()
        .trim_end_matches(".rs")
        .to_owned()
}

#[test]
fn modules_only_use_the_layers_below_them() {
    let allowed: BTreeMap<&str, &[&str]> = LAYERS.iter().copied().collect();
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut violations = Vec::new();
    for file in &files {
        let module = module_of(file);
        // `main`, `lib`, `entry` and `commands` sit on top and may use anything.
        let Some(may_use) = allowed.get(module.as_str()) else {
            assert!(
                ["main", "lib", "entry", "commands"].contains(&module.as_str()),
                "{module} is in no layer: add it to LAYERS and to docs/ARCHITECTURE.md"
            );
            continue;
        };
        let text = std::fs::read_to_string(file).unwrap();
        for used in uses(&text) {
            if used != module && !may_use.contains(&used.as_str()) {
                violations.push(format!(
                    "{} uses crate::{used}",
                    file.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    assert!(violations.is_empty(), "{violations:#?}");
}

#[test]
fn the_check_finds_an_upward_use() {
    let text = "use crate::{diagnostic, render::Generated};\n// crate::checks in a comment\nlet x = crate::model::load(root);";
    let found: Vec<String> = uses(text).into_iter().collect();
    assert_eq!(found, ["diagnostic", "model", "render"]);
}

#[test]
fn only_edit_writes_or_removes_files() {
    const WRITES: [&str; 7] = [
        "fs::write",
        "fs::remove_file",
        "fs::remove_dir",
        "fs::rename",
        "fs::create_dir",
        "File::create",
        "OpenOptions",
    ];
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut writers = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        // A module's unit tests may make the files they test on.
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        if WRITES.iter().any(|call| code.contains(call)) {
            writers.push(file.strip_prefix(src()).unwrap().display().to_string());
        }
    }
    // The one other writer keeps cargo's answer under the target directory, never in the
    // repository's own files, and through a temporary file renamed into place.
    writers.sort();
    assert_eq!(writers, ["edit.rs", "repository/workspace.rs"]);
}

#[test]
fn only_the_command_line_knows_clap() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let mut knowing: Vec<String> = files
        .iter()
        .filter(|file| std::fs::read_to_string(file).unwrap().contains("clap"))
        .map(|file| file.strip_prefix(src()).unwrap().display().to_string())
        .collect();
    knowing.sort();
    assert_eq!(
        knowing,
        [
            "cli/args.rs",
            "cli/completion.rs",
            "cli/manual.rs",
            "cli/mod.rs",
            "entry.rs"
        ]
    );
}

#[test]
fn no_source_file_is_over_600_lines() {
    let root = std::path::PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR")
            .expect("cargo sets CARGO_MANIFEST_DIR for its tests"),
    );
    let root = root.as_path();
    let mut files = Vec::new();
    for dir in ["src", "tests", "benches"] {
        sources(&root.join(dir), &mut files);
    }
    let long: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let lines = std::fs::read_to_string(file).unwrap().lines().count();
            (lines > 600).then(|| format!("{}: {lines} lines", file.display()))
        })
        .collect();
    assert!(long.is_empty(), "split these by concept: {long:#?}");
}

#[test]
fn the_program_reads_nothing_from_where_it_was_built() {
    // Its templates and scaffold files are compiled in (`include_str!`); a path of the
    // build's source tree, kept in the binary, would be read wherever the binary runs.
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let reading: Vec<String> = files
        .iter()
        .filter(|file| {
            let text = std::fs::read_to_string(file).unwrap();
            text.contains("env!(\"CARGO_MANIFEST_DIR\")") || text.contains("file!()")
        })
        .map(|file| file.strip_prefix(src()).unwrap().display().to_string())
        .collect();
    assert_eq!(reading, Vec::<String>::new());
}

#[test]
fn the_layers_are_ordered_so_that_none_reaches_back() {
    // A module may use only modules listed before it: the table is a DAG, lowest first.
    for (at, (module, may_use)) in LAYERS.iter().enumerate() {
        for used in *may_use {
            assert!(
                LAYERS[..at].iter().any(|(earlier, _)| earlier == used),
                "{module} may use {used}, which is not listed before it"
            );
        }
    }
}

#[test]
fn no_command_uses_another() {
    // What two commands share lives below them (or in `commands/mod.rs`): a command that
    // reached into another would change when that one does.
    let commands = src().join("commands");
    let mut files = Vec::new();
    sources(&commands, &mut files);
    let names: Vec<String> = std::fs::read_dir(&commands)
        .unwrap()
        .map(|entry| {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            name.trim_end_matches(".rs").to_owned()
        })
        .filter(|name| name != "mod")
        .collect();
    let mut crossings = Vec::new();
    for file in &files {
        let relative = file.strip_prefix(&commands).unwrap();
        let own = relative
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let own = own.trim_end_matches(".rs");
        if own == "mod" {
            continue;
        }
        let text = std::fs::read_to_string(file).unwrap();
        for other in names.iter().filter(|name| *name != own) {
            let named = [format!("super::{other}::"), format!("commands::{other}::")];
            if named.iter().any(|path| text.contains(path.as_str())) {
                crossings.push(format!("{} uses the command {other}", relative.display()));
            }
        }
    }
    assert_eq!(crossings, Vec::<String>::new());
}

/// The module path of a source file: `src/model/resolve/cluster.rs` is
/// `model::resolve::cluster`, `src/model/mod.rs` is `model`.
fn module_path(file: &Path) -> Vec<String> {
    let relative = file.strip_prefix(src()).unwrap();
    let mut path: Vec<String> = relative
        .components()
        .map(|c| {
            c.as_os_str()
                .to_string_lossy()
                .trim_end_matches(".rs")
                .to_owned()
        })
        .collect();
    if path
        .last()
        .is_some_and(|last| last == "mod" || last == "lib" || last == "main")
    {
        path.pop();
    }
    path
}

/// Every module path `text` (the code of the module at `module`) names, through `crate::`
/// or `super::`, with `{a, b}` groups opened; comments and unit tests left out.
fn named_paths(text: &str, module: &[String]) -> Vec<Vec<String>> {
    let ident = |s: &str| -> Vec<String> {
        s.split("::")
            .map(|part| {
                part.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect::<String>()
            })
            .take_while(|part| !part.is_empty())
            .collect()
    };
    let code = text.split("#[cfg(test)]").next().unwrap_or("");
    let mut found = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (at, _) in line
            .match_indices("crate::")
            .chain(line.match_indices("super::"))
        {
            let before = line[..at].chars().next_back();
            if before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':') {
                continue; // part of a longer name, or a `super::super::` counted once
            }
            let mut base = Vec::new();
            let mut tail = &line[at..];
            if let Some(after) = tail.strip_prefix("crate::") {
                tail = after;
            } else {
                base = module.to_vec();
                while let Some(after) = tail.strip_prefix("super::") {
                    base.pop();
                    tail = after;
                }
            }
            // `a::b::{c, d}`: the prefix, then each item of the group.
            let prefix = ident(tail);
            base.extend(prefix.iter().cloned());
            let consumed: usize = prefix.iter().map(|p| p.len() + 2).sum();
            match tail.get(consumed..).and_then(|rest| rest.strip_prefix('{')) {
                Some(group) => {
                    for item in group.split('}').next().unwrap_or("").split(',') {
                        let mut path = base.clone();
                        path.extend(ident(item.trim()));
                        found.push(path);
                    }
                }
                None => found.push(base),
            }
        }
    }
    found
}

#[test]
fn no_module_imports_in_a_circle() {
    let mut files = Vec::new();
    sources(&src(), &mut files);
    let modules: Vec<Vec<String>> = files.iter().map(|f| module_path(f)).collect();
    // Each file's edges to the other files it names; a module's own ancestors (whose
    // items it uses) and descendants (which it declares and re-exports) are not edges.
    let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (file, module) in files.iter().zip(&modules) {
        let text = std::fs::read_to_string(file).unwrap();
        for path in named_paths(&text, module) {
            let Some(target) = modules
                .iter()
                .filter(|m| !m.is_empty() && path.starts_with(m))
                .max_by_key(|m| m.len())
            else {
                continue;
            };
            if target.starts_with(module) || module.starts_with(target) {
                continue;
            }
            edges
                .entry(module.join("::"))
                .or_default()
                .insert(target.join("::"));
        }
    }
    // Depth-first search for a back edge.
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        circles: &mut BTreeSet<String>,
    ) {
        if let Some(at) = stack.iter().position(|n| n == node) {
            let mut circle = stack[at..].to_vec();
            circle.push(node.to_owned());
            circles.insert(circle.join(" -> "));
            return;
        }
        if !done.insert(node.to_owned()) {
            return;
        }
        stack.push(node.to_owned());
        for next in edges.get(node).into_iter().flatten() {
            visit(next, edges, stack, done, circles);
        }
        stack.pop();
    }
    let mut circles = BTreeSet::new();
    let mut done = BTreeSet::new();
    for node in edges.keys() {
        visit(node, &edges, &mut Vec::new(), &mut done, &mut circles);
    }
    assert_eq!(circles, BTreeSet::<String>::new());
}

#[test]
fn the_model_reads_nothing() {
    // `model` is types and resolution: the files, git and cargo are the repository
    // layer's, which hands it text.
    let mut files = Vec::new();
    sources(&src().join("model"), &mut files);
    let mut reading = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let code = text.split("#[cfg(test)]").next().unwrap_or("");
        for io in ["std::fs", "xshell", "std::process", "MetadataCommand"] {
            if code.contains(io) {
                reading.push(format!(
                    "{} uses {io}",
                    file.strip_prefix(src()).unwrap().display()
                ));
            }
        }
    }
    assert_eq!(reading, Vec::<String>::new());
}

#[test]
fn the_architecture_names_every_source_and_test_file() {
    // docs/ARCHITECTURE.md is the map: a file it does not name is a place a newcomer
    // cannot find. A file is named as `name.rs` or `name` (a command, a module), a
    // directory module as `name/`, a rule's file by the rule's id (`prod-separate-account`).
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let map = std::fs::read_to_string(root.join("../docs/ARCHITECTURE.md")).unwrap();
    let mut files = Vec::new();
    sources(&src(), &mut files);
    sources(&root.join("tests/it"), &mut files);
    let mut unnamed: Vec<String> = files
        .iter()
        .filter_map(|file| {
            let name = file.file_name().unwrap().to_string_lossy().into_owned();
            let named = if name == "mod.rs" {
                let dir = file
                    .parent()
                    .unwrap()
                    .file_name()
                    .unwrap()
                    .to_string_lossy();
                map.contains(&format!("{dir}/"))
            } else {
                let stem = name.trim_end_matches(".rs");
                [
                    format!("`{name}`"),
                    format!("/{name}`"),
                    format!("`{stem}`"),
                    format!("`{}`", stem.replace('_', "-")),
                ]
                .iter()
                .any(|written| map.contains(written.as_str()))
            };
            (!named).then(|| file.strip_prefix(&root).unwrap().display().to_string())
        })
        .collect();
    unnamed.sort();
    assert_eq!(unnamed, Vec::<String>::new());
}
