//! 0.2.0: the workspace keeps the licence its crates inherit. A 0.1.0 workspace manifest
//! was the toolkit's, with the toolkit's licence (`MIT OR Apache-2.0`) for every crate to
//! inherit, and `new-service` wrote `license.workspace = true`. From 0.2.0 the workspace
//! manifest is the organisation's and names no licence, which is the organisation's to
//! choose; but a crate that inherits one it no longer defines does not build. Where crates
//! inherit it, the licence stays in `[workspace.package]`, said to be the old default, so
//! that no crate's manifest, nor what its build reads, changes.

use super::{Migration, Tree};

pub const MIGRATION: Migration = Migration {
    name: "licence-kept",
    version: "0.2.0",
    summary: "the workspace keeps the licence its crates inherit, which the new workspace manifest no longer names",
    run,
};

/// The licence of the 0.1.0 workspace manifest.
const OLD_LICENCE: &str = "MIT OR Apache-2.0";

fn run(tree: &mut Tree) -> anyhow::Result<()> {
    let mut inheriting = Vec::new();
    for manifest in tree.crate_manifests()? {
        let text = tree.read_text(&manifest)?.unwrap_or_default();
        if inherits_licence(&text) {
            inheriting.push(manifest.parent().unwrap_or(&manifest).display().to_string());
        }
    }
    if inheriting.is_empty() {
        return Ok(());
    }
    let workspace = tree.read_text("Cargo.toml".as_ref())?.unwrap_or_default();
    if let Some(edited) = with_licence(&workspace, &inheriting)? {
        tree.note(format!(
            "Cargo.toml: `license = \"{OLD_LICENCE}\"` kept in [workspace.package], which {} inherit",
            inheriting.join(", ")
        ));
        tree.write("Cargo.toml".as_ref(), edited.into_bytes(), false);
    }
    Ok(())
}

/// Whether a crate manifest has `license.workspace = true`.
fn inherits_licence(manifest: &str) -> bool {
    toml::from_str::<toml::Table>(manifest)
        .ok()
        .and_then(|doc| {
            doc.get("package")?
                .get("license")?
                .get("workspace")?
                .as_bool()
        })
        == Some(true)
}

/// The workspace manifest with the old licence in `[workspace.package]`, or `None` when it
/// names one already (or has no such table to put it in).
fn with_licence(workspace: &str, inheriting: &[String]) -> anyhow::Result<Option<String>> {
    let comment = format!(
        "The licence the toolkit's 0.1.0 workspace gave every crate, which {} inherit:",
        inheriting.join(", ")
    );
    crate::edit::add_key(
        workspace,
        &["workspace", "package"],
        "license",
        &OLD_LICENCE.into(),
        &[&comment, "it is yours to choose."],
    )
}

#[cfg(test)]
mod tests {
    use super::{inherits_licence, with_licence};

    #[test]
    fn the_licence_goes_into_the_workspace_and_every_other_byte_stays() {
        let workspace = "[workspace]\r\nmembers = [\"xtask\", \"crates/*\"]\r\n\r\n[workspace.package]\r\nedition = \"2024\"   # ours\r\npublish = false\r\n\r\n[profile.dev]\r\ndebug = false\r\n";
        let edited = with_licence(workspace, &["crates/hello".to_owned()])
            .unwrap()
            .unwrap();
        assert_eq!(
            edited,
            "[workspace]\r\nmembers = [\"xtask\", \"crates/*\"]\r\n\r\n[workspace.package]\r\nedition = \"2024\"   # ours\r\npublish = false\r\n# The licence the toolkit's 0.1.0 workspace gave every crate, which crates/hello inherit:\r\n# it is yours to choose.\r\nlicense = \"MIT OR Apache-2.0\"\r\n\r\n[profile.dev]\r\ndebug = false\r\n"
        );
        assert_eq!(
            with_licence(&edited, &["crates/hello".to_owned()]).unwrap(),
            None
        );
    }

    #[test]
    fn only_an_inherited_licence_counts() {
        assert!(inherits_licence(
            "[package]\nname = \"a\"\nlicense.workspace = true\n"
        ));
        assert!(!inherits_licence(
            "[package]\nname = \"a\"\nlicense = \"Proprietary\"\n"
        ));
        assert!(!inherits_licence("[package]\nname = \"a\"\n"));
    }
}
