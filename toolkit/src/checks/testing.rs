//! The rules' own tests, in memory: the test organisation (`tests/fixtures/initech`) as
//! text, edited, resolved with no file, git or cargo; and what one rule finds in it, each
//! finding as `file:line:column: message`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::{Facts, Rule};
use crate::diagnostic::SourceFile;
use crate::model::date::Date;
use crate::model::{Origin, Platform, ServiceDecl, Sourced, Template, parse_file, resolve};

/// The organisation's files: `platform.toml`, then each environment's, by directory name.
const FILES: [(&str, &str); 7] = [
    (
        "platform",
        include_str!("../../tests/fixtures/initech/environments/platform.toml"),
    ),
    (
        "ci",
        include_str!("../../tests/fixtures/initech/environments/ci/environment.toml"),
    ),
    (
        "dev",
        include_str!("../../tests/fixtures/initech/environments/dev/environment.toml"),
    ),
    (
        "identity",
        include_str!("../../tests/fixtures/initech/environments/identity/environment.toml"),
    ),
    (
        "observability",
        include_str!("../../tests/fixtures/initech/environments/observability/environment.toml"),
    ),
    (
        "prod",
        include_str!("../../tests/fixtures/initech/environments/prod/environment.toml"),
    ),
    (
        "staging",
        include_str!("../../tests/fixtures/initech/environments/staging/environment.toml"),
    ),
];

/// Its pins, from which the workflows that deploy are rendered.
const PINS: &str = include_str!("../../tests/fixtures/initech/ci/pins.toml");

/// The test organisation's files, as edited.
#[derive(Clone)]
pub struct Org {
    files: BTreeMap<&'static str, String>,
}

impl Org {
    pub fn new() -> Org {
        Org {
            files: FILES
                .iter()
                .map(|(name, text)| (*name, (*text).to_owned()))
                .collect(),
        }
    }

    /// Replaces the one occurrence of `from` in `file` (`platform` or an environment).
    pub fn edit(mut self, file: &str, from: &str, to: &str) -> Org {
        let text = self
            .files
            .get_mut(file)
            .expect("a file of the organisation");
        assert_eq!(text.matches(from).count(), 1, "`{from}` in {file}");
        *text = text.replacen(from, to, 1);
        self
    }

    /// Adds an environment, as its file's text.
    pub fn with(mut self, environment: &'static str, text: &str) -> Org {
        self.files.insert(environment, text.to_owned());
        self
    }

    /// Production's file, as the test organisation has it.
    pub fn prod() -> &'static str {
        Org::file("prod")
    }

    /// Staging's file, as the test organisation has it.
    pub fn staging() -> &'static str {
        Org::file("staging")
    }

    fn file(name: &str) -> &'static str {
        FILES
            .iter()
            .find(|(file, _)| *file == name)
            .map(|(_, text)| *text)
            .expect("a file of the organisation")
    }

    /// Leaves out an environment.
    pub fn without(mut self, environment: &str) -> Org {
        self.files.remove(environment);
        self
    }

    /// The platform the files resolve to, with the services the crates declare
    /// (`storefront`, web on 9090; `mailer`, a worker), and the observability platform's
    /// (`openobserve`, web on 5080; `otlp-relay`, web; `heartbeat`, a worker), which no
    /// environment runs.
    pub fn platform(&self) -> Platform {
        let path = |name: &str| match name {
            "platform" => "environments/platform.toml".to_owned(),
            env => format!("environments/{env}/environment.toml"),
        };
        let file = |name: &str| SourceFile::new(path(name), self.files[name].clone());
        let platform = file("platform");
        let environments: Vec<(String, Arc<SourceFile>)> = self
            .files
            .keys()
            .filter(|name| **name != "platform")
            .map(|name| ((*name).to_owned(), file(name)))
            .collect();
        let declared = |template, image: &str, port: Option<u16>| {
            Arc::new(ServiceDecl {
                template: Sourced::new(template, Origin::Builtin("test")),
                image: Sourced::new(image.to_owned(), Origin::Builtin("test")),
                port: port.map(|port| Sourced::new(port, Origin::Builtin("test"))),
            })
        };
        let services = BTreeMap::from([
            (
                "storefront".to_owned(),
                declared(Template::Web, "ghcr.io/initech/storefront", Some(9090)),
            ),
            (
                "mailer".to_owned(),
                declared(Template::Worker, "ghcr.io/initech/mailer", None),
            ),
            (
                "openobserve".to_owned(),
                declared(Template::Web, "ghcr.io/initech/openobserve", Some(5080)),
            ),
            (
                "otlp-relay".to_owned(),
                declared(Template::Web, "ghcr.io/initech/otlp-relay", None),
            ),
            (
                "heartbeat".to_owned(),
                declared(Template::Worker, "ghcr.io/initech/heartbeat", None),
            ),
        ]);
        let parsed = parse_file(&platform);
        let root = Path::new("/initech");
        let Ok(resolved) = resolve(root, &platform, parsed, &environments, || {
            Ok::<_, std::convert::Infallible>(services)
        });
        let resolved = resolved.and_then(|mut platform| {
            let pins = SourceFile::new("ci/pins.toml", PINS.to_owned());
            platform.pins = Some(crate::model::pins::load(&pins)?);
            Ok(platform)
        });
        match resolved {
            Ok(platform) => platform,
            Err(problems) => panic!("the organisation does not resolve: {}", problems.render()),
        }
    }
}

/// What the rules run with in the tests: the tests' day, nothing gathered from files.
pub fn context() -> Facts {
    Facts {
        today: Date::parse("2027-01-15").expect("a date"),
        out_of_date: None,
        unbumped: None,
        stale_lock: None,
        unknown_versions: None,
        containerfiles: None,
    }
}

/// What `rule` finds on `platform`, each as `file:line:column: message`.
pub fn findings(rule: &Rule, platform: &Platform, context: &Facts) -> Vec<String> {
    (rule.check)(platform, context)
        .expect("the rule runs")
        .iter()
        .map(|finding| format!("{}: {}", finding.location.place(), finding.message))
        .collect()
}
