//! 0.2.0: a service's Containerfile cross-compiles for each platform and starts from base
//! images by digest (`check`'s `base-images-pinned` holds it to that). A Containerfile
//! that is still exactly what `new-service` of 0.1.0 wrote for its crate is replaced with
//! what it writes now, with the base images of the repository's pins, and its service
//! needs a new version (a changed Containerfile is a changed image); one that was edited
//! is the repository's own, and stays, with a note.

use std::path::Path;

use super::{Migration, Tree};
use crate::scaffold::service::{BaseImages, containerfile, containerfile_0_1_0};
use crate::scaffold::toolkit::PINS_PATH;

pub const MIGRATION: Migration = Migration {
    name: "containerfiles-pinned",
    version: "0.2.0",
    summary: "each service Containerfile that 0.1.0 wrote and nobody edited is replaced with one that cross-compiles and names its base images by digest",
    run,
};

fn run(tree: &mut Tree) -> anyhow::Result<()> {
    let pins = tree.read_text(Path::new(PINS_PATH))?.unwrap_or_default();
    let base_images = match BaseImages::in_pins(&pins) {
        Some(images) => images,
        None => BaseImages::toolkit()?,
    };
    for manifest in tree.crate_manifests()? {
        let Some((name, image)) = service(&tree.read_text(&manifest)?.unwrap_or_default()) else {
            continue;
        };
        let path = manifest.with_file_name("Containerfile");
        let Some(current) = tree.read_text(&path)? else {
            continue;
        };
        if current == containerfile_0_1_0(&name, &image)? {
            let new = containerfile(&name, &image, &base_images)?;
            tree.write(&path, new.into_bytes(), false);
            tree.note(format!(
                "replaced {}: a changed Containerfile is a changed image, built under a new version: `cargo xtask bump {name}` (check's service-version-bumped asks for it)",
                path.display()
            ));
        } else {
            tree.note(format!(
                "kept {}: it was edited since new-service wrote it; `cargo xtask check` (base-images-pinned) says which of its base images need a digest",
                path.display()
            ));
        }
    }
    Ok(())
}

/// A service crate's name and image, from its manifest's `[package]` and
/// `[package.metadata.platform]`.
fn service(manifest: &str) -> Option<(String, String)> {
    let doc: toml::Table = toml::from_str(manifest).ok()?;
    let package = doc.get("package")?;
    let name = package.get("name")?.as_str()?;
    let image = package
        .get("metadata")?
        .get("platform")?
        .get("image")?
        .as_str()?;
    Some((name.to_owned(), image.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::service;

    #[test]
    fn a_service_is_named_by_its_manifest() {
        let manifest = "[package]\nname = \"hello\"\n\n[package.metadata.platform]\ntemplate = \"web\"\nimage = \"ghcr.io/globex/hello\"\n";
        assert_eq!(
            service(manifest),
            Some(("hello".to_owned(), "ghcr.io/globex/hello".to_owned()))
        );
        assert_eq!(service("[package]\nname = \"lib\"\n"), None);
    }
}
