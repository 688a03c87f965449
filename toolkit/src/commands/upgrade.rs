//! `cargo xtask upgrade [--to SOURCE] [--dry-run] [--check]`: brings a repository to this
//! toolkit. It moves the pin (with `--to`), brings the scaffold files up to date (unedited
//! ones replaced, edited ones merged three ways), runs the migrations between the
//! repository's recorded version and this one, writes `toolkit.toml`, updates Cargo.lock
//! and renders. On a clean git tree it is all or nothing: a failure puts the tree back.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::cli::UpgradeArgs;
use crate::diagnostic::{Diagnostic, Location};
use crate::migrations::{self, Change, Tree};
use crate::scaffold::repo::Spec;
use crate::scaffold::toolkit::{self, PROVENANCE_FILE, RECORD_FILE, Record, Source, VERSION};
use crate::scaffold::update::{self, Known, Outcome};
use crate::terminal::say;
use crate::{checks, edit, model, render};

pub fn run(root: &Path, args: &UpgradeArgs) -> anyhow::Result<ExitCode> {
    let writes = !args.dry_run && !args.check;
    let _lock = edit::Lock::repository(root)?;
    let state = recorded(root)?;
    let from = state.version.clone();
    if migrations::version(&from)? > migrations::version(VERSION)? {
        return Err(Diagnostic::new(
            format!("this repository is at toolkit {from}, newer than this toolkit ({VERSION})"),
            Location::Path(root.join(RECORD_FILE)),
        )
        .with_help("run the toolkit xtask/Cargo.toml pins: `cargo xtask upgrade`")
        .into_error());
    }
    let manifest = std::fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap_or_default();
    let pinned = Source::pinned(&manifest);
    if args.check && args.to.is_none() && pinned.is_none() {
        say(format!(
            "behind: this repository is in the {from} layout, with its own copy of the toolkit; `upgrade --to SOURCE` brings it to {VERSION}"
        ))?;
        return Ok(ExitCode::from(1));
    }
    let pin = match &args.to {
        Some(text) => given_source(root, text)?,
        None => pinned.clone().ok_or_else(|| {
            Diagnostic::new(
                format!("this repository's xtask pins no toolkit: it is in the {from} layout"),
                Location::Path(root.join("xtask/Cargo.toml")),
            )
            .with_help("say where the toolkit comes from: --to git:URL@REV (a commit or tag of the toolkit's repository) or --to path:DIR")
            .into_error()
        })?,
    };
    if writes {
        refuse_unclean(root)?;
    }

    let mut tree = Tree::new(root, state.provenance.clone());
    let scaffold = state.answers.scaffold(&pin)?;
    tree.scaffold = scaffold
        .iter()
        .map(|file| update::key(&file.path))
        .collect();
    let outcomes = update_scaffold(&mut tree, &state, &scaffold, pinned.as_ref())?;
    let migrations = migrations::between(&from, VERSION)?;
    for migration in &migrations {
        (migration.run)(&mut tree).with_context(|| format!("migration {}", migration.name))?;
    }
    let record = Record {
        version: VERSION.to_owned(),
        answers: state.answers.clone(),
        scaffold: scaffold
            .iter()
            .map(|file| (update::key(&file.path), toolkit::hash(&file.contents)))
            .collect(),
    };
    let record_text = record.to_text()?;
    if tree.read_text(Path::new(RECORD_FILE))?.as_deref() != Some(record_text.as_str()) {
        tree.write(Path::new(RECORD_FILE), record_text.into_bytes(), false);
    }

    let conflicts: usize = outcomes
        .values()
        .map(|outcome| match outcome {
            Outcome::Conflict(n) => *n,
            _ => 0,
        })
        .sum();
    let behind = !tree.changes().is_empty();
    report(root, &from, &pin, &tree, &outcomes, &migrations, writes)?;
    if args.check {
        say(if behind {
            format!("behind: `cargo xtask upgrade` brings it to {VERSION}")
        } else {
            format!("up to date with toolkit {VERSION}")
        })?;
        return Ok(if behind {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    if args.dry_run {
        say("--dry-run: nothing written")?;
        return Ok(ExitCode::SUCCESS);
    }
    if !behind {
        say(format!("up to date with toolkit {VERSION}: nothing to do"))?;
        return Ok(ExitCode::SUCCESS);
    }
    // A repository that pinned no toolkit gets the thin program of the toolkit alone, so
    // it is rendered without the rules of the program that runs this.
    let docs = if pinned.is_some() {
        checks::docs()
    } else {
        checks::toolkit_docs()
    };
    if let Err(err) = apply(root, &tree, &docs) {
        restore(root).context("putting the tree back after a failed upgrade")?;
        return Err(err.context("the upgrade failed; the tree is as it was"));
    }
    if conflicts > 0 {
        say(format!(
            "upgraded to {VERSION} with {conflicts} conflict(s), marked <<<<<<< … >>>>>>> in the files above: resolve them, run `cargo xtask check`, then commit"
        ))?;
        return Ok(ExitCode::from(1));
    }
    say(format!(
        "upgraded to {VERSION}: review with `git diff`, run `cargo xtask check`, then commit"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Every scaffold file's update, laid over `tree`; the outcome by path of those that change.
fn update_scaffold(
    tree: &mut Tree,
    state: &Recorded,
    scaffold: &[crate::scaffold::NewFile],
    pinned: Option<&Source>,
) -> anyhow::Result<BTreeMap<String, Outcome>> {
    // The old text of each file: as the recorded toolkit wrote it where this toolkit keeps
    // it (`templates/history/`), else this toolkit's own with the old pin, when its hash is
    // the recorded one (the file did not change between the two).
    let history = state.answers.scaffold_at(&state.version)?;
    let history = update::by_path(&history);
    let old_pin = pinned.cloned().unwrap_or(Source::Path(String::new()));
    let same = state.answers.scaffold(&old_pin)?;
    let same = update::by_path(&same);
    let old_label = format!("toolkit {}", state.version);
    let new_label = format!("toolkit {VERSION}");
    let mut outcomes = BTreeMap::new();
    for file in scaffold {
        let key = update::key(&file.path);
        let current = tree.read(&file.path)?;
        let recorded = state.scaffold.get(&key).map(String::as_str);
        let base = match (history.get(&key), same.get(&key)) {
            (Some(old), _) => Some(old.contents.as_slice()),
            (None, Some(old))
                if recorded.is_none_or(|hash| toolkit::hash(&old.contents) == hash) =>
            {
                Some(old.contents.as_slice())
            }
            _ => None,
        };
        let known = Known {
            current: current.as_deref(),
            base,
            recorded,
        };
        let yours = format!("yours ({key})");
        let labels = [yours.as_str(), old_label.as_str(), new_label.as_str()];
        if let Some(done) = update::update(file, &known, labels)? {
            tree.write(&file.path, done.file.contents, done.file.executable);
            outcomes.insert(key, done.outcome);
        }
    }
    Ok(outcomes)
}

/// What the upgrade changes, one line per file; the toolkit's removed source copy as one.
fn report(
    root: &Path,
    from: &str,
    pin: &Source,
    tree: &Tree,
    outcomes: &BTreeMap<String, Outcome>,
    migrations: &[&migrations::Migration],
    writes: bool,
) -> anyhow::Result<()> {
    let mut lines = vec![if from == VERSION {
        format!("toolkit {VERSION}, pinned to {pin}")
    } else {
        format!("from toolkit {from} to {VERSION}, pinned to {pin}")
    }];
    let mut copy = 0;
    for (path, change) in tree.changes() {
        let key = update::key(path);
        let line = match (change, outcomes.get(&key)) {
            (_, Some(Outcome::Added)) => format!("  added     {key}"),
            (_, Some(Outcome::Replaced)) => format!("  replaced  {key}"),
            (_, Some(Outcome::Merged)) => format!("  merged    {key}: your edits kept"),
            (_, Some(Outcome::Conflict(n))) => {
                format!("  conflict  {key}: {n} conflict(s) marked")
            }
            (Change::Remove, None) if key.starts_with("xtask/") => {
                copy += 1;
                continue;
            }
            (Change::Remove, None) => format!("  removed   {key}"),
            (Change::Write { .. }, None) if root.join(path).exists() => {
                format!("  changed   {key}")
            }
            (Change::Write { .. }, None) => format!("  added     {key}"),
        };
        lines.push(line);
    }
    if copy > 0 {
        lines.push(format!(
            "  removed   {copy} file(s) of the toolkit's source copy under xtask/"
        ));
    }
    for migration in migrations {
        lines.push(format!(
            "  migration {}: {}",
            migration.name, migration.summary
        ));
    }
    for note in tree.notes() {
        lines.push(format!("    {note}"));
    }
    if writes && !tree.changes().is_empty() {
        lines.push("  then Cargo.lock and the generated files".to_owned());
    }
    Ok(say(lines.join("\n"))?)
}

/// Writes the tree's changes whole: every file staged beside its destination first, so
/// that a full disk fails before anything is in place; then Cargo.lock and rendering.
fn apply(root: &Path, tree: &Tree, docs: &[&crate::rule::RuleDoc]) -> anyhow::Result<()> {
    let mut staged = Vec::new();
    let mut removed = Vec::new();
    for (path, change) in tree.changes() {
        match change {
            Change::Write {
                contents,
                executable,
            } => {
                let text = std::str::from_utf8(contents)
                    .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
                let mode = if root.join(path).exists() {
                    edit::Mode::Kept
                } else {
                    edit::Mode::Generated {
                        executable: *executable,
                    }
                };
                staged.push(edit::stage(root, path, text, mode, false)?);
            }
            Change::Remove => removed.push(path.clone()),
        }
    }
    for file in staged {
        file.commit()?;
    }
    for path in &removed {
        edit::remove_file(root, path)?;
        edit::remove_empty_parents(root, path);
    }
    super::update_lock(root)?;
    let platform = model::load(root)?;
    render::refuse_secrets(&platform)?;
    render::render(root, &platform, docs)?;
    Ok(())
}

/// `--to`, parsed; a directory is taken from the current one, and written relative to
/// the repository when it lies inside it (a vendored toolkit). A directory must hold this
/// toolkit: the one that runs the migrations is the one the pin names.
fn given_source(root: &Path, text: &str) -> anyhow::Result<Source> {
    let source = Source::parse(text).map_err(|reason| {
        Diagnostic::new(format!("invalid --to: {reason}"), Location::Nowhere)
            .with_help("git:URL@REV (a commit or tag of the toolkit's repository) or path:DIR (a directory holding its source)")
            .into_error()
    })?;
    let Source::Path(dir) = source else {
        return Ok(source);
    };
    let absolute = std::path::absolute(&dir)?;
    let manifest = std::fs::read_to_string(absolute.join("Cargo.toml")).unwrap_or_default();
    let package = toml::from_str::<toml::Table>(&manifest).ok();
    let field = |key: &str| {
        package
            .as_ref()
            .and_then(|doc| doc.get("package")?.get(key)?.as_str().map(str::to_owned))
    };
    if field("name").as_deref() != Some(toolkit::PACKAGE) {
        return Err(Diagnostic::new(
            format!(
                "{} holds no toolkit: its Cargo.toml is not the package `{}`",
                absolute.display(),
                toolkit::PACKAGE
            ),
            Location::Nowhere,
        )
        .with_help("name the toolkit's crate directory, `toolkit/` in the toolkit's repository")
        .into_error());
    }
    if field("version").as_deref() != Some(VERSION) {
        return Err(Diagnostic::new(
            format!(
                "the toolkit in {} is version {}, and this one is {VERSION}",
                absolute.display(),
                field("version").unwrap_or_default()
            ),
            Location::Nowhere,
        )
        .with_help("run the upgrade with the toolkit it pins: from its repository, `cargo xtask --directory <this repository> upgrade --to path:DIR`")
        .into_error());
    }
    let root = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
    let absolute = absolute.canonicalize().unwrap_or(absolute);
    Ok(Source::Path(match absolute.strip_prefix(&root) {
        Ok(inside) => update::key(inside),
        Err(_) => absolute.to_string_lossy().into_owned(),
    }))
}

/// Refuses to write outside git or over uncommitted changes: the upgrade is undone, and
/// reviewed, through git.
fn refuse_unclean(root: &Path) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    let status = cmd!(sh, "git status --porcelain --untracked-files=all -- .")
        .quiet()
        .ignore_stderr()
        .read();
    let help = "commit or stash your changes first (or see what it would do with --dry-run): an upgrade is reviewed, and undone, through git";
    match status {
        Ok(status) if status.trim().is_empty() => Ok(()),
        Ok(status) => Err(Diagnostic::new(
            format!(
                "the repository has uncommitted changes: {}",
                status
                    .lines()
                    .take(3)
                    .map(str::trim)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            Location::Nowhere,
        )
        .with_help(help)
        .into_error()),
        Err(_) => Err(
            Diagnostic::new("the repository is not a git work tree", Location::Nowhere)
                .with_help(help)
                .into_error(),
        ),
    }
}

/// Puts a tree that was clean back as git has it.
fn restore(root: &Path) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    cmd!(sh, "git checkout --quiet HEAD -- .").quiet().run()?;
    cmd!(sh, "git clean --quiet --force -d -- .")
        .quiet()
        .run()?;
    Ok(())
}

/// What a repository records of the toolkit it is made with.
pub struct Recorded {
    /// The toolkit version whose formats its files are in.
    pub version: String,
    pub answers: Spec,
    /// The scaffold files' hashes as last written (0.2.0 on).
    pub scaffold: BTreeMap<String, String>,
    /// A 0.1.0 repository's toolkit files' hashes, by path.
    pub provenance: BTreeMap<String, String>,
}

/// The record of the toolkit in `toolkit.toml`, or in a 0.1.0 repository's
/// `toolkit-provenance.toml`.
pub fn recorded(root: &Path) -> anyhow::Result<Recorded> {
    if let Some(record) = read_record(root)? {
        return Ok(Recorded {
            version: record.version,
            answers: record.answers,
            scaffold: record.scaffold,
            provenance: BTreeMap::new(),
        });
    }
    let path = root.join(PROVENANCE_FILE);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Err(Diagnostic::new(
            format!("this repository records no toolkit: it has no {RECORD_FILE}"),
            Location::Nowhere,
        )
        .with_help("upgrade brings up to date the repositories `cargo xtask new-repo` made, which record the toolkit they were made with")
        .into_error());
    };
    #[derive(serde::Deserialize)]
    struct Provenance {
        toolkit_version: String,
        #[serde(default)]
        files: BTreeMap<String, String>,
    }
    let provenance: Provenance = toml::from_str(&text).map_err(|err| {
        Diagnostic::new(
            format!("{PROVENANCE_FILE} is not the record new-repo wrote: {err}"),
            Location::Path(path.clone()),
        )
        .with_help("restore it from git: upgrade tells the toolkit's files from yours by it")
        .into_error()
    })?;
    Ok(Recorded {
        version: provenance.toolkit_version,
        answers: answers_of_0_1_0(root)?,
        scaffold: provenance.files.clone(),
        provenance: provenance.files,
    })
}

/// `toolkit.toml`, when the repository has one.
fn read_record(root: &Path) -> anyhow::Result<Option<Record>> {
    let path = root.join(RECORD_FILE);
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err).with_context(|| format!("reading {RECORD_FILE}")),
    };
    toml::from_str(&text).map(Some).map_err(|err| {
        Diagnostic::new(
            format!("{RECORD_FILE} is not the record the toolkit writes: {}", err.message()),
            Location::Path(path),
        )
        .with_help("restore it from git (`git checkout -- toolkit.toml`): it is written by new-repo and upgrade, never by hand")
        .into_error()
    })
}

/// Refuses to run on a repository whose files are in another toolkit version's formats:
/// it says which version the repository is at, which runs, and what to run.
pub fn refuse_other_version(root: &Path) -> anyhow::Result<()> {
    let version = match read_record(root)? {
        Some(record) => record.version,
        None if root.join(PROVENANCE_FILE).is_file() => "0.1.0".to_owned(),
        None => return Ok(()),
    };
    if version == VERSION {
        return Ok(());
    }
    let newer = migrations::version(&version).ok() > migrations::version(VERSION).ok();
    let help = if newer {
        "the repository was upgraded past this toolkit: run the one xtask/Cargo.toml pins, with `cargo xtask` in the repository".to_owned()
    } else if version == "0.1.0" {
        format!(
            "upgrade it with this toolkit: `cargo xtask --directory {} upgrade --to git:URL@REV` from the toolkit's repository (or --to path:DIR)",
            root.display()
        )
    } else {
        "run `cargo xtask upgrade`: it brings the repository's files to the toolkit it pins"
            .to_owned()
    };
    Err(Diagnostic::new(
        format!("this repository is at toolkit {version} ({RECORD_FILE}), and the toolkit running is {VERSION}"),
        Location::Nowhere,
    )
    .with_help(help)
    .into_error())
}

/// The answers a 0.1.0 repository was made with, which it did not record: read back from
/// its hand-written files, as far as they still hold them.
pub fn answers_of_0_1_0(root: &Path) -> anyhow::Result<Spec> {
    let read = |path: &str| -> anyhow::Result<toml::Table> {
        let text =
            std::fs::read_to_string(root.join(path)).with_context(|| format!("reading {path}"))?;
        toml::from_str(&text).with_context(|| format!("reading {path}"))
    };
    let platform = read("environments/platform.toml")?;
    let text = |table: &toml::Table, path: &[&str]| -> Option<String> {
        let mut value = table.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        value.as_str().map(str::to_owned)
    };
    let known = |value: Option<String>| value.filter(|v| !v.starts_with('<'));
    let account = |env: &str| -> Option<String> {
        known(
            read(&format!("environments/{env}/environment.toml"))
                .ok()
                .and_then(|t| text(&t, &["account"])),
        )
    };
    let org = text(&platform, &["org"]).context("environments/platform.toml has no `org`")?;
    let mut spec = Spec {
        domain: text(&platform, &["domain"])
            .context("environments/platform.toml has no `domain`")?,
        name: text(&platform, &["name"]),
        region: text(&platform, &["defaults", "region"]).unwrap_or_else(|| "eu-west-1".to_owned()),
        registry: text(&platform, &["images", "registry"]),
        github: text(&platform, &["github", "repository"])
            .unwrap_or_else(|| format!("{org}/platform")),
        prod_account: account("prod"),
        nonprod_account: account("staging"),
        observability_account: account("observability"),
        identity_account: account("identity"),
        admins: platform
            .get("teams")
            .and_then(|teams| teams.get("platform"))
            .and_then(toml::Value::as_array)
            .map(|emails| {
                emails
                    .iter()
                    .filter_map(|email| known(email.as_str().map(str::to_owned)))
                    .collect()
            })
            .unwrap_or_default(),
        org,
    };
    // What new-repo would have derived is not an answer of its own.
    if spec.name
        == Some(
            Spec {
                name: None,
                ..spec.clone()
            }
            .display_name(),
        )
    {
        spec.name = None;
    }
    if spec.registry
        == Some(
            Spec {
                registry: None,
                ..spec.clone()
            }
            .registry(),
        )
    {
        spec.registry = None;
    }
    Ok(spec)
}
