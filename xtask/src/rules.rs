//! Acme's own rules, which `check` runs after the toolkit's: an example of a rule a team
//! writes without forking the toolkit.

use platform_toolkit::checks::{Facts, Rule, at};
use platform_toolkit::diagnostic::Diagnostic;
use platform_toolkit::model::{Platform, Stage};
use platform_toolkit::rule::{RuleDoc, RuleId, RuleLevel};

/// `prod-log-level`: production logs at `info` or above.
pub const PROD_LOG_LEVEL: Rule = Rule::new(
    RuleDoc {
        id: RuleId::Org("prod-log-level"),
        default: RuleLevel::Deny,
        summary: "production services log at info or above",
        explanation: "Debug and trace logs carry request bodies and identifiers that Acme's \
data-protection policy keeps out of production's log store, and they multiply its cost. A \
service in a production environment sets LOG_LEVEL to info, warn or error; turn debugging on \
in staging, which is shaped like production.",
    },
    check,
);

/// The levels production allows.
const ALLOWED: [&str; 3] = ["info", "warn", "error"];

fn check(platform: &Platform, _: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    let mut found = Vec::new();
    for env in platform.of_stage(Stage::Production) {
        let Some(cluster) = &env.cluster else {
            continue;
        };
        for (name, service) in &cluster.services {
            for (key, value) in &service.env {
                if key == "LOG_LEVEL" && !ALLOWED.contains(&value.value.as_str()) {
                    found.push(
                        Diagnostic::new(
                            format!(
                                "service `{name}` logs at `{}` in production (`{}`)",
                                value.value, env.name
                            ),
                            at(value, env),
                        )
                        .with_help("set LOG_LEVEL to info, warn or error; debug in staging"),
                    );
                }
            }
        }
    }
    Ok(found)
}
