//! Which services can be deployed: the workspace's crates that declare themselves in
//! `[package.metadata.platform]`, read through `cargo metadata`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context as _;
use serde::Deserialize;
use serde_spanned::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span, display_path};
use crate::model::names::Slug;
use crate::model::{Origin, ServiceDecl, Sourced, Template};

/// `[package.metadata.platform]` of a service crate.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Declaration {
    template: Spanned<Template>,
    image: Spanned<String>,
    port: Option<Spanned<u16>>,
}

/// The port Podplane's `web` template expects the app on when `app.port` is not set.
pub const WEB_DEFAULT_PORT: u16 = 8080;

/// The parts of a manifest that lead to the declaration; everything else is cargo's.
#[derive(Deserialize)]
struct Manifest {
    package: Package,
}

#[derive(Deserialize)]
struct Package {
    metadata: Metadata,
}

#[derive(Deserialize)]
struct Metadata {
    platform: Declaration,
}

/// The services declared by the workspace at `root`, by name (the package name).
///
/// `cargo metadata` says which packages are in the workspace and which declare a service;
/// the declaration itself is read from the manifest, so that its values keep their spans.
pub fn declared(root: &Path) -> anyhow::Result<BTreeMap<String, Arc<ServiceDecl>>> {
    let metadata = cargo_metadata::MetadataCommand::new()
        .manifest_path(root.join("Cargo.toml"))
        .current_dir(root)
        .no_deps()
        .exec()
        .context("running `cargo metadata` to find the service crates")?;
    let mut services = BTreeMap::new();
    let mut problems = Diagnostics::default();
    for package in metadata.workspace_packages() {
        if package.metadata.get("platform").is_none() {
            continue;
        }
        let path = package.manifest_path.as_std_path();
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file = SourceFile::new(display_path(root, path), text);
        match declaration(&package.name, &file) {
            Ok(decl) => {
                services.insert(package.name.to_string(), Arc::new(decl));
            }
            Err(diagnostic) => problems.push(diagnostic),
        }
    }
    Ok(problems.into_result(services)?)
}

fn declaration(package: &str, file: &Arc<SourceFile>) -> Result<ServiceDecl, Diagnostic> {
    if let Err(reason) = Slug::parse(package) {
        return Err(Diagnostic::new(
            format!("crate `{package}` cannot be a service: its name becomes a host name label, and {reason}"),
            Location::Path(file.path.clone()),
        )
        .with_help("rename the package: lowercase letters, digits and single hyphens"));
    }
    let manifest: Manifest = crate::model::parse_file(file).map_err(|mut diagnostic| {
        diagnostic.message = format!("{} in [package.metadata.platform]", diagnostic.message);
        diagnostic
    })?;
    let declaration = manifest.package.metadata.platform;
    let template = Sourced::written(file, declaration.template);
    let port = match (template.value, declaration.port) {
        (Template::Web, Some(port)) if *port.get_ref() == 0 => {
            return Err(Diagnostic::at(
                Span {
                    file: file.clone(),
                    range: port.span(),
                },
                "port 0 cannot be served in [package.metadata.platform]",
            )
            .with_help("write the port the service listens on, from 1 to 65535"));
        }
        (Template::Web, Some(port)) => Some(Sourced::written(file, port)),
        (Template::Web, None) => Some(Sourced::new(
            WEB_DEFAULT_PORT,
            Origin::Builtin("default: port = 8080, the web template's app.port"),
        )),
        (Template::Worker, Some(port)) => {
            return Err(Diagnostic::at(
                Span {
                    file: file.clone(),
                    range: port.span(),
                },
                "a worker has no port in [package.metadata.platform]",
            )
            .with_label("Podplane's worker template runs no Service and takes no traffic")
            .with_help(
                "remove `port`, or declare `template = \"web\"` for a service that serves HTTP",
            ));
        }
        (Template::Worker, None) => None,
    };
    Ok(ServiceDecl {
        template,
        image: Sourced::written(file, declaration.image),
        port,
    })
}
