//! A resolved environment as a tree of named values, each leaf with its origin: the one
//! shape that `show` prints as TOML or JSON, with paths such as `services.hello.version`
//! and `pools.ingress.size`.

use std::collections::BTreeMap;
use std::fmt::Display;

use super::{Environment, Origin, Sourced};

/// A node: a table of named children, or a value.
#[derive(Debug)]
pub enum Node {
    Table(Vec<(String, Node)>),
    Leaf(Leaf),
}

#[derive(Debug, Clone)]
pub struct Leaf {
    pub value: Scalar,
    pub origin: Origin,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    String(String),
    Integer(i64),
    List(Vec<String>),
}

/// Values that can be a leaf.
trait ToScalar {
    fn to_scalar(&self) -> Scalar;
}

macro_rules! display_scalar {
    ($($t:ty),*) => {$(
        impl ToScalar for $t {
            fn to_scalar(&self) -> Scalar {
                Scalar::String(self.to_string())
            }
        }
    )*};
}

display_scalar!(
    String,
    super::names::Account,
    super::names::ClusterId,
    super::names::DnsName,
    super::names::Region,
    super::Stage,
    super::Provider,
    super::Role,
    super::Arch,
    super::Seed,
    super::Runners,
    super::ObservabilityPlatform,
    super::Connector,
    ipnet::Ipv4Net
);

macro_rules! integer_scalar {
    ($($t:ty),*) => {$(
        impl ToScalar for $t {
            fn to_scalar(&self) -> Scalar {
                Scalar::Integer(i64::from(*self))
            }
        }
    )*};
}

integer_scalar!(u8, u16, u32);

impl ToScalar for Vec<String> {
    fn to_scalar(&self) -> Scalar {
        Scalar::List(self.clone())
    }
}

/// Builds one table, in the order its entries are added.
#[derive(Default)]
struct Table(Vec<(String, Node)>);

impl Table {
    fn leaf<T: ToScalar>(mut self, key: impl Display, value: &Sourced<T>) -> Table {
        self.0.push((
            key.to_string(),
            Node::Leaf(Leaf {
                value: value.value.to_scalar(),
                origin: value.origin.clone(),
            }),
        ));
        self
    }

    fn maybe<T: ToScalar>(self, key: &str, value: Option<&Sourced<T>>) -> Table {
        match value {
            Some(value) => self.leaf(key, value),
            None => self,
        }
    }

    fn table(mut self, key: impl Display, table: Table) -> Table {
        self.0.push((key.to_string(), Node::Table(table.0)));
        self
    }

    /// A table of tables, one per entry of `map`, skipped when the map is empty.
    fn tables<V>(self, key: &str, map: &BTreeMap<String, V>, each: impl Fn(&V) -> Table) -> Table {
        if map.is_empty() {
            return self;
        }
        let inner = map
            .iter()
            .fold(Table::default(), |t, (name, v)| t.table(name, each(v)));
        self.table(key, inner)
    }
}

impl Environment {
    /// The environment as a tree, in the order a person reads it.
    pub fn tree(&self) -> Vec<(String, Node)> {
        let mut root = Table::default()
            .leaf("stage", &self.stage)
            .maybe("description", self.description.as_ref())
            .leaf("provider", &self.provider)
            .leaf("account", &self.account)
            .leaf("region", &self.region);
        if let Some(cluster) = &self.cluster {
            let mut names = Table::default()
                .leaf("id", &cluster.id)
                .leaf("name", &cluster.name)
                .leaf("zone", &cluster.zone)
                .leaf("api_host", &cluster.api_host)
                .leaf("registry_host", &cluster.registry_host)
                .leaf("issuer", &cluster.issuer)
                .leaf("client_id", &cluster.client_id)
                .maybe("otlp_endpoint", cluster.otlp_endpoint.as_ref())
                .leaf("vpc", &cluster.vpc)
                .leaf("zones", &cluster.zones)
                .leaf(
                    "availability_zones",
                    &Sourced::new(
                        cluster
                            .subnets
                            .value
                            .iter()
                            .map(|z| z.zone.clone())
                            .collect::<Vec<_>>(),
                        cluster.subnets.origin.clone(),
                    ),
                );
            if let Some(acme) = &cluster.acme {
                names = names.table(
                    "acme",
                    Table::default()
                        .leaf("email", &acme.email)
                        .maybe("server", acme.server.as_ref()),
                );
            }
            let components = &cluster.components;
            let mut components_table = Table::default()
                .leaf("version", &components.version)
                .leaf("seed", &components.seed)
                .leaf("source", &components.source);
            if let Some(release) = &components.seed_release {
                components_table = components_table
                    .leaf("seed_version", &release.version)
                    .leaf("seed_digest", &release.digest);
            }
            root = root
                .table("cluster", names)
                .tables("pools", &cluster.pools, |pool| {
                    Table::default()
                        .leaf("arch", &pool.arch)
                        .leaf("instance_type", &pool.instance_type)
                        .leaf("size", &pool.size)
                        .leaf("disk_size", &pool.disk_size)
                })
                .table("components", components_table);
        }
        root = root.table(
            "tags",
            self.tags
                .iter()
                .fold(Table::default(), |t, (k, v)| t.leaf(k, v)),
        );
        root = root.tables("access", &self.access, |access| {
            Table::default()
                .leaf("role", &access.role)
                .leaf("group", &access.group)
                .leaf("members", &access.members)
        });
        if let Some(cluster) = &self.cluster {
            root = root.tables("services", &cluster.services, |service| {
                let env = service
                    .env
                    .iter()
                    .fold(Table::default(), |t, (k, v)| t.leaf(k, v));
                let table = Table::default()
                    .leaf("version", &service.version)
                    .leaf("replicas", &service.replicas)
                    .leaf("host", &service.host)
                    .leaf("image", &service.image())
                    .leaf("template", &service.declaration.template)
                    .leaf("port", &service.declaration.port);
                if env.0.is_empty() {
                    table
                } else {
                    table.table("env", env)
                }
            });
        }
        if let Some(ci) = &self.ci {
            root = root.table("ci", Table::default().leaf("runners", &ci.runners));
        }
        if let Some(o) = &self.observability {
            root = root.table(
                "observability",
                Table::default()
                    .leaf("platform", &o.platform)
                    .leaf("retention_days", &o.retention_days)
                    .maybe("monitor", o.monitor.as_ref()),
            );
        }
        if let Some(identity) = &self.identity {
            root = root.table(
                "identity",
                Table::default()
                    .leaf("hostname", &identity.hostname)
                    .leaf("connector", &identity.connector)
                    .leaf("client_secret_arn", &identity.client_secret_arn)
                    .leaf("signing_key_secret_arn", &identity.signing_key_secret_arn),
            );
        }
        root.0
    }
}
