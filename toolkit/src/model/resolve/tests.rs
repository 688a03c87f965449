//! Resolution in memory: the text of `platform.toml` and of each `environment.toml` in,
//! the resolved platform or its diagnostics out. No files, no cargo, no processes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use pretty_assertions::assert_eq;

use super::resolve;
use crate::diagnostic::{Diagnostics, SourceFile};
use crate::model::{Origin, Platform, ServiceDecl, Sourced, Template, parse_file};
use crate::rule::{RuleId, RuleLevel};

const PLATFORM: &str = r#"
org = "globex"
name = "Globex"
domain = "globex.test"

[defaults]
provider = "aws"
region = "eu-west-1"

[defaults.components]
version = "^1.4.0"
seed = "none"

[teams]
platform = ["hank@globex.test"]
"#;

/// A cluster environment of `stage` with the VPC `vpc` and `extra` lines appended.
fn cluster(stage: &str, vpc: &str, extra: &str) -> String {
    format!(
        r#"stage = "{stage}"
account = "111122223333"
vpc = "{vpc}"

[pools.control-plane]
arch = "arm64"
instance_type = "m7g.medium"
size = 3

[pools.ingress]
arch = "arm64"
instance_type = "m7g.medium"
size = 2

[access]
platform = "admins"
{extra}"#
    )
}

fn source(path: &str, text: &str) -> Arc<SourceFile> {
    SourceFile::new(PathBuf::from(path), text.to_owned())
}

/// The services the workspace declares, as cargo metadata would: `web` and `jobs`.
fn services() -> BTreeMap<String, Arc<ServiceDecl>> {
    fn builtin<T>(value: T) -> Sourced<T> {
        Sourced::new(value, Origin::Builtin("test"))
    }
    BTreeMap::from([
        (
            "web".to_owned(),
            Arc::new(ServiceDecl {
                template: builtin(Template::Web),
                image: builtin("ghcr.io/globex/web".to_owned()),
                port: Some(Sourced::new(8080, Origin::Builtin("test"))),
            }),
        ),
        (
            "jobs".to_owned(),
            Arc::new(ServiceDecl {
                template: builtin(Template::Worker),
                image: builtin("ghcr.io/globex/jobs".to_owned()),
                port: None,
            }),
        ),
    ])
}

/// Resolves `platform` and the environments, each a directory name and its file's text.
fn resolved(platform: &str, environments: &[(&str, &str)]) -> Result<Platform, Diagnostics> {
    let platform_file = source("environments/platform.toml", platform);
    let environments: Vec<(String, Arc<SourceFile>)> = environments
        .iter()
        .map(|(name, text)| {
            let path = format!("environments/{name}/environment.toml");
            ((*name).to_owned(), source(&path, text))
        })
        .collect();
    let Ok(resolved) = resolve(
        Path::new("/repo"),
        &platform_file,
        parse_file(&platform_file),
        &environments,
        || Ok::<_, std::convert::Infallible>(services()),
    );
    resolved
}

fn problems(platform: &str, environments: &[(&str, &str)]) -> Vec<String> {
    let Err(problems) = resolved(platform, environments) else {
        panic!("expected problems, the platform resolved");
    };
    problems
        .0
        .iter()
        .map(|problem| format!("{}: {}", problem.location.place(), problem.message))
        .collect()
}

fn origin(origin: &Origin) -> String {
    match origin {
        Origin::File(span) => {
            let (line, _) = span.file.line_column(span.range.start);
            format!("{}:{line}", span.file.path.display())
        }
        Origin::Convention(rule) => rule.to_string(),
        Origin::Builtin(text) => text.to_string(),
    }
}

#[test]
fn names_come_from_the_conventions_and_say_so() {
    let platform = resolved(
        PLATFORM,
        &[("staging", &cluster("staging", "10.1.0.0/16", ""))],
    )
    .expect("resolves");
    let cluster = platform
        .environments
        .values()
        .next()
        .unwrap()
        .cluster
        .as_ref()
        .unwrap();
    assert_eq!(cluster.id.value.as_str(), "globex-staging");
    assert_eq!(cluster.zone.value.as_str(), "staging.globex.test");
    assert_eq!(cluster.api_host.value.as_str(), "k8s.staging.globex.test");
    assert_eq!(cluster.issuer.value, "https://auth.globex.test");
    assert_eq!(
        origin(&cluster.id.origin),
        "convention cluster_id = \"{{org}}-{{env}}\""
    );
    assert_eq!(
        origin(&cluster.vpc.origin),
        "environments/staging/environment.toml:3"
    );
    assert_eq!(cluster.zones.value, 3);
    assert_eq!(origin(&cluster.zones.origin), "default: zones = 3");
    assert_eq!(cluster.pools["ingress"].disk_size.value, 100);
}

#[test]
fn an_environment_value_overrides_the_platform_default() {
    let env =
        cluster("staging", "10.1.0.0/16", "").replace("vpc =", "region = \"us-east-1\"\nvpc =");
    let platform = resolved(PLATFORM, &[("staging", &env)]).expect("resolves");
    let staging = platform.environments.values().next().unwrap();
    assert_eq!(staging.region.value.as_str(), "us-east-1");
    assert_eq!(
        origin(&staging.region.origin),
        "environments/staging/environment.toml:3"
    );
    let platform = resolved(
        PLATFORM,
        &[("staging", &cluster("staging", "10.1.0.0/16", ""))],
    )
    .expect("resolves");
    let staging = platform.environments.values().next().unwrap();
    assert_eq!(staging.region.value.as_str(), "eu-west-1");
    assert_eq!(
        origin(&staging.region.origin),
        "environments/platform.toml:8"
    );
}

#[test]
fn a_name_written_by_hand_is_kept_and_recorded_as_a_breach() {
    let env = cluster(
        "staging",
        "10.1.0.0/16",
        "\n[names]\nzone = \"stage.globex.test\"\n",
    );
    let platform = resolved(PLATFORM, &[("staging", &env)]).expect("resolves");
    let staging = platform.environments.values().next().unwrap();
    assert_eq!(
        staging.cluster.as_ref().unwrap().zone.value.as_str(),
        "stage.globex.test"
    );
    let breaches: Vec<(&str, &str, &str)> = staging
        .breaches
        .iter()
        .map(|b| {
            (
                b.convention,
                b.written.value.as_str(),
                b.conventional.as_str(),
            )
        })
        .collect();
    assert_eq!(
        breaches,
        [("zone", "stage.globex.test", "staging.globex.test")]
    );
}

#[test]
fn overlapping_vpcs_are_refused_at_the_second_with_the_rule() {
    let Err(problems) = resolved(
        PLATFORM,
        &[
            ("dev", &cluster("development", "10.1.0.0/16", "")),
            ("staging", &cluster("staging", "10.1.128.0/17", "")),
        ],
    ) else {
        panic!("overlapping VPCs resolved");
    };
    let overlap = &problems.0[0];
    assert_eq!(overlap.rule, Some(RuleId::VpcNoOverlap));
    assert_eq!(
        overlap.message,
        "VPC 10.1.128.0/17 of `staging` overlaps VPC 10.1.0.0/16 of `dev`"
    );
    assert_eq!(
        overlap.help.as_deref(),
        Some(
            "give every environment a VPC of its own; the lowest free /16 of 10.0.0.0/8 is 10.0.0.0/16"
        )
    );
}

#[test]
fn a_missing_vpc_is_offered_the_lowest_free_one() {
    let env = cluster("staging", "10.0.0.0/16", "").replace("vpc = \"10.0.0.0/16\"\n", "");
    let Err(problems) = resolved(
        PLATFORM,
        &[
            ("dev", &cluster("development", "10.0.0.0/16", "")),
            ("staging", &env),
        ],
    ) else {
        panic!("an environment without a VPC resolved");
    };
    assert_eq!(
        problems.0[0].help.as_deref(),
        Some(
            "use a range no other environment uses: `vpc = \"10.1.0.0/16\"` is the lowest free /16 of 10.0.0.0/8"
        )
    );
}

#[test]
fn problems_in_every_file_are_reported_at_once_with_their_places() {
    let dev = cluster("development", "10.1.0.0/16", "nobody = \"viewers\"\n");
    let staging = cluster("staging", "10.2.0.0/16", "")
        .replace("size = 2", "size = 0")
        .replace("vpc =", "zones = 9\nvpc =");
    assert_eq!(
        problems(PLATFORM, &[("dev", &dev), ("staging", &staging)]),
        [
            "environments/dev/environment.toml:17:1: unknown team `nobody`",
            "environments/staging/environment.toml:3:9: zones = 9: a cluster spans 1 to 6 availability zones",
            "environments/staging/environment.toml:14:8: a pool needs at least 1 instance",
        ]
    );
}

#[test]
fn a_worker_takes_replicas_and_no_host_name() {
    let env = cluster(
        "staging",
        "10.1.0.0/16",
        "\n[services.jobs]\nversion = \"1.0.0\"\nhostname = \"jobs.staging.globex.test\"\n",
    );
    assert_eq!(
        problems(PLATFORM, &[("staging", &env)]),
        [
            "environments/staging/environment.toml:20:12: `hostname` cannot be set for `jobs`: a worker is not served at a host name"
        ]
    );
    let env = cluster(
        "staging",
        "10.1.0.0/16",
        "\n[services.jobs]\nversion = \"1.0.0\"\nreplicas = 4\n",
    );
    let platform = resolved(PLATFORM, &[("staging", &env)]).expect("resolves");
    let jobs = &platform
        .environments
        .values()
        .next()
        .unwrap()
        .cluster
        .as_ref()
        .unwrap()
        .services["jobs"];
    assert_eq!(jobs.replicas().map(|r| r.value), Some(4));
    assert_eq!(jobs.image().value, "ghcr.io/globex/jobs:1.0.0");
}

#[test]
fn a_stage_table_belongs_to_its_stage_only() {
    let env = cluster(
        "staging",
        "10.1.0.0/16",
        "\n[observability]\nplatform = \"victoriametrics\"\nretention_days = 7\n",
    );
    assert_eq!(
        problems(PLATFORM, &[("staging", &env)]),
        [
            "environments/staging/environment.toml:18:1: [observability] belongs only in an environment of stage `observability`"
        ]
    );
    let identity = "stage = \"identity\"\naccount = \"999988887777\"\n";
    assert_eq!(
        problems(PLATFORM, &[("identity", identity)]),
        [
            "environments/identity/environment.toml: an environment of stage `identity` needs its [identity] table"
        ]
    );
}

#[test]
fn telemetry_goes_to_the_observability_zone() {
    let observability = cluster(
        "observability",
        "10.5.0.0/16",
        "\n[observability]\nplatform = \"victoriametrics\"\nretention_days = 7\n",
    );
    let platform = resolved(
        PLATFORM,
        &[
            ("observability", &observability),
            ("staging", &cluster("staging", "10.1.0.0/16", "")),
        ],
    )
    .expect("resolves");
    let endpoint = |env: &str| {
        platform
            .environments
            .values()
            .find(|e| e.name.as_str() == env)
            .unwrap()
            .cluster
            .as_ref()
            .unwrap()
            .otlp_endpoint
            .as_ref()
            .map(|e| e.value.clone())
    };
    // Podplane's VMs post to the endpoint's own path: the cluster's stream.
    assert_eq!(
        endpoint("staging").as_deref(),
        Some("https://otlp.observability.globex.test/staging/v1/logs")
    );
    assert_eq!(endpoint("observability"), None);
}

#[test]
fn checks_name_known_rules_and_cannot_lower_those_found_while_loading() {
    let platform = format!("{PLATFORM}\n[checks]\nnaming-convention = \"allow\"\n");
    let resolved_platform = resolved(
        &platform,
        &[("staging", &cluster("staging", "10.1.0.0/16", ""))],
    )
    .expect("resolves");
    assert_eq!(
        resolved_platform
            .checks
            .get(&RuleId::NamingConvention)
            .map(|l| l.value),
        Some(RuleLevel::Allow)
    );
    let platform = format!(
        "{PLATFORM}\n[checks]\nnaming-conventions = \"allow\"\nvpc-no-overlap = \"warn\"\n"
    );
    assert_eq!(
        problems(&platform, &[]),
        [
            "environments/platform.toml:18:1: unknown rule `naming-conventions`",
            "environments/platform.toml:19:18: rule `vpc-no-overlap` is always deny",
        ]
    );
}

#[test]
fn a_host_two_services_claim_is_refused_at_the_second() {
    // Rule `host-unique`, found while loading: a service at the registry's host name.
    let claims =
        "\n[services.web]\nversion = \"1.0.0\"\nhostname = \"registry.staging.globex.test\"\n";
    let staging = cluster("staging", "10.1.0.0/16", claims);
    assert_eq!(
        problems(PLATFORM, &[("staging", &staging)]),
        [
            "environments/staging/environment.toml:20:12: host name `registry.staging.globex.test` is the host of service `web` in `staging` and also the registry host of `staging`"
        ]
    );
}

#[test]
fn a_misspelt_key_is_refused_with_the_key_it_means() {
    // Rule `schema`, found while loading.
    let staging = cluster("staging", "10.1.0.0/16", "").replace("vpc =", "vcp =");
    assert_eq!(
        problems(PLATFORM, &[("staging", &staging)]),
        ["environments/staging/environment.toml:3:1: unknown key `vcp`"]
    );
}

/// Environments enough to be parsed on every core, each waiting for the services.
fn many_environments() -> Vec<(String, Arc<SourceFile>)> {
    (0..70)
        .map(|i| {
            let name = format!("e{i}");
            let text = cluster("development", &format!("10.{i}.0.0/20"), "");
            let path = format!("environments/{name}/environment.toml");
            (name, source(&path, &text))
        })
        .collect()
}

#[test]
fn environments_are_resolved_with_the_services_found_while_they_were_parsed() {
    let platform_file = source("environments/platform.toml", PLATFORM);
    let environments = many_environments();
    let found = std::sync::atomic::AtomicBool::new(false);
    let Ok(resolved) = resolve(
        Path::new("/repo"),
        &platform_file,
        parse_file(&platform_file),
        &environments,
        || {
            std::thread::sleep(std::time::Duration::from_millis(50));
            found.store(true, std::sync::atomic::Ordering::SeqCst);
            Ok::<_, std::convert::Infallible>(services())
        },
    );
    let platform = resolved.unwrap_or_else(|problems| panic!("{}", problems.render()));
    assert!(found.into_inner());
    assert_eq!(platform.environments.len(), 70);
    assert_eq!(
        platform.services.keys().collect::<Vec<_>>(),
        services().keys().collect::<Vec<_>>()
    );
}

#[test]
fn an_error_finding_the_services_is_returned_as_it_is() {
    let platform_file = source("environments/platform.toml", PLATFORM);
    let outcome = resolve(
        Path::new("/repo"),
        &platform_file,
        parse_file(&platform_file),
        &many_environments(),
        || Err("cargo metadata failed"),
    );
    assert!(matches!(outcome, Err("cargo metadata failed")));
}

#[test]
#[should_panic(expected = "the services' thread failed")]
fn a_panic_finding_the_services_leaves_no_environment_waiting() {
    let platform_file = source("environments/platform.toml", PLATFORM);
    let _ = resolve(
        Path::new("/repo"),
        &platform_file,
        parse_file(&platform_file),
        &many_environments(),
        || -> Result<BTreeMap<String, Arc<ServiceDecl>>, ()> {
            panic!("the services' thread failed")
        },
    );
}
