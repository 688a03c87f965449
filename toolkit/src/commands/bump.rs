//! `cargo xtask bump SERVICE`: a service's new version in one change: its crate's
//! `Cargo.toml`, `Cargo.lock`, and the environments that track the crate (the development-
//! and staging-stage ones that run the version it had), which are rendered again.
//! Production moves by promotion, never here. [`plan`] works the change out in memory,
//! [`apply`] writes it whole or not at all, [`report`] says what it did.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use cargo_metadata::semver::Version;

use crate::cli::{BumpArgs, BumpPart};
use crate::diagnostic::{Diagnostic, Location, SourceFile, help_valid};
use crate::edit::{self, FileMode};
use crate::model::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, Origin, Platform, Stage};
use crate::render::Generated;
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
    let manifest_path = PathBuf::from(&package.manifest);
    let manifest = std::fs::read_to_string(root.join(&manifest_path))?;
    let plan = plan(&platform, args, &package.version, manifest_path, &manifest)?;

    // What the environments render to once they name the new version.
    for (env, text) in &plan.environments {
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
    if args.dry_run {
        say(report(&plan, true))?;
        return Ok(ExitCode::SUCCESS);
    }
    let rendered = apply(root, &plan, &manifest, &generated)?;
    say(report(&plan, false))?;
    say(rendered)?;
    Ok(ExitCode::SUCCESS)
}

/// A bump, worked out: the service, its versions, its crate's manifest after, and each
/// environment that tracks it with its file's text after.
#[derive(Debug)]
struct Plan {
    name: String,
    old: Version,
    new: Version,
    manifest_path: PathBuf,
    new_manifest: String,
    environments: Vec<(String, String)>,
}

/// The bump of the service `args` names, whose crate is at `version` with `manifest` (the
/// text of `manifest_path`): its new version where the manifest writes its version, and
/// the development- and staging-stage environments that run `version`, edited only in
/// those bytes.
fn plan(
    platform: &Platform,
    args: &BumpArgs,
    version: &str,
    manifest_path: PathBuf,
    manifest: &str,
) -> anyhow::Result<Plan> {
    let name = args.service.as_str();
    let old = Version::parse(version)?;
    let new = new_version(&old, args)?;
    let document = toml_edit::Document::parse(manifest)
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
    let mut environments = Vec::new();
    for env in platform.environments.values() {
        if !matches!(env.stage.value, Stage::Development | Stage::Staging) {
            continue;
        }
        let Some(service) = env.cluster.as_ref().and_then(|c| c.services.get(name)) else {
            continue;
        };
        if service.version.value.as_str() != version {
            continue;
        }
        let Origin::File(span) = &service.version.origin else {
            continue;
        };
        let version = new.to_string();
        let text =
            edit::set_service_versions(&env.file.text, &[(span.range.clone(), version.as_str())])?;
        environments.push((env.name.to_string(), text));
    }
    Ok(Plan {
        name: name.to_owned(),
        old,
        new,
        manifest_path,
        new_manifest,
        environments,
    })
}

/// Writes `plan` and the files `generated` renders: the manifest goes in, and the lock
/// with it; then every environment's edit and generated file is written beside its
/// destination before any is in place (rendering first: its plan takes a temporary file
/// it finds for a killed run's). On a failure the manifest (whose text was `manifest`)
/// and the lock go back. Returns what rendering wrote.
fn apply(
    root: &Path,
    plan: &Plan,
    manifest: &str,
    generated: &[Generated],
) -> anyhow::Result<String> {
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok();
    edit::write_file(
        root,
        &plan.manifest_path,
        &plan.new_manifest,
        FileMode::Kept,
    )?;
    let prepared = super::update_lock(root).and_then(|()| crate::render::prepare(root, generated));
    let staged = prepared.and_then(|prepared| {
        let edits = plan
            .environments
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
            let err = super::put_back(root, &plan.manifest_path, Some(manifest), err);
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
    prepared.commit()
}

/// What the bump did, or would do with `--dry-run`.
fn report(plan: &Plan, dry_run: bool) -> String {
    let envs: Vec<&str> = plan
        .environments
        .iter()
        .map(|(env, _)| env.as_str())
        .collect();
    let moved = if envs.is_empty() {
        "no environment tracks it".to_owned()
    } else {
        format!("{} moved with it", envs.join(", "))
    };
    let (verb, tail) = if dry_run {
        ("would bump", " (--dry-run: nothing written)")
    } else {
        ("bumped", "")
    };
    format!(
        "{verb} {} {} -> {} in {} and Cargo.lock; {moved}{tail}",
        plan.name,
        plan.old,
        plan.new,
        plan.manifest_path.display()
    )
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

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::{plan, report};
    use crate::checks::testing::Org;
    use crate::cli::{BumpArgs, BumpPart};

    fn args(part: BumpPart, to: Option<&str>) -> BumpArgs {
        BumpArgs {
            service: "storefront".to_owned(),
            part,
            minor: part == BumpPart::Minor,
            major: part == BumpPart::Major,
            to: to.map(str::to_owned),
            dry_run: false,
        }
    }

    const MANIFEST: &str =
        "[package]\nname = \"storefront\"\nversion = \"1.3.0\"   # ours\nedition = \"2024\"\n";

    #[test]
    fn a_bump_moves_the_crate_and_the_environments_that_track_it_in_memory() {
        let platform = Org::new().platform();
        let path = PathBuf::from("crates/storefront/Cargo.toml");
        let bump = plan(
            &platform,
            &args(BumpPart::Minor, None),
            "1.3.0",
            path,
            MANIFEST,
        )
        .unwrap();
        assert_eq!(
            bump.new_manifest,
            MANIFEST.replace("\"1.3.0\"", "\"1.4.0\"")
        );
        // Staging runs 1.3.0 and moves; production moves by promotion only.
        let moved: Vec<&str> = bump
            .environments
            .iter()
            .map(|(env, _)| env.as_str())
            .collect();
        assert!(
            moved.contains(&"staging") && !moved.contains(&"prod"),
            "{moved:?}"
        );
        for (env, text) in &bump.environments {
            let before = &platform
                .environments
                .values()
                .find(|e| e.name.as_str() == env)
                .unwrap()
                .file
                .text;
            assert_eq!(
                text,
                &before.replacen("version = \"1.3.0\"", "version = \"1.4.0\"", 1)
            );
        }
        assert_eq!(
            report(&bump, true),
            format!(
                "would bump storefront 1.3.0 -> 1.4.0 in crates/storefront/Cargo.toml and Cargo.lock; {} moved with it (--dry-run: nothing written)",
                moved.join(", ")
            )
        );
    }

    #[test]
    fn a_version_from_the_workspace_or_backwards_is_refused() {
        let platform = Org::new().platform();
        let path = PathBuf::from("crates/storefront/Cargo.toml");
        let inherited = "[package]\nname = \"storefront\"\nversion.workspace = true\n";
        let err = plan(
            &platform,
            &args(BumpPart::Patch, None),
            "1.3.0",
            path.clone(),
            inherited,
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("takes its version from the workspace"),
            "{err}"
        );
        let err = plan(
            &platform,
            &args(BumpPart::Patch, Some("1.2.9")),
            "1.3.0",
            path,
            MANIFEST,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("is not a new version after 1.3.0"),
            "{err}"
        );
    }
}
