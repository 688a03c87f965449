//! A resolved environment as a tree of named values, each leaf with its origin: the one
//! shape that `show` prints as TOML or JSON and that `diff` compares, with paths such as
//! `services.hello.version` and `pools.ingress.size`. The tree borrows from the
//! environment, so building it copies next to nothing.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::{Environment, Origin, Sourced};

/// A node: a table of named children, or a value.
#[derive(Debug)]
pub enum Node<'a> {
    Table(Vec<(Cow<'a, str>, Node<'a>)>),
    Leaf(Leaf<'a>),
}

#[derive(Debug, Clone)]
pub struct Leaf<'a> {
    pub value: Scalar<'a>,
    pub origin: Cow<'a, Origin>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar<'a> {
    String(Cow<'a, str>),
    Integer(i64),
    List(Cow<'a, [String]>),
}

/// A scalar in JSON is the value itself: a string, a number or an array of strings.
impl serde::Serialize for Scalar<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Scalar::String(text) => serializer.serialize_str(text),
            Scalar::Integer(number) => serializer.serialize_i64(*number),
            Scalar::List(items) => serializer.collect_seq(items.iter()),
        }
    }
}

/// Values that can be a leaf.
trait ToScalar {
    fn to_scalar(&self) -> Scalar<'_>;
}

impl ToScalar for String {
    fn to_scalar(&self) -> Scalar<'_> {
        Scalar::String(Cow::Borrowed(self))
    }
}

macro_rules! str_scalar {
    ($($t:ty),*) => {$(
        impl ToScalar for $t {
            fn to_scalar(&self) -> Scalar<'_> {
                Scalar::String(Cow::Borrowed(self.as_str()))
            }
        }
    )*};
}

str_scalar!(
    super::names::Account,
    super::names::ClusterId,
    super::names::DnsName,
    super::names::Region,
    super::values::AcmeDirectory,
    super::values::Email,
    super::values::GitUrl,
    super::values::InstanceType,
    super::values::SecretArn,
    super::values::SeedDigest,
    super::values::SeedVersion,
    super::values::ServiceVersion,
    super::values::VersionRange,
    super::Stage,
    super::Provider,
    super::Role,
    super::Arch,
    super::Seed,
    super::Runners,
    super::Flow,
    super::CiProvider,
    super::ObservabilityPlatform,
    super::Connector,
    super::Template,
    super::SecretStore
);

impl ToScalar for ipnet::Ipv4Net {
    fn to_scalar(&self) -> Scalar<'_> {
        Scalar::String(Cow::Owned(super::network::cidr_text(*self)))
    }
}

macro_rules! integer_scalar {
    ($($t:ty),*) => {$(
        impl ToScalar for $t {
            fn to_scalar(&self) -> Scalar<'_> {
                Scalar::Integer(i64::from(*self))
            }
        }
    )*};
}

integer_scalar!(u8, u16, u32);

impl ToScalar for Vec<String> {
    fn to_scalar(&self) -> Scalar<'_> {
        Scalar::List(Cow::Borrowed(self))
    }
}

/// Builds one table, in the order its entries are added.
#[derive(Default)]
struct Table<'a>(Vec<(Cow<'a, str>, Node<'a>)>);

impl<'a> Table<'a> {
    /// An empty table with room for `entries`: a service's tables are built thousands of
    /// times, and growing each entry by entry cost more than filling it.
    fn sized(entries: usize) -> Table<'a> {
        Table(Vec::with_capacity(entries))
    }

    fn leaf<T: ToScalar>(self, key: impl Into<Cow<'a, str>>, value: &'a Sourced<T>) -> Table<'a> {
        self.owned_leaf(key, value.value.to_scalar(), Cow::Borrowed(&value.origin))
    }

    /// A leaf made for the tree, such as a value derived from others.
    fn owned_leaf(
        mut self,
        key: impl Into<Cow<'a, str>>,
        value: Scalar<'a>,
        origin: Cow<'a, Origin>,
    ) -> Table<'a> {
        self.0
            .push((key.into(), Node::Leaf(Leaf { value, origin })));
        self
    }

    fn maybe<T: ToScalar>(self, key: &'a str, value: Option<&'a Sourced<T>>) -> Table<'a> {
        match value {
            Some(value) => self.leaf(key, value),
            None => self,
        }
    }

    fn table(mut self, key: impl Into<Cow<'a, str>>, table: Table<'a>) -> Table<'a> {
        self.0.push((key.into(), Node::Table(table.0)));
        self
    }

    /// A table of tables, one per entry of `map`, skipped when the map is empty.
    fn tables<V>(
        self,
        key: &'a str,
        map: &'a BTreeMap<String, V>,
        each: impl Fn(&'a V) -> Table<'a>,
    ) -> Table<'a> {
        if map.is_empty() {
            return self;
        }
        let inner = Table::sized(map.len());
        let inner = map
            .iter()
            .fold(inner, |t, (name, v)| t.table(name.as_str(), each(v)));
        self.table(key, inner)
    }
}

impl Environment {
    /// The environment as a tree, in the order a person reads it.
    pub fn tree(&self) -> Vec<(Cow<'_, str>, Node<'_>)> {
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
                .leaf("trust_domain", &cluster.trust_domain)
                .leaf("registry_host", &cluster.registry_host)
                .leaf("secret_store", &cluster.secret_store)
                .leaf("issuer", &cluster.issuer)
                .leaf("client_id", &cluster.client_id)
                .maybe("otlp_endpoint", cluster.otlp_endpoint.as_ref())
                .leaf("vpc", &cluster.vpc)
                .leaf("zones", &cluster.zones)
                .owned_leaf(
                    "availability_zones",
                    Scalar::List(Cow::Owned(
                        cluster
                            .subnets
                            .value
                            .iter()
                            .map(|z| z.zone.clone())
                            .collect(),
                    )),
                    Cow::Borrowed(&cluster.subnets.origin),
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
                .fold(Table::default(), |t, (k, v)| t.leaf(k.as_str(), v)),
        );
        root = root.tables("access", &self.access, |access| {
            Table::default()
                .leaf("role", &access.role)
                .leaf("group", &access.group)
                .leaf("members", &access.members)
        });
        if let Some(cluster) = &self.cluster {
            root = root.tables("services", &cluster.services, |service| {
                let image = service.image();
                let env = service
                    .env
                    .iter()
                    .fold(Table::sized(service.env.len()), |t, (k, v)| {
                        t.leaf(k.as_str(), v)
                    });
                // Version, replicas or host, image, template, port, env and secrets.
                let table = Table::sized(7)
                    .leaf("version", &service.version)
                    .maybe("replicas", service.replicas())
                    .maybe("host", service.host())
                    .owned_leaf(
                        "image",
                        Scalar::String(Cow::Owned(image.value)),
                        Cow::Owned(image.origin),
                    )
                    .leaf("template", &service.declaration.template)
                    .maybe("port", service.declaration.port.as_ref());
                // Each secret by name, with the file it becomes in the containers: a
                // secret the reference binds and the candidate does not is a violation,
                // one only the candidate binds is pending promotion.
                let secrets =
                    service
                        .secrets
                        .iter()
                        .fold(Table::sized(service.secrets.len()), |t, key| {
                            t.owned_leaf(
                                key.value.as_str(),
                                Scalar::String(Cow::Owned(key.value.mount_path())),
                                Cow::Borrowed(&key.origin),
                            )
                        });
                let table = if env.0.is_empty() {
                    table
                } else {
                    table.table("env", env)
                };
                if secrets.0.is_empty() {
                    table
                } else {
                    table.table("secrets", secrets)
                }
            });
        }
        if let Some(ci) = &self.ci {
            root = root.table(
                "ci",
                Table::default()
                    .leaf("runners", &ci.runners)
                    .leaf("flow", &ci.flow)
                    .leaf("provider", &ci.provider),
            );
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
                    .leaf("signing_key_secret_arn", &identity.signing_key_secret_arn)
                    .maybe(
                        "encryption_key_secret_arn",
                        identity.encryption_key_secret_arn.as_ref(),
                    ),
            );
        }
        root.0
    }
}

impl Environment {
    /// The values of this environment that are secrets, in the tree's order.
    pub fn secret_values(&self) -> Vec<super::SecretValue> {
        /// Judges each leaf by its key; its path is spelled out only for a secret.
        fn collect<'a>(
            secrets: &super::Secrets,
            prefix: &mut Vec<&'a str>,
            entries: &'a [(Cow<'a, str>, Node<'a>)],
            out: &mut Vec<super::SecretValue>,
        ) {
            for (key, node) in entries {
                match node {
                    Node::Leaf(leaf) => {
                        let path = || {
                            let mut path = prefix.join(".");
                            if !path.is_empty() {
                                path.push('.');
                            }
                            path + key
                        };
                        if let Some(kind) = secrets.judge_key(key, &leaf.value, path) {
                            out.push(super::SecretValue {
                                path: path(),
                                kind,
                                origin: leaf.origin.as_ref().clone(),
                            });
                        }
                    }
                    Node::Table(children) => {
                        prefix.push(key);
                        collect(secrets, prefix, children, out);
                        prefix.pop();
                    }
                }
            }
        }
        let tree = self.tree();
        let mut out = Vec::new();
        collect(&self.secrets, &mut Vec::new(), &tree, &mut out);
        out
    }
}
