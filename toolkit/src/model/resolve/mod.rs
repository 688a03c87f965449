//! From the files as written to the resolved platform: defaults from `platform.toml`,
//! names from the conventions, every value validated and given its origin. Problems are
//! collected, not returned one by one, so a person sees them all at once.
//!
//! By concept: `platform` resolves what every environment shares (`platform.toml`),
//! `environment` one environment, `cluster` the cluster it runs, and `across` what only
//! shows with every environment resolved (overlapping VPCs, where telemetry goes).

mod across;
mod cluster;
mod environment;
mod platform;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, OnceLock};

use ipnet::Ipv4Net;

use crate::model::spanned::Spanned;

use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span};
use crate::model::files::PlatformFile;
use crate::model::hosts::{self};
use crate::model::names::EnvName;
use crate::model::{CiProvider, Environment, Origin, Platform, ServiceDecl, Sourced, Stage};

pub use across::VPC_NO_OVERLAP_RULE;
use across::{check_across, suggest_free_vpc};
use cluster::ClusterKeys;
use environment::{EnvResolver, parse_environment};
use platform::{
    Shared, resolve_buildkite, resolve_checks, resolve_github, resolve_hosts, resolve_parity,
    shared,
};

/// Resolves one repository: `platform` as parsed from `platform_file`, every environment
/// directory's name and `environment.toml`, and the services the workspace declares.
///
/// The services are found by `services` on a thread of their own while the environments
/// are parsed (finding them reads every crate's manifest): each environment is parsed, then
/// resolved once they are known, the environments spread over the cores. An error finding
/// them is returned as it is, the files' problems left unreported.
pub fn resolve<E: Send>(
    root: &Path,
    platform_file: &Arc<SourceFile>,
    platform: Result<PlatformFile, Diagnostic>,
    environments: &[(String, Arc<SourceFile>)],
    services: impl FnOnce() -> Result<BTreeMap<String, Arc<ServiceDecl>>, E> + Send,
) -> Result<Result<Platform, Diagnostics>, E> {
    let found: OnceLock<BTreeMap<String, Arc<ServiceDecl>>> = OnceLock::new();
    // What every environment draws on, once the services are known; `None` when the
    // platform's file, or finding the services, failed.
    let ready: OnceLock<Option<(Shared, Sourced<Ipv4Net>)>> = OnceLock::new();
    let bytes = environments.iter().map(|(_, file)| file.text.len()).sum();
    let (outcomes, finding) = std::thread::scope(|scope| {
        let finder = scope.spawn(|| {
            // Released however this thread ends, so that no environment waits forever.
            let unblock = Unblock(&ready);
            let mut problems = Diagnostics::default();
            let services = services()?;
            let services = found.get_or_init(|| services);
            let shared = platform
                .map_err(|d| problems.push(d))
                .ok()
                .and_then(|platform| shared(platform_file, platform, services, &mut problems));
            let _ = unblock.0.set(shared);
            Ok(problems)
        });
        let outcomes =
            crate::parallel::map_text(environments.iter().collect(), bytes, |(dir, file)| {
                let mut own_problems = Diagnostics::default();
                let mut vpc_problem = None;
                let environment = match parse_environment(dir, file) {
                    Ok((name, raw)) => ready.wait().as_ref().and_then(|(shared, _)| {
                        let mut resolver = EnvResolver {
                            shared,
                            name: &name,
                            file,
                            problems: &mut own_problems,
                            breaches: Vec::new(),
                            vpc_problem: None,
                        };
                        let environment = resolver.resolve(raw);
                        vpc_problem = resolver.vpc_problem;
                        environment.map(|env| (name, env))
                    }),
                    Err(parse_problems) => {
                        own_problems = parse_problems;
                        None
                    }
                };
                (environment, own_problems, vpc_problem)
            });
        let finding = finder
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (outcomes, finding)
    });
    let mut problems = finding?;
    let shared = ready.into_inner().flatten();
    let mut resolved: BTreeMap<EnvName, Environment> = BTreeMap::new();
    let mut vpc_problems = Vec::new();
    for (environment, own_problems, vpc_problem) in outcomes {
        vpc_problems.extend(vpc_problem.map(|i| problems.0.len() + i));
        problems.0.extend(own_problems.0);
        if let Some((name, environment)) = environment {
            resolved.insert(name, environment);
        }
    }
    let Some((mut shared, vpc_range)) = shared else {
        problems.dedup();
        return Ok(Err(problems));
    };
    suggest_free_vpc(&resolved, vpc_range.value, &vpc_problems, &mut problems);
    check_across(&mut resolved, &shared, vpc_range.value, &mut problems);
    super::telemetry::watch_shipping_clusters(&mut resolved);
    hosts::check_unique(&resolved, &mut problems);
    let hosts_allowed = resolve_hosts(shared.hosts.take(), &shared.platform_file, &mut problems);
    let image_registry = shared.images.take().and_then(|images| {
        validated(&mut problems, &shared.platform_file, images.registry, |registry| {
            crate::model::services::image_repository(registry)
                .map(|()| registry.clone())
                .map_err(|reason| format!("{reason}: write where service images are pushed, without a trailing `/`, such as \"ghcr.io/example\""))
        })
    });
    let github = resolve_github(shared.github.take(), &shared.platform_file, &mut problems);
    let buildkite = resolve_buildkite(
        shared.buildkite.take(),
        &shared.platform_file,
        &mut problems,
    );
    let managed_observability = shared.observability.take();
    let Shared {
        org,
        name,
        domain,
        teams,
        parity,
        checks,
        platform_file,
        ..
    } = shared;
    let checks = resolve_checks(checks, &platform_file, &mut problems);
    let directories: Vec<&str> = environments.iter().map(|(dir, _)| dir.as_str()).collect();
    let parity =
        parity.and_then(|p| resolve_parity(p, &platform_file, &directories, &mut problems));
    problems.dedup();
    let ci_provider = resolved
        .values()
        .filter(|env| env.stage.value == Stage::Ci)
        .find_map(|env| env.ci.as_ref())
        .map_or(CiProvider::Github, |ci| ci.provider.value);
    Ok(problems.into_result(Platform {
        root: root.to_path_buf(),
        file: platform_file,
        org,
        name,
        domain,
        vpc_range,
        teams,
        environments: resolved,
        parity,
        checks,
        hosts_allowed,
        image_registry,
        pins: None,
        records_toolkit: false,
        github,
        buildkite,
        managed_observability,
        ci_provider,
        services: found.into_inner().unwrap_or_default(),
    }))
}

/// Leaves no environment waiting for what the services' thread makes, whatever happens
/// to that thread: dropped before anything was made, it makes nothing.
struct Unblock<'a, T>(&'a OnceLock<Option<T>>);

impl<T> Drop for Unblock<'_, T> {
    fn drop(&mut self) {
        let _ = self.0.set(None);
    }
}

fn origin_location(origin: &Origin) -> Location {
    match origin {
        Origin::File(span) => Location::Span(span.clone()),
        _ => Location::Nowhere,
    }
}

/// A key of an environment's own table, or else of the same table in `platform.toml`,
/// with the file it was found in.
fn inherited<Table, T: Clone>(
    own: Option<(&Arc<SourceFile>, &Table)>,
    defaults: Option<(&Arc<SourceFile>, &Table)>,
    get: impl Fn(&Table) -> Option<&Spanned<T>>,
) -> Option<(Arc<SourceFile>, Spanned<T>)> {
    [own, defaults]
        .into_iter()
        .flatten()
        .find_map(|(file, table)| get(table).map(|value| (file.clone(), value.clone())))
}

/// Anything with a span in a source file.
trait HasSpan {
    fn span(&self) -> std::ops::Range<usize>;
}

impl<T> HasSpan for Spanned<T> {
    fn span(&self) -> std::ops::Range<usize> {
        Spanned::span(self)
    }
}

/// A written value checked by `parse`; a failure is reported at the value.
fn validated<T, U>(
    problems: &mut Diagnostics,
    file: &Arc<SourceFile>,
    value: Spanned<T>,
    parse: impl FnOnce(&T) -> Result<U, String>,
) -> Option<Sourced<U>> {
    let span = Span {
        file: file.clone(),
        range: value.span(),
    };
    match parse(value.get_ref()) {
        Ok(parsed) => Some(Sourced::new(parsed, Origin::File(span))),
        Err(reason) => {
            problems.push(Diagnostic::at(span, reason));
            None
        }
    }
}
