//! `cargo xtask check`: the topology's rules as named lints, each with a level that
//! `[checks]` in `platform.toml` can change, like clippy's. A finding says the rule, the
//! level, what is wrong, where (file, line, column, the line underlined), and how to fix
//! it. `cargo xtask explain RULE` says what a rule is for.
//!
//! `registry` lists the rules; `rules` implements those that read the resolved platform.
//! Problems found while loading (the files' schema, overlapping VPCs) become findings too.

pub mod registry;
mod rules;

use std::path::Path;
use std::process::ExitCode;

use annotate_snippets::Renderer;
use serde_json::json;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, help_valid};
use crate::model::date::Date;
use crate::model::files::Level;
use crate::model::{Platform, SourceTree};
use crate::secrets::redact;
use crate::{output, services};

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// rustc-style messages with the source line underlined
    Human,
    /// One JSON object per line, one per finding
    Json,
    /// GitHub Actions workflow annotations (::error file=...,line=...)
    Github,
}

/// One problem a rule found, at the level the rule has.
#[derive(Debug)]
pub struct Finding {
    pub level: Level,
    /// The problem, with its rule id in `rule`.
    pub diagnostic: Diagnostic,
}

pub fn run(root: &Path, format: Format, today: Date) -> anyhow::Result<ExitCode> {
    let Checked { findings, loaded } = check(root, today)?;
    match format {
        Format::Human => print_human(&findings)?,
        Format::Json => {
            for finding in &findings {
                output::print(&format!("{}\n", json_finding(finding)))?;
            }
        }
        Format::Github => {
            for finding in &findings {
                output::print(&format!("{}\n", github_finding(finding)))?;
            }
        }
    }
    // Files that cannot be loaded are bad input, as for every other command; a finding
    // at deny on files that load is a failed check.
    let deny = findings.iter().any(|f| f.level == Level::Deny);
    Ok(match (loaded, deny) {
        (false, _) => ExitCode::from(2),
        (true, true) => ExitCode::from(1),
        (true, false) => ExitCode::SUCCESS,
    })
}

/// What `check` found.
pub struct Checked {
    pub findings: Vec<Finding>,
    /// Whether the files loaded; when they did not, the findings say why, and no rule ran.
    pub loaded: bool,
}

/// Every finding of every rule on the repository at `root`, at its level, `allow`ed ones
/// left out, as on the day `today` (parity allowances expire). An error is a check that
/// could not run.
pub fn check(root: &Path, today: Date) -> anyhow::Result<Checked> {
    let tree = SourceTree::read(root)?;
    let loaded = services::declared(root).and_then(|services| Ok(tree.load(services)?));
    let platform = match loaded {
        Ok(platform) => platform,
        Err(err) => {
            // Problems in the files are findings of the rule that found them; anything
            // else means the check could not run.
            let diagnostics = err.downcast::<Diagnostics>()?;
            let findings = diagnostics
                .0
                .into_iter()
                .map(|mut diagnostic| {
                    diagnostic.rule.get_or_insert(registry::SCHEMA);
                    Finding {
                        level: Level::Deny,
                        diagnostic,
                    }
                })
                .collect();
            return Ok(Checked {
                findings,
                loaded: false,
            });
        }
    };
    Ok(Checked {
        findings: findings(&platform, today, Scope::Repository)?,
        loaded: true,
    })
}

/// What the rules look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// The resolved platform only: for a platform not yet written, as `new-env` makes.
    Model,
    /// The platform and the files in the repository, such as the generated ones.
    Repository,
}

/// Every finding of the rules in `scope` on `platform`, at its level, `allow`ed ones left
/// out, as on the day `today`.
pub fn findings(platform: &Platform, today: Date, scope: Scope) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for (id, check) in rules::CHECKS {
        let level = level(platform, id);
        if level == Level::Allow || (scope == Scope::Model && *id == registry::GENERATED_FRESH) {
            continue;
        }
        for diagnostic in check(platform, today)? {
            findings.push(Finding {
                level,
                diagnostic: diagnostic.with_rule(id),
            });
        }
    }
    Ok(findings)
}

/// A rule's level: from `[checks]`, else its default.
fn level(platform: &Platform, id: &str) -> Level {
    platform
        .checks
        .get(id)
        .map(|l| l.value)
        .unwrap_or_else(|| registry::rule(id).map_or(Level::Deny, |rule| rule.default))
}

fn print_human(findings: &[Finding]) -> std::io::Result<()> {
    let renderer = Renderer::styled();
    for finding in findings {
        let level = match finding.level {
            Level::Deny => annotate_snippets::Level::ERROR,
            _ => annotate_snippets::Level::WARNING,
        };
        output::say(format!(
            "{}\n",
            finding.diagnostic.render_as(&renderer, level)
        ))?;
    }
    let errors = findings.iter().filter(|f| f.level == Level::Deny).count();
    let warnings = findings.len() - errors;
    output::say(format!(
        "check: {errors} error{}, {warnings} warning{}{}",
        if errors == 1 { "" } else { "s" },
        if warnings == 1 { "" } else { "s" },
        if errors == 0 {
            "; the repository is sound"
        } else {
            ""
        }
    ))
}

/// File, line and column of a finding, when it has them.
fn position(location: &Location) -> (Option<String>, Option<usize>, Option<usize>) {
    match location {
        Location::Span(span) => {
            let (line, column) = span.file.line_column(span.range.start);
            (
                Some(span.file.path.display().to_string()),
                Some(line),
                Some(column),
            )
        }
        Location::Path(path) => (Some(path.display().to_string()), None, None),
        Location::Nowhere => (None, None, None),
    }
}

fn json_finding(finding: &Finding) -> serde_json::Value {
    let d = &finding.diagnostic;
    let (file, line, column) = position(&d.location);
    json!({
        "rule": d.rule,
        "level": finding.level.as_str(),
        "message": redact(&d.message),
        "file": file,
        "line": line,
        "column": column,
        "help": d.help.as_deref().map(redact),
    })
}

/// A GitHub Actions workflow command: `::error file=F,line=L,col=C,title=RULE::MESSAGE`.
fn github_finding(finding: &Finding) -> String {
    // The workflow command syntax: data escapes %, CR and LF; properties also : and ,.
    let data = |s: &str| {
        s.replace('%', "%25")
            .replace('\r', "%0D")
            .replace('\n', "%0A")
    };
    let property = |s: &str| data(s).replace(':', "%3A").replace(',', "%2C");
    let d = &finding.diagnostic;
    let command = if finding.level == Level::Deny {
        "error"
    } else {
        "warning"
    };
    let (file, line, column) = position(&d.location);
    let mut properties = Vec::new();
    if let Some(file) = file {
        properties.push(format!("file={}", property(&file)));
    }
    if let Some(line) = line {
        properties.push(format!("line={line}"));
    }
    if let Some(column) = column {
        properties.push(format!("col={column}"));
    }
    properties.push(format!(
        "title={}",
        property(d.rule.unwrap_or(registry::SCHEMA))
    ));
    let message = match &d.help {
        Some(help) => format!("{}\nhelp: {help}", d.message),
        None => d.message.clone(),
    };
    format!(
        "::{command} {}::{}",
        properties.join(","),
        data(&redact(&message))
    )
}

/// `cargo xtask explain RULE`.
pub fn explain(rule: &str) -> anyhow::Result<ExitCode> {
    let Some(info) = registry::rule(rule) else {
        return Err(
            Diagnostic::new(format!("unknown rule `{rule}`"), Location::Nowhere)
                .with_help(help_valid("rules", rule, &registry::ids()))
                .into_error(),
        );
    };
    let mut text = format!(
        "{}: {}\n\ndefault level: {}{}\n\n{}\n",
        info.id,
        info.summary,
        info.default,
        if info.adjustable {
            ""
        } else {
            " (cannot be changed)"
        },
        wrap(info.explanation, 88)
    );
    if info.adjustable {
        text.push_str(&format!(
            "\nTo change its level, in environments/platform.toml:\n\n[checks]\n{} = \"warn\"    # deny | warn | allow\n",
            info.id
        ));
    }
    output::print(&text)?;
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
