//! The cluster an environment runs: its names, VPC and subnets, pools, certificates,
//! components and services.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::model::spanned::{Entries, Spanned};
use ipnet::Ipv4Net;

use crate::diagnostic::{Diagnostic, Location, Span, help_valid};
use crate::model::conventions::{Pattern, Variables};
use crate::model::files::{AcmeFile, ComponentsFile, NamesFile, PoolFile, ServiceFile};
use crate::model::names::{ClusterId, DnsName, Region, Slug};
use crate::model::network::{self, ZoneSubnets};
use crate::model::{
    AcmeAccount, Cluster, Components, Origin, Pool, Seed, SeedRelease, Service, ServiceDecl,
    Sourced, Template, Workload,
};

use super::{EnvResolver, inherited, origin_location, validated};
use crate::model::values::{
    AcmeDirectory, Email, GitUrl, InstanceType, SecretKey, SeedDigest, SeedVersion, ServiceVersion,
    VersionRange, is_env_var_name, one_line, zone_count,
};

/// The pools Podplane's load balancers need: the API targets `control-plane`, the
/// domain's load balancer `ingress`.
const REQUIRED_POOLS: [&str; 2] = ["control-plane", "ingress"];

/// The git repository of Podplane's published platform components.
const DEFAULT_COMPONENTS_SOURCE: &str = "https://github.com/podplane/components.git";

/// The keys of an environment file that describe its cluster.
pub(super) struct ClusterKeys {
    pub(super) acme: Option<Spanned<AcmeFile>>,
    pub(super) vpc: Option<Spanned<String>>,
    pub(super) zones: Option<Spanned<u8>>,
    pub(super) names: Option<Spanned<NamesFile>>,
    pub(super) pools: Entries<PoolFile>,
    pub(super) components: Option<Spanned<ComponentsFile>>,
    pub(super) services: Entries<ServiceFile>,
}

impl EnvResolver<'_, '_> {
    pub(super) fn cluster(
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
                one_line(s).map(|()| s.to_owned())
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
            Some(zones) => self.validated(zones, |&n| zone_count(n)),
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
        let trust_domain = api_host.clone().map(|host| {
            Sourced::new(
                host.value,
                Origin::Builtin(
                    "Podplane's default: SPIFFE trust domain = the Kubernetes API host",
                ),
            )
        });
        Some(Cluster {
            id: id?,
            name: name?,
            zone: zone?,
            api_host: api_host?,
            trust_domain: trust_domain?,
            registry_host: registry_host?,
            secret_store: self.shared.secret_store.clone(),
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

    pub(super) fn pools(&mut self, raw: Entries<PoolFile>) -> Option<BTreeMap<String, Pool>> {
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
            let instance_type =
                self.validated(pool.instance_type, |s| InstanceType::parse(s, arch));
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
    pub(super) fn acme(&mut self, own: Option<Spanned<AcmeFile>>) -> Option<Option<AcmeAccount>> {
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
                Email::parse(s).map_err(|reason| {
                    format!("{reason}: the ACME account needs one for expiry notices")
                })
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
                AcmeDirectory::parse(s)
            })?),
            None => None,
        };
        Some(Some(AcmeAccount {
            email: email?,
            server,
        }))
    }

    /// The environment's `[components]`, key by key over `[defaults.components]`.
    pub(super) fn components(
        &mut self,
        own: Option<Spanned<ComponentsFile>>,
    ) -> Option<Components> {
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
            Some((file, source)) => validated(self.problems, &file, source, |s| GitUrl::parse(s)),
            None => Some(Sourced::new(
                GitUrl::parse(DEFAULT_COMPONENTS_SOURCE).expect("a git URL"),
                Origin::Builtin("default: components source = Podplane's published components"),
            )),
        };
        let missing = |key: &str| {
            Diagnostic::new(format!("components `{key}` is not set"), Location::Path(self.file.path.clone()))
                .with_help(format!("set `{key}` in [components] of this file, or in [defaults.components] of platform.toml"))
        };
        let version = match version {
            Some((file, v)) => validated(self.problems, &file, v, |s| VersionRange::parse(s)),
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
                let version = validated(self.problems, &vfile, version, |s| SeedVersion::parse(s));
                let digest = validated(self.problems, &dfile, digest, |s| SeedDigest::parse(s));
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

    pub(super) fn services(
        &mut self,
        raw: Entries<ServiceFile>,
        variables: &mut Variables,
    ) -> Option<BTreeMap<String, Service>> {
        let before = self.problems.0.len();
        // Built in key order, then gathered into the map at once.
        let mut services = Vec::with_capacity(raw.len());
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
            let version = self.validated(service.version, |s| ServiceVersion::parse(s));
            let secrets = self.secret_keys(name.get_ref(), service.secrets);
            // The file's map is in key order, and so is the list.
            let mut env = Vec::with_capacity(service.env.len());
            for (key, value) in service.env {
                if !is_env_var_name(key.get_ref()) {
                    self.problems.push(
                        Diagnostic::at(self.span(&key), format!("`{}` is not an environment variable name", key.get_ref()))
                            .with_help("use letters, digits and underscores, not starting with a digit, such as LOG_LEVEL"),
                    );
                }
                env.push((key.into_inner(), Sourced::written(self.file, value)));
            }
            if let (Some(workload), Some(version), Some(secrets)) = (workload, version, secrets) {
                services.push((
                    name.into_inner(),
                    Service {
                        version,
                        env,
                        workload,
                        secrets,
                        declaration: decl.clone(),
                    },
                ));
            }
        }
        (self.problems.0.len() == before).then(|| services.into_iter().collect())
    }

    /// The secrets a service reads, validated, in name order; each named once.
    fn secret_keys(
        &mut self,
        service: &str,
        raw: Vec<Spanned<String>>,
    ) -> Option<Vec<Sourced<SecretKey>>> {
        let before = self.problems.0.len();
        let mut keys: Vec<Sourced<SecretKey>> = Vec::with_capacity(raw.len());
        for key in raw {
            let span = self.span(&key);
            let Some(key) = self.validated(key, |s| SecretKey::parse(s)) else {
                continue;
            };
            if keys.iter().any(|k| k.value == key.value) {
                self.problems.push(
                    Diagnostic::at(
                        span,
                        format!(
                            "`{}` is named twice in the secrets of `{service}`",
                            key.value
                        ),
                    )
                    .with_help("name each secret once"),
                );
                continue;
            }
            keys.push(key);
        }
        keys.sort_by(|a, b| a.value.cmp(&b.value));
        (self.problems.0.len() == before).then_some(keys)
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
}
