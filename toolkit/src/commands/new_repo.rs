//! `cargo xtask new-repo DIR --org ORG --domain DOMAIN`: a new platform monorepo for
//! another organisation, built beside DIR, loaded, checked and rendered there, given a
//! first commit, and only then moved into place.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use xshell::{Shell, cmd};

use crate::checks::{self, Facts};
use crate::cli::NewRepoArgs;
use crate::diagnostic::{Diagnostic, Diagnostics, Location};
use crate::edit::NewTree;
use crate::model::date::Date;
use crate::model::{CiProvider, Platform};
use crate::rule::{RuleId, RuleLevel};
use crate::scaffold::NewFile;
use crate::scaffold::record::Record;
use crate::scaffold::repo::{ENVIRONMENTS, Spec};
use crate::scaffold::toolkit::{self, RECORD_FILE, Source};
use crate::terminal::say;

pub fn run(start: &Path, args: &NewRepoArgs, today: Date) -> anyhow::Result<ExitCode> {
    let spec = spec(start, args)?;
    let dir = std::path::absolute(start.join(&args.dir))?;
    refuse_unusable(&dir, &args.dir)?;
    let git = !args.no_git && !args.dry_run && !inside_git_repository(&dir);
    let toolkit = match &args.toolkit {
        Some(text) => given_source(start, &dir, text)?,
        None => default_source(start)?,
    };
    if let Source::Path(path) = &toolkit {
        super::toolkit_version_at(Path::new(path))?;
    }

    let tree = NewTree::new(&dir, !args.dry_run)?;
    let made = make(&tree, &spec, &toolkit, &dir, today)?;
    if args.dry_run {
        say(format!(
            "would create {} with {} files (--dry-run: nothing written):",
            args.dir.display(),
            made.paths.len()
        ))?;
        for path in &made.paths {
            say(format!("  {}", path.display()))?;
        }
        describe(&made.platform)?;
        return Ok(ExitCode::SUCCESS);
    }
    if git {
        first_commit(tree.path(), &made.platform)?;
    }
    tree.persist()?;
    report(args, &spec, &made, &toolkit, git)?;
    Ok(ExitCode::SUCCESS)
}

/// The new repository's answers, from the flags, validated; its GitHub repository is
/// `ORG/<the directory's name>` unless `--github` names one.
fn spec(start: &Path, args: &NewRepoArgs) -> anyhow::Result<Spec> {
    let dir_name = std::path::absolute(start.join(&args.dir))
        .unwrap_or_default()
        .components()
        .next_back()
        .map(|name| name.as_os_str().to_string_lossy().into_owned())
        .unwrap_or_default();
    let spec = Spec {
        org: args.org.clone(),
        domain: args.domain.clone(),
        shape: args.shape,
        name: args.name.clone(),
        region: args.region.clone(),
        registry: args.registry.clone(),
        github: args
            .github
            .clone()
            .unwrap_or_else(|| format!("{}/{dir_name}", args.org)),
        ci: args.ci,
        buildkite: (args.ci == CiProvider::Buildkite).then(|| {
            args.buildkite
                .clone()
                .unwrap_or_else(|| format!("{}/{dir_name}", args.org))
        }),
        prod_account: args.prod_account.clone(),
        nonprod_account: args.nonprod_account.clone(),
        observability_account: args.observability_account.clone(),
        identity_account: args.identity_account.clone(),
        admins: args.admin.clone(),
    };
    spec.validate().map_err(|bad| {
        Diagnostic::new(
            format!("invalid {}: {}", bad.flag, bad.reason),
            Location::Nowhere,
        )
        .with_help(bad.help)
        .into_error()
    })?;
    Ok(spec)
}

/// A new repository, made in `tree`: its files written, its lock trimmed, loaded, held to
/// the toolkit's rules, and rendered.
struct Made {
    platform: Platform,
    /// Every file it holds, each once, in order.
    paths: Vec<PathBuf>,
    /// How many placeholders are left to fill in.
    placeholders: usize,
}

/// Writes the repository of `spec` on `toolkit` into `tree`, which will be `dir`, and
/// holds it to what any repository must be: it loads, no rule at deny level finds a
/// problem, and it renders.
fn make(
    tree: &NewTree,
    spec: &Spec,
    toolkit: &Source,
    dir: &Path,
    today: Date,
) -> anyhow::Result<Made> {
    let scaffold = spec.scaffold(toolkit)?;
    let record = Record::new(spec, toolkit, &scaffold);
    let mut files = spec.hand_written(toolkit)?;
    files.extend(scaffold);
    files.push(NewFile::text(RECORD_FILE, record.to_text()?));
    files.push(NewFile::text("Cargo.lock", LOCK));
    for file in &files {
        tree.write(&file.path, &file.contents, file.executable)?;
    }
    // The toolkit's own lock file, trimmed to what this workspace builds: nothing is
    // resolved anew, so the first build needs no registry.
    super::update_lock(tree.path())?;

    let platform =
        crate::repository::load(tree.path()).map_err(|err| generated_invalid(err, dir))?;
    // The new repository's program is the toolkit alone: none of the rules of the
    // organisation whose program runs this reach it.
    let findings = checks::toolkit_findings(
        &platform,
        &Facts {
            today,
            out_of_date: None,
            unbumped: None,
            stale_lock: None,
            unknown_versions: None,
            containerfiles: None,
        },
    )?;
    let placeholders = findings
        .iter()
        .filter(|f| f.diagnostic.rule == Some(RuleId::Placeholder))
        .count();
    let denied: Vec<Diagnostic> = findings
        .into_iter()
        .filter(|f| f.level == RuleLevel::Deny)
        .map(|f| f.diagnostic)
        .collect();
    if !denied.is_empty() {
        return Err(generated_invalid(Diagnostics(denied).into(), dir));
    }
    let generated = crate::render::generate(&platform, &checks::toolkit_docs())?;
    crate::render::write(tree.path(), &generated)?;
    let mut paths: Vec<PathBuf> = files.into_iter().map(|f| f.path).collect();
    paths.extend(generated.into_iter().map(|g| g.path));
    // A file of the toolkit that render also makes (ci/pins.schema.json) is one file.
    paths.sort();
    paths.dedup();
    Ok(Made {
        platform,
        paths,
        placeholders,
    })
}

/// What was made, and what to do next.
fn report(
    args: &NewRepoArgs,
    spec: &Spec,
    made: &Made,
    toolkit: &Source,
    git: bool,
) -> anyhow::Result<()> {
    say(format!(
        "created {}: the platform repository of {}, on the toolkit {toolkit} ({})",
        args.dir.display(),
        made.platform.name.value,
        toolkit::VERSION
    ))?;
    describe(&made.platform)?;
    if git {
        say("  git repository on branch `main` with one commit")?;
    } else if !args.no_git {
        say("  no git repository made: the directory is inside one already")?;
    }
    if let Source::Path(dir) = toolkit {
        say(format!(
            "  the toolkit is pinned by its directory on this machine, {dir}: for a repository others can build, pin a published revision with `cargo xtask upgrade --to git:URL@REV`"
        ))?;
    }
    next_steps(&args.dir, spec, made.placeholders)
}

/// Refuses a destination that exists and is not an empty directory, or whose parent does
/// not exist.
fn refuse_unusable(dir: &Path, shown: &Path) -> anyhow::Result<()> {
    let refuse = |message: String, help: &str| {
        Err(Diagnostic::new(message, Location::Nowhere)
            .with_help(help)
            .into_error())
    };
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return refuse(
                    format!("{} exists and is not empty", shown.display()),
                    "name a new directory, or an empty one: new-repo never writes over files",
                );
            }
        }
        Err(_) if dir.exists() => {
            return refuse(
                format!("{} exists and is not a directory", shown.display()),
                "name a new directory, or an empty one",
            );
        }
        Err(_) => {}
    }
    if !dir.parent().is_some_and(Path::is_dir) {
        return refuse(
            format!("the parent directory of {} does not exist", shown.display()),
            "create the parent directory first, or name a directory inside an existing one",
        );
    }
    Ok(())
}

/// Whether `dir` (which may not exist yet) would be inside a git work tree.
fn inside_git_repository(dir: &Path) -> bool {
    let Some(parent) = dir.parent() else {
        return false;
    };
    let Ok(sh) = Shell::new() else {
        return false;
    };
    cmd!(sh, "git -C {parent} rev-parse --is-inside-work-tree")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|out| out.trim() == "true")
}

/// A generated repository that does not load or check clean is the toolkit's fault, not
/// the user's; say so, with what was found.
fn generated_invalid(err: anyhow::Error, dir: &Path) -> anyhow::Error {
    err.context(format!(
        "the repository new-repo made for {} does not pass its own checks; nothing was written (please report this)",
        dir.display()
    ))
}

/// `git init` on `main`, and one commit of everything. Without a git identity, the commit
/// is authored by the toolkit.
fn first_commit(root: &Path, platform: &Platform) -> anyhow::Result<()> {
    let sh = Shell::new()?;
    sh.change_dir(root);
    let what = "making the first commit (pass --no-git to skip it)";
    cmd!(sh, "git init --quiet --initial-branch=main")
        .quiet()
        .run()
        .context(what)?;
    cmd!(sh, "git add --all").quiet().run().context(what)?;
    let has_identity = cmd!(sh, "git config user.email")
        .quiet()
        .ignore_stderr()
        .read()
        .is_ok_and(|email| !email.trim().is_empty());
    if !has_identity {
        for role in ["AUTHOR", "COMMITTER"] {
            sh.set_var(format!("GIT_{role}_NAME"), "cargo xtask new-repo");
            sh.set_var(format!("GIT_{role}_EMAIL"), "new-repo@xtask.invalid");
        }
    }
    let message = format!(
        "The platform repository of {}, from cargo xtask new-repo",
        platform.name.value
    );
    cmd!(sh, "git commit --quiet --no-verify -m {message}")
        .quiet()
        .run()
        .context(what)?;
    Ok(())
}

/// The resolved names, one line per environment, in bring-up order.
fn describe(platform: &Platform) -> anyhow::Result<()> {
    for name in ENVIRONMENTS {
        let Some(env) = platform
            .environments
            .values()
            .find(|e| e.name.as_str() == name)
        else {
            continue;
        };
        let line = match (&env.cluster, &env.identity) {
            (Some(cluster), _) => format!(
                "  {name:<14} cluster {} in zone {}, VPC {}",
                cluster.id.value, cluster.zone.value, cluster.vpc.value
            ),
            (None, Some(identity)) => {
                format!(
                    "  {name:<14} OIDC issuer https://{}",
                    identity.hostname.value
                )
            }
            (None, None) => format!("  {name:<14} no cluster"),
        };
        say(line)?;
    }
    Ok(())
}

fn next_steps(dir: &Path, spec: &Spec, placeholders: usize) -> anyhow::Result<()> {
    let dir = dir.display();
    let order = spec.environments().join(", ");
    let pipelines = match spec.ci {
        CiProvider::Github => {
            "push it to GitHub and set up what .github/workflows/ deploys through: the GitHub Environments, their reviewers, and the OIDC trust of the cloud and the clusters (ci/README.md)"
        }
        CiProvider::Buildkite => {
            "make the two Buildkite pipelines .buildkite/ holds and set up what they deploy through: the queues, the secrets and the OIDC trust of the cloud and the clusters (ci/README.md, \"Buildkite\")"
        }
    };
    say(format!(
        "\nnext:\n  \
         1. cd {dir} && cargo xtask check: {placeholders} placeholder(s) to fill in (account ids, team members, the seed digest), each shown with what belongs there\n  \
         2. bring the environments up in this order: {order} (each cluster's README says how)\n  \
         3. {pipelines}"
    ))?;
    Ok(())
}

/// The lock file of the toolkit's own workspace, which a new repository's trims: every
/// crate the toolkit builds with, at the versions its tests ran with.
const LOCK: &str = include_str!("../../../Cargo.lock");

/// `--toolkit`, parsed; a directory is taken from the current one and written absolute
/// (a directory inside the new repository cannot exist yet).
fn given_source(start: &Path, dir: &Path, text: &str) -> anyhow::Result<Source> {
    let source = Source::parse(text).map_err(|reason| {
        Diagnostic::new(format!("invalid --toolkit: {reason}"), Location::Nowhere)
            .with_help("git:URL@REV (a commit or tag of the toolkit's repository) or path:DIR (a directory holding its source)")
            .into_error()
    })?;
    Ok(match source {
        Source::Path(path) => {
            let absolute = std::path::absolute(start.join(&path))?;
            if absolute.starts_with(dir) {
                return Err(Diagnostic::new(
                    format!("--toolkit {text} is inside the new repository, which is empty"),
                    Location::Nowhere,
                )
                .with_help("name the toolkit's directory as it is now; vendor it later with `cargo xtask upgrade --to path:DIR`")
                .into_error());
            }
            Source::Path(absolute.to_string_lossy().into_owned())
        }
        git => git,
    })
}

/// The toolkit a new repository pins without `--toolkit`: the one the repository it is
/// made from pins. A directory pin (the toolkit's own repository uses its source beside
/// it) becomes the commit its clone is at, when that commit is on its `origin`; else the
/// directory itself, absolute.
fn default_source(start: &Path) -> anyhow::Result<Source> {
    let refuse = || {
        Diagnostic::new(
            "new-repo needs to know where the new repository gets the toolkit from",
            Location::Nowhere,
        )
        .with_help("run it in a platform repository, whose pin it reuses, or pass --toolkit git:URL@REV or --toolkit path:DIR")
        .into_error()
    };
    let Ok(root) = crate::repository::find_root(start) else {
        return Err(refuse());
    };
    let manifest = std::fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap_or_default();
    let Some(pinned) = Source::pinned(&manifest) else {
        return Err(refuse());
    };
    let Source::Path(path) = pinned else {
        return Ok(pinned);
    };
    let dir = root.join(&path);
    let dir = dir.canonicalize().unwrap_or(dir);
    Ok(published(&dir).unwrap_or_else(|| Source::Path(dir.to_string_lossy().into_owned())))
}

/// `git:<origin>@<commit>` for the toolkit source at `dir`, when its clone's HEAD is on a
/// branch of `origin` and the toolkit's files there are unchanged.
fn published(dir: &Path) -> Option<Source> {
    let sh = Shell::new().ok()?;
    sh.change_dir(dir);
    let git = |args: &[&str]| {
        cmd!(sh, "git {args...}")
            .quiet()
            .ignore_stderr()
            .read()
            .ok()
    };
    let url = git(&["remote", "get-url", "origin"]).filter(|url| !url.is_empty())?;
    let commit = git(&["rev-parse", "--verify", "--quiet", "HEAD"])?;
    let on_origin = git(&["branch", "--remotes", "--contains", &commit])?;
    let clean = git(&["status", "--porcelain", "--", "."])?;
    (!on_origin.trim().is_empty() && clean.trim().is_empty())
        .then_some(Source::Git { url, rev: commit })
}
