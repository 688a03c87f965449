//! From the files as written to the resolved platform: defaults from `platform.toml`,
//! names from the conventions, every value validated and given its origin. Problems are
//! collected, not returned one by one, so a person sees them all at once.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::Arc;

use cargo_metadata::semver;
use ipnet::Ipv4Net;
use serde_spanned::Spanned;

use super::date::Date;
use super::files::{
    AcmeFile, ComponentsFile, EnvironmentFile, HostsFile, IdentityFile, NamesFile, ParityFile,
    PlatformFile, PoolFile, SecretsFile, ServiceFile,
};
use super::hosts::{self, HostAllowance};
use super::load::ENVIRONMENTS_DIR;
use super::names::{Account, ClusterId, DnsName, EnvName, Region, Slug};
use super::{
    Access, Acme, Allowance, Breach, Ci, Cluster, Components, Environment, Identity, Observability,
    Origin, Parity, Platform, Pool, Runners, SecretAllowance, Secrets, Seed, SeedRelease, Service,
    ServiceDecl, Sourced, Stage, Template, Workload,
};
use crate::diagnostic::{Diagnostic, Diagnostics, Location, SourceFile, Span, help_valid};
use crate::model::conventions::{Naming, Pattern, Unmade, Variables};
use crate::model::network::{self, ZoneSubnets};
use crate::rule::{RuleDoc, RuleId, RuleLevel};

/// Overlapping VPCs are found once every environment is resolved, in [`check_across`].
pub static VPC_NO_OVERLAP_RULE: RuleDoc = RuleDoc {
    id: RuleId::VpcNoOverlap,
    default: RuleLevel::Deny,
    summary: "no two environments' VPCs overlap",
    explanation: "Each environment gets a distinct VPC range, allocated once and never \
shifted, so that environments can be peered or reached over a VPN without address clashes and \
so that an address says which environment it belongs to. Overlapping VPCs are refused when the \
platform loads, so this rule cannot be lowered. `cargo xtask new-env` allocates a free /16.",
};

/// The pools Podplane's load balancers need: the API targets `control-plane`, the
/// domain's load balancer `ingress`.
const REQUIRED_POOLS: [&str; 2] = ["control-plane", "ingress"];

/// The git repository of Podplane's published platform components.
const DEFAULT_COMPONENTS_SOURCE: &str = "https://github.com/podplane/components.git";

/// Resolves one repository: `platform` as parsed from `platform_file`, and every
/// environment directory's name and `environment.toml`. Each environment is parsed and
/// resolved in one pass, the environments spread over the cores.
pub fn resolve(
    root: &Path,
    platform_file: &Arc<SourceFile>,
    platform: Result<PlatformFile, Diagnostic>,
    environments: &[(String, Arc<SourceFile>)],
    services: BTreeMap<String, Arc<ServiceDecl>>,
) -> Result<Platform, Diagnostics> {
    let mut problems = Diagnostics::default();
    let shared = platform
        .map_err(|d| problems.push(d))
        .ok()
        .and_then(|platform| shared(platform_file, platform, &services, &mut problems));
    let outcomes = crate::parallel::map(environments.iter().collect(), |(dir, file)| {
        let mut own_problems = Diagnostics::default();
        let mut vpc_problem = None;
        let environment = match (parse_environment(dir, file), &shared) {
            (Ok((name, raw)), Some((shared, _))) => {
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
            }
            (Ok(_), None) => None,
            (Err(parse_problems), _) => {
                own_problems = parse_problems;
                None
            }
        };
        (environment, own_problems, vpc_problem)
    });
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
        return Err(problems);
    };
    suggest_free_vpc(&resolved, vpc_range.value, &vpc_problems, &mut problems);
    check_across(&mut resolved, &shared, vpc_range.value, &mut problems);
    hosts::check_unique(&resolved, &mut problems);
    let hosts_allowed = resolve_hosts(shared.hosts.take(), &shared.platform_file, &mut problems);
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
    problems.into_result(Platform {
        root: root.to_path_buf(),
        org,
        name,
        domain,
        vpc_range,
        teams,
        services,
        environments: resolved,
        parity,
        checks,
        hosts_allowed,
    })
}

/// `[checks]`: each key a rule id, each level one a rule allows.
fn resolve_checks(
    raw: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> BTreeMap<RuleId, Sourced<RuleLevel>> {
    let mut levels = BTreeMap::new();
    for (id, level) in raw {
        let at = |spanned: &dyn HasSpan| Span {
            file: file.clone(),
            range: spanned.span(),
        };
        match RuleId::parse(id.get_ref()) {
            None => problems.push(
                Diagnostic::at(at(&id), format!("unknown rule `{}`", id.get_ref()))
                    .with_help(help_valid("rules", id.get_ref(), &RuleId::names())),
            ),
            Some(rule) if rule.found_while_loading() && *level.get_ref() != RuleLevel::Deny => {
                problems.push(
                    Diagnostic::at(at(&level), format!("rule `{rule}` is always deny")).with_help(
                        format!("`cargo xtask explain {rule}` says why; remove this line"),
                    ),
                )
            }
            Some(rule) => {
                levels.insert(rule, Sourced::written(file, level));
            }
        }
    }
    levels
}

/// `[parity]`: every environment it names must exist, every allowance needs a reason, and
/// its path and date must be well formed.
fn resolve_parity(
    raw: ParityFile,
    file: &Arc<SourceFile>,
    known: &[&str],
    problems: &mut Diagnostics,
) -> Option<Parity> {
    let environment = |name: Spanned<String>, problems: &mut Diagnostics| {
        let found = known
            .contains(&name.get_ref().as_str())
            .then(|| EnvName::parse(name.get_ref()).ok())
            .flatten();
        if found.is_none() {
            problems.push(
                Diagnostic::at(
                    Span {
                        file: file.clone(),
                        range: name.span(),
                    },
                    format!("unknown environment `{}`", name.get_ref()),
                )
                .with_help(help_valid("environments", name.get_ref(), known)),
            );
        }
        Some(Sourced::new(
            found?,
            Origin::File(Span {
                file: file.clone(),
                range: name.span(),
            }),
        ))
    };
    let before = problems.0.len();
    let reference = environment(raw.reference, problems);
    let candidates: Vec<_> = raw
        .candidates
        .into_iter()
        .filter_map(|c| environment(c, problems))
        .collect();
    if let Some(reference) = &reference
        && let Some(twice) = candidates.iter().find(|c| c.value == reference.value)
    {
        problems.push(
            Diagnostic::new(
                format!(
                    "`{}` is both the parity reference and a candidate",
                    reference.value
                ),
                origin_location(&twice.origin),
            )
            .with_help("a candidate is compared with the reference; remove it from candidates"),
        );
    }
    let mut allow = Vec::new();
    for entry in raw.allow {
        let path = validated(problems, file, entry.path, valid_path);
        let reason = validated(problems, file, entry.reason, |r| {
            if r.trim().is_empty() {
                Err("an allowance needs a reason: say why the difference is safe".to_owned())
            } else {
                Ok(r.clone())
            }
        });
        let until = entry
            .until
            .and_then(|until| validated(problems, file, until, Date::from_toml));
        if let (Some(path), Some(reason)) = (path, reason) {
            allow.push(Allowance {
                path,
                reason,
                until,
            });
        }
    }
    (problems.0.len() == before).then_some(Parity {
        reference: reference?,
        candidates,
        allow,
    })
}

/// `[[secrets.allow]]`: each a dotted path and a reason.
fn resolve_secrets(
    raw: Option<SecretsFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Secrets {
    let mut allow = Vec::new();
    for entry in raw.map(|r| r.allow).unwrap_or_default() {
        let path = validated(problems, file, entry.path, valid_path);
        let reason = reason(
            problems,
            file,
            entry.reason,
            "why the value is not a secret",
        );
        if let (Some(path), Some(reason)) = (path, reason) {
            allow.push(SecretAllowance { path, reason });
        }
    }
    Secrets { allow }
}

/// `[[hosts.allow]]`: each a host name or glob, and a reason.
fn resolve_hosts(
    raw: Option<HostsFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Vec<HostAllowance> {
    let mut allow = Vec::new();
    for entry in raw.map(|r| r.allow).unwrap_or_default() {
        let host = validated(problems, file, entry.host, |host| {
            DnsName::parse(&host.replace('*', "x"))
                .map(|_| host.clone())
                .map_err(|reason| {
                    format!("{reason}; write a host name, or a glob such as `*.example.com`")
                })
        });
        let reason = reason(
            problems,
            file,
            entry.reason,
            "why the host lies outside its environment's zone",
        );
        if let (Some(host), Some(reason)) = (host, reason) {
            allow.push(HostAllowance { host, reason });
        }
    }
    allow
}

/// The reason an exception gives: required, and not blank.
fn reason(
    problems: &mut Diagnostics,
    file: &Arc<SourceFile>,
    reason: Spanned<String>,
    say: &str,
) -> Option<Sourced<String>> {
    validated(problems, file, reason, |r| {
        if r.trim().is_empty() {
            Err(format!("an exception needs a reason: say {say}"))
        } else {
            Ok(r.clone())
        }
    })
}

/// A dotted path or glob, as allowances write them.
fn valid_path(p: &String) -> Result<String, String> {
    if !p.is_empty() && p.split('.').all(|segment| !segment.is_empty()) {
        Ok(p.clone())
    } else {
        Err(format!(
            "`{p}` is not a path: write dotted keys such as `services.*.version`"
        ))
    }
}

/// An environment directory's name and its parsed file, or everything wrong with them.
fn parse_environment(
    dir: &str,
    file: &Arc<SourceFile>,
) -> Result<(EnvName, EnvironmentFile), Diagnostics> {
    let name = EnvName::parse(dir).map_err(|reason| {
        Diagnostic::new(reason, Location::Path(Path::new(ENVIRONMENTS_DIR).join(dir))).with_help(
            "rename the directory: an environment name is lowercase letters, digits and single hyphens, starting with a letter",
        )
    });
    match (name, super::parse_file::<EnvironmentFile>(file)) {
        (Ok(name), Ok(raw)) => Ok((name, raw)),
        (name, raw) => Err(Diagnostics(
            name.err().into_iter().chain(raw.err()).collect(),
        )),
    }
}

/// What every environment shares, from `platform.toml`, and the VPC range.
fn shared<'a>(
    platform_file: &Arc<SourceFile>,
    platform: PlatformFile,
    services: &'a BTreeMap<String, Arc<ServiceDecl>>,
    problems: &mut Diagnostics,
) -> Option<(Shared<'a>, Sourced<Ipv4Net>)> {
    let at = |spanned: &dyn HasSpan| Span {
        file: platform_file.clone(),
        range: spanned.span(),
    };
    let org = validated(problems, platform_file, platform.org, |s| Slug::parse(s));
    let domain = validated(problems, platform_file, platform.domain, |s| {
        DnsName::parse(s)
    });
    let region = validated(problems, platform_file, platform.defaults.region, |s| {
        Region::parse(s)
    });
    let allow_public = match platform.network.allow_public {
        Some(reason) if reason.get_ref().trim().is_empty() => {
            problems.push(
                Diagnostic::at(at(&reason), "`allow_public` needs a reason")
                    .with_help("say why these public addresses are the organisation's own"),
            );
            false
        }
        Some(_) => true,
        None => false,
    };
    let vpc_range = match platform.network.vpc_range {
        Some(range) => validated(problems, platform_file, range, |s| {
            let net = s
                .parse::<Ipv4Net>()
                .map_err(|_| format!("`{s}` is not an IPv4 CIDR: write it as \"10.0.0.0/8\""))?;
            if net.trunc() != net {
                return Err(format!(
                    "`{s}` has host bits set: the network is `{}`",
                    net.trunc()
                ));
            }
            if allow_public {
                Ok(net)
            } else {
                network::require_private(net)
            }
        }),
        None => Some(Sourced::new(
            "10.0.0.0/8".parse().expect("a valid CIDR"),
            Origin::Builtin("default: [network] vpc_range = \"10.0.0.0/8\""),
        )),
    };
    let mut teams = BTreeMap::new();
    for (team, members) in platform.teams {
        if let Err(reason) = Slug::parse(team.get_ref()) {
            problems.push(Diagnostic::at(
                at(&team),
                format!("invalid team name: {reason}"),
            ));
        }
        for member in members.get_ref() {
            if !looks_like_email(member.get_ref()) {
                problems.push(
                    Diagnostic::at(
                        at(member),
                        format!("`{}` is not an email address", member.get_ref()),
                    )
                    .with_help("team members are the emails the OIDC issuer puts in tokens"),
                );
            }
        }
        let members = Sourced::new(
            members
                .get_ref()
                .iter()
                .map(|m| m.get_ref().clone())
                .collect(),
            Origin::File(at(&members)),
        );
        teams.insert(team.into_inner(), members);
    }
    let naming = Naming::new(&platform.naming, platform_file).map_err(|d| problems.0.extend(d.0));
    let secrets = resolve_secrets(platform.secrets, platform_file, problems);
    let (Some(org), Some(domain), Some(region), Some(vpc_range), Ok(naming)) =
        (org, domain, region, vpc_range, naming)
    else {
        return None;
    };
    let shared = Shared {
        org,
        name: Sourced::written(platform_file, platform.name),
        domain,
        provider: Sourced::written(platform_file, platform.defaults.provider),
        region,
        default_components: platform.defaults.components,
        acme: platform.acme,
        parity: platform.parity,
        checks: platform.checks,
        hosts: platform.hosts,
        platform_file: platform_file.clone(),
        teams,
        naming,
        secrets: Arc::new(secrets),
        allow_public,
        services,
    };
    Some((shared, vpc_range))
}

/// What every environment draws on.
struct Shared<'a> {
    platform_file: Arc<SourceFile>,
    org: Sourced<Slug>,
    name: Sourced<String>,
    domain: Sourced<DnsName>,
    provider: Sourced<super::Provider>,
    region: Sourced<Region>,
    default_components: Option<ComponentsFile>,
    acme: Option<AcmeFile>,
    parity: Option<ParityFile>,
    checks: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
    hosts: Option<HostsFile>,
    teams: BTreeMap<String, Sourced<Vec<String>>>,
    naming: Naming,
    secrets: Arc<Secrets>,
    /// `[network] allow_public`: VPCs may use public addresses.
    allow_public: bool,
    services: &'a BTreeMap<String, Arc<ServiceDecl>>,
}

impl Shared<'_> {
    /// The variables every naming pattern of one environment may use.
    fn variables(
        &self,
        env: &EnvName,
        stage: Stage,
        region: &Region,
        account: &Account,
    ) -> Variables {
        Variables::new(&[
            ("org", self.org.value.as_str()),
            ("name", &self.name.value),
            ("domain", self.domain.value.as_str()),
            ("env", env.as_str()),
            ("stage", stage.as_str()),
            ("stage_title", stage.title()),
            ("region", region.as_str()),
            ("account", account.as_str()),
        ])
    }
}

/// The keys of an environment file that describe its cluster.
struct ClusterKeys {
    acme: Option<Spanned<AcmeFile>>,
    vpc: Option<Spanned<String>>,
    zones: Option<Spanned<u8>>,
    names: Option<Spanned<NamesFile>>,
    pools: BTreeMap<Spanned<String>, PoolFile>,
    components: Option<Spanned<ComponentsFile>>,
    services: BTreeMap<Spanned<String>, ServiceFile>,
}

/// Resolves one environment, reporting its problems.
struct EnvResolver<'a, 'b> {
    shared: &'a Shared<'a>,
    name: &'a EnvName,
    file: &'a Arc<SourceFile>,
    problems: &'b mut Diagnostics,
    /// Names written by hand that differ from their conventions.
    breaches: Vec<Breach>,
    /// Which of `problems` says the VPC is missing or invalid: it gets a free VPC as its
    /// help once every environment's VPC is known.
    vpc_problem: Option<usize>,
}

impl EnvResolver<'_, '_> {
    fn resolve(&mut self, raw: EnvironmentFile) -> Option<Environment> {
        let EnvironmentFile {
            stage,
            description,
            account,
            region,
            vpc,
            zones,
            names,
            pools,
            components,
            access,
            services,
            ci,
            observability,
            identity,
            acme,
        } = raw;
        let cluster_keys = ClusterKeys {
            vpc,
            zones,
            names,
            pools,
            components,
            services,
            acme,
        };
        let stage = Sourced::written(self.file, stage);
        let account = self.validated(account, |s| Account::parse(s));
        let region = match region {
            Some(region) => self.validated(region, |s| Region::parse(s)),
            None => Some(self.shared.region.clone()),
        };
        let access = self.access(access);
        let ci = self
            .stage_table(ci, "ci", Stage::Ci, stage.value)
            .map(|ci| Ci {
                runners: Sourced::written(self.file, ci.runners),
            });
        let observability = self
            .stage_table(
                observability,
                "observability",
                Stage::Observability,
                stage.value,
            )
            .map(|o| Observability {
                platform: Sourced::written(self.file, o.platform),
                retention_days: Sourced::written(self.file, o.retention_days),
                monitor: o.monitor.map(|m| Sourced::written(self.file, m)),
            });
        let identity_file = self.stage_table(identity, "identity", Stage::Identity, stage.value);
        let (account, region) = (account?, region?);

        let mut variables =
            self.shared
                .variables(self.name, stage.value, &region.value, &account.value);
        let issuer = self.issuer(&variables);

        let no_cluster_because = match (stage.value, &ci) {
            (Stage::Identity, _) => Some("an identity environment runs no cluster"),
            (Stage::Ci, Some(ci)) if ci.runners.value == Runners::Hosted => {
                Some("CI on hosted runners runs no cluster")
            }
            _ => None,
        };
        let cluster = match no_cluster_because {
            Some(why) => {
                self.refuse_cluster_keys(&cluster_keys, why);
                None
            }
            None => self.cluster(cluster_keys, &region.value, issuer.clone(), &mut variables),
        };
        let identity = match (identity_file, issuer) {
            (Some(file), Some(issuer)) => self.identity(file, &issuer, &variables),
            _ => None,
        };

        let tags = [
            ("podplane:environment", self.name.as_str()),
            ("podplane:stage", stage.value.as_str()),
            ("podplane:managed-by", "podplane"),
        ]
        .into_iter()
        .map(|(k, v)| {
            (k.to_owned(), Sourced::new(v.to_owned(), Origin::Builtin("convention: tags podplane:environment, podplane:stage, podplane:managed-by")))
        })
        .collect();

        let cluster_ok = no_cluster_because.is_some() || cluster.is_some();
        let stage_ok = match stage.value {
            Stage::Ci => ci.is_some(),
            Stage::Observability => observability.is_some(),
            Stage::Identity => identity.is_some(),
            _ => true,
        };
        (cluster_ok && stage_ok).then(|| Environment {
            name: self.name.clone(),
            file: self.file.clone(),
            stage,
            description: description.map(|d| Sourced::written(self.file, d)),
            provider: self.shared.provider.clone(),
            account,
            region,
            tags,
            access,
            cluster,
            ci,
            observability,
            identity,
            breaches: std::mem::take(&mut self.breaches),
            secrets: self.shared.secrets.clone(),
        })
    }

    fn span(&self, spanned: &dyn HasSpan) -> Span {
        Span {
            file: self.file.clone(),
            range: spanned.span(),
        }
    }

    fn validated<T: Clone, U>(
        &mut self,
        value: Spanned<T>,
        parse: impl FnOnce(&T) -> Result<U, String>,
    ) -> Option<Sourced<U>> {
        validated(self.problems, self.file, value, parse)
    }

    fn access(
        &mut self,
        raw: BTreeMap<Spanned<String>, Spanned<super::Role>>,
    ) -> BTreeMap<String, Access> {
        let mut access = BTreeMap::new();
        for (team, role) in raw {
            let Some(members) = self.shared.teams.get(team.get_ref()) else {
                let known: Vec<&str> = self.shared.teams.keys().map(String::as_str).collect();
                self.problems.push(
                    Diagnostic::at(
                        self.span(&team),
                        format!("unknown team `{}`", team.get_ref()),
                    )
                    .with_label("not a team of [teams] in platform.toml")
                    .with_help(help_valid("teams", team.get_ref(), &known)),
                );
                continue;
            };
            let group = Sourced::new(
                format!("podplane:{}", role.get_ref()),
                Origin::Builtin("convention: group = podplane:<role>"),
            );
            access.insert(
                team.into_inner(),
                Access {
                    role: Sourced::written(self.file, role),
                    group,
                    members: members.clone(),
                },
            );
        }
        access
    }

    /// A stage's own table: required in that stage, refused in any other.
    fn stage_table<T>(
        &mut self,
        table: Option<Spanned<T>>,
        key: &str,
        owner: Stage,
        stage: Stage,
    ) -> Option<T> {
        match table {
            Some(table) if stage != owner => {
                self.problems.push(
                    Diagnostic::at(
                        self.span(&table),
                        format!("[{key}] belongs only in an environment of stage `{owner}`"),
                    )
                    .with_label(format!("this environment's stage is `{stage}`"))
                    .with_help(format!("remove [{key}], or set stage = \"{owner}\"")),
                );
                None
            }
            Some(table) => Some(table.into_inner()),
            None if stage == owner => {
                self.problems.push(
                    Diagnostic::new(
                        format!("an environment of stage `{owner}` needs its [{key}] table"),
                        Location::Path(self.file.path.clone()),
                    )
                    .with_help(format!("see [{key}] in docs/environments-reference.md")),
                );
                None
            }
            None => None,
        }
    }

    /// Reports every cluster key written in an environment that runs no cluster.
    fn refuse_cluster_keys(&mut self, keys: &ClusterKeys, why: &str) {
        let ClusterKeys {
            acme,
            vpc,
            zones,
            names,
            pools,
            components,
            services,
        } = keys;
        let present: [(Option<std::ops::Range<usize>>, &str); 7] = [
            (acme.as_ref().map(Spanned::span), "[acme]"),
            (vpc.as_ref().map(Spanned::span), "vpc"),
            (zones.as_ref().map(Spanned::span), "zones"),
            (names.as_ref().map(Spanned::span), "[names]"),
            (pools.keys().next().map(Spanned::span), "[pools]"),
            (components.as_ref().map(Spanned::span), "[components]"),
            (services.keys().next().map(Spanned::span), "[services]"),
        ];
        for (range, key) in present {
            if let Some(range) = range {
                self.problems.push(
                    Diagnostic::at(
                        Span {
                            file: self.file.clone(),
                            range,
                        },
                        format!("{key} has no meaning here: {why}"),
                    )
                    .with_help(format!("remove {key}")),
                );
            }
        }
    }

    fn issuer(&mut self, variables: &Variables) -> Option<Sourced<String>> {
        let issuer = self.conventional(Pattern::Issuer, variables)?;
        let host = issuer
            .value
            .strip_prefix("https://")
            .map(|rest| rest.split('/').next().unwrap_or(rest));
        match host.map(DnsName::parse) {
            Some(Ok(_)) => Some(issuer),
            Some(Err(reason)) => {
                self.convention_problem(&issuer, reason);
                None
            }
            None => {
                self.convention_problem(
                    &issuer,
                    format!("issuer `{}` must be an https:// URL", issuer.value),
                );
                None
            }
        }
    }

    /// A name from its pattern; a failure is reported once per environment.
    fn conventional(&mut self, pattern: Pattern, variables: &Variables) -> Option<Sourced<String>> {
        self.shared
            .naming
            .render(pattern, variables)
            .map_err(|unmade| {
                if let Unmade::Failed(reason) = unmade {
                    self.problems.push(Diagnostic::new(
                        reason,
                        Location::Path(self.file.path.clone()),
                    ));
                }
            })
            .ok()
    }

    /// A name written in `[names]`, or else made by its pattern, then validated.
    fn name<U>(
        &mut self,
        written: Option<Spanned<String>>,
        pattern: Pattern,
        variables: &Variables,
        parse: impl FnOnce(&str) -> Result<U, String>,
    ) -> Option<Sourced<U>> {
        match written {
            Some(written) => {
                if let Ok(conventional) = self.shared.naming.render(pattern, variables)
                    && conventional.value != *written.get_ref()
                {
                    self.breaches.push(Breach {
                        convention: pattern.key(),
                        written: Sourced::written(self.file, written.clone()),
                        conventional: conventional.value,
                    });
                }
                self.validated(written, |s| parse(s))
            }
            None => {
                let made = self.conventional(pattern, variables)?;
                match parse(&made.value) {
                    Ok(value) => Some(made.map(|_| value)),
                    Err(reason) => {
                        self.convention_problem(&made, reason);
                        None
                    }
                }
            }
        }
    }

    /// A name made by a convention that breaks a rule: the environment's name or the
    /// pattern is at fault, so the help offers both ways out.
    fn convention_problem(&mut self, made: &Sourced<String>, reason: String) {
        let rule = match &made.origin {
            Origin::Convention(rule) => rule.to_string(),
            _ => String::from("a convention"),
        };
        self.problems.push(
            Diagnostic::new(format!("environment `{}`: {reason}", self.name), Location::Path(self.file.path.clone()))
                .with_help(format!(
                    "the value was made by {rule} for `{}`: change the pattern in [naming] of platform.toml, write the name by hand in [names] of this file, or rename the environment", self.name
                )),
        );
    }

    fn cluster(
        &mut self,
        keys: ClusterKeys,
        region: &Region,
        issuer: Option<Sourced<String>>,
        variables: &mut Variables,
    ) -> Option<Cluster> {
        let ClusterKeys {
            acme,
            vpc,
            zones,
            names,
            pools,
            components,
            services,
        } = keys;
        let names = names.map(Spanned::into_inner).unwrap_or_default();
        let id = self.name(
            names.cluster_id,
            Pattern::ClusterId,
            variables,
            ClusterId::parse,
        );
        let name = self.name(names.cluster_name, Pattern::ClusterName, variables, |s| {
            if s.trim().is_empty() {
                Err("cluster name is empty".to_owned())
            } else {
                Ok(s.to_owned())
            }
        });
        let zone = self.name(names.zone, Pattern::Zone, variables, DnsName::parse);
        if let Some(zone) = &zone {
            variables.set("zone", zone.value.as_str());
        }
        let api_host = self.name(names.api_host, Pattern::ApiHost, variables, DnsName::parse);
        let registry_host = self.name(
            names.registry_host,
            Pattern::RegistryHost,
            variables,
            DnsName::parse,
        );
        let problems_before = self.problems.0.len();
        let vpc = match vpc {
            Some(vpc) => {
                let allow_public = self.shared.allow_public;
                self.validated(vpc, |s| {
                    let net = network::parse_vpc(s)?;
                    if allow_public {
                        Ok(net)
                    } else {
                        network::require_private(net)
                    }
                })
            }
            None => {
                self.problems.push(Diagnostic::new(
                    "missing key `vpc`: a cluster environment needs its own VPC range",
                    Location::Path(self.file.path.clone()),
                ));
                None
            }
        };
        if vpc.is_none() {
            self.vpc_problem = Some(problems_before);
        }
        let zones = match zones {
            Some(zones) => self.validated(zones, |&n| {
                if (1..=6).contains(&n) {
                    Ok(n)
                } else {
                    Err(format!(
                        "zones = {n}: a cluster spans 1 to 6 availability zones"
                    ))
                }
            }),
            None => Some(Sourced::new(3, Origin::Builtin("default: zones = 3"))),
        };
        let pools = self.pools(pools);
        let subnets = match (&vpc, &zones, &pools) {
            (Some(vpc), Some(zones), Some(pools)) => self.subnets(vpc, region, zones.value, pools),
            _ => None,
        };
        let acme = self.acme(acme);
        let components = self.components(components);
        let services = self.services(services, variables);
        let client_id = id.clone().map(|id| {
            Sourced::new(
                id.value,
                Origin::Builtin("convention: OIDC client id = cluster id"),
            )
        });
        Some(Cluster {
            id: id?,
            name: name?,
            zone: zone?,
            api_host: api_host?,
            registry_host: registry_host?,
            issuer: issuer?,
            client_id: client_id?,
            otlp_endpoint: None,
            vpc: vpc?,
            zones: zones?,
            subnets: subnets?,
            acme: acme?,
            pools: pools?,
            components: components?,
            services: services?,
        })
    }

    fn pools(
        &mut self,
        raw: BTreeMap<Spanned<String>, PoolFile>,
    ) -> Option<BTreeMap<String, Pool>> {
        let before = self.problems.0.len();
        for required in REQUIRED_POOLS {
            if !raw.keys().any(|k| k.get_ref() == required) {
                self.problems.push(
                    Diagnostic::new(format!("missing pool `{required}`"), Location::Path(self.file.path.clone()))
                        .with_help(format!(
                            "add [pools.{required}]: Podplane's Kubernetes API load balancer targets `control-plane`, the domain's load balancer targets `ingress`"
                        )),
                );
            }
        }
        let mut pools = BTreeMap::new();
        for (name, pool) in raw {
            if let Err(reason) = Slug::parse(name.get_ref()) {
                self.problems.push(Diagnostic::at(
                    self.span(&name),
                    format!("invalid pool name: {reason}"),
                ));
            }
            let arch = *pool.arch.get_ref();
            let instance_type = self.validated(pool.instance_type, |s| {
                let valid = s.split_once('.').is_some_and(|(family, size)| {
                    !family.is_empty()
                        && !size.is_empty()
                        && s.bytes().all(|b| {
                            b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-'
                        })
                });
                if !valid {
                    return Err(format!(
                        "`{s}` is not an instance type: write it as \"m7g.large\""
                    ));
                }
                match network::instance_arch(s) {
                    Some(runs) if runs != arch => Err(format!(
                        "`{s}` runs {runs}, but the pool's arch is {arch}: use a {arch} instance type (Graviton families such as `m7g` are arm64; `m7i` and `m7a` are amd64), or change `arch`"
                    )),
                    _ => Ok(s.clone()),
                }
            });
            let size = self.validated(pool.size, |&n| {
                if n >= 1 {
                    Ok(n)
                } else {
                    Err("a pool needs at least 1 instance".to_owned())
                }
            });
            let disk_size = match pool.disk_size {
                Some(disk) => self.validated(disk, |&n| {
                    if n >= 8 {
                        Ok(n)
                    } else {
                        Err(format!("disk_size = {n}: at least 8 GB"))
                    }
                }),
                None => Some(Sourced::new(
                    100,
                    Origin::Builtin("default: disk_size = 100 (Podplane's default)"),
                )),
            };
            if let (Some(instance_type), Some(size), Some(disk_size)) =
                (instance_type, size, disk_size)
            {
                pools.insert(
                    name.into_inner(),
                    Pool {
                        arch: Sourced::written(self.file, pool.arch),
                        instance_type,
                        size,
                        disk_size,
                    },
                );
            }
        }
        (self.problems.0.len() == before).then_some(pools)
    }

    /// The subnets of every zone, pools in the order `control-plane`, `ingress`, then the
    /// others by name.
    fn subnets(
        &mut self,
        vpc: &Sourced<Ipv4Net>,
        region: &Region,
        zones: u8,
        pools: &BTreeMap<String, Pool>,
    ) -> Option<Sourced<Vec<ZoneSubnets>>> {
        let order: Vec<&str> = REQUIRED_POOLS
            .into_iter()
            .chain(
                pools
                    .keys()
                    .map(String::as_str)
                    .filter(|p| !REQUIRED_POOLS.contains(p)),
            )
            .collect();
        match network::plan_subnets(vpc.value, region.as_str(), zones, &order) {
            Ok(plan) => Some(Sourced::new(
                plan,
                Origin::Builtin(
                    "convention: per zone a public /28, an Nstance /28 and a /24 per pool",
                ),
            )),
            Err(reason) => {
                self.problems.push(
                    Diagnostic::new(reason, origin_location(&vpc.origin))
                        .with_help("use a larger VPC (a /16 holds 255 pool subnets), fewer zones or fewer pools"),
                );
                None
            }
        }
    }

    /// The environment's `[acme]`, key by key over `[acme]` of `platform.toml`; `None`
    /// inside when neither has one (self-signed certificates).
    fn acme(&mut self, own: Option<Spanned<AcmeFile>>) -> Option<Option<Acme>> {
        let own = own.map(Spanned::into_inner);
        let own = own.as_ref().map(|a| (self.file, a));
        let defaults = self
            .shared
            .acme
            .as_ref()
            .map(|a| (&self.shared.platform_file, a));
        if own.is_none() && defaults.is_none() {
            return Some(None);
        }
        let email = match inherited(own, defaults, |a| a.email.as_ref()) {
            Some((file, email)) => validated(self.problems, &file, email, |s| {
                if looks_like_email(s) {
                    Ok(s.clone())
                } else {
                    Err(format!(
                        "`{s}` is not an email address: the ACME account needs one for expiry notices"
                    ))
                }
            }),
            None => {
                self.problems.push(
                    Diagnostic::new("acme `email` is not set", Location::Path(self.file.path.clone()))
                        .with_help("set `email` in [acme] of platform.toml, or remove [acme] for self-signed certificates"),
                );
                None
            }
        };
        let server = match inherited(own, defaults, |a| a.server.as_ref()) {
            Some((file, server)) => Some(validated(self.problems, &file, server, |s| {
                if s.starts_with("https://") {
                    Ok(s.clone())
                } else {
                    Err(format!(
                        "`{s}` is not an ACME directory URL: write it as \"https://acme-v02.api.letsencrypt.org/directory\""
                    ))
                }
            })?),
            None => None,
        };
        Some(Some(Acme {
            email: email?,
            server,
        }))
    }

    /// The environment's `[components]`, key by key over `[defaults.components]`.
    fn components(&mut self, own: Option<Spanned<ComponentsFile>>) -> Option<Components> {
        let own = own.map(Spanned::into_inner);
        let own = own.as_ref().map(|c| (self.file, c));
        let defaults = self
            .shared
            .default_components
            .as_ref()
            .map(|c| (&self.shared.platform_file, c));
        let version = inherited(own, defaults, |c| c.version.as_ref());
        let seed_version = inherited(own, defaults, |c| c.seed_version.as_ref());
        let seed_digest = inherited(own, defaults, |c| c.seed_digest.as_ref());
        let seed = inherited(own, defaults, |c| c.seed.as_ref())
            .map(|(file, seed)| Sourced::written(&file, seed));
        let source = match inherited(own, defaults, |c| c.source.as_ref()) {
            Some((file, source)) => validated(self.problems, &file, source, |s| {
                if s.starts_with("https://") || s.starts_with("ssh://") || s.starts_with("git@") {
                    Ok(s.clone())
                } else {
                    Err(format!(
                        "`{s}` is not a git repository URL: write it as \"https://github.com/org/components.git\""
                    ))
                }
            }),
            None => Some(Sourced::new(
                DEFAULT_COMPONENTS_SOURCE.to_owned(),
                Origin::Builtin("default: components source = Podplane's published components"),
            )),
        };
        let missing = |key: &str| {
            Diagnostic::new(format!("components `{key}` is not set"), Location::Path(self.file.path.clone()))
                .with_help(format!("set `{key}` in [components] of this file, or in [defaults.components] of platform.toml"))
        };
        let version = match version {
            Some((file, v)) => validated(self.problems, &file, v, |s| {
                semver::VersionReq::parse(s)
                    .map(|_| s.clone())
                    .map_err(|e| {
                        format!("`{s}` is not a semver range ({e}): write it as \"^1.2.3\"")
                    })
            }),
            None => {
                self.problems.push(missing("version"));
                None
            }
        };
        let Some(seed) = seed else {
            self.problems.push(missing("seed"));
            return None;
        };
        let seed_release = match (seed.value, seed_version, seed_digest) {
            (Seed::None, version, digest) => {
                // A release written beside `seed = "none"` is a mistake; one inherited from
                // `[defaults.components]` belongs to the other environments' seed.
                let seed_file = match &seed.origin {
                    Origin::File(span) => Some(&span.file),
                    _ => None,
                };
                let beside: Vec<_> = version
                    .iter()
                    .chain(digest.iter())
                    .filter(|(file, _)| seed_file.is_some_and(|f| Arc::ptr_eq(f, file)))
                    .collect();
                for (file, value) in &beside {
                    self.problems.push(
                        Diagnostic::at(
                            Span {
                                file: file.clone(),
                                range: value.span(),
                            },
                            "a seed release has no meaning when seed = \"none\"",
                        )
                        .with_help("remove it, or choose seed = \"recommended\" or \"minimal\""),
                    );
                }
                if !beside.is_empty() {
                    return None; // reported above
                }
                None
            }
            (_, Some((vfile, version)), Some((dfile, digest))) => {
                let version = validated(self.problems, &vfile, version, |s| {
                    if s.starts_with('v') && s.len() > 1 {
                        Ok(s.clone())
                    } else {
                        Err(format!(
                            "`{s}` is not a seed release: write it as \"v1.2.3-1\""
                        ))
                    }
                });
                let digest = validated(self.problems, &dfile, digest, |s| {
                    let hex = s.strip_prefix("sha512:").unwrap_or("");
                    if hex.len() == 128
                        && hex
                            .bytes()
                            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
                    {
                        Ok(s.clone())
                    } else {
                        Err(format!(
                            "`{s}` is not a seed digest: write `sha512:` and 128 lowercase hex digits"
                        ))
                    }
                });
                Some(SeedRelease {
                    version: version?,
                    digest: digest?,
                })
            }
            (_, version, _) => {
                let key = if version.is_none() {
                    "seed_version"
                } else {
                    "seed_digest"
                };
                self.problems.push(missing(key).with_help(format!(
                    "Podplane pins the `{}` seed by release and digest: set `{key}` in [components] or [defaults.components]",
                    seed.value
                )));
                return None;
            }
        };
        Some(Components {
            version: version?,
            seed,
            seed_release,
            source: source?,
        })
    }

    fn services(
        &mut self,
        raw: BTreeMap<Spanned<String>, ServiceFile>,
        variables: &mut Variables,
    ) -> Option<BTreeMap<String, Service>> {
        let before = self.problems.0.len();
        let mut services = BTreeMap::new();
        for (name, service) in raw {
            let Some(decl) = self.shared.services.get(name.get_ref()) else {
                let declared: Vec<&str> = self.shared.services.keys().map(String::as_str).collect();
                self.problems.push(
                    Diagnostic::at(self.span(&name), format!("service `{}` is not declared by any crate", name.get_ref()))
                        .with_label("no crate in the workspace declares this service")
                        .with_help(format!(
                            "{}; a crate declares a service with [package.metadata.platform] in its Cargo.toml",
                            help_valid("services", name.get_ref(), &declared)
                        )),
                );
                continue;
            };
            variables.set("service", name.get_ref());
            let workload = self.workload(
                name.get_ref(),
                decl,
                service.hostname,
                service.replicas,
                variables,
            );
            let version = self.validated(service.version, |s| {
                let version = semver::Version::parse(s).map_err(|e| {
                    format!("`{s}` is not a semver version ({e}): write it as \"1.2.3\"")
                })?;
                if version.build.is_empty() {
                    Ok(s.clone())
                } else {
                    Err(format!(
                        "`{s}` cannot tag an image: an OCI tag has no `+`; drop the build metadata (`{}`) or write it as a pre-release, such as `{}-{}`",
                        version.build,
                        semver::Version::new(version.major, version.minor, version.patch),
                        version.build.as_str().replace('+', ".")
                    ))
                }
            });
            let mut env = BTreeMap::new();
            for (key, value) in service.env {
                if !is_env_var_name(key.get_ref()) {
                    self.problems.push(
                        Diagnostic::at(self.span(&key), format!("`{}` is not an environment variable name", key.get_ref()))
                            .with_help("use letters, digits and underscores, not starting with a digit, such as LOG_LEVEL"),
                    );
                }
                env.insert(key.into_inner(), Sourced::written(self.file, value));
            }
            if let (Some(workload), Some(version)) = (workload, version) {
                services.insert(
                    name.into_inner(),
                    Service {
                        version,
                        env,
                        workload,
                        declaration: decl.clone(),
                    },
                );
            }
        }
        (self.problems.0.len() == before).then_some(services)
    }

    /// What the service's template deploys here. Only what reaches the cluster may be
    /// written: a web service's host name, a worker's replica count.
    fn workload(
        &mut self,
        service: &str,
        decl: &ServiceDecl,
        hostname: Option<Spanned<String>>,
        replicas: Option<Spanned<u32>>,
        variables: &Variables,
    ) -> Option<Workload> {
        match decl.template.value {
            Template::Web => {
                if let Some(replicas) = &replicas {
                    self.problems.push(
                        Diagnostic::at(
                            self.span(replicas),
                            format!("`replicas` cannot be set for `{service}`: Podplane's web template runs one replica"),
                        )
                        .with_label("no replica count reaches a web service's cluster")
                        .with_help("remove `replicas`: the web template's Deployment has `replicas: 1` fixed, its values accept no replica count and `podplane deploy` has no such flag; only a `worker` service takes one"),
                    );
                }
                let host = self.name(hostname, Pattern::ServiceHost, variables, DnsName::parse);
                Some(Workload::Web { host: host? })
            }
            Template::Worker => {
                if let Some(hostname) = &hostname {
                    self.problems.push(
                        Diagnostic::at(
                            self.span(hostname),
                            format!("`hostname` cannot be set for `{service}`: a worker is not served at a host name"),
                        )
                        .with_label("Podplane's worker template has no Service and no route")
                        .with_help(format!("remove `hostname`, or declare `template = \"web\"` in the crate of `{service}` if it serves HTTP")),
                    );
                }
                let replicas = match replicas {
                    Some(r) => self.validated(r, |&n| {
                        if n >= 1 {
                            Ok(n)
                        } else {
                            Err("a worker needs at least 1 replica".to_owned())
                        }
                    }),
                    None => Some(Sourced::new(1, Origin::Builtin("default: replicas = 1"))),
                };
                Some(Workload::Worker {
                    replicas: replicas?,
                })
            }
        }
    }

    fn identity(
        &mut self,
        raw: IdentityFile,
        issuer: &Sourced<String>,
        variables: &Variables,
    ) -> Option<Identity> {
        let host = issuer
            .value
            .trim_start_matches("https://")
            .split('/')
            .next()
            .unwrap_or_default();
        let hostname = Sourced::new(DnsName::parse(host).ok()?, issuer.origin.clone());
        let arn = |s: &str| {
            if s.starts_with("arn:aws:secretsmanager:") {
                Ok(s.to_owned())
            } else {
                Err(format!(
                    "`{s}` is not a Secrets Manager ARN: write it as \"arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME\""
                ))
            }
        };
        let client_secret_arn = self.name(
            raw.client_secret_arn,
            Pattern::ConnectorSecretArn,
            variables,
            arn,
        );
        let signing_key_secret_arn = self.name(
            raw.signing_key_secret_arn,
            Pattern::SigningKeySecretArn,
            variables,
            arn,
        );
        Some(Identity {
            hostname,
            connector: Sourced::written(self.file, raw.connector),
            client_secret_arn: client_secret_arn?,
            signing_key_secret_arn: signing_key_secret_arn?,
        })
    }
}

/// What only shows with every environment resolved: clashing VPCs, cluster ids and zones,
/// and where telemetry goes.
fn check_across(
    environments: &mut BTreeMap<EnvName, Environment>,
    shared: &Shared,
    vpc_range: Ipv4Net,
    problems: &mut Diagnostics,
) {
    let clusters: Vec<(&EnvName, &Cluster)> = environments
        .iter()
        .filter_map(|(name, env)| Some((name, env.cluster.as_ref()?)))
        .collect();
    let nets: Vec<Ipv4Net> = clusters.iter().map(|(_, c)| c.vpc.value).collect();
    for (a, b) in network::overlapping_pairs(&nets) {
        let ((a_name, a), (b_name, b)) = (clusters[a], clusters[b]);
        let free = network::free_vpc(vpc_range, &nets)
            .map(|net| format!("; the lowest free /16 of {vpc_range} is {net}"))
            .unwrap_or_default();
        let mut diagnostic = Diagnostic::new(
            format!(
                "VPC {} of `{b_name}` overlaps VPC {} of `{a_name}`",
                b.vpc.value, a.vpc.value
            ),
            origin_location(&b.vpc.origin),
        )
        .with_label("overlaps another environment's VPC")
        .with_rule(RuleId::VpcNoOverlap)
        .with_help(format!("give every environment a VPC of its own{free}"));
        if let Origin::File(span) = &a.vpc.origin {
            diagnostic = diagnostic.with_related(span.clone(), format!("the VPC of `{a_name}`"));
        }
        problems.push(diagnostic);
    }
    for (what, key) in [("cluster id", 0), ("DNS zone", 1)] {
        let mut seen: HashMap<&str, &EnvName> = HashMap::new();
        for (name, cluster) in &clusters {
            let (value, origin) = if key == 0 {
                (cluster.id.value.as_str(), &cluster.id.origin)
            } else {
                (cluster.zone.value.as_str(), &cluster.zone.origin)
            };
            if let Some(first) = seen.insert(value, name) {
                problems.push(
                    Diagnostic::new(format!("{what} `{value}` of `{name}` is also the {what} of `{first}`"), origin_location(origin))
                        .with_help(format!("every cluster needs its own {what}: remove the hand-written one from [names]")),
                );
            }
        }
    }

    let observability: Vec<&Environment> = environments
        .values()
        .filter(|e| e.stage.value == Stage::Observability)
        .collect();
    let target = match observability.as_slice() {
        [] => None,
        [one] => one.cluster.as_ref().map(|c| c.zone.value.to_string()),
        [first, rest @ ..] => {
            for other in rest {
                problems.push(
                    Diagnostic::new(
                        format!("more than one observability environment (`{}` and `{}`): telemetry would have two destinations", first.name, other.name),
                        Location::Path(other.file.path.clone()),
                    )
                    .with_help("keep one observability environment; every cluster sends its telemetry there"),
                );
            }
            None
        }
    };
    let Some(observability_zone) = target else {
        return;
    };
    for env in environments.values_mut() {
        if env.stage.value == Stage::Observability {
            continue;
        }
        let Some(cluster) = env.cluster.as_mut() else {
            continue;
        };
        let mut variables = shared.variables(
            &env.name,
            env.stage.value,
            &env.region.value,
            &env.account.value,
        );
        variables.set("observability_zone", &observability_zone);
        match shared.naming.render(Pattern::OtlpEndpoint, &variables) {
            Ok(endpoint) => cluster.otlp_endpoint = Some(endpoint),
            Err(Unmade::Input) => {}
            Err(Unmade::Failed(reason)) => problems.push(Diagnostic::new(
                reason,
                Location::Path(env.file.path.clone()),
            )),
        }
    }
}

/// Gives each problem with a missing or invalid VPC, at `indices` of `problems`, the VPC
/// it could have: the lowest /16 of the range that no environment uses.
fn suggest_free_vpc(
    environments: &BTreeMap<EnvName, Environment>,
    vpc_range: Ipv4Net,
    indices: &[usize],
    problems: &mut Diagnostics,
) {
    if indices.is_empty() {
        return;
    }
    let taken: Vec<Ipv4Net> = environments
        .values()
        .filter_map(|env| Some(env.cluster.as_ref()?.vpc.value))
        .collect();
    let suggestion = match network::free_vpc(vpc_range, &taken) {
        Some(free) => format!(
            "use a range no other environment uses: `vpc = \"{free}\"` is the lowest free /16 of {vpc_range}"
        ),
        None => {
            format!("no /16 of {vpc_range} is free: widen [network] vpc_range in platform.toml")
        }
    };
    for &index in indices {
        let diagnostic = &mut problems.0[index];
        diagnostic.help = Some(match diagnostic.help.take() {
            Some(help) => format!("{help}; {suggestion}"),
            None => suggestion.clone(),
        });
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

fn looks_like_email(text: &str) -> bool {
    text.split_once('@').is_some_and(|(user, host)| {
        !user.is_empty() && host.contains('.') && !text.contains(char::is_whitespace)
    })
}

fn is_env_var_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
