//! `cargo xtask explain RULE`: what a rule is for and why, like `rustc --explain`.

use std::process::ExitCode;

use crate::checks;
use crate::cli::{ExplainArgs, ReportFormat};
use crate::diagnostic::{Diagnostic, Location, help_valid};
use crate::rule::RuleId;
use crate::{templates, terminal};

/// `cargo xtask explain RULE`.
pub fn run(args: &ExplainArgs) -> anyhow::Result<ExitCode> {
    let rule = args.rule.as_str();
    let Some(info) = RuleId::parse(rule).map(checks::doc) else {
        return Err(
            Diagnostic::new(format!("unknown rule `{rule}`"), Location::Nowhere)
                .with_help(help_valid("rules", rule, &RuleId::names()))
                .into_error(),
        );
    };
    if args.format == ReportFormat::Json {
        let explained = Explained {
            id: info.id.as_str(),
            summary: info.summary,
            default: info.default.as_str(),
            configurable: !info.id.found_while_loading(),
            explanation: info.explanation,
        };
        terminal::print_json(&explained)?;
        return Ok(ExitCode::SUCCESS);
    }
    let mut text = format!(
        "{}: {}\n\ndefault level: {}{}\n\n{}\n",
        info.id,
        info.summary,
        info.default,
        if info.id.found_while_loading() {
            " (cannot be changed)"
        } else {
            ""
        },
        templates::wrap(info.explanation, 88)
    );
    if !info.id.found_while_loading() {
        text.push_str(&format!(
            "\nTo change its level, in environments/platform.toml:\n\n[checks]\n{} = \"warn\"    # deny | warn | allow\n",
            info.id
        ));
    }
    terminal::print(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// `explain --format json` (docs/json-output.md).
#[derive(serde::Serialize)]
struct Explained {
    id: &'static str,
    summary: &'static str,
    /// `deny`, `warn` or `allow`.
    default: &'static str,
    /// Whether `[checks]` can change its level (a rule found while loading cannot).
    configurable: bool,
    explanation: &'static str,
}
