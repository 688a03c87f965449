//! A service crate's declaration, `[package.metadata.platform]` of its manifest: read
//! from the manifest's text (`declaration`), or from the workspace record's copy of it
//! (`Declared`). Which crates declare one is the repository layer's to find.

use std::ops::Range;
use std::sync::Arc;

use crate::model::spanned::Spanned;
use serde::{Deserialize, Serialize};

use crate::diagnostic::{Diagnostic, Location, SourceFile, Span};
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

/// A valid service declaration: its values and where each is written in the manifest, so
/// that a command does not parse the manifest again while it is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declared {
    pub template: (Template, Range<usize>),
    pub image: (String, Range<usize>),
    /// The port as written; `None` when the manifest names none.
    pub port: Option<(u16, Range<usize>)>,
}

/// The declaration of package `name` in its manifest `text` (at `path`), as the workspace
/// record keeps it: `None` when it is not valid, or not all written in the manifest.
pub fn recorded(name: &str, path: &str, text: &str) -> Option<Declared> {
    let file = SourceFile::new(path, text);
    let decl = declaration(name, &file).ok()?;
    let written = |origin: &Origin| match origin {
        Origin::File(span) => Some(span.range.clone()),
        _ => None,
    };
    let port = match &decl.port {
        Some(port) => written(&port.origin).map(|range| (port.value, range)),
        None => None,
    };
    Some(Declared {
        template: (decl.template.value, written(&decl.template.origin)?),
        image: (decl.image.value.clone(), written(&decl.image.origin)?),
        port,
    })
}

/// The declaration a record kept, its values located in `file`: what [`declaration`]
/// makes of the same manifest.
pub fn from_record(file: &Arc<SourceFile>, declared: &Declared) -> ServiceDecl {
    let at = |range: &Range<usize>| {
        Origin::File(Span {
            file: file.clone(),
            range: range.clone(),
        })
    };
    let (template, template_range) = &declared.template;
    let (image, image_range) = &declared.image;
    ServiceDecl {
        template: Sourced::new(*template, at(template_range)),
        image: Sourced::new(image.clone(), at(image_range)),
        port: match (template, &declared.port) {
            (Template::Web, Some((port, range))) => Some(Sourced::new(*port, at(range))),
            (Template::Web, None) => Some(default_port()),
            (Template::Worker, _) => None,
        },
    }
}

/// A web service's port when its crate names none.
fn default_port() -> Sourced<u16> {
    Sourced::new(
        WEB_DEFAULT_PORT,
        Origin::Builtin("default: port = 8080, the web template's app.port"),
    )
}

pub fn declaration(package: &str, file: &Arc<SourceFile>) -> Result<ServiceDecl, Diagnostic> {
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
    if let Err(reason) = image_repository(declaration.image.get_ref()) {
        return Err(Diagnostic::at(
            Span {
                file: file.clone(),
                range: declaration.image.span(),
            },
            format!("{reason} in [package.metadata.platform]"),
        )
        .with_help("write the image's repository without a tag, such as \"ghcr.io/example/hello\"; each environment's version becomes its tag"));
    }
    let template = Sourced::written(file, declaration.template);
    let port = match (template.value, declaration.port) {
        (Template::Web, Some(port)) if *port.get_ref() < 1024 => {
            return Err(Diagnostic::at(
                Span {
                    file: file.clone(),
                    range: port.span(),
                },
                format!("port {} cannot be served in [package.metadata.platform]: the image runs as an unprivileged user, which may not listen below 1024", port.get_ref()),
            )
            .with_help("write the port the service listens on, from 1024 to 65535, such as 8080"));
        }
        (Template::Web, Some(port)) => Some(Sourced::written(file, port)),
        (Template::Web, None) => Some(default_port()),
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

/// Checks an image repository as the OCI distribution spec names them: an optional
/// registry host (with a port), then lowercase path components separated by `/`. No tag
/// and no digest: each environment's version is the tag.
pub fn image_repository(image: &str) -> Result<(), String> {
    if image.contains('@') {
        return Err(format!("image `{image}` has a digest"));
    }
    let mut parts: Vec<&str> = image.split('/').collect();
    let first = parts[0];
    if parts.len() > 1 && (first.contains('.') || first.contains(':') || first == "localhost") {
        let (host, port) = first.split_once(':').unwrap_or((first, "0"));
        let host_ok = host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
        if !host_ok || port.parse::<u16>().is_err() {
            return Err(format!("image `{image}` has an invalid registry `{first}`"));
        }
        parts.remove(0);
    }
    if let Some((_, tag)) = parts.last().and_then(|last| last.split_once(':')) {
        return Err(format!("image `{image}` already has the tag `{tag}`"));
    }
    if let Some(component) = parts.iter().find(|c| !repository_component(c)) {
        return Err(format!(
            "image `{image}` has `{component}`, not an OCI repository name: lowercase letters and digits, joined by `.`, `_`, `__` or dashes"
        ));
    }
    Ok(())
}

/// One path component of a repository: `[a-z0-9]+((\.|_|__|-+)[a-z0-9]+)*`.
fn repository_component(component: &str) -> bool {
    let alphanumeric = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    if !component.starts_with(alphanumeric) || !component.ends_with(alphanumeric) {
        return false;
    }
    component
        .split(alphanumeric)
        .filter(|separator| !separator.is_empty())
        .all(|separator| {
            matches!(separator, "." | "_" | "__") || separator.chars().all(|c| c == '-')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_oci_repositories_without_a_tag() {
        for good in [
            "ghcr.io/example/hello",
            "localhost:5000/hello",
            "acme/hello-world",
            "registry.example.com/a__b/c.d/e--f",
        ] {
            assert_eq!(image_repository(good), Ok(()), "{good}");
        }
        for (bad, why) in [
            ("ghcr.io/example/hello:1.0", "already has the tag `1.0`"),
            ("ghcr.io/Example/hello", "has `Example`"),
            ("ghcr.io/example/hello@sha256:abc", "has a digest"),
            ("ghcr.io/example/-hello", "has `-hello`"),
            ("ghcr.io/example/a..b", "has `a..b`"),
            ("ghcr.io:x/acme", "invalid registry"),
        ] {
            let err = image_repository(bad).unwrap_err();
            assert!(err.contains(why), "{bad}: {err}");
        }
    }
}
