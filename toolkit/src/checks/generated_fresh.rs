//! `generated-fresh`: every generated file is what `cargo xtask render` makes.

use crate::diagnostic::{Diagnostic, Location};
use crate::model::Platform;
use crate::rule::{RuleDoc, RuleId, RuleLevel};

use super::{Facts, Rule};

pub static RULE: Rule = Rule {
    doc: RuleDoc {
        id: RuleId::GeneratedFresh,
        default: RuleLevel::Deny,
        summary: "every generated file is what `cargo xtask render` makes",
        explanation: "Podplane and the people who run the platform read the generated files, not \
the environment files. A generated file that is missing, stale or left over from a removed \
environment means that what is deployed is not what the environment files say. Run \
`cargo xtask render` and commit the result.",
    },
    check,
};

/// The generated files `context` found out of date; none when the rules look at the model
/// only.
fn check(_: &Platform, context: &Facts) -> anyhow::Result<Vec<Diagnostic>> {
    Ok(context
        .out_of_date
        .iter()
        .flatten()
        .map(|file| {
            Diagnostic::new(
                format!("generated file {} is {}", file.path.display(), file.kind),
                Location::Path(file.path.clone()),
            )
            .with_help("run `cargo xtask render` and commit the result")
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::RULE;
    use crate::checks::OutOfDate;
    use crate::checks::testing::{Org, context, findings};

    #[test]
    fn a_stale_generated_file_is_found() {
        let mut context = context();
        context.out_of_date = Some(vec![OutOfDate {
            path: "environments/prod/deploy.sh".into(),
            kind: "stale",
        }]);
        let platform = Org::new().platform();
        assert_eq!(
            findings(&RULE, &platform, &context),
            ["environments/prod/deploy.sh: generated file environments/prod/deploy.sh is stale"]
        );
    }
}
