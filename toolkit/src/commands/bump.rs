//! `cargo xtask bump SERVICE`: a service's new version in one change: its crate's
//! `Cargo.toml`, `Cargo.lock`, and the environments that track the crate (the development-
//! and staging-stage ones that run the version it had), which are rendered again.
//! Production moves by promotion, never here.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cargo_metadata::semver::Version;

use crate::cli::{BumpArgs, BumpPart};
use crate::diagnostic::{Diagnostic, Location, SourceFile, help_valid};
use crate::edit::{self, FileMode};
use crate::model::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, Origin, Stage};
use crate::repository::workspace::Workspace;
use crate::terminal::say;

pub fn run(root: &Path, args: &BumpArgs) -> anyhow::Result<ExitCode> {
    let _lock = edit::Lock::repository(root)?;
    let mut tree = crate::repository::SourceTree::read(root)?;
    let workspace = Workspace::load(root)?;
    let declared = crate::repository::services::declared_in(&workspace)?;
    let platform = tree.load(declared.clone())?;
    let name = args.service.as_str();
    let Some(package) = workspace
        .package(name)
        .filter(|_| platform.services.contains_key(name))
    else {
        let known: Vec<&str> = platform.services.keys().map(String::as_str).collect();
        return Err(Diagnostic::new(
            format!("no crate declares the service `{name}`"),
            Location::Nowhere,
        )
        .with_help(help_valid("services", name, &known))
        .into_error());
    };
    let old = Version::parse(&package.version)?;
    let new = new_version(&old, args)?;

    // The crate's version, where its manifest writes it.
    let manifest_path = PathBuf::from(&package.manifest);
    let manifest = std::fs::read_to_string(root.join(&manifest_path))?;
    let document = toml_edit::Document::parse(manifest.as_str())
        .map_err(|err| anyhow::anyhow!("{}: {err}", manifest_path.display()))?;
    let written = document.get("package").and_then(|p| p.get("version"));
    let Some(span) = written.filter(|v| v.is_str()).and_then(|v| v.span()) else {
        return Err(Diagnostic::new(
            format!(
                "{} takes its version from the workspace",
                manifest_path.display()
            ),
            Location::Path(manifest_path.clone()),
        )
        .with_help("give the crate a `version` of its own in its [package] to bump it alone")
        .into_error());
    };
    let new_manifest = format!(
        "{}\"{new}\"{}",
        &manifest[..span.start],
        &manifest[span.end..]
    );

    // The environments that track the crate: before production, running what it had.
    let mut edited = Vec::new();
    for env in platform.environments.values() {
        if !matches!(env.stage.value, Stage::Development | Stage::Staging) {
            continue;
        }
        let Some(service) = env.cluster.as_ref().and_then(|c| c.services.get(name)) else {
            continue;
        };
        if service.version.value.as_str() != package.version {
            continue;
        }
        let Origin::File(span) = &service.version.origin else {
            continue;
        };
        let version = new.to_string();
        let text =
            edit::set_service_versions(&env.file.text, &[(span.range.clone(), version.as_str())])?;
        edited.push((env.name.to_string(), text));
    }
    for (env, text) in &edited {
        let (_, file) = tree
            .environments
            .iter_mut()
            .find(|(dir, _)| dir == env)
            .expect("the environment was loaded from the tree");
        *file = SourceFile::new(&file.path, text.as_str());
    }
    let bumped = tree.load(declared)?;
    crate::render::refuse_secrets(&bumped)?;
    let generated = super::generated_files(&bumped)?;

    let envs: Vec<&str> = edited.iter().map(|(env, _)| env.as_str()).collect();
    let moved = if envs.is_empty() {
        "no environment tracks it".to_owned()
    } else {
        format!("{} moved with it", envs.join(", "))
    };
    if args.dry_run {
        say(format!(
            "would bump {name} {old} -> {new} in {} and Cargo.lock; {moved} (--dry-run: nothing written)",
            manifest_path.display()
        ))?;
        return Ok(ExitCode::SUCCESS);
    }
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok();
    edit::write_file(root, &manifest_path, &new_manifest, FileMode::Kept)?;
    let prepared = super::update_lock(root).and_then(|()| crate::render::prepare(root, &generated));
    // The manifest goes in, and the lock with it; then every environment's edit and
    // generated file is written beside its destination before any is in place (rendering
    // first: its plan takes a temporary file it finds for a killed run's). On a failure
    // the manifest and the lock go back.
    let staged = prepared.and_then(|prepared| {
        let edits = edited
            .iter()
            .map(|(env, text)| {
                let path = Path::new(ENVIRONMENTS_DIR).join(env).join(ENVIRONMENT_FILE);
                edit::stage(root, &path, text, FileMode::Kept, false)
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((prepared, edits))
    });
    let (prepared, staged) = match staged {
        Ok(staged) => staged,
        Err(err) => {
            let err = super::put_back(root, &manifest_path, Some(&manifest), err);
            return Err(super::put_back(
                root,
                Path::new("Cargo.lock"),
                lock.as_deref(),
                err,
            ));
        }
    };
    for file in staged {
        file.commit()?;
    }
    let rendered = prepared.commit()?;
    say(format!(
        "bumped {name} {old} -> {new} in {} and Cargo.lock; {moved}",
        manifest_path.display()
    ))?;
    say(rendered)?;
    Ok(ExitCode::SUCCESS)
}

/// The version after `old`: the one `--to` names, which must be newer, or the next major,
/// minor or patch release.
fn new_version(old: &Version, args: &BumpArgs) -> anyhow::Result<Version> {
    if let Some(to) = &args.to {
        let new = Version::parse(to).map_err(|err| {
            Diagnostic::new(format!("`{to}` is not a version: {err}"), Location::Nowhere)
                .with_help("write a semver version without build metadata, such as 1.4.0")
                .into_error()
        })?;
        if !new.build.is_empty() || new <= *old {
            return Err(Diagnostic::new(
                format!("{to} is not a new version after {old}"),
                Location::Nowhere,
            )
            .with_help("a version only moves forward: its image tag must name new code, and build metadata (`+…`) cannot be a tag")
            .into_error());
        }
        return Ok(new);
    }
    let mut new = old.clone();
    new.pre = cargo_metadata::semver::Prerelease::EMPTY;
    new.build = cargo_metadata::semver::BuildMetadata::EMPTY;
    match args.part {
        BumpPart::Major => {
            new.major += 1;
            new.minor = 0;
            new.patch = 0;
        }
        BumpPart::Minor => {
            new.minor += 1;
            new.patch = 0;
        }
        BumpPart::Patch => {
            // 1.4.0-rc.1 becomes 1.4.0, its release; otherwise the next patch.
            if old.pre.is_empty() {
                new.patch += 1;
            }
        }
    }
    Ok(new)
}
