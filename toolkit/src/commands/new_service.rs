//! `cargo xtask new-service NAME --template web|worker`: a new service crate, in the lock
//! file, and with `--deploy-to`, in environments' files and their generated files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use crate::cli::NewServiceArgs;
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::edit::{self, FileMode};
use crate::model::date::Date;
use crate::model::names::{EnvName, Slug};
use crate::model::services::{self, image_repository};
use crate::model::{ENVIRONMENT_FILE, ENVIRONMENTS_DIR, Platform, Template};
use crate::scaffold::NewFile;
use crate::scaffold::service::{BaseImages, FIRST_VERSION, Program, ServiceCrate};
use crate::terminal::say;

pub fn run(root: &Path, args: &NewServiceArgs, today: Date) -> anyhow::Result<ExitCode> {
    let name = args.name.as_str();
    Slug::parse(name)
        .and_then(|_| cargo_can_name(name))
        .map_err(|reason| {
            refuse(
                format!("invalid service name: {reason}"),
                "a service's name is a crate's name and a host name label (NAME.<zone>): lowercase letters, digits and single hyphens, starting with a letter, at most 63, such as `billing`",
            )
        })?;
    let port = port(args)?;

    let _lock = edit::Lock::repository(root)?;
    let mut tree = crate::repository::SourceTree::read(root)?;
    let mut declared = crate::repository::services::declared(root)?;
    let platform = tree.load(declared.clone())?;

    if let Some(dependency) = locked_dependency(root, name) {
        return Err(refuse(
            format!("`{name}` is the name of {dependency}, which the workspace depends on"),
            "choose another name: a workspace crate and a dependency of the same name make every `cargo -p` ambiguous",
        ));
    }
    let crate_dir = Path::new("crates").join(name);
    if declared.contains_key(name) || root.join(&crate_dir).exists() {
        return Err(refuse(
            format!(
                "a crate named `{name}` exists already ({})",
                crate_dir.display()
            ),
            "choose another name; new-service never overwrites a crate",
        ));
    }
    let image = image(args, &platform)?;
    let targets = targets(args, &platform)?;

    let files = ServiceCrate {
        name,
        template: args.template,
        port,
        image: &image,
        workspace_signal_hook: declares_signal_hook(root),
        base_images: &BaseImages::of(platform.pins.as_ref())?,
        program: Program::Starter,
    }
    .files()?;
    declared.insert(
        name.to_owned(),
        std::sync::Arc::new(super::declaration_of(name, &files)?),
    );
    let mut edited = Vec::new();
    for (dir, file) in &mut tree.environments {
        if targets.iter().any(|t| t.as_str() == dir.as_str()) {
            let text = edit::add_service(&file.text, name, FIRST_VERSION, &[])?;
            *file = SourceFile::new(&file.path, text.as_str());
            edited.push((
                Path::new(ENVIRONMENTS_DIR)
                    .join(&*dir)
                    .join(ENVIRONMENT_FILE),
                text,
            ));
        }
    }
    let resolved = tree.load(declared)?;
    crate::render::refuse_secrets(&resolved)?;
    super::refuse_new_findings(&platform, &resolved, today)?;
    let generated = super::generated_files(&resolved)?;

    if args.dry_run {
        say_would(args, &crate_dir, &files, &image, &edited)?;
        return Ok(ExitCode::SUCCESS);
    }
    let rendered = write(root, &crate_dir, &files, &edited, &generated)?;
    say_done(args, &crate_dir, &image, &edited, &rendered)?;
    Ok(ExitCode::SUCCESS)
}

/// Writes the crate whole, adds it to the lock file, and lands every environment edit
/// and generated file together; on a failure the crate and the lock file go back as they
/// were. What rendering said.
fn write(
    root: &Path,
    crate_dir: &Path,
    files: &[NewFile],
    edited: &[(PathBuf, String)],
    generated: &[crate::render::Generated],
) -> anyhow::Result<String> {
    let relative: Vec<(PathBuf, String)> = files
        .iter()
        .map(|f| {
            (
                f.path
                    .strip_prefix(crate_dir)
                    .unwrap_or(&f.path)
                    .to_path_buf(),
                String::from_utf8_lossy(&f.contents).into_owned(),
            )
        })
        .collect();
    let contents: Vec<(&str, &str)> = relative
        .iter()
        .map(|(path, text)| (path.to_str().unwrap_or_default(), text.as_str()))
        .collect();
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok();
    edit::create_dir_with_files(&root.join(crate_dir), &contents)?;
    let prepared = super::update_lock(root).and_then(|()| crate::render::prepare(root, generated));
    // Every environment edit and generated file is written beside its destination before
    // any is in place (rendering first: its plan takes a temporary file it finds for a
    // killed run's); on a failure the crate and the lock file go back as they were.
    let staged = prepared.and_then(|prepared| {
        let edits = edited
            .iter()
            .map(|(path, text)| edit::stage(root, path, text, FileMode::Kept, false))
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok((prepared, edits))
    });
    let (prepared, staged) = match staged {
        Ok(staged) => staged,
        Err(err) => {
            edit::remove_dir(&root.join(crate_dir))?;
            return Err(super::put_back(
                root,
                Path::new("Cargo.lock"),
                lock.as_deref(),
                err,
            ));
        }
    };
    for staged in staged {
        staged.commit()?;
    }
    prepared.commit()
}

fn say_would(
    args: &NewServiceArgs,
    crate_dir: &Path,
    files: &[NewFile],
    image: &str,
    edited: &[(PathBuf, String)],
) -> anyhow::Result<()> {
    let name = &args.name;
    say(format!(
        "would create {} (--dry-run: nothing written):",
        crate_dir.display()
    ))?;
    for file in files {
        say(format!("  {}", file.path.display()))?;
    }
    say(format!(
        "  image {image}, template {}",
        args.template.as_str()
    ))?;
    for (path, _) in edited {
        say(format!(
            "would add [services.{name}] version {FIRST_VERSION} to {}",
            path.display()
        ))?;
    }
    Ok(())
}

fn say_done(
    args: &NewServiceArgs,
    crate_dir: &Path,
    image: &str,
    edited: &[(PathBuf, String)],
    rendered: &str,
) -> anyhow::Result<()> {
    let name = &args.name;
    say(format!(
        "created {}: a {} service, image {image}",
        crate_dir.display(),
        args.template.as_str()
    ))?;
    for (path, _) in edited {
        say(format!(
            "  added [services.{name}] version {FIRST_VERSION} to {}",
            path.display()
        ))?;
    }
    say(rendered)?;
    say(format!(
        "next: cargo test -p {name}; deploy it to more environments by adding [services.{name}] to their environment.toml"
    ))?;
    Ok(())
}

/// The port of a web service: `--port`, else the template's; refused for a worker, and
/// below 1024.
fn port(args: &NewServiceArgs) -> anyhow::Result<Option<u16>> {
    Ok(match (args.template, args.port) {
        (Template::Worker, Some(_)) => {
            return Err(refuse(
                "--port is for web services: a worker has no port".to_owned(),
                "leave out --port, or use --template web for a service that serves HTTP",
            ));
        }
        (Template::Web, Some(port)) if port < 1024 => {
            return Err(refuse(
                format!(
                    "--port {port} cannot be served: the service runs as an unprivileged user, which may not listen below 1024"
                ),
                "the port the service listens on, from 1024 to 65535, such as 8080",
            ));
        }
        (Template::Web, port) => Some(port.unwrap_or(services::WEB_DEFAULT_PORT)),
        (Template::Worker, None) => None,
    })
}

/// The service's image: `--image`, else `<[images] registry>/NAME`.
fn image(args: &NewServiceArgs, platform: &Platform) -> anyhow::Result<String> {
    let name = &args.name;
    Ok(match (&args.image, &platform.image_registry) {
        (Some(image), _) => {
            image_repository(image).map_err(|reason| {
                refuse(
                    format!("invalid --image: {reason}"),
                    "the image's repository without a tag, such as `ghcr.io/example/billing`",
                )
            })?;
            image.clone()
        }
        (None, Some(registry)) => format!("{}/{name}", registry.value),
        (None, None) => {
            return Err(refuse(
                "no image for the service: --image is not given and platform.toml has no [images] registry".to_owned(),
                "pass --image REPOSITORY, or set `registry` under [images] in environments/platform.toml",
            ));
        }
    })
}

/// The environments of `--deploy-to`, each once; each must run a cluster.
fn targets(args: &NewServiceArgs, platform: &Platform) -> anyhow::Result<Vec<EnvName>> {
    let mut targets = Vec::new();
    for env in &args.deploy_to {
        let found = platform.find(env).map_err(|mut diagnostic| {
            diagnostic.message = format!("{} for --deploy-to", diagnostic.message);
            diagnostic.into_error()
        })?;
        if found.cluster.is_none() {
            return Err(refuse(
                format!("environment `{env}` runs no cluster to deploy to"),
                "deploy services to environments with a cluster, such as dev or staging",
            ));
        }
        if !targets.contains(&found.name) {
            targets.push(found.name.clone());
        }
    }
    Ok(targets)
}

fn refuse(message: String, help: &str) -> anyhow::Error {
    Diagnostic::new(message, Location::Nowhere)
        .with_help(help)
        .into_error()
}

/// Why cargo cannot name a package `name`, which is a DNS label already: it is too long
/// for a label, starts with a digit, or is a name cargo reserves (a keyword, a crate of
/// the standard library, a directory of its build output, a device name on Windows).
fn cargo_can_name(name: &str) -> Result<(), String> {
    const RESERVED: &[&str] = &[
        "abstract",
        "alignof",
        "as",
        "async",
        "await",
        "become",
        "box",
        "break",
        "const",
        "continue",
        "crate",
        "do",
        "dyn",
        "else",
        "enum",
        "extern",
        "false",
        "final",
        "fn",
        "for",
        "if",
        "impl",
        "in",
        "let",
        "loop",
        "macro",
        "match",
        "mod",
        "move",
        "mut",
        "offsetof",
        "override",
        "priv",
        "proc",
        "pub",
        "pure",
        "ref",
        "return",
        "self",
        "sizeof",
        "static",
        "struct",
        "super",
        "trait",
        "true",
        "try",
        "type",
        "typeof",
        "unsafe",
        "unsized",
        "use",
        "virtual",
        "where",
        "while",
        "yield",
        "alloc",
        "core",
        "proc-macro",
        "std",
        "test",
        "build",
        "deps",
        "examples",
        "incremental",
        "con",
        "prn",
        "aux",
        "nul",
        "com1",
        "com2",
        "com3",
        "com4",
        "com5",
        "com6",
        "com7",
        "com8",
        "com9",
        "lpt1",
        "lpt2",
        "lpt3",
        "lpt4",
        "lpt5",
        "lpt6",
        "lpt7",
        "lpt8",
        "lpt9",
    ];
    if name.len() > 63 {
        Err(format!(
            "`{name}` is {} characters: a host name label holds at most 63",
            name.len()
        ))
    } else if name.starts_with(|c: char| c.is_ascii_digit()) {
        Err(format!(
            "`{name}` starts with a digit, which cargo refuses for a package"
        ))
    } else if RESERVED.contains(&name) {
        Err(format!("`{name}` is a name cargo reserves"))
    } else {
        Ok(())
    }
}

/// The dependency of the workspace named `name`, said as what it is: one its root
/// manifest declares for members to inherit, or one in Cargo.lock (where only the
/// workspace's own crates have no `source`).
fn locked_dependency(root: &Path, name: &str) -> Option<String> {
    let read = |file: &str| -> Option<toml::Table> {
        toml::from_str(&std::fs::read_to_string(root.join(file)).ok()?).ok()
    };
    let inherited = read("Cargo.toml").is_some_and(|manifest| {
        manifest
            .get("workspace")
            .and_then(|w| w.get("dependencies"))
            .and_then(|d| d.get(name))
            .is_some()
    });
    if inherited {
        return Some(format!(
            "a dependency of [workspace.dependencies], `{name}`"
        ));
    }
    let lock = read("Cargo.lock")?;
    lock.get("package")?.as_array()?.iter().find_map(|package| {
        let package = package.as_table()?;
        let version = package
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("");
        (package.get("name")?.as_str()? == name && package.contains_key("source"))
            .then(|| format!("the crate {name} {version}"))
    })
}

/// Whether the workspace's root manifest declares `signal-hook` for its members to inherit.
fn declares_signal_hook(root: &Path) -> bool {
    std::fs::read_to_string(root.join("Cargo.toml"))
        .ok()
        .and_then(|text| text.parse::<toml_edit::DocumentMut>().ok())
        .is_some_and(|manifest| {
            manifest
                .get("workspace")
                .and_then(|w| w.get("dependencies"))
                .and_then(|d| d.get("signal-hook"))
                .is_some()
        })
}
