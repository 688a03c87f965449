//! What every environment shares, from `platform.toml`: the organisation's names, teams,
//! naming conventions, defaults, and the platform-wide tables (`[checks]`, `[parity]`,
//! `[[secrets.allow]]`, `[[hosts.allow]]`).

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::spanned::Spanned;
use ipnet::Ipv4Net;

use crate::diagnostic::{Diagnostic, Diagnostics, SourceFile, Span, help_valid};
use crate::model::ci::{BuildkiteSlug, BuildkiteUuid, GithubId, GithubRepository};
use crate::model::conventions::{Naming, Variables};
use crate::model::date::Date;
use crate::model::files::{
    AcmeFile, BuildkiteFile, ComponentsFile, GithubFile, HostsFile, ImagesFile,
    ManagedObservabilityFile, ParityFile, PlatformFile, SecretStore, SecretsFile,
};
use crate::model::hosts::HostAllowance;
use crate::model::names::{Account, DnsName, EnvName, Region, Slug};
use crate::model::network::{self};
use crate::model::{
    Allowance, BuildkitePipeline, GithubRepo, ManagedObservability, Origin, Parity,
    SecretAllowance, Secrets, ServiceDecl, Sourced, Stage,
};
use crate::rule::{RuleId, RuleLevel};

use super::{HasSpan, origin_location, validated};
use crate::model::telemetry::{HeaderName, OtlpEndpoint, ProviderName};
use crate::model::values::{Email, HostPattern, Reason, SecretKey, TreePath, one_line};

/// `[checks]`: each key a rule id, each level one a rule allows.
pub(super) fn resolve_checks(
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
pub(super) fn resolve_parity(
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
        let path = validated(problems, file, entry.path, |p| TreePath::parse(p));
        let reason = validated(problems, file, entry.reason, |r| {
            one_line(r)?;
            Reason::parse(r).ok_or_else(|| {
                "an allowance needs a reason: say why the difference is safe".to_owned()
            })
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
        let path = validated(problems, file, entry.path, |p| TreePath::parse(p));
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

/// `[github]`: the repository and its ids, validated.
pub(super) fn resolve_github(
    raw: Option<GithubFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Option<GithubRepo> {
    let raw = raw?;
    let repository = validated(problems, file, raw.repository, |s| {
        GithubRepository::parse(s)
    });
    let owner_id = validated(problems, file, raw.owner_id, |s| GithubId::parse(s));
    let repository_id = validated(problems, file, raw.repository_id, |s| GithubId::parse(s));
    Some(GithubRepo {
        repository: repository?,
        owner_id: owner_id?,
        repository_id: repository_id?,
    })
}

/// `[buildkite]`: the organisation and the deploy pipeline, validated.
pub(super) fn resolve_buildkite(
    raw: Option<BuildkiteFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Option<BuildkitePipeline> {
    let raw = raw?;
    let organization = validated(problems, file, raw.organization, |s| {
        BuildkiteSlug::parse(s)
    });
    let organization_id = validated(problems, file, raw.organization_id, |s| {
        BuildkiteUuid::parse(s)
    });
    let pipeline = validated(problems, file, raw.pipeline, |s| BuildkiteSlug::parse(s));
    let pipeline_id = validated(problems, file, raw.pipeline_id, |s| BuildkiteUuid::parse(s));
    Some(BuildkitePipeline {
        organization: organization?,
        organization_id: organization_id?,
        pipeline: pipeline?,
        pipeline_id: pipeline_id?,
    })
}

/// `[observability]` of platform.toml: the provider, its endpoint and credential's
/// header, the secret that holds it, and the relay, each validated.
fn resolve_observability(
    raw: Option<ManagedObservabilityFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Option<ManagedObservability> {
    let raw = raw?;
    let provider = validated(problems, file, raw.provider, |s| ProviderName::parse(s));
    let endpoint = validated(problems, file, raw.endpoint, |s| OtlpEndpoint::parse(s));
    let header = match raw.header {
        Some(header) => validated(problems, file, header, |s| HeaderName::parse(s)),
        None => Some(Sourced::new(
            HeaderName::parse("Authorization").expect("a header name"),
            Origin::Builtin("default: [observability] header = \"Authorization\""),
        )),
    };
    let credential = validated(problems, file, raw.credential_key, |s| SecretKey::parse(s));
    let relay = match raw.relay {
        Some(relay) => validated(problems, file, relay, |s| Slug::parse(s)),
        None => Some(Sourced::new(
            Slug::parse(crate::model::DEFAULT_RELAY).expect("a slug"),
            Origin::Builtin("default: [observability] relay = \"otlp-relay\""),
        )),
    };
    Some(ManagedObservability {
        provider: provider?,
        endpoint: endpoint?,
        header: header?,
        credential: credential?,
        relay: relay?,
    })
}

/// `[[hosts.allow]]`: each a host name or glob, and a reason.
pub(super) fn resolve_hosts(
    raw: Option<HostsFile>,
    file: &Arc<SourceFile>,
    problems: &mut Diagnostics,
) -> Vec<HostAllowance> {
    let mut allow = Vec::new();
    for entry in raw.map(|r| r.allow).unwrap_or_default() {
        let host = validated(problems, file, entry.host, |host| HostPattern::parse(host));
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
) -> Option<Sourced<Reason>> {
    validated(problems, file, reason, |r| {
        one_line(r)?;
        Reason::parse(r).ok_or_else(|| format!("an exception needs a reason: say {say}"))
    })
}

/// What every environment shares, from `platform.toml`, and the VPC range.
pub(super) fn shared<'a>(
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
            if let Err(reason) = Email::parse(member.get_ref()) {
                problems.push(
                    Diagnostic::at(at(member), reason)
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
    // Podplane's `aws` secrets provider keeps secrets in Secrets Manager unless told
    // otherwise; AWS is the one cloud the conventions are written for.
    let secret_store = match platform.secrets.as_ref().and_then(|s| s.store.clone()) {
        Some(store) => Sourced::written(platform_file, store),
        None => Sourced::new(
            SecretStore::SecretsManager,
            Origin::Builtin("default for AWS: [secrets] store = \"secretsmanager\""),
        ),
    };
    let secrets = resolve_secrets(platform.secrets, platform_file, problems);
    let observability = resolve_observability(platform.observability, platform_file, problems);
    let name = validated(problems, platform_file, platform.name, |t| {
        one_line(t).map(|()| t.clone())
    });
    let (Some(org), Some(name), Some(domain), Some(region), Some(vpc_range), Ok(naming)) =
        (org, name, domain, region, vpc_range, naming)
    else {
        return None;
    };
    let shared = Shared {
        org,
        name,
        domain,
        provider: Sourced::written(platform_file, platform.defaults.provider),
        region,
        default_components: platform.defaults.components,
        acme: platform.acme,
        parity: platform.parity,
        checks: platform.checks,
        hosts: platform.hosts,
        images: platform.images,
        github: platform.github,
        buildkite: platform.buildkite,
        observability,
        secret_store,
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
pub(super) struct Shared<'a> {
    pub(super) platform_file: Arc<SourceFile>,
    pub(super) org: Sourced<Slug>,
    pub(super) name: Sourced<String>,
    pub(super) domain: Sourced<DnsName>,
    pub(super) provider: Sourced<crate::model::Provider>,
    pub(super) region: Sourced<Region>,
    pub(super) default_components: Option<ComponentsFile>,
    pub(super) acme: Option<AcmeFile>,
    pub(super) parity: Option<ParityFile>,
    pub(super) checks: BTreeMap<Spanned<String>, Spanned<RuleLevel>>,
    pub(super) hosts: Option<HostsFile>,
    pub(super) images: Option<ImagesFile>,
    pub(super) github: Option<GithubFile>,
    pub(super) buildkite: Option<BuildkiteFile>,
    pub(super) observability: Option<ManagedObservability>,
    pub(super) secret_store: Sourced<SecretStore>,
    pub(super) teams: BTreeMap<String, Sourced<Vec<String>>>,
    pub(super) naming: Naming,
    pub(super) secrets: Arc<Secrets>,
    /// `[network] allow_public`: VPCs may use public addresses.
    pub(super) allow_public: bool,
    pub(super) services: &'a BTreeMap<String, Arc<ServiceDecl>>,
}

impl Shared<'_> {
    /// The variables every naming pattern of one environment may use.
    pub(super) fn variables(
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
