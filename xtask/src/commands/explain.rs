//! `cargo xtask explain RULE`: what a rule is for and why, like `rustc --explain`.

use std::process::ExitCode;

use crate::checks;
use crate::cli::ExplainArgs;
use crate::diagnostic::{Diagnostic, Location, help_valid};
use crate::rule::RuleId;
use crate::terminal;

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
        wrap(info.explanation, 88)
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

/// `text` wrapped at `width` columns.
fn wrap(text: &str, width: usize) -> String {
    let mut lines = vec![String::new()];
    for word in text.split_whitespace() {
        let line = lines.last_mut().expect("one line at least");
        if !line.is_empty() && line.len() + 1 + word.len() > width {
            lines.push(word.to_owned());
        } else {
            if !line.is_empty() {
                line.push(' ');
            }
            line.push_str(word);
        }
    }
    lines.join("\n")
}
