//! `docs/checks.md`: the rules of `cargo xtask check`, made from the rule registry so that
//! the page cannot fall behind the code.

use std::path::PathBuf;

use serde::Serialize;

use super::{Generated, Sources, preamble, templates};
use crate::checks::registry::RULES;

#[derive(Serialize)]
struct Data {
    preamble: String,
    rules: Vec<Rule>,
}

#[derive(Serialize)]
struct Rule {
    id: &'static str,
    level: &'static str,
    adjustable: bool,
    summary: &'static str,
    explanation: &'static str,
}

pub fn generate() -> anyhow::Result<Generated> {
    let data = Data {
        preamble: preamble(&Sources::Rules).join(" "),
        rules: RULES
            .iter()
            .map(|rule| Rule {
                id: rule.id,
                level: rule.default.as_str(),
                adjustable: rule.adjustable,
                summary: rule.summary,
                explanation: rule.explanation,
            })
            .collect(),
    };
    Ok(Generated {
        path: PathBuf::from("docs/checks.md"),
        contents: templates::render("rules", &data)?,
    })
}
