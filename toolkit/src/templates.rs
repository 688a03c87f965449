//! Handlebars, the toolkit's template engine, set up in one place: strict mode makes a
//! missing variable an error, and nothing is HTML-escaped, because none of the output is
//! HTML. The templates of the toolkit (the generated text files and the file `new-env`
//! writes, and the files of `new-repo` and `new-service`) are compiled each on its first
//! use; the naming patterns of `platform.toml` are compiled per platform by
//! `model::conventions`, with the same engine. Values that need quoting are quoted before
//! they reach a template.

use std::sync::{OnceLock, RwLock};

use handlebars::Handlebars;
use serde::Serialize;

/// The toolkit's templates, by name.
const TEMPLATES: [(&str, &str); 32] = [
    (
        "tfvars",
        include_str!("../templates/platform.auto.tfvars.hbs"),
    ),
    ("overview", include_str!("../templates/environments.md.hbs")),
    ("rules", include_str!("../templates/checks.md.hbs")),
    (
        "environment",
        include_str!("../templates/environment.toml.hbs"),
    ),
    (
        "repo-platform",
        include_str!("../templates/repo/platform.toml.hbs"),
    ),
    ("repo-dev", include_str!("../templates/repo/dev.toml.hbs")),
    (
        "repo-staging",
        include_str!("../templates/repo/staging.toml.hbs"),
    ),
    ("repo-prod", include_str!("../templates/repo/prod.toml.hbs")),
    ("repo-ci", include_str!("../templates/repo/ci.toml.hbs")),
    (
        "repo-observability",
        include_str!("../templates/repo/observability.toml.hbs"),
    ),
    (
        "repo-identity",
        include_str!("../templates/repo/identity.toml.hbs"),
    ),
    (
        "repo-readme",
        include_str!("../templates/repo/README.md.hbs"),
    ),
    (
        "repo-cargo",
        include_str!("../templates/repo/Cargo.toml.hbs"),
    ),
    (
        "repo-xtask",
        include_str!("../templates/repo/xtask.Cargo.toml.hbs"),
    ),
    (
        "history-0.1.0-containerfile",
        include_str!("../templates/history/0.1.0/Containerfile.hbs"),
    ),
    (
        "history-0.1.0-readme",
        include_str!("../templates/history/0.1.0/README.md.hbs"),
    ),
    (
        "service-manifest",
        include_str!("../templates/service/Cargo.toml.hbs"),
    ),
    (
        "service-web",
        include_str!("../templates/service/web.rs.hbs"),
    ),
    (
        "workflow-step-cache",
        include_str!("../templates/workflows/step-cache.yml.hbs"),
    ),
    (
        "workflow-steps-checks",
        include_str!("../templates/workflows/steps-checks.yml.hbs"),
    ),
    (
        "workflow-pull-request",
        include_str!("../templates/workflows/pull-request.yml.hbs"),
    ),
    (
        "workflow-main",
        include_str!("../templates/workflows/main.yml.hbs"),
    ),
    (
        "workflow-upgrade",
        include_str!("../templates/workflows/upgrade.yml.hbs"),
    ),
    (
        "workflow-promote",
        include_str!("../templates/workflows/promote.yml.hbs"),
    ),
    (
        "buildkite-pipeline",
        include_str!("../templates/buildkite/pipeline.yml.hbs"),
    ),
    (
        "buildkite-pull-request",
        include_str!("../templates/buildkite/pull-request.yml.hbs"),
    ),
    (
        "runners-containerfile",
        include_str!("../templates/runners/Containerfile.hbs"),
    ),
    (
        "runners-values",
        include_str!("../templates/runners/values.yaml.hbs"),
    ),
    (
        "buildkite-agents-containerfile",
        include_str!("../templates/runners/buildkite-Containerfile.hbs"),
    ),
    (
        "buildkite-agents-values",
        include_str!("../templates/runners/buildkite-values.yaml.hbs"),
    ),
    (
        "service-containerfile",
        include_str!("../templates/service/Containerfile.hbs"),
    ),
    (
        "service-readme",
        include_str!("../templates/service/README.md.hbs"),
    ),
];

/// A new repository's `.ci/run`: no variables.
pub const REPO_CI_RUN: &str = include_str!("../templates/repo/ci-run.sh");

/// A new worker service's `src/main.rs`: no variables.
pub const WORKER_MAIN: &str = include_str!("../templates/service/worker.rs");

/// The OTLP relay's `src/main.rs` (managed observability): no variables. The toolkit's
/// tests compile it and run its tests.
pub const RELAY_MAIN: &str = include_str!("../templates/relay/main.rs");

/// The program of the OpenObserve service (self-hosted observability): no variables. The
/// toolkit's tests compile it and run its tests.
pub const OPENOBSERVE_MAIN: &str = include_str!("../templates/openobserve/main.rs");

/// The program of the heartbeat (self-hosted observability): no variables. The toolkit's
/// tests compile it and run its tests.
pub const HEARTBEAT_MAIN: &str = include_str!("../templates/heartbeat/main.rs");

/// The JSON library the heartbeat reads OpenObserve's answers with, as its manifest names
/// it: the version the toolkit compiles (`[workspace.dependencies] serde_json`).
pub const HEARTBEAT_JSON: &str = r#"serde_json = "1.0.145""#;

/// The relay's one dependency, as its manifest names it: the version the toolkit's tests
/// compile it with (`[workspace.dependencies] ureq` of the toolkit's repository).
pub const RELAY_CLIENT: &str =
    r#"ureq = { version = "3.5.2", default-features = false, features = ["rustls"] }"#;

/// A template engine configured as every template of the toolkit needs it.
pub fn engine() -> Handlebars<'static> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    handlebars
}

/// The registry of the templates compiled so far. A template is compiled when it is first
/// filled, with the partials it names: a command pays for the templates it uses, and a
/// template's parse time grows with the square of its length in handlebars.
fn registry() -> &'static RwLock<Handlebars<'static>> {
    static REGISTRY: OnceLock<RwLock<Handlebars<'static>>> = OnceLock::new();
    REGISTRY.get_or_init(|| RwLock::new(engine()))
}

/// Compiles `name` and the partials it names, unless they are compiled already.
fn compile(name: &str) -> anyhow::Result<()> {
    if registry().read().is_ok_and(|r| r.has_template(name)) {
        return Ok(());
    }
    let mut registry = registry()
        .write()
        .map_err(|_| anyhow::anyhow!("a template failed to compile on another thread"))?;
    let mut wanted = vec![name.to_owned()];
    while let Some(name) = wanted.pop() {
        if registry.has_template(&name) {
            continue;
        }
        let (_, text) = TEMPLATES
            .iter()
            .find(|(known, _)| *known == name)
            .ok_or_else(|| anyhow::anyhow!("no template is named {name}"))?;
        registry
            .register_template_string(&name, text)
            .map_err(|err| anyhow::anyhow!("template {name} does not compile: {err}"))?;
        wanted.extend(partials(text).map(str::to_owned));
    }
    Ok(())
}

/// The names of the partials `text` includes (`{{> name ...}}`).
fn partials(text: &str) -> impl Iterator<Item = &str> {
    text.split("{{>").skip(1).filter_map(|rest| {
        rest.split(|c: char| c.is_whitespace() || c == '}')
            .find(|word| !word.is_empty())
    })
}

/// Fills one of `TEMPLATES` with `data`. The data comes from the validated model and the
/// templates are part of this program, so an error here is a bug; the tests fill every
/// template.
pub fn fill(name: &str, data: &impl Serialize) -> anyhow::Result<String> {
    compile(name)?;
    let registry = registry()
        .read()
        .map_err(|_| anyhow::anyhow!("a template failed to compile on another thread"))?;
    let mut filled = registry.render(name, data)?;
    // Handlebars writes into a buffer of 8 KiB at least; a render of thousands of small
    // files would otherwise hold that much for each until it ends.
    filled.shrink_to_fit();
    Ok(filled)
}

/// `text` wrapped at `width` columns, at its spaces: for a terminal, and for Markdown
/// paragraphs that linters hold to a line length.
pub fn wrap(text: &str, width: usize) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_with_the_partials_it_names() {
        for (name, text) in TEMPLATES {
            compile(name).unwrap();
            for partial in partials(text) {
                assert!(
                    registry().read().unwrap().has_template(partial),
                    "{name}: {partial}"
                );
            }
        }
    }

    #[test]
    fn partials_are_found_by_name_whatever_their_arguments() {
        let text = "a {{> one x=y}}\n{{>two}} {{ not }} {{> three }}";
        assert_eq!(partials(text).collect::<Vec<_>>(), ["one", "two", "three"]);
    }
}
