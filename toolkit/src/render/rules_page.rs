//! `docs/checks.md`: the rules of `cargo xtask check`, made from the rules' own docs so
//! that the page cannot fall behind the code. The caller passes them in: rendering knows
//! nothing of checks.

use std::path::PathBuf;

use serde::Serialize;

use super::{Generated, Sources, markdown_preamble};
use crate::rule::RuleDoc;
use crate::templates;

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
    explanation: String,
}

pub fn generate(rules: &[&RuleDoc]) -> anyhow::Result<Generated> {
    let data = Data {
        preamble: markdown_preamble(&Sources::Rules),
        rules: rules
            .iter()
            .map(|rule| Rule {
                id: rule.id.as_str(),
                level: rule.default.as_str(),
                adjustable: !rule.id.found_while_loading(),
                summary: rule.summary,
                explanation: templates::wrap(rule.explanation, super::MARKDOWN_WIDTH),
            })
            .collect(),
    };
    Ok(Generated {
        path: PathBuf::from("docs/checks.md"),
        contents: templates::fill("rules", &data)?,
    })
}
