//! What a repository records of the toolkit it is made with: `toolkit.toml`, or a 0.1.0
//! repository's `toolkit-provenance.toml` and the answers read back from its files; and
//! the check every command makes of the recorded version.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::Context as _;

use crate::diagnostic::{Diagnostic, Location};
use crate::migrations;
use crate::scaffold::record::Record;
use crate::scaffold::repo::Spec;
use crate::scaffold::toolkit::{PROVENANCE_FILE, RECORD_FILE, Source, VERSION};

/// What a repository records of the toolkit it is made with.
pub struct Recorded {
    /// The toolkit version whose formats its files are in.
    pub version: String,
    pub answers: Spec,
    /// The scaffold files' hashes as last written (0.2.0 on).
    pub scaffold: BTreeMap<String, String>,
    /// A 0.1.0 repository's toolkit files' hashes, by path.
    pub provenance: BTreeMap<String, String>,
    /// The pin the scaffold files were last written with (0.2.0 on).
    pub pin: Option<Source>,
}

/// The record of the toolkit in `toolkit.toml`, or in a 0.1.0 repository's
/// `toolkit-provenance.toml`.
pub fn recorded(root: &Path) -> anyhow::Result<Recorded> {
    if let Some(record) = read_record(root)? {
        return Ok(Recorded {
            pin: Source::parse(&record.pin).ok(),
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
        pin: None,
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
            "upgrade it with this toolkit: `cargo xtask -C {} upgrade --to git:URL@REV` from the toolkit's repository (or --to path:DIR)",
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
        // 0.1.0 made the mature shape only.
        shape: crate::model::Shape::Mature,
        domain: text(&platform, &["domain"])
            .context("environments/platform.toml has no `domain`")?,
        name: text(&platform, &["name"]),
        region: text(&platform, &["defaults", "region"]).unwrap_or_else(|| "eu-west-1".to_owned()),
        registry: text(&platform, &["images", "registry"]),
        github: text(&platform, &["github", "repository"])
            .unwrap_or_else(|| format!("{org}/platform")),
        // 0.1.0 wrote GitHub Actions' workflows only.
        ci: crate::model::CiProvider::Github,
        buildkite: None,
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
