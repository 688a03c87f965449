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
use crate::migrations::{self, FileEdit, Tree};
use crate::scaffold::record::Record;
use crate::scaffold::toolkit::{self, RECORD_FILE, Source, VERSION};
use crate::scaffold::update::{self, Known, Outcome};
use crate::terminal::say;
use crate::{checks, edit, render};

mod pin;
mod record;

pub use record::{Recorded, recorded, refuse_other_version};

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
    let pin = match args.to.as_deref().map(|to| pin::target(root, to, pinned.as_ref())) {
        Some(Ok(pin::Target::Here(source))) => source,
        Some(Ok(pin::Target::Release { source, version })) => {
            return move_pin(root, args, &source, &version);
        }
        Some(Err(err)) => return Err(err),
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

    let planned = plan(root, &state, &pin, pinned.as_ref())?;
    report(
        root,
        &from,
        &pin,
        &planned.tree,
        &planned.outcomes,
        &planned.migrations,
        writes,
    )?;
    let behind = !planned.tree.changes().is_empty();
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
    if let Err(err) = apply(root, &planned.tree, &docs) {
        restore(root).context("putting the tree back after a failed upgrade")?;
        return Err(err.context("the upgrade failed; the tree is as it was"));
    }
    let conflicts = planned.conflicts();
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

/// An upgrade worked out in memory: the repository's files as it leaves them, what became
/// of each scaffold file, and the migrations it ran.
struct Planned {
    tree: Tree,
    outcomes: std::collections::BTreeMap<String, Outcome>,
    migrations: Vec<&'static migrations::Migration>,
}

impl Planned {
    /// How many conflicts the merges marked.
    fn conflicts(&self) -> usize {
        self.outcomes
            .values()
            .map(|outcome| match outcome {
                Outcome::Conflict(n) => *n,
                _ => 0,
            })
            .sum()
    }
}

/// The upgrade of the repository at `root`, recorded as `state`, to this toolkit pinned
/// as `pin` (it pinned `pinned`): its scaffold files brought up to date, the migrations
/// from its version run, and its record rewritten, all in a [`Tree`] in memory.
fn plan(
    root: &Path,
    state: &Recorded,
    pin: &Source,
    pinned: Option<&Source>,
) -> anyhow::Result<Planned> {
    let mut tree = Tree::new(root, state.provenance.clone());
    let scaffold = state.answers.scaffold(pin)?;
    tree.scaffold = scaffold
        .iter()
        .map(|file| update::key(&file.path))
        .collect();
    let outcomes = update_scaffold(&mut tree, state, &scaffold, pinned)?;
    let migrations = migrations::between(&state.version, VERSION)?;
    for migration in &migrations {
        (migration.run)(&mut tree).with_context(|| format!("migration {}", migration.name))?;
    }
    let record = Record::new(&state.answers, pin, &scaffold);
    let record_text = record.to_text()?;
    if tree.read_text(Path::new(RECORD_FILE))?.as_deref() != Some(record_text.as_str()) {
        tree.write(Path::new(RECORD_FILE), record_text.into_bytes(), false);
    }
    Ok(Planned {
        tree,
        outcomes,
        migrations,
    })
}

/// Moves the pin to a release of another version, and nothing else: that toolkit, which
/// the next `cargo xtask` builds, brings the files to its formats with `upgrade`.
fn move_pin(
    root: &Path,
    args: &UpgradeArgs,
    source: &Source,
    version: &str,
) -> anyhow::Result<ExitCode> {
    if args.check {
        say(format!(
            "behind: the toolkit's release {version} is out ({source}); `cargo xtask upgrade --to {source}` moves the pin"
        ))?;
        return Ok(ExitCode::from(1));
    }
    let path = Path::new("xtask/Cargo.toml");
    let manifest = std::fs::read_to_string(root.join(path)).context("reading xtask/Cargo.toml")?;
    let moved = edit::replace_value(
        &manifest,
        &["dependencies", toolkit::PACKAGE],
        &source.dependency(),
    )?
    .with_context(|| {
        format!(
            "xtask/Cargo.toml has no dependency `{}` to move",
            toolkit::PACKAGE
        )
    })?;
    if args.dry_run {
        say(format!(
            "would pin the toolkit to {source} (release {version}) in xtask/Cargo.toml; --dry-run: nothing written"
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    refuse_unclean(root)?;
    let moved_in = edit::write_file(root, path, &moved, edit::FileMode::Kept)
        .and_then(|()| super::update_lock(root));
    if let Err(err) = moved_in {
        restore(root).context("putting the tree back after a failed upgrade")?;
        return Err(err.context("the pin could not move; the tree is as it was"));
    }
    say(format!(
        "pinned the toolkit to {source} (release {version}) in xtask/Cargo.toml and Cargo.lock: now run `cargo xtask upgrade`, which builds that toolkit and brings the files to it"
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
    // The pin as last written, so that a pin moved since (by hand, or by an update bot) is
    // the change both sides made, not an edit.
    let old_pin = (state.pin.clone())
        .or_else(|| pinned.cloned())
        .unwrap_or(Source::Path(String::new()));
    let same = state.answers.scaffold(&old_pin)?;
    let same = update::by_path(&same);
    let old_label = format!("toolkit {}", state.version);
    let new_label = format!("toolkit {VERSION}");
    let mut outcomes = BTreeMap::new();
    for file in scaffold {
        let key = update::key(&file.path);
        let current = tree.read(&file.path)?;
        let recorded = state.scaffold.get(&key).map(String::as_str);
        // A file the record does not list, when it lists what the old toolkit wrote, is
        // one the old toolkit never wrote: it is added, not taken for one deleted.
        let unchanged_since = |old: &crate::scaffold::NewFile| match recorded {
            Some(hash) => toolkit::hash(&old.contents) == hash,
            None => state.scaffold.is_empty(),
        };
        let base = match (history.get(&key), same.get(&key)) {
            (Some(old), _) => Some(old.contents.as_slice()),
            (None, Some(old)) if unchanged_since(old) => Some(old.contents.as_slice()),
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
            (FileEdit::Remove, None) if key.starts_with("xtask/") => {
                copy += 1;
                continue;
            }
            (FileEdit::Remove, None) => format!("  removed   {key}"),
            (FileEdit::Write { .. }, None) if root.join(path).exists() => {
                format!("  changed   {key}")
            }
            (FileEdit::Write { .. }, None) => format!("  added     {key}"),
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
            FileEdit::Write {
                contents,
                executable,
            } => {
                let text = std::str::from_utf8(contents)
                    .with_context(|| format!("{} is not UTF-8 text", path.display()))?;
                let mode = if root.join(path).exists() {
                    edit::FileMode::Kept
                } else {
                    edit::FileMode::Generated {
                        executable: *executable,
                    }
                };
                staged.push(edit::stage(root, path, text, mode, false)?);
            }
            FileEdit::Remove => removed.push(path.clone()),
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
    let platform = crate::repository::load(root)?;
    render::refuse_secrets(&platform)?;
    render::update(root, &platform, docs)?;
    Ok(())
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
