//! `podplane.cluster.jsonc`: the cluster configuration Podplane reads, built from typed
//! structs that mirror `podplane.cluster.schema.json`, so that its shape is kept by the
//! compiler rather than by a text template.

use std::collections::BTreeMap;

use serde::Serialize;

use super::{Sources, comment_preamble};
use crate::model::names::is_placeholder;
use crate::model::network::{SubnetRole, cidr_text};
use crate::model::{Cluster, Environment};

pub const FILE: &str = "podplane.cluster.jsonc";

/// The load balancer the domain's records point at, listening on 443 for `ingress`.
const MAIN_LOAD_BALANCER: &str = "main";
/// The load balancer of the Kubernetes API, listening on 6443 for `control-plane`.
const API_LOAD_BALANCER: &str = "kubernetes-api";

#[derive(Serialize)]
struct Config<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    cluster: ClusterConfig<'a>,
}

#[derive(Serialize)]
struct ClusterConfig<'a> {
    id: &'a str,
    name: &'a str,
    oidc: Oidc<'a>,
    spiffe: Spiffe<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    acme: Option<AcmeConfig<'a>>,
    domains: Vec<Domain<'a>>,
    pools: BTreeMap<&'a str, Pool<'a>>,
    providers: Vec<Provider<'a>>,
    kubernetes: Kubernetes<'a>,
    registry: Registry<'a>,
    secrets: Secrets<'a>,
    seed: SeedConfig<'a>,
    components: Components<'a>,
}

#[derive(Serialize)]
struct Oidc<'a> {
    issuer_url: &'a str,
    client_id: &'a str,
    username_claim: &'static str,
    groups_claim: &'static str,
}

#[derive(Serialize)]
struct Spiffe<'a> {
    trust_domain: &'a str,
}

/// `cluster.secrets`: one provider, the default, which `podplane secret` and
/// `podplane deploy --secret` use. Only its kind and where it keeps values: credentials
/// are the operator's, never the config's.
#[derive(Serialize)]
struct Secrets<'a> {
    default_provider: &'static str,
    providers: BTreeMap<&'static str, SecretsProvider<'a>>,
}

#[derive(Serialize)]
struct SecretsProvider<'a> {
    kind: &'static str,
    object_type: &'static str,
    region: &'a str,
}

#[derive(Serialize)]
struct AcmeConfig<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    server: Option<&'a str>,
    email: &'a str,
}

#[derive(Serialize)]
struct Domain<'a> {
    zone: &'a str,
    load_balancer: &'static str,
    provider: DnsProvider<'a>,
}

#[derive(Serialize)]
struct DnsProvider<'a> {
    kind: &'static str,
    account: &'a str,
    region: &'a str,
}

#[derive(Serialize)]
struct Pool<'a> {
    arch: &'a str,
    instance_type: &'a str,
    size: u32,
    disk_size: u32,
}

#[derive(Serialize)]
struct Provider<'a> {
    kind: &'a str,
    region: &'a str,
    account: &'a str,
    tags: BTreeMap<&'a str, &'a str>,
    vpc: Vpc,
    zones: BTreeMap<&'a str, Vec<Subnet<'a>>>,
    load_balancers: BTreeMap<&'static str, LoadBalancer>,
}

#[derive(Serialize)]
struct Vpc {
    v4cidr: String,
}

#[derive(Serialize)]
struct Subnet<'a> {
    v4cidr: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pool: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    services: Option<&'static [&'static str]>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    public: bool,
}

#[derive(Serialize)]
struct LoadBalancer {
    public: bool,
    subnets: &'static str,
    listeners: Vec<Listener>,
}

#[derive(Serialize)]
struct Listener {
    port: u16,
    target_port: u16,
    pool: &'static str,
}

#[derive(Serialize)]
struct Kubernetes<'a> {
    api_hostname: &'a str,
    api_load_balancer: &'static str,
}

#[derive(Serialize)]
struct Registry<'a> {
    hostname: &'a str,
}

#[derive(Serialize)]
struct SeedConfig<'a> {
    name: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    version: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    digest: Option<String>,
}

#[derive(Serialize)]
struct Components<'a> {
    source: ComponentsSource<'a>,
}

#[derive(Serialize)]
struct ComponentsSource<'a> {
    url: &'a str,
    #[serde(rename = "ref")]
    reference: SemverRef<'a>,
}

#[derive(Serialize)]
struct SemverRef<'a> {
    semver: &'a str,
}

pub fn generate(env: &Environment, cluster: &Cluster) -> anyhow::Result<String> {
    let components = &cluster.components;
    let release = components.seed_release.as_ref();
    let config = Config {
        schema: "./podplane.cluster.schema.json",
        cluster: ClusterConfig {
            id: cluster.id.value.as_str(),
            name: &cluster.name.value,
            oidc: Oidc {
                issuer_url: &cluster.issuer.value,
                client_id: cluster.client_id.value.as_str(),
                // What Podplane's API servers use (and the default): people's tokens
                // carry their email there, CI's service tokens their `trusted:` subject,
                // so one claim names both.
                username_claim: "sub",
                groups_claim: "groups",
            },
            spiffe: Spiffe {
                trust_domain: cluster.trust_domain.value.as_str(),
            },
            // Podplane refuses an ACME account whose email is not one: until the
            // placeholder new-repo wrote is filled in, the cluster uses self-signed
            // certificates, and `check` says what to fill in.
            acme: cluster
                .acme
                .as_ref()
                .filter(|acme| !is_placeholder(&acme.email.value))
                .map(|acme| AcmeConfig {
                    server: acme.server.as_ref().map(|s| s.value.as_str()),
                    email: &acme.email.value,
                }),
            domains: vec![Domain {
                zone: cluster.zone.value.as_str(),
                load_balancer: MAIN_LOAD_BALANCER,
                provider: DnsProvider {
                    kind: "aws-route53",
                    account: env.account.value.as_str(),
                    region: env.region.value.as_str(),
                },
            }],
            pools: cluster
                .pools
                .iter()
                .map(|(name, pool)| {
                    (
                        name.as_str(),
                        Pool {
                            arch: pool.arch.value.as_str(),
                            instance_type: &pool.instance_type.value,
                            size: pool.size.value,
                            disk_size: pool.disk_size.value,
                        },
                    )
                })
                .collect(),
            providers: vec![Provider {
                kind: env.provider.value.as_str(),
                region: env.region.value.as_str(),
                account: env.account.value.as_str(),
                tags: env
                    .tags
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.value.as_str()))
                    .collect(),
                vpc: Vpc {
                    v4cidr: cidr_text(cluster.vpc.value),
                },
                zones: cluster
                    .subnets
                    .value
                    .iter()
                    .map(|zone| {
                        let subnets = zone
                            .subnets
                            .iter()
                            .map(|subnet| {
                                let (pool, services, public) = match &subnet.role {
                                    SubnetRole::Pool(pool) => (Some(pool.as_str()), None, false),
                                    SubnetRole::Public => (None, Some(&["nat", "nlb"][..]), true),
                                    SubnetRole::Nstance => (None, Some(&["nstance"][..]), false),
                                };
                                Subnet {
                                    v4cidr: cidr_text(subnet.cidr),
                                    pool,
                                    services,
                                    public,
                                }
                            })
                            .collect();
                        (zone.zone.as_str(), subnets)
                    })
                    .collect(),
                load_balancers: BTreeMap::from([
                    (MAIN_LOAD_BALANCER, public_load_balancer(443, "ingress")),
                    (
                        API_LOAD_BALANCER,
                        public_load_balancer(6443, "control-plane"),
                    ),
                ]),
            }],
            kubernetes: Kubernetes {
                api_hostname: cluster.api_host.value.as_str(),
                api_load_balancer: API_LOAD_BALANCER,
            },
            registry: Registry {
                hostname: cluster.registry_host.value.as_str(),
            },
            secrets: Secrets {
                default_provider: cluster.secret_store.value.provider_name(),
                providers: BTreeMap::from([(
                    cluster.secret_store.value.provider_name(),
                    SecretsProvider {
                        kind: "aws",
                        object_type: cluster.secret_store.value.as_str(),
                        region: env.region.value.as_str(),
                    },
                )]),
            },
            seed: SeedConfig {
                name: components.seed.value.as_str(),
                version: release.map(|r| r.version.value.as_str()),
                digest: release.map(|r| r.digest.value.for_podplane()),
            },
            components: Components {
                source: ComponentsSource {
                    url: &components.source.value,
                    reference: SemverRef {
                        semver: &components.version.value,
                    },
                },
            },
        },
    };
    let json = serde_json::to_string_pretty(&config)?;
    Ok(format!(
        "{}{json}\n",
        comment_preamble("//", &Sources::Environment(env))
    ))
}

/// An internet-facing load balancer in the public subnets, forwarding `port` to the
/// same port on `pool`.
fn public_load_balancer(port: u16, pool: &'static str) -> LoadBalancer {
    LoadBalancer {
        public: true,
        subnets: "public",
        listeners: vec![Listener {
            port,
            target_port: port,
            pool,
        }],
    }
}
