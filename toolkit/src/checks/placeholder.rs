//! `placeholder`: no value is still a placeholder that `new-repo` wrote.

use std::ops::Range;
use std::sync::Arc;

use toml_edit::{Item, Value};

use crate::diagnostic::{Diagnostic, SourceFile, Span};
use crate::model::Platform;
use crate::model::names::is_placeholder;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::Placeholder,
        default: RuleLevel::Warn,
        summary: "no value is still a placeholder that `new-repo` wrote",
        explanation: "`cargo xtask new-repo` cannot know some values of a new organisation: its \
cloud account ids, its team members, the digest of the Podplane seed it starts clusters from. \
It writes a placeholder in their place, a slug in angle brackets such as \
`<production-account-id>`, so that the new repository loads, renders and passes `check` at once \
and still says what is left to fill in. Each finding names the key and what belongs there. A \
placeholder renders as itself, which no cloud accepts as an account or an email, and a seed \
digest placeholder renders as zeros, which no seed file matches: nothing can be created from a \
placeholder by mistake. Set this rule to `deny` in `[checks]` once every value is filled in, \
so that none comes back.",
    },
    check,
};

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let files: Vec<&Arc<SourceFile>> = std::iter::once(&platform.file)
        .chain(platform.environments.values().map(|env| &env.file))
        .collect();
    Ok(crate::parallel::map(files, in_file)
        .into_iter()
        .flatten()
        .collect())
}

fn in_file(file: &Arc<SourceFile>) -> Vec<Diagnostic> {
    // A placeholder starts with `<`, written as it is or as an escape: a file with neither
    // has none, and is not parsed again.
    if memchr::memchr2(b'<', b'\\', file.text.as_bytes()).is_none() {
        return Vec::new();
    }
    // The loader parsed every file already; one that no longer parses has nothing
    // resolved from it to check.
    let Ok(document) = toml_edit::Document::parse(file.text.as_str()) else {
        return Vec::new();
    };
    let mut placeholders = Vec::new();
    walk(document.as_item(), &mut Vec::new(), &mut placeholders);
    placeholders
        .into_iter()
        .map(|(path, text, range)| {
            let span = Span {
                file: Arc::clone(file),
                range,
            };
            Diagnostic::at(span, format!("`{path}` is still the placeholder `{text}`"))
                .with_label("fill this in")
                .with_help(what_belongs(&path))
        })
        .collect()
}

/// Every placeholder string under `item`, with its dotted key path and its span.
fn walk(item: &Item, path: &mut Vec<String>, found: &mut Vec<(String, String, Range<usize>)>) {
    match item {
        Item::Value(value) => walk_value(value, path, found),
        Item::Table(table) => {
            for (key, item) in table.iter() {
                path.push(key.to_owned());
                walk(item, path, found);
                path.pop();
            }
        }
        Item::ArrayOfTables(tables) => {
            for table in tables.iter() {
                for (key, item) in table.iter() {
                    path.push(key.to_owned());
                    walk(item, path, found);
                    path.pop();
                }
            }
        }
        Item::None => {}
    }
}

fn walk_value(
    value: &Value,
    path: &mut Vec<String>,
    found: &mut Vec<(String, String, Range<usize>)>,
) {
    match value {
        Value::String(text) if is_placeholder(text.value()) => {
            if let Some(range) = value.span() {
                found.push((path.join("."), text.value().clone(), range));
            }
        }
        Value::Array(array) => {
            for value in array.iter() {
                walk_value(value, path, found);
            }
        }
        Value::InlineTable(table) => {
            for (key, value) in table.iter() {
                path.push(key.to_owned());
                walk_value(value, path, found);
                path.pop();
            }
        }
        _ => {}
    }
}

/// What belongs in place of the placeholder at `path`.
fn what_belongs(path: &str) -> String {
    let key = path.rsplit('.').next().unwrap_or(path);
    match key {
        "account" => "put the 12-digit AWS account id this environment runs in; environments that share one (dev, staging, ci) share the id, production's is its own".to_owned(),
        "seed_digest" => "put the `sha512:` digest of `seed_version` from Podplane's seeds manifest (the podplane/seeds release of that version)".to_owned(),
        "email" => "put the email address the ACME account registers, for certificate expiry notices; until then the clusters get self-signed certificates, since Podplane refuses an ACME account without an email".to_owned(),
        "owner_id" | "repository_id" => "put the number `gh api repos/OWNER/NAME --jq '.owner.id, .id'` prints for the repository in `[github]`: until then no token of its deploy jobs matches a trust binding, and CI cannot log in to a cluster".to_owned(),
        "organization_id" | "pipeline_id" => "put the UUID Buildkite's REST API gives as `id` for the organisation (GET /v2/organizations/ORGANIZATION) or the deploy pipeline (GET /v2/organizations/ORGANIZATION/pipelines/PIPELINE) in `[buildkite]`: until then no token of its deploy steps matches a trust binding, and CI cannot log in to a cluster".to_owned(),
        _ if path.starts_with("teams.") => "put the email of a team member, as the OIDC issuer puts it in tokens; a team may list several".to_owned(),
        _ => format!("replace it with the real value of `{path}` (docs/environments-reference.md)"),
    }
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn a_placeholder_is_found_at_its_value() {
        let platform = Org::new()
            .edit(
                "prod",
                "account = \"444455556666\"",
                "account = \"<production-account-id>\"",
            )
            .platform();
        assert_eq!(
            findings(&RULE, &platform, &context()),
            [
                "environments/prod/environment.toml:6:11: `account` is still the placeholder `<production-account-id>`"
            ]
        );
    }
}
