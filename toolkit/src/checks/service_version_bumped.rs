//! `service-version-bumped`: a service whose image must be rebuilt has a new version.

use crate::diagnostic::Diagnostic;
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::ServiceVersionBumped,
        default: RuleLevel::Deny,
        summary: "a service whose code changed has a new version",
        explanation: "CI tags each service's image with the crate's version and never \
overwrites a tag that exists: staging validates an image by its tag, and production is \
promoted to that same tag, so a tag must always name the same image. A change to a file \
the image is built from (the crate, a path dependency, a Cargo.lock entry its build \
resolves, or a workspace-wide input such as the root Cargo.toml) needs a new version in \
the crate's Cargo.toml, or the change would never be built. The rule compares the working \
tree with `check --base REV` (HEAD by default, so uncommitted changes; pull requests \
compare with their base). `cargo xtask affected --base REV` lists what a change reaches.",
    },
    check,
};

/// The services that `context` found changed without a new version.
fn check(_: &Platform, context: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(context
        .unbumped
        .iter()
        .flatten()
        .map(|service| {
            let mut because = service.because.iter().take(3).cloned().collect::<Vec<_>>().join(", ");
            if service.because.len() > 3 {
                because.push_str(&format!(" and {} more", service.because.len() - 3));
            }
            Diagnostic::new(
                format!(
                    "service `{}` changed since {} but its version is still {}",
                    service.name, service.base, service.version
                ),
                service.location.clone(),
            )
            .with_label(format!("changed: {because}"))
            .with_help(format!(
                "run `cargo xtask bump {}`: it gives the crate a new version, updates Cargo.lock and moves the environments that track it. CI builds each version's image once, and never again over the tag {} the old code was built as",
                service.name, service.version
            ))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::Unbumped;
    use crate::checks::testing::{Org, context, findings};
    use crate::diagnostic::Location;

    #[test]
    fn a_changed_service_without_a_new_version_is_found() {
        let mut context = context();
        context.unbumped = Some(vec![Unbumped {
            name: "storefront".to_owned(),
            version: "1.3.0".to_owned(),
            base: "main".to_owned(),
            location: Location::Nowhere,
            because: vec!["crates/storefront/src/main.rs".to_owned()],
        }]);
        let platform = Org::new().platform();
        assert_eq!(
            findings(&RULE, &platform, &context),
            ["-: service `storefront` changed since main but its version is still 1.3.0"]
        );
    }
}
