//! The text templates of the generated files that are not structured data, compiled once.
//! Strict mode makes a missing variable an error; nothing is HTML-escaped, because none of
//! the output is HTML. Values that need quoting are quoted before they reach a template.

use std::sync::OnceLock;

use handlebars::Handlebars;
use serde::Serialize;

const TEMPLATES: [(&str, &str); 5] = [
    (
        "tfvars",
        include_str!("../../templates/platform.auto.tfvars.hbs"),
    ),
    ("deploy", include_str!("../../templates/deploy.sh.hbs")),
    ("readme", include_str!("../../templates/README.md.hbs")),
    (
        "overview",
        include_str!("../../templates/environments.md.hbs"),
    ),
    ("rules", include_str!("../../templates/checks.md.hbs")),
];

fn registry() -> anyhow::Result<&'static Handlebars<'static>> {
    static REGISTRY: OnceLock<Result<Handlebars<'static>, String>> = OnceLock::new();
    let registry = REGISTRY.get_or_init(|| {
        let mut handlebars = Handlebars::new();
        handlebars.set_strict_mode(true);
        handlebars.register_escape_fn(handlebars::no_escape);
        for (name, text) in TEMPLATES {
            handlebars
                .register_template_string(name, text)
                .map_err(|err| format!("template {name} does not compile: {err}"))?;
        }
        Ok(handlebars)
    });
    registry.as_ref().map_err(|err| anyhow::anyhow!("{err}"))
}

/// Renders one of `TEMPLATES`. The data comes from the validated model and the templates
/// are part of this program, so an error here is a bug; the tests render every template.
pub fn render(name: &str, data: &impl Serialize) -> anyhow::Result<String> {
    Ok(registry()?.render(name, data)?)
}
