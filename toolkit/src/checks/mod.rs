//! The topology's rules as named lints, each with a level that `[checks]` in
//! `platform.toml` can change, like clippy's. One file per rule holds what the rule says
//! (its [`RuleDoc`]) beside the function that finds its problems; this module only lists
//! them. The rules found while loading (`schema`, `vpc-no-overlap`, `host-unique`) are
//! documented in `model`, beside the code that finds them.
//!
//! `checks` reads the resolved model and knows nothing of rendering or of commands: what
//! it needs from the repository's files (which generated files are out of date) it is
//! given in a [`Facts`].

mod base_images_pinned;
mod ci_outside_prod;
mod ci_trusted;
mod dr_twin;
mod generated_fresh;
mod host_in_zone;
mod instance_arch_unchecked;
mod lock_current;
mod naming_convention;
mod no_secret_values;
mod observability_access_separate;
mod observability_monitored;
mod parity;
mod placeholder;
mod prod_access_narrower;
mod prod_separate_account;
mod service_version_bumped;
mod single_issuer;
mod staged_before_prod;
mod telemetry_to_observability;
#[cfg(test)]
pub(crate) mod testing;
mod version_known;

use std::path::PathBuf;
use std::sync::OnceLock;

use crate::diagnostic::{Diagnostic, Location};
use crate::model::date::Date;
use crate::model::{self, Environment, Origin, Platform, Sourced};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

/// A rule that reads the resolved platform: what it says, and how it finds its problems.
/// The organisation's own rules are made the same way ([`Rule::new`]) and given to
/// [`crate::Toolkit::rule`].
pub struct Rule {
    pub doc: RuleDoc,
    check: Check,
}

/// How a rule finds its problems: one diagnostic each, whose rule id `check` fills in.
pub type Check = fn(&Platform, &Facts) -> anyhow::Result<Vec<Diagnostic>>;

impl Rule {
    pub const fn new(doc: RuleDoc, check: Check) -> Rule {
        Rule { doc, check }
    }
}

/// The organisation's own rules, given once, before any command runs.
static ORG_RULES: OnceLock<Vec<&'static Rule>> = OnceLock::new();

/// Makes `rules` the organisation's own, for the life of the program: each needs an id of
/// [`RuleId::Org`] that [`RuleId::set_org`] accepts.
pub(crate) fn set_org(rules: Vec<&'static Rule>) -> Result<(), String> {
    let mut ids = Vec::new();
    for rule in &rules {
        match rule.doc.id {
            RuleId::Org(id) => ids.push(id),
            other => {
                return Err(format!(
                    "the rule `{other}` is the toolkit's own; an organisation's rule has the id RuleId::Org(\"...\")"
                ));
            }
        }
    }
    RuleId::set_org(ids)?;
    ORG_RULES
        .set(rules)
        .map_err(|_| "the organisation's rules are given once".to_owned())
}

fn org_rules() -> &'static [&'static Rule] {
    ORG_RULES.get().map_or(&[], Vec::as_slice)
}

/// The rules that read the resolved platform.
const CHECKED: [&Rule; 21] = [
    &prod_separate_account::RULE,
    &prod_access_narrower::RULE,
    &dr_twin::RULE,
    &telemetry_to_observability::RULE,
    &observability_monitored::RULE,
    &observability_access_separate::RULE,
    &ci_outside_prod::RULE,
    &single_issuer::RULE,
    &ci_trusted::RULE,
    &host_in_zone::RULE,
    &instance_arch_unchecked::RULE,
    &no_secret_values::RULE,
    &staged_before_prod::RULE,
    &service_version_bumped::RULE,
    &version_known::RULE,
    &lock_current::RULE,
    &base_images_pinned::RULE,
    &naming_convention::RULE,
    &placeholder::RULE,
    &parity::RULE,
    &generated_fresh::RULE,
];

/// The rules whose problems are found while the platform loads.
const FOUND_WHILE_LOADING: [&RuleDoc; 3] = [
    &model::SCHEMA_RULE,
    &model::VPC_NO_OVERLAP_RULE,
    &model::hosts::HOST_UNIQUE_RULE,
];

/// What every rule says, in the order of [`RuleId::ALL`], then the organisation's own in
/// the order it gave them.
pub fn docs() -> Vec<&'static RuleDoc> {
    let mut docs = toolkit_docs();
    docs.extend(org_rules().iter().map(|rule| &rule.doc));
    docs
}

/// What the toolkit's own rules say, in the order of [`RuleId::ALL`]: for a repository
/// this program makes, whose own program has none of this one's organisation's rules.
pub fn toolkit_docs() -> Vec<&'static RuleDoc> {
    let mut docs: Vec<&RuleDoc> = FOUND_WHILE_LOADING
        .into_iter()
        .chain(CHECKED.iter().map(|rule| &rule.doc))
        .collect();
    docs.sort_by_key(|doc| doc.id);
    docs
}

/// What `rule` says.
pub fn doc(rule: RuleId) -> &'static RuleDoc {
    docs()
        .into_iter()
        .find(|doc| doc.id == rule)
        .expect("every rule id has its doc, as a test checks")
}

/// What the rules are run with, besides the platform.
pub struct Facts {
    /// The day they run as: `parity`'s allowances expire.
    pub today: Date,
    /// The generated files that are missing, stale or stray; `None` when the rules look at
    /// the model only, for a platform not yet written (as `new-env` makes).
    pub out_of_date: Option<Vec<OutOfDate>>,
    /// The services changed since a base revision without a new version; `None` when no
    /// revision is compared with (outside git, or for a platform not yet written).
    pub unbumped: Option<Vec<Unbumped>>,
    /// The workspace's crates that Cargo.lock names at another version; `None` for a
    /// platform not yet written.
    pub stale_lock: Option<Vec<StaleLock>>,
    /// The service versions environments name that their crates never had; `None` for a
    /// platform not yet written, and outside git (which knows the earlier versions).
    pub unknown_versions: Option<Vec<UnknownVersion>>,
    /// The Containerfile beside each service crate's manifest; `None` for a platform not
    /// yet written.
    pub containerfiles: Option<Vec<std::sync::Arc<crate::diagnostic::SourceFile>>>,
}

/// A crate of the workspace at another version in Cargo.lock than in its manifest.
pub struct StaleLock {
    pub name: String,
    pub version: String,
    pub locked: String,
    /// The crate's `version`, or its manifest.
    pub location: Location,
}

/// A version an environment names that its service's crate never had.
pub struct UnknownVersion {
    pub environment: String,
    pub service: String,
    pub version: String,
    pub crate_version: String,
    /// The environment's `version` of the service.
    pub location: Location,
}

/// A service whose image must be rebuilt, whose crate still has the version it had.
pub struct Unbumped {
    pub name: String,
    pub version: String,
    /// The revision it is compared with, as the user named it.
    pub base: String,
    /// The crate's `version`, or its manifest.
    pub location: Location,
    /// The changed paths (or lock entries) that reach it.
    pub because: Vec<String>,
}

/// A generated file that is not what rendering makes.
pub struct OutOfDate {
    pub path: PathBuf,
    /// `missing`, `stale` or `stray`.
    pub kind: &'static str,
}

/// One problem a rule found, at the level the rule has.
#[derive(Debug)]
pub struct Finding {
    pub level: RuleLevel,
    /// The problem, with its rule id in `rule`.
    pub diagnostic: Diagnostic,
}

/// Every finding of the rules on `platform`, the organisation's own included, at its
/// level, `allow`ed ones left out. `generated-fresh` runs only when `context` knows the
/// generated files.
pub fn findings(platform: &Platform, context: &Facts) -> anyhow::Result<Vec<Finding>> {
    findings_of(
        CHECKED.into_iter().chain(org_rules().iter().copied()),
        platform,
        context,
    )
}

/// The findings of the toolkit's rules but `generated-fresh`, made while a render beside
/// them finds what that rule needs; [`Unfinished::finish`] adds its findings and the
/// organisation's rules', which may read every fact.
pub struct Unfinished(Vec<Finding>);

impl Unfinished {
    /// The toolkit's rules on `context`, whose `out_of_date` is not known yet.
    pub fn new(platform: &Platform, context: &Facts) -> anyhow::Result<Unfinished> {
        let rules = CHECKED
            .into_iter()
            .filter(|rule| rule.doc.id != RuleId::GeneratedFresh);
        Ok(Unfinished(findings_of(rules, platform, context)?))
    }

    /// Every finding, as [`findings`] makes them on `context`, in the rules' order.
    pub fn finish(self, platform: &Platform, context: &Facts) -> anyhow::Result<Vec<Finding>> {
        let Unfinished(mut all) = self;
        let rest = std::iter::once(&generated_fresh::RULE).chain(org_rules().iter().copied());
        all.extend(findings_of(rest, platform, context)?);
        Ok(all)
    }
}

/// [`findings`] of the toolkit's own rules only.
pub fn toolkit_findings(platform: &Platform, context: &Facts) -> anyhow::Result<Vec<Finding>> {
    findings_of(CHECKED, platform, context)
}

fn findings_of(
    rules: impl IntoIterator<Item = &'static Rule>,
    platform: &Platform,
    context: &Facts,
) -> anyhow::Result<Vec<Finding>> {
    let mut findings = Vec::new();
    for rule in rules {
        let id = rule.doc.id;
        let level = level(platform, id);
        if level == RuleLevel::Allow
            || (id == RuleId::GeneratedFresh && context.out_of_date.is_none())
        {
            continue;
        }
        for diagnostic in (rule.check)(platform, context)? {
            findings.push(Finding {
                level,
                diagnostic: diagnostic.with_rule(id),
            });
        }
    }
    Ok(findings)
}

/// A rule's level on `platform`: from `[checks]`, else its default.
pub fn level(platform: &Platform, rule: RuleId) -> RuleLevel {
    platform
        .checks
        .get(&rule)
        .map_or_else(|| doc(rule).default, |level| level.value)
}

/// Where a value came from, as the place a finding points at: its span when it was
/// written by hand, else the file of the environment it belongs to.
pub fn at<T>(value: &Sourced<T>, env: &Environment) -> Location {
    match &value.origin {
        Origin::File(span) => Location::Span(span.clone()),
        _ => Location::Path(env.file.path.clone()),
    }
}

fn environment_file(env: &Environment) -> Location {
    Location::Path(env.file.path.clone())
}

/// Each `*_FILE` variable of `service` that names a mounted secret the service does not
/// read: the file would not be there, and the program would not start.
pub fn unbound_secrets(
    name: &str,
    service: &crate::model::Service,
    env: &Environment,
) -> Vec<Diagnostic> {
    service
        .env
        .iter()
        .filter(|(key, _)| key.ends_with("_FILE"))
        .filter_map(|(key, path)| {
            let secret = path.value.strip_prefix("/var/run/podplane/secrets/")?;
            let read = service.secrets.iter().any(|s| s.value.as_str() == secret);
            (!read).then(|| {
                Diagnostic::new(
                    format!("`{name}` in `{}` reads the secret `{secret}` ({key}) but does not bind it", env.name),
                    at(path, env),
                )
                .with_help(format!("add \"{secret}\" to the secrets of [services.{name}], and create it in the cluster: `podplane secret create --for {name} {secret}`"))
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::{doc, docs};
    use crate::rule::RuleId;

    #[test]
    fn the_test_organisation_trips_no_rule() {
        // Each rule's own tests (at the end of its file) trip it on an edited copy.
        let platform = super::testing::Org::new().platform();
        for rule in super::CHECKED {
            let found = super::testing::findings(rule, &platform, &super::testing::context());
            assert_eq!(found, Vec::<String>::new(), "{}", rule.doc.id);
        }
    }

    #[test]
    fn every_rule_id_has_one_doc_in_order() {
        let ids: Vec<RuleId> = docs().iter().map(|doc| doc.id).collect();
        assert_eq!(ids, RuleId::ALL);
        for &rule in RuleId::ALL {
            assert_eq!(doc(rule).id, rule);
        }
    }

    #[test]
    fn the_docs_kept_in_model_are_those_of_the_rules_found_while_loading() {
        for doc in super::FOUND_WHILE_LOADING {
            assert!(doc.id.found_while_loading(), "{}", doc.id);
        }
        for rule in super::CHECKED {
            assert!(!rule.doc.id.found_while_loading(), "{}", rule.doc.id);
        }
    }
}
