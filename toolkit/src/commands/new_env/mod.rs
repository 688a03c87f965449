//! `cargo xtask new-env NAME --stage STAGE`: writes `environments/NAME/environment.toml`
//! from a commented template, with a free VPC, after validating the new environment
//! together with every other one.

use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::NewEnvArgs;
use crate::diagnostic::{Diagnostic, Location, SourceFile};
use crate::model::date::Date;
use crate::model::names::{Account, EnvName, Region};
use crate::model::network;
use crate::model::{
    AcmeAccount, Cluster, ENVIRONMENT_FILE, ENVIRONMENTS_DIR, Environment, Origin, Platform, Role,
    Stage,
};
use crate::{edit, render, templates};

mod observability;
mod platform_file;
mod services;
use platform_file::{held_to_production, with_candidate};
use services::{ServiceEntry, relay_entry, service_entries};

pub fn run(root: &Path, args: &NewEnvArgs, today: Date) -> anyhow::Result<ExitCode> {
    let name = EnvName::parse(&args.name).map_err(|reason| {
        Diagnostic::new(reason, Location::Nowhere)
            .with_help("an environment name is lowercase letters, digits and single hyphens, starting with a letter, such as `qa` or `prod-us`")
            .into_error()
    })?;
    // Read, allocate and write as one step: a second new-env waits here, then sees this one.
    let _lock = edit::Lock::repository(root)?;
    let mut tree = crate::repository::SourceTree::read(root)?;
    let mut declared = crate::repository::services::declared(root)?;
    let platform = tree.load(declared.clone())?;

    let dir = root.join(ENVIRONMENTS_DIR).join(name.as_str());
    if platform.environments.contains_key(&name) || dir.exists() {
        return Err(Diagnostic::new(
            format!("environment `{name}` already exists"),
            Location::Path(Path::new(ENVIRONMENTS_DIR).join(name.as_str())),
        )
        .with_help("choose another name; new-env never overwrites an environment")
        .into_error());
    }
    let like = match &args.like {
        Some(like) => Some(platform.find(like).map_err(|mut diagnostic| {
            diagnostic.message = format!("{} for --like", diagnostic.message);
            diagnostic.into_error()
        })?),
        None => None,
    };
    if let Some(region) = &args.region {
        Region::parse(region)
            .map_err(|reason| Diagnostic::new(reason, Location::Nowhere).into_error())?;
    }
    let account = match &args.account {
        Some(account) => Account::parse(account)
            .map_err(|reason| Diagnostic::new(reason, Location::Nowhere).into_error())?,
        None => default_account(&platform, args.stage)?,
    };

    let twin_of = twin_of(args, like);
    // An observability environment brings its platform, OpenObserve, the relay in front of
    // it and the heartbeat that watches it, with the crates the workspace lacks.
    let brings_platform = args.stage == Stage::Observability
        && like.is_none()
        && platform.of_stage(Stage::Observability).next().is_none();
    let new_crates = if brings_platform {
        observability::missing_crates(&platform, &mut declared)?
    } else {
        Vec::new()
    };
    let platform_services = if brings_platform {
        vec![observability::openobserve("<telemetry-region>")]
    } else {
        Vec::new()
    };
    let mut text = render(
        &platform,
        &name,
        args,
        &account,
        like,
        twin_of,
        platform_services,
    )?;
    let path = Path::new(ENVIRONMENTS_DIR)
        .join(name.as_str())
        .join(ENVIRONMENT_FILE);
    tree.environments
        .push((name.to_string(), SourceFile::new(&path, text.as_str())));
    // A twin is held to parity with the production it stands in for, where [parity] names
    // that production as its reference.
    // A staging environment is held to production, which turns the promotion flow on.
    let platform_text = match twin_of {
        Some(primary) => with_candidate(&platform, primary.name.as_str(), name.as_str())?,
        None if args.stage == Stage::Staging => held_to_production(&platform, name.as_str())?,
        // Telemetry moves in-house: the managed provider's table goes.
        None if args.stage == Stage::Observability && platform.managed_observability.is_some() => {
            edit::remove_table(&platform.file.text, "observability")?
        }
        None => None,
    };
    if let Some(text) = &platform_text {
        tree.platform = SourceFile::new(&tree.platform.path, text.as_str());
    }
    let mut resolved = tree.load(declared.clone())?;
    if brings_platform {
        // Its hosts and region are the resolved ones, known now: the relay serves the
        // OTLP endpoint the other clusters ship to and forwards to OpenObserve's host,
        // which the heartbeat asks.
        let region = resolved.environments[&name].region.value.to_string();
        let mut services = vec![observability::openobserve(&region)];
        services.extend(observability::relay(&resolved, &name));
        services.extend(observability::heartbeat(&resolved, &name));
        text = render(&platform, &name, args, &account, like, twin_of, services)?;
        tree.environments.pop();
        tree.environments
            .push((name.to_string(), SourceFile::new(&path, text.as_str())));
        resolved = tree.load(declared)?;
    }
    render::refuse_secrets(&resolved)?;
    super::refuse_new_findings(&platform, &resolved, today)?;
    let generated = super::generated_files(&resolved)?;
    // The new directory lands whole; its generated files, platform.toml and the others are
    // written beside their destinations before any is in place, or the directory goes again.
    let platform_path = Path::new(ENVIRONMENTS_DIR).join(crate::model::PLATFORM_FILE);
    let lock = std::fs::read_to_string(root.join("Cargo.lock")).ok();
    let undo_crates = |err: anyhow::Error| -> anyhow::Error {
        // Only what this command made: new-env refused a crate directory that was there.
        for new in &new_crates {
            let dir = root.join(&new.dir);
            if dir.exists()
                && let Err(undo) = edit::remove_dir(&dir)
            {
                return err.context(undo);
            }
        }
        if new_crates.is_empty() {
            return err;
        }
        super::put_back(root, Path::new("Cargo.lock"), lock.as_deref(), err)
    };
    observability::write_crates(root, &new_crates).map_err(undo_crates)?;
    if let Err(err) = edit::create_dir_with_files(&dir, &[(ENVIRONMENT_FILE, &text)]) {
        return Err(undo_crates(err));
    }
    let written = render::prepare(root, &generated).and_then(|prepared| {
        let staged = platform_text
            .as_deref()
            .map(|text| edit::stage(root, &platform_path, text, edit::FileMode::Kept, false))
            .transpose()?;
        if let Some(staged) = staged {
            staged.commit()?;
        }
        prepared.commit()
    });
    let rendered = match written {
        Ok(rendered) => rendered,
        Err(err) => {
            edit::remove_dir(&dir)?;
            return Err(undo_crates(err));
        }
    };

    let env = &resolved.environments[&name];
    crate::terminal::say(format!("created {}", path.display()))?;
    if let (Some(managed), Some(_), Stage::Observability) =
        (&platform.managed_observability, &platform_text, args.stage)
    {
        let relay = &managed.relay.value;
        crate::terminal::say(format!(
            "  every cluster now ships its telemetry here: [observability] ({}) is gone from platform.toml; remove [services.{relay}] and its secret `{}` from the other environments when you no longer need them",
            managed.provider.value, managed.credential.value
        ))?;
    } else if twin_of.is_none()
        && platform_text.is_some()
        && let Some(parity) = &resolved.parity
    {
        let reference = &parity.reference.value;
        crate::terminal::say(format!(
            "  held to `{reference}` by a new [parity] in platform.toml: `parity` compares them, and production is promoted from it"
        ))?;
    }
    if brings_platform {
        let made: Vec<String> = new_crates
            .iter()
            .map(|new| new.dir.display().to_string())
            .collect();
        crate::terminal::say(format!(
            "  it runs the observability platform, OpenObserve, behind the relay every cluster ships to, and the heartbeat that pings Healthchecks' checks (healthchecks.json){}; create their secrets in its cluster before the first deploy (its deploy.sh names them), and give its GitHub Environment the Healthchecks project's API key as the secret HEALTHCHECKS_API_KEY",
            if made.is_empty() {
                String::new()
            } else {
                format!(" ({} written, and added to Cargo.lock)", made.join(" and "))
            }
        ))?;
    }
    if let Some(primary) = twin_of {
        crate::terminal::say(format!(
            "  the disaster-recovery twin of `{}` (dr_of): deployed and promoted with it{}",
            primary.name,
            if platform_text.is_some() {
                ", and added to [parity] candidates in platform.toml"
            } else {
                ""
            }
        ))?;
    }
    if let Some(cluster) = &env.cluster {
        crate::terminal::say(format!(
            "  cluster {} in zone {}, VPC {}, account {}",
            cluster.id.value, cluster.zone.value, cluster.vpc.value, env.account.value
        ))?;
    }
    crate::terminal::say(rendered)?;
    crate::terminal::say(format!(
        "next: review the file, then `cargo xtask show {name}`"
    ))?;
    Ok(ExitCode::SUCCESS)
}

/// Without `--account`: the account of an environment of the same stage; for
/// non-production stages, the account development or staging uses. Production and
/// identity must have accounts of their own, so they need one named.
fn default_account(platform: &Platform, stage: Stage) -> anyhow::Result<Account> {
    let same_stage = platform.of_stage(stage).next();
    let shared_non_production = || {
        [
            Stage::Development,
            Stage::Staging,
            Stage::Ci,
            Stage::Observability,
        ]
        .into_iter()
        .find_map(|s| platform.of_stage(s).next())
    };
    let found = match stage {
        Stage::Production | Stage::Identity => same_stage,
        _ => same_stage.or_else(shared_non_production),
    };
    found.map(|env| env.account.value.clone()).ok_or_else(|| {
        Diagnostic::new(format!("no account to default to for a `{stage}` environment"), Location::Nowhere)
            .with_help("pass --account with the 12-digit AWS account id; production and identity belong in accounts of their own")
            .into_error()
    })
}

/// The template's variables. Strings are TOML-encoded here, so the template never quotes.
#[derive(Serialize)]
struct Template {
    name: String,
    org_name: String,
    stage: String,
    stage_description: &'static str,
    like: Option<String>,
    account: String,
    account_note: Option<String>,
    region: Option<String>,
    dr_of: Option<String>,
    cluster: bool,
    vpc: Option<String>,
    zones: u8,
    ci: bool,
    observability: bool,
    identity: bool,
    pools: Vec<PoolEntry>,
    components: Vec<KeyValue>,
    acme: Vec<KeyValue>,
    access: Vec<AccessEntry>,
    services: Vec<ServiceEntry>,
}

#[derive(Serialize)]
struct PoolEntry {
    key: String,
    arch: String,
    instance_type: String,
    size: u32,
    disk_size: Option<u32>,
}

#[derive(Serialize)]
struct KeyValue {
    key: String,
    value: String,
}

#[derive(Serialize)]
struct AccessEntry {
    key: String,
    role: String,
}

fn render(
    platform: &Platform,
    name: &EnvName,
    args: &NewEnvArgs,
    account: &Account,
    like: Option<&Environment>,
    twin_of: Option<&Environment>,
    platform_services: Vec<ServiceEntry>,
) -> anyhow::Result<String> {
    let stage = args.stage;
    let cluster = stage != Stage::Identity;
    let vpc = if cluster {
        Some(toml(&free_vpc(platform)?.to_string()))
    } else {
        None
    };
    let shared_with = platform
        .environments
        .values()
        .filter(|env| env.account.value == *account)
        .map(|env| env.name.as_str())
        .collect::<Vec<_>>();
    let account_note =
        (!shared_with.is_empty()).then(|| format!("Shared with {}", shared_with.join(", ")));
    let like_cluster = like.and_then(|env| env.cluster.as_ref());
    let pools = match like_cluster {
        Some(c) => c
            .pools
            .iter()
            .map(|(key, pool)| PoolEntry {
                key: key_repr(key),
                arch: toml(pool.arch.value.as_str()),
                instance_type: toml(&pool.instance_type.value),
                size: pool.size.value,
                disk_size: written_in(&pool.disk_size.origin, like).then_some(pool.disk_size.value),
            })
            .collect(),
        None => default_pools(stage),
    };
    let components = like_cluster
        .map(|c| written_components(c, like))
        .unwrap_or_default();
    let acme = like_cluster
        .and_then(|c| c.acme.as_ref())
        .map(|acme| written_acme(acme, like))
        .unwrap_or_default();
    let access = access_entries(platform, stage, like);
    let mut services = like_cluster
        .map(|c| service_entries(c, like, twin_of.is_some()))
        .unwrap_or_default();
    // Managed observability: every cluster that ships telemetry runs the relay.
    if let Some(managed) = &platform.managed_observability
        && cluster
        && stage != Stage::Observability
        && !services
            .iter()
            .any(|s| s.key == key_repr(managed.relay.value.as_str()))
    {
        services.push(relay_entry(platform, managed));
    }
    services.extend(platform_services);
    let template = Template {
        name: name.to_string(),
        org_name: platform.name.value.clone(),
        stage: toml(stage.as_str()),
        stage_description: describe_stage(stage),
        like: like.map(|env| env.name.to_string()),
        account: toml(account.as_str()),
        account_note,
        region: args.region.as_deref().map(toml),
        dr_of: twin_of.map(|primary| toml(primary.name.as_str())),
        cluster,
        vpc,
        zones: match stage {
            Stage::Production | Stage::Staging => 3,
            _ => 2,
        },
        ci: stage == Stage::Ci,
        observability: stage == Stage::Observability,
        identity: stage == Stage::Identity,
        pools,
        components,
        acme,
        access,
        services,
    };
    templates::fill("environment", &template)
}

/// The lowest /16 of the VPC range that no environment uses.
fn free_vpc(platform: &Platform) -> anyhow::Result<ipnet::Ipv4Net> {
    network::free_vpc(
        platform.vpc_range.value,
        &platform
            .environments
            .values()
            .filter_map(|env| env.cluster.as_ref().map(|c| c.vpc.value))
            .collect::<Vec<_>>(),
    )
    .ok_or_else(|| {
        Diagnostic::new(
            format!(
                "no free /16 left in the VPC range {}",
                platform.vpc_range.value
            ),
            Location::Nowhere,
        )
        .with_help("widen [network] vpc_range in platform.toml")
        .into_error()
    })
}

/// The `[components]` keys `like` wrote in its own file, to copy.
fn written_components(c: &Cluster, like: Option<&Environment>) -> Vec<KeyValue> {
    let mut written = Vec::new();
    let mut add = |key: &str, value: &str, origin: &Origin| {
        if written_in(origin, like) {
            written.push(KeyValue {
                key: key.to_owned(),
                value: toml(value),
            });
        }
    };
    add(
        "version",
        &c.components.version.value,
        &c.components.version.origin,
    );
    add(
        "seed",
        c.components.seed.value.as_str(),
        &c.components.seed.origin,
    );
    if let Some(release) = &c.components.seed_release {
        add(
            "seed_version",
            &release.version.value,
            &release.version.origin,
        );
        add("seed_digest", &release.digest.value, &release.digest.origin);
    }
    add(
        "source",
        &c.components.source.value,
        &c.components.source.origin,
    );
    written
}

/// The `[acme]` keys `like` wrote in its own file, to copy.
fn written_acme(acme: &AcmeAccount, like: Option<&Environment>) -> Vec<KeyValue> {
    [
        (
            "email",
            Some((acme.email.value.as_str(), &acme.email.origin)),
        ),
        (
            "server",
            acme.server.as_ref().map(|s| (s.value.as_str(), &s.origin)),
        ),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key, value?)))
    .filter(|(_, (_, origin))| written_in(origin, like))
    .map(|(key, (value, _))| KeyValue {
        key: key.to_owned(),
        value: toml(value),
    })
    .collect()
}

/// `[access]`: `like`'s, else each team's default role for the stage.
fn access_entries(
    platform: &Platform,
    stage: Stage,
    like: Option<&Environment>,
) -> Vec<AccessEntry> {
    match like {
        Some(env) => env
            .access
            .iter()
            .map(|(team, a)| AccessEntry {
                key: key_repr(team),
                role: toml(a.role.value.as_str()),
            })
            .collect(),
        None => platform
            .teams
            .keys()
            .filter_map(|team| {
                Some(AccessEntry {
                    key: key_repr(team),
                    role: toml(default_role(platform, stage, team)?.as_str()),
                })
            })
            .collect(),
    }
}

/// The production environment a new one is the disaster-recovery twin of: a production
/// environment made `--like` another production one that is no one's twin, in another
/// `--region`.
fn twin_of<'p>(args: &NewEnvArgs, like: Option<&'p Environment>) -> Option<&'p Environment> {
    like.filter(|primary| {
        args.stage == Stage::Production
            && primary.stage.value == Stage::Production
            && primary.dr_of.is_none()
            && args
                .region
                .as_deref()
                .is_some_and(|region| region != primary.region.value.as_str())
    })
}

/// Whether a value of the `--like` environment was written in its own file, and so is
/// part of its shape rather than something it inherits.
fn written_in(origin: &Origin, like: Option<&Environment>) -> bool {
    matches!((origin, like), (Origin::File(span), Some(env)) if std::sync::Arc::ptr_eq(&span.file, &env.file))
}

/// A TOML string literal.
fn toml(value: &str) -> String {
    toml_edit::Value::from(value).to_string()
}

/// A TOML key, quoted when it must be.
fn key_repr(key: &str) -> String {
    toml_edit::Key::new(key).display_repr().to_string()
}

fn describe_stage(stage: Stage) -> &'static str {
    match stage {
        Stage::Development => "shared non-production work, cheap and flexible",
        Stage::Staging => "release validation, shaped like production and sized for cost",
        Stage::Production => "customer workloads, strict access",
        Stage::Ci => "CI/CD runners, kept apart from production",
        Stage::Observability => {
            "collects every other cluster's telemetry; watched by a hosted monitor"
        }
        Stage::Identity => "the OIDC issuer every cluster trusts",
    }
}

/// The role a team gets in a new environment made without `--like`, or none: narrow where
/// the stakes are high, and never so that production is wider than staging (the rule
/// `prod-access-narrower`). Widen it by hand.
fn default_role(platform: &Platform, stage: Stage, team: &str) -> Option<Role> {
    let role_in = |env: &Environment| env.access.get(team).map(|a| a.role.value);
    match stage {
        Stage::Development => Some(Role::Operators),
        // At least as wide as in any production environment.
        Stage::Staging => platform
            .of_stage(Stage::Production)
            .filter_map(role_in)
            .chain([Role::Editors])
            .max_by_key(|role| role.rank()),
        // The narrowest role, and none where a staging environment gives the team none.
        Stage::Production => platform
            .of_stage(Stage::Staging)
            .all(|env| role_in(env).is_some())
            .then_some(Role::Viewers),
        _ => Some(Role::Viewers),
    }
}

fn default_pools(stage: Stage) -> Vec<PoolEntry> {
    let (control_plane, ingress, workers) = match stage {
        Stage::Production => (("m7g.large", 3), ("m7g.large", 2), ("m7g.xlarge", 3)),
        Stage::Staging => (("m7g.medium", 3), ("m7g.medium", 2), ("m7g.large", 2)),
        Stage::Observability => (("t4g.medium", 1), ("t4g.medium", 1), ("m7g.xlarge", 3)),
        _ => (("t4g.medium", 1), ("t4g.medium", 1), ("t4g.large", 2)),
    };
    [
        ("control-plane", control_plane),
        ("ingress", ingress),
        ("workers", workers),
    ]
    .into_iter()
    .map(|(key, (instance_type, size))| PoolEntry {
        key: key.to_owned(),
        arch: toml("arm64"),
        instance_type: toml(instance_type),
        size,
        disk_size: None,
    })
    .collect()
}
