//! What a new environment changes in `platform.toml`: a disaster-recovery twin joins the
//! `[parity]` candidates of the production it stands in for, and the first staging
//! environment gets a `[parity]` of its own.

use super::toml;
use crate::edit;
use crate::model::{Platform, Stage};

/// platform.toml with `twin` among the [parity] candidates, when [parity] names `primary`
/// as its reference; `None` otherwise (then `check` says what to add).
pub(super) fn with_candidate(
    platform: &Platform,
    primary: &str,
    twin: &str,
) -> anyhow::Result<Option<String>> {
    let Some(parity) = &platform.parity else {
        return Ok(None);
    };
    if parity.reference.value.as_str() != primary {
        return Ok(None);
    }
    let candidates: Vec<String> = parity
        .candidates
        .iter()
        .map(|c| toml(c.value.as_str()))
        .chain([toml(twin)])
        .collect();
    edit::replace_value(
        &platform.file.text,
        &["parity", "candidates"],
        &format!("[{}]", candidates.join(", ")),
    )
}

/// platform.toml with the first staging environment, `name`, held to production: a new
/// [parity] when there is none and one production environment (the smallest shape
/// growing); `None` otherwise (a [parity] already says what production is compared with).
pub(super) fn held_to_production(
    platform: &Platform,
    name: &str,
) -> anyhow::Result<Option<String>> {
    if platform.parity.is_some() {
        return Ok(None);
    }
    let mut production = platform
        .of_stage(Stage::Production)
        .filter(|env| env.dr_of.is_none());
    let (Some(reference), None) = (production.next(), production.next()) else {
        return Ok(None);
    };
    let mut text = platform.file.text.to_string();
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(&format!(
        "\n# Staging must match production wherever correctness depends on it (`cargo xtask parity`,\n# `cargo xtask diff {name} {reference}`); each exception, in a [[parity.allow]], says why.\n[parity]\nreference = {}\ncandidates = [{}]\n",
        toml(reference.name.as_str()),
        toml(name),
        reference = reference.name,
    ));
    Ok(Some(text))
}
