//! `version-known`: an environment names only a version its crate has or had.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::VersionKnown,
        default: RuleLevel::Deny,
        summary: "an environment names only a version its service's crate has now or had before",
        explanation: "CI builds a service's image when its crate reaches a version, tagged with \
that version. An environment that names a version the crate never had names an image that \
was never built: the deploy finds nothing to pull, and `promote` would copy the version on to \
production. A version counts when the crate's Cargo.toml has it now, or had it at an earlier \
commit of the branch (its image was built then). `cargo xtask bump SERVICE` gives the crate \
a new version and moves the environments that track it in the same change.",
    },
    check,
};

fn check(_: &Platform, context: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(context
        .unknown_versions
        .iter()
        .flatten()
        .map(|unknown| {
            Diagnostic::new(
                format!(
                    "`{}` runs {} {}, a version its crate never had (it is {})",
                    unknown.environment, unknown.service, unknown.version, unknown.crate_version
                ),
                unknown.location.clone(),
            )
            .with_label("no image was built for this version")
            .with_help(format!(
                "name the crate's version {}, or give the crate a new version with `cargo xtask bump {}`, which moves the environments that track it",
                unknown.crate_version, unknown.service
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::UnknownVersion;
    use crate::checks::testing::{Org, context, findings};
    use crate::diagnostic::Location;

    #[test]
    fn a_version_its_crate_never_had_is_found() {
        let mut context = context();
        context.unknown_versions = Some(vec![UnknownVersion {
            environment: "staging".to_owned(),
            service: "storefront".to_owned(),
            version: "1.3.1".to_owned(),
            crate_version: "1.3.0".to_owned(),
            location: Location::Nowhere,
        }]);
        let platform = Org::new().platform();
        assert_eq!(
            findings(&RULE, &platform, &context),
            ["-: `staging` runs storefront 1.3.1, a version its crate never had (it is 1.3.0)"]
        );
    }
}
