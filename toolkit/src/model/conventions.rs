//! The naming conventions: handlebars patterns that turn an environment's few facts into
//! its names (cluster id, zone, host names, issuer, OTLP endpoint, secret ARNs).
//!
//! Each pattern has a default and may be replaced in `[naming]` of `platform.toml`. Patterns
//! run in strict mode, so one that names an unknown variable is refused when the platform
//! loads, before any environment uses it.

use std::sync::Arc;

use crate::model::spanned::Spanned;
use handlebars::{Context, Handlebars, RenderError, RenderErrorReason, TemplateError};
use serde_json::{Map, Value};

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, Span};
use crate::model::files::NamingFile;
use crate::model::{Origin, Sourced};

/// One naming convention.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pattern {
    ClusterId,
    ClusterName,
    Zone,
    ApiHost,
    RegistryHost,
    ServiceHost,
    Issuer,
    OtlpEndpoint,
    ConnectorSecretArn,
    SigningKeySecretArn,
    EncryptionKeySecretArn,
}

/// Variables every pattern may use.
const ENV_VARIABLES: &[&str] = &[
    "org",
    "name",
    "domain",
    "env",
    "stage",
    "stage_title",
    "region",
    "account",
];

impl Pattern {
    pub const ALL: [Pattern; 11] = [
        Pattern::ClusterId,
        Pattern::ClusterName,
        Pattern::Zone,
        Pattern::ApiHost,
        Pattern::RegistryHost,
        Pattern::ServiceHost,
        Pattern::Issuer,
        Pattern::OtlpEndpoint,
        Pattern::ConnectorSecretArn,
        Pattern::SigningKeySecretArn,
        Pattern::EncryptionKeySecretArn,
    ];

    /// The key in `[naming]`.
    pub fn key(self) -> &'static str {
        match self {
            Pattern::ClusterId => "cluster_id",
            Pattern::ClusterName => "cluster_name",
            Pattern::Zone => "zone",
            Pattern::ApiHost => "api_host",
            Pattern::RegistryHost => "registry_host",
            Pattern::ServiceHost => "service_host",
            Pattern::Issuer => "issuer",
            Pattern::OtlpEndpoint => "otlp_endpoint",
            Pattern::ConnectorSecretArn => "connector_secret_arn",
            Pattern::SigningKeySecretArn => "signing_key_secret_arn",
            Pattern::EncryptionKeySecretArn => "encryption_key_secret_arn",
        }
    }

    pub fn default_pattern(self) -> &'static str {
        match self {
            Pattern::ClusterId => "{{org}}-{{env}}",
            Pattern::ClusterName => "{{name}} {{stage_title}}",
            Pattern::Zone => "{{env}}.{{domain}}",
            Pattern::ApiHost => "k8s.{{zone}}",
            Pattern::RegistryHost => "registry.{{zone}}",
            Pattern::ServiceHost => "{{service}}.{{zone}}",
            Pattern::Issuer => "https://auth.{{domain}}",
            Pattern::OtlpEndpoint => "https://otlp.{{observability_zone}}/{{env}}/v1/logs",
            Pattern::ConnectorSecretArn => {
                "arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-connector"
            }
            Pattern::SigningKeySecretArn => {
                "arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-signing-key"
            }
            Pattern::EncryptionKeySecretArn => {
                "arn:aws:secretsmanager:{{region}}:{{account}}:secret:{{org}}-oidc-encryption-key"
            }
        }
    }

    /// The variables this pattern may use beyond `ENV_VARIABLES`: a pattern sees the
    /// names made before it.
    fn extra_variables(self) -> &'static [&'static str] {
        match self {
            Pattern::ApiHost | Pattern::RegistryHost => &["zone"],
            Pattern::ServiceHost => &["zone", "service"],
            Pattern::OtlpEndpoint => &["observability_zone"],
            _ => &[],
        }
    }

    fn written_in(self, naming: &NamingFile) -> Option<&Spanned<String>> {
        match self {
            Pattern::ClusterId => naming.cluster_id.as_ref(),
            Pattern::ClusterName => naming.cluster_name.as_ref(),
            Pattern::Zone => naming.zone.as_ref(),
            Pattern::ApiHost => naming.api_host.as_ref(),
            Pattern::RegistryHost => naming.registry_host.as_ref(),
            Pattern::ServiceHost => naming.service_host.as_ref(),
            Pattern::Issuer => naming.issuer.as_ref(),
            Pattern::OtlpEndpoint => naming.otlp_endpoint.as_ref(),
            Pattern::ConnectorSecretArn => naming.connector_secret_arn.as_ref(),
            Pattern::SigningKeySecretArn => naming.signing_key_secret_arn.as_ref(),
            Pattern::EncryptionKeySecretArn => naming.encryption_key_secret_arn.as_ref(),
        }
    }
}

/// The compiled patterns, and for each a description of the rule for provenance.
pub struct Naming {
    handlebars: Handlebars<'static>,
    /// Each pattern as its text and the variables it names, when it is no more than that
    /// (`{{org}}-{{env}}`, as every default is): such a pattern is filled without the
    /// template engine, which costs several times more per name (and a platform makes one
    /// per service per environment). Every other pattern, and one whose variable is
    /// missing, is the engine's to fill or refuse.
    substitutions: Vec<Option<Vec<Piece>>>,
    rules: Vec<Arc<str>>,
}

/// A part of a pattern that only substitutes variables.
#[derive(Debug)]
enum Piece {
    Text(String),
    Variable(String),
}

/// `pattern` as text and variables, if that is all it is: every `{{` opens a plain
/// lowercase name that `}}` closes, and the text between holds no brace or backslash
/// (which could escape, open or close something in handlebars).
fn substitution(pattern: &str) -> Option<Vec<Piece>> {
    let plain_text = |text: &str| !text.contains(['{', '}', '\\']);
    let plain_name = |name: &str| {
        name.starts_with(|c: char| c.is_ascii_lowercase())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
            && !matches!(name, "else" | "this")
    };
    let mut pieces = Vec::new();
    let mut rest = pattern;
    while let Some(open) = rest.find("{{") {
        let (text, name_and_rest) = (&rest[..open], &rest[open + 2..]);
        let (name, after) = name_and_rest.split_once("}}")?;
        if !plain_text(text) || !plain_name(name) {
            return None;
        }
        if !text.is_empty() {
            pieces.push(Piece::Text(text.to_owned()));
        }
        pieces.push(Piece::Variable(name.to_owned()));
        rest = after;
    }
    if !plain_text(rest) {
        return None;
    }
    if !rest.is_empty() {
        pieces.push(Piece::Text(rest.to_owned()));
    }
    Some(pieces)
}

/// `pieces` filled from `variables`; `None` when one of its variables is not there.
fn substitute(pieces: &[Piece], variables: &Variables) -> Option<String> {
    // Room for the text and a name of 24 bytes for each variable: most names fit at once.
    let room = pieces
        .iter()
        .map(|piece| match piece {
            Piece::Text(text) => text.len(),
            Piece::Variable(_) => 24,
        })
        .sum();
    let mut name = String::with_capacity(room);
    for piece in pieces {
        match piece {
            Piece::Text(text) => name.push_str(text),
            Piece::Variable(variable) => name.push_str(variables.get(variable)?),
        }
    }
    Some(name)
}

impl Naming {
    /// Compiles the patterns, with the overrides of `[naming]` from `platform_file`.
    pub fn new(
        naming: &NamingFile,
        platform_file: &Arc<SourceFile>,
    ) -> Result<Naming, Diagnostics> {
        let mut handlebars = crate::templates::engine();
        let mut rules = Vec::new();
        let mut substitutions = Vec::new();
        let mut problems = Diagnostics::default();
        for pattern in Pattern::ALL {
            let written = pattern.written_in(naming);
            let text = written.map_or(pattern.default_pattern(), |w| w.get_ref().as_str());
            substitutions.push(substitution(text));
            let rule = match written {
                None => format!("convention {} = \"{text}\"", pattern.key()),
                Some(w) => format!(
                    "convention {} = \"{text}\" ({})",
                    pattern.key(),
                    Span {
                        file: platform_file.clone(),
                        range: w.span()
                    }
                ),
            };
            rules.push(Arc::from(rule));
            let registered = handlebars
                .register_template_string(pattern.key(), text)
                .map_err(|err| template_error(&err))
                .and_then(|()| {
                    let mut sample = Map::new();
                    for variable in ENV_VARIABLES.iter().chain(pattern.extra_variables()) {
                        sample.insert((*variable).to_owned(), Value::from("x"));
                    }
                    let context =
                        Context::wraps(Value::Object(sample)).map_err(|e| e.to_string())?;
                    handlebars
                        .render_with_context(pattern.key(), &context)
                        .map_err(|err| render_error(&err))
                });
            if let (Err(err), Some(written)) = (registered, written) {
                let available: Vec<&str> = ENV_VARIABLES
                    .iter()
                    .chain(pattern.extra_variables())
                    .copied()
                    .collect();
                problems.push(
                    Diagnostic::at(
                        Span {
                            file: platform_file.clone(),
                            range: written.span(),
                        },
                        format!("naming pattern `{}` cannot be used: {err}", pattern.key()),
                    )
                    .with_help(format!(
                        "a pattern is a handlebars template; `{}` may use {}",
                        pattern.key(),
                        available
                            .iter()
                            .map(|v| format!("{{{{{v}}}}}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                );
            }
        }
        problems.into_result(Naming {
            handlebars,
            substitutions,
            rules,
        })
    }

    /// Makes the name `pattern` gives for `variables`. The result carries the rule as its origin.
    pub fn make(&self, pattern: Pattern, variables: &Variables) -> Result<Sourced<String>, Unmade> {
        let index = Pattern::ALL
            .iter()
            .position(|p| *p == pattern)
            .expect("every pattern is in Pattern::ALL");
        let origin = || Origin::Convention(self.rules[index].clone());
        if let Some(value) = self.substitutions[index]
            .as_deref()
            .and_then(|pieces| substitute(pieces, variables))
        {
            return Ok(Sourced::new(value, origin()));
        }
        let mut value = self
            .handlebars
            .render_with_context(pattern.key(), variables.context())
            .map_err(|err| match err.reason() {
                RenderErrorReason::MissingVariable(Some(name))
                    if pattern.extra_variables().contains(&name.as_str()) =>
                {
                    Unmade::Input
                }
                _ => Unmade::Failed(format!(
                    "naming pattern `{}` failed: {}",
                    pattern.key(),
                    render_error(&err)
                )),
            })?;
        // A name of a few bytes, kept for the whole command, in handlebars' 8 KiB buffer.
        value.shrink_to_fit();
        Ok(Sourced::new(value, origin()))
    }
}

/// Why a pattern made no name.
#[derive(Debug)]
pub enum Unmade {
    /// A name it is made from (such as the zone) could not be made; that problem has been
    /// reported where it happened.
    Input,
    /// The pattern failed on this environment's values; the reason.
    Failed(String),
}

/// What is wrong with a pattern that is not a template, in words.
fn template_error(err: &TemplateError) -> String {
    match err.pos() {
        Some((_, column)) => format!("{} at column {column}", err.reason()),
        None => err.reason().to_string(),
    }
}

/// Why a pattern failed to render, in words rather than handlebars' internals.
fn render_error(err: &RenderError) -> String {
    match err.reason() {
        RenderErrorReason::MissingVariable(Some(name)) => {
            format!("`{{{{{name}}}}}` is not a variable it may use")
        }
        RenderErrorReason::MissingVariable(None) => {
            "it reads a value that is not one of its variables".to_owned()
        }
        RenderErrorReason::TemplateError(err) => template_error(err),
        reason => reason.to_string(),
    }
}

/// The variables of one environment, grown as its names are made: a short list, which a
/// pattern of text and variables reads directly; the template engine's context is made
/// from it only for a pattern that needs the engine, and made again after a change.
pub struct Variables {
    pairs: Vec<(String, String)>,
    context: std::cell::OnceCell<Context>,
}

impl Variables {
    pub fn new(pairs: &[(&str, &str)]) -> Variables {
        Variables {
            pairs: pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            context: std::cell::OnceCell::new(),
        }
    }

    /// Sets `key` to `value`: in place when it is set already, as `service` is for each
    /// service of an environment in turn.
    pub fn set(&mut self, key: &str, value: &str) {
        match self.pairs.iter_mut().find(|(k, _)| k == key) {
            Some((_, old)) => {
                old.clear();
                old.push_str(value);
            }
            None => self.pairs.push((key.to_owned(), value.to_owned())),
        }
        self.context.take();
    }

    /// The value of `key`, if it is set.
    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// The variables as the template engine reads them.
    fn context(&self) -> &Context {
        self.context.get_or_init(|| {
            let map: Map<String, Value> = self
                .pairs
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str())))
                .collect();
            Context::from(Value::Object(map))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naming(toml: &str) -> Result<Naming, Diagnostics> {
        let file = SourceFile::new("environments/platform.toml", toml);
        let parsed: NamingFile = toml_edit::de::from_str(toml).unwrap();
        Naming::new(&parsed, &file)
    }

    fn prod() -> Variables {
        Variables::new(&[
            ("org", "example"),
            ("name", "Example"),
            ("domain", "example.com"),
            ("env", "prod"),
            ("stage", "production"),
            ("stage_title", "Production"),
            ("region", "eu-west-1"),
            ("account", "210987654321"),
        ])
    }

    #[test]
    fn defaults_follow_the_design() {
        let naming = naming("").unwrap();
        let mut vars = prod();
        let id = naming.make(Pattern::ClusterId, &vars).unwrap();
        assert_eq!(id.value, "example-prod");
        assert!(matches!(&id.origin, Origin::Convention(rule) if rule.contains("{{org}}-{{env}}")));
        assert_eq!(
            naming.make(Pattern::ClusterName, &vars).unwrap().value,
            "Example Production"
        );
        let zone = naming.make(Pattern::Zone, &vars).unwrap().value;
        assert_eq!(zone, "prod.example.com");
        vars.set("zone", &zone);
        vars.set("service", "hello");
        assert_eq!(
            naming.make(Pattern::ApiHost, &vars).unwrap().value,
            "k8s.prod.example.com"
        );
        assert_eq!(
            naming.make(Pattern::ServiceHost, &vars).unwrap().value,
            "hello.prod.example.com"
        );
        assert_eq!(
            naming.make(Pattern::Issuer, &vars).unwrap().value,
            "https://auth.example.com"
        );
        // Set again, for the next service: the new value replaces the old one, in the
        // substituted pattern and in the engine's.
        vars.set("service", "a-longer-name");
        assert_eq!(
            naming.make(Pattern::ServiceHost, &vars).unwrap().value,
            "a-longer-name.prod.example.com"
        );
        vars.set("service", "web");
        assert_eq!(
            naming.make(Pattern::ServiceHost, &vars).unwrap().value,
            "web.prod.example.com"
        );
        let engine =
            self::naming("service_host = \"{{#if service}}{{service}}.{{zone}}{{/if}}\"\n")
                .unwrap();
        assert_eq!(
            engine.make(Pattern::ServiceHost, &vars).unwrap().value,
            "web.prod.example.com"
        );
        // The engine's context is made again after a change, not kept from before it.
        vars.set("service", "api");
        assert_eq!(
            engine.make(Pattern::ServiceHost, &vars).unwrap().value,
            "api.prod.example.com"
        );
    }

    #[test]
    fn overrides_replace_defaults_and_say_where_they_are() {
        let naming = naming("cluster_id = \"{{env}}-{{org}}\"\n").unwrap();
        let id = naming.make(Pattern::ClusterId, &prod()).unwrap();
        assert_eq!(id.value, "prod-example");
        assert!(
            matches!(&id.origin, Origin::Convention(rule) if rule.contains("environments/platform.toml:1:14"))
        );
    }

    #[test]
    fn a_pattern_using_an_unknown_variable_is_refused_at_its_span() {
        let err = naming("cluster_id = \"{{org}}-{{zone}}\"\n").err().unwrap();
        let text = err.to_string();
        assert!(
            text.contains("naming pattern `cluster_id` cannot be used"),
            "{text}"
        );
        assert!(text.contains("platform.toml:1:14"), "{text}");
        assert!(text.contains("{{env}}"), "{text}");
    }

    /// Patterns the engine fills with and without the fast way, and what it makes of
    /// each: the same names, and the same refusals.
    #[test]
    fn a_pattern_of_text_and_variables_is_filled_as_the_engine_fills_it() {
        let mut vars = prod();
        vars.set("zone", "prod.example.com");
        let simple = [
            "{{org}}-{{env}}",
            "{{org}}{{env}}",
            "k8s.{{zone}}",
            "{{name}} & <{{stage_title}}>",
            "fixed",
            "",
            "{{stage_title}}",
        ];
        let other = [
            "{{ org }}",
            "{{#if org}}a{{/if}}",
            "\\{{org}}",
            "{{{org}}}",
            "a}}b{{org}}",
            "{{org.x}}",
            "{{~org}}",
            "{{!org}}",
            "{{lowercase org}}",
            "{{org",
            "{{this}}",
        ];
        for pattern in simple.into_iter().chain(other) {
            let fast = substitution(pattern);
            assert_eq!(fast.is_some(), simple.contains(&pattern), "{pattern}");
            let mut engine = crate::templates::engine();
            let filled = engine
                .register_template_string("p", pattern)
                .ok()
                .and_then(|()| engine.render_with_context("p", vars.context()).ok());
            if let Some(pieces) = fast {
                assert_eq!(substitute(&pieces, &vars), filled, "{pattern}");
            }
        }
        // A variable the environment does not have is left to the engine, which says so.
        let pieces = substitution("{{service}}.{{zone}}").unwrap();
        assert_eq!(substitute(&pieces, &vars), None);
        let naming = naming("").unwrap();
        assert!(matches!(
            naming.make(Pattern::ServiceHost, &vars),
            Err(Unmade::Input)
        ));
    }

    #[test]
    fn values_are_not_html_escaped() {
        let naming = naming("cluster_name = \"{{name}} & <{{env}}>\"\n").unwrap();
        assert_eq!(
            naming.make(Pattern::ClusterName, &prod()).unwrap().value,
            "Example & <prod>"
        );
    }
}
