//! `cargo xtask promote FROM TO`: copies FROM's service versions into TO's
//! `environment.toml`, and the services FROM runs and TO does not yet (each with its
//! version, replicas, variables and secrets' names), keeping every comment and the
//! formatting of every other line; shows what changed, and renders TO again. It refuses, unless forced, when FROM differs from
//! TO where it must not: what was validated would then not be what TO would run.

use std::path::Path;
use std::process::ExitCode;

use cargo_metadata::semver::Version;
use serde::Serialize;

use crate::cli::{PromoteArgs, ReportFormat};
use crate::comparison;
use crate::diagnostic::{Diagnostic, Location, SourceFile, help_valid};
use crate::model::date::Date;
use crate::model::{Environment, Origin, Platform, Service};
use crate::{edit, render};

pub fn run(root: &Path, args: &PromoteArgs, today: Date) -> anyhow::Result<ExitCode> {
    let _lock = edit::Lock::repository(root)?;
    let mut tree = crate::repository::SourceTree::read(root)?;
    let declared = crate::repository::services::declared(root)?;
    let platform = tree.load(declared.clone())?;
    let plans = plans(&platform, args, today)?;
    if plans.iter().all(Plan::is_empty) {
        crate::terminal::say(format!(
            "nothing to promote: `{}` already runs the versions of `{}`",
            plans[0].to.name, plans[0].from.name
        ))?;
        return report(&plans, args, None);
    }
    // TO (and its twins) as it will be, loaded with the platform: its files are rendered
    // from it, and a secret it would leak refuses the promotion.
    let changed: Vec<&Plan> = plans.iter().filter(|plan| !plan.is_empty()).collect();
    for plan in &changed {
        let index = tree
            .environments
            .iter()
            .position(|(dir, _)| dir == plan.to.name.as_str())
            .expect("TO was loaded from the tree");
        tree.environments[index].1 = SourceFile::new(&plan.to.file.path, plan.new_text.as_str());
    }
    let promoted = tree.load(declared)?;
    render::refuse_secrets(&promoted)?;
    let generated = super::generated_files(&promoted)?;
    // Everything is written beside its destination before anything is in place: a full
    // disk leaves the tree as it was, and nothing is said to be promoted.
    let written = if args.dry_run {
        None
    } else {
        // Rendering first: its plan takes a temporary file it finds for a killed run's.
        let rendered = render::prepare(root, &generated)?;
        let files = changed
            .iter()
            .map(|plan| {
                edit::stage(
                    root,
                    &plan.to.file.path,
                    &plan.new_text,
                    edit::FileMode::Kept,
                    false,
                )
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        for file in files {
            file.commit()?;
        }
        Some(rendered.commit()?)
    };
    report(&plans, args, written)
}

/// The promotion `args` asks for, then the same promotion to each disaster-recovery twin of
/// TO (`dr_of`), which is promoted with it.
fn plans<'p>(
    platform: &'p Platform,
    args: &PromoteArgs,
    today: Date,
) -> anyhow::Result<Vec<Plan<'p>>> {
    let first = plan(platform, args, today)?;
    let to = first.to.name.clone();
    let mut plans = vec![first];
    for twin in platform
        .environments
        .values()
        .filter(|env| env.dr_of.as_ref().is_some_and(|t| t.value == to))
    {
        let twin_args = PromoteArgs {
            to: twin.name.to_string(),
            ..args.clone()
        };
        plans.push(plan(platform, &twin_args, today)?);
    }
    Ok(plans)
}

/// What promoting FROM to TO changes, worked out from the loaded platform alone: nothing
/// is read or written.
struct Plan<'p> {
    from: &'p Environment,
    to: &'p Environment,
    /// Each service TO runs already at another version: its name, FROM's version and TO's.
    versions: Vec<(&'p str, &'p str, &'p str)>,
    /// Each service TO does not run yet, with FROM's version.
    new_services: Vec<(&'p str, &'p str)>,
    /// TO's file as it will be.
    new_text: String,
}

impl Plan<'_> {
    fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.new_services.is_empty()
    }
}

/// The promotion `args` asks for, refused when FROM differs from TO where it must not
/// (unless forced) or would move a service backwards.
fn plan<'p>(platform: &'p Platform, args: &PromoteArgs, today: Date) -> anyhow::Result<Plan<'p>> {
    let from = platform.find(&args.from).map_err(Diagnostic::into_error)?;
    let to = platform.find(&args.to).map_err(Diagnostic::into_error)?;
    let (Some(from_cluster), Some(to_cluster)) = (&from.cluster, &to.cluster) else {
        return Err(refusal(
            "promote needs two environments that run clusters",
            "identity and hosted CI deploy no services",
        ));
    };
    let candidates: Vec<&String> = match &args.service {
        Some(service) => match from_cluster.services.get_key_value(service) {
            Some((name, _)) => vec![name],
            None => {
                let known: Vec<&str> = from_cluster.services.keys().map(String::as_str).collect();
                return Err(Diagnostic::new(
                    format!("`{}` deploys no service `{service}`", from.name),
                    Location::Nowhere,
                )
                .with_help(help_valid("services", service, &known))
                .into_error());
            }
        },
        None => from_cluster.services.keys().collect(),
    };
    // The services TO does not run yet come along whole; the others move their version.
    let (existing, new): (Vec<&String>, Vec<&String>) = candidates
        .into_iter()
        .partition(|s| to_cluster.services.contains_key(*s));
    let mut versions = Vec::new();
    let mut downgrades = Vec::new();
    for service in existing {
        let new = &from_cluster.services[service].version.value;
        let old = &to_cluster.services[service].version.value;
        if new == old {
            continue;
        }
        if Version::parse(new).ok() < Version::parse(old).ok() {
            downgrades.push(format!(
                "{service}: {} runs {new}, older than {old} in {}",
                from.name, to.name
            ));
        }
        versions.push((service.as_str(), new.as_str(), old.as_str()));
    }
    let new_services: Vec<(&str, &str)> = new
        .into_iter()
        .map(|name| {
            (
                name.as_str(),
                from_cluster.services[name].version.value.as_str(),
            )
        })
        .collect();
    let mut plan = Plan {
        from,
        to,
        versions,
        new_services,
        new_text: to.file.text.clone(),
    };
    if plan.is_empty() {
        return Ok(plan);
    }

    // What TO would run differs from what FROM validated beyond the versions promoted?
    let comparison = comparison::compare(
        (from.name.as_str(), from),
        (to.name.as_str(), to),
        platform.parity.as_ref(),
        today,
    );
    let promoted = |path: &str| {
        plan.versions
            .iter()
            .any(|(s, _, _)| path == format!("services.{s}.version"))
    };
    let mut blockers: Vec<String> = comparison
        .differences
        .iter()
        .filter(|d| d.verdict.is_violation() && !promoted(&d.path))
        .map(|d| comparison::report::line(&comparison, d))
        .collect();
    blockers.extend(downgrades);
    if !blockers.is_empty() && !args.force {
        return Err(Diagnostic::new(
            format!(
                "`{}` differs from `{}` where it must not, so what was validated is not what `{}` would run:\n  {}",
                from.name,
                to.name,
                to.name,
                blockers.join("\n  ")
            ),
            Location::Nowhere,
        )
        .with_help(format!(
            "make them match, allow the difference in [[parity.allow]] with a reason, or pass --force; `cargo xtask diff {} {}` shows everything",
            from.name, to.name
        ))
        .into_error());
    }

    let mut replacements = Vec::new();
    for (service, new, _) in &plan.versions {
        let Origin::File(span) = &to_cluster.services[*service].version.origin else {
            anyhow::bail!(
                "the version of `{service}` in `{}` was not written in its file",
                to.name
            );
        };
        replacements.push((span.range.clone(), *new));
    }
    let mut new_text = edit::set_service_versions(&to.file.text, &replacements)?;
    for (name, version) in &plan.new_services {
        new_text = edit::add_service(
            &new_text,
            name,
            version,
            &carried_keys(&from_cluster.services[*name]),
        )?;
    }
    plan.new_text = new_text;
    Ok(plan)
}

/// Says what each promotion changed, or would (`written`: what rendering said; `None`
/// for a dry run, or nothing to promote); with `--format json`, one report per
/// environment on stdout, TO's first.
fn report(plans: &[Plan], args: &PromoteArgs, written: Option<String>) -> anyhow::Result<ExitCode> {
    for plan in plans {
        report_one(plan, args, written.is_some())?;
    }
    if plans.iter().any(|plan| !plan.is_empty()) {
        match &written {
            Some(rendered) => crate::terminal::say(rendered)?,
            None => crate::terminal::say("dry run: nothing was written")?,
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// What one environment's promotion changed (`done`), or would; with `--format json`, its
/// report on stdout.
fn report_one(plan: &Plan, args: &PromoteArgs, done: bool) -> anyhow::Result<()> {
    let json = args.format == ReportFormat::Json;
    let (from, to) = (plan.from.name.as_str(), plan.to.name.as_str());
    if !plan.is_empty() {
        let path = plan.to.file.path.display();
        let diff = format!(
            "{}",
            similar::TextDiff::from_lines(&plan.to.file.text, &plan.new_text)
                .unified_diff()
                .header(&format!("a/{path}"), &format!("b/{path}"))
        );
        if !json {
            crate::terminal::print(&diff)?;
        }
        for (service, new, old) in &plan.versions {
            crate::terminal::say(format!(
                "{} {service} in {to} from {old} to {new}, the version {from} runs",
                if done { "promoted" } else { "would promote" },
            ))?;
        }
        for (name, version) in &plan.new_services {
            crate::terminal::say(format!(
                "{} {name} to {to} at {version}, as {from} runs it",
                if done { "added" } else { "would add" },
            ))?;
        }
    }
    if json {
        let promoted = Promoted {
            from,
            to,
            written: done,
            services: plan
                .versions
                .iter()
                .map(|(name, new, old)| PromotedService {
                    name,
                    old: Some(old),
                    new,
                })
                .chain(plan.new_services.iter().map(|(name, new)| PromotedService {
                    name,
                    old: None,
                    new,
                }))
                .collect(),
        };
        crate::terminal::print_json(&promoted)?;
    }
    Ok(())
}

/// `promote --format json` (docs/json-output.md): the versions promoted, or that would be.
#[derive(Serialize)]
struct Promoted<'a> {
    from: &'a str,
    to: &'a str,
    /// Whether TO's file was written (not with `--dry-run`, nor with nothing to promote).
    written: bool,
    services: Vec<PromotedService<'a>>,
}

/// What a service FROM runs and TO does not brings along, besides its version: what FROM
/// wrote for it of its replicas, its variables (which must match) and the names of its
/// secrets. A host name is not copied: TO's comes from its own zone.
fn carried_keys(service: &Service) -> Vec<(&'static str, toml_edit::Value)> {
    let mut keys = Vec::new();
    if let Some(replicas) = service.replicas()
        && matches!(replicas.origin, Origin::File(_))
    {
        keys.push((
            "replicas",
            toml_edit::Value::from(i64::from(replicas.value)),
        ));
    }
    if !service.env.is_empty() {
        let mut env = toml_edit::InlineTable::new();
        for (key, value) in &service.env {
            env.insert(key, value.value.as_str().into());
        }
        keys.push(("env", toml_edit::Value::InlineTable(env)));
    }
    if !service.secrets.is_empty() {
        let secrets: toml_edit::Array = service
            .secrets
            .iter()
            .map(|key| key.value.as_str())
            .collect();
        keys.push(("secrets", toml_edit::Value::Array(secrets)));
    }
    keys
}

#[derive(Serialize)]
struct PromotedService<'a> {
    name: &'a str,
    /// TO's version before; `None` for a service TO did not run.
    old: Option<&'a str>,
    /// FROM's version, now TO's.
    new: &'a str,
}

fn refusal(message: &str, help: &str) -> anyhow::Error {
    Diagnostic::new(message, Location::Nowhere)
        .with_help(help)
        .into_error()
}

#[cfg(test)]
mod tests {
    use super::plan;
    use crate::checks::testing::{Org, context};
    use crate::cli::{PromoteArgs, ReportFormat};

    fn args(from: &str, to: &str) -> PromoteArgs {
        PromoteArgs {
            from: from.to_owned(),
            to: to.to_owned(),
            service: None,
            dry_run: false,
            force: false,
            format: ReportFormat::Human,
        }
    }

    #[test]
    fn a_promotion_is_worked_out_in_memory_changing_only_the_versions_bytes() {
        let platform = Org::new().platform();
        let plan = plan(&platform, &args("staging", "prod"), context().today).unwrap();
        assert_eq!(plan.versions, [("storefront", "1.3.0", "1.2.0")]);
        assert!(plan.new_services.is_empty());
        let before = &plan.to.file.text;
        assert_eq!(
            plan.new_text,
            before.replacen("version = \"1.2.0\"", "version = \"1.3.0\"", 1)
        );
    }

    #[test]
    fn a_new_service_comes_along_whole_and_a_downgrade_is_refused() {
        let platform = Org::new()
            .edit(
                "prod",
                "[services.mailer]\nversion = \"2.1.0\"\nreplicas = 4\n",
                "",
            )
            .platform();
        let promotion = plan(&platform, &args("staging", "prod"), context().today).unwrap();
        assert_eq!(promotion.new_services, [("mailer", "2.1.0")]);
        assert!(
            promotion
                .new_text
                .ends_with("\n[services.mailer]\nversion = \"2.1.0\"\nreplicas = 2\n"),
            "{}",
            promotion.new_text
        );
        let platform = Org::new().platform();
        let err = plan(&platform, &args("prod", "staging"), context().today)
            .err()
            .expect("prod runs an older storefront than staging");
        assert!(
            format!("{err:#}").contains("storefront: prod runs 1.2.0, older than 1.3.0 in staging"),
            "{err:#}"
        );
    }
}
