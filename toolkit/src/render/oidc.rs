//! `podplane.oidc.jsonc` of the identity environment: the Easy OIDC server every cluster
//! trusts, with one client per cluster and each environment's access as group mappings.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::{Sources, comment_preamble};
use crate::model::names::is_placeholder;
use crate::model::{Environment, Identity, Platform};

pub const FILE: &str = "podplane.oidc.jsonc";

/// Where the browser returns after sign-in: `podplane login` listens on its callback port
/// (8000 unless `--callback-port` says otherwise) and sends exactly this redirect URI,
/// which the issuer compares as a string. Every login the generated files show uses the
/// default port.
pub const LOGIN_REDIRECT_URI: &str = "http://localhost:8000/callback";

#[derive(Serialize)]
struct Config<'a> {
    #[serde(rename = "$schema")]
    schema: &'static str,
    oidc: Oidc<'a>,
}

#[derive(Serialize)]
struct Oidc<'a> {
    provider: Provider<'a>,
    hostname: &'a str,
    domain: Domain<'a>,
    connector: Connector<'a>,
    signing_key_secret_arn: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    encryption_key_secret_arn: Option<&'a str>,
    default_redirect_uris: [&'static str; 1],
    clients: BTreeMap<&'a str, Client<'a>>,
    groups_overrides: BTreeMap<&'a str, BTreeMap<&'a str, BTreeSet<&'a str>>>,
}

#[derive(Serialize)]
struct Provider<'a> {
    kind: &'a str,
    region: &'a str,
    account: &'a str,
}

#[derive(Serialize)]
struct Domain<'a> {
    zone: &'a str,
    provider: DomainProvider,
}

#[derive(Serialize)]
struct DomainProvider {
    kind: &'static str,
}

#[derive(Serialize)]
struct Connector<'a> {
    kind: &'a str,
    client_secret_arn: &'a str,
}

#[derive(Serialize)]
struct Client<'a> {
    groups_override: &'a str,
}

/// Who may use each cluster: the issuer's clients (cluster id, and the environment whose
/// group mapping it uses) and, per environment, each member's Podplane groups.
pub struct Access<'a> {
    pub clients: BTreeMap<&'a str, &'a str>,
    pub groups: BTreeMap<&'a str, BTreeMap<&'a str, BTreeSet<&'a str>>>,
}

pub fn access(platform: &Platform) -> Access<'_> {
    let mut clients = BTreeMap::new();
    let mut groups = BTreeMap::new();
    for (env, cluster) in platform
        .environments
        .values()
        .filter_map(|e| Some((e, e.cluster.as_ref()?)))
    {
        clients.insert(cluster.client_id.value.as_str(), env.name.as_str());
        // Every member of every team with access gets that team's group; a person in two
        // teams gets both groups. A placeholder `new-repo` wrote is nobody yet: the issuer
        // refuses it as an email, and `check` says it is to be filled in.
        let mut members: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for access in env.access.values() {
            for member in access.members.value.iter().filter(|m| !is_placeholder(m)) {
                members
                    .entry(member.as_str())
                    .or_default()
                    .insert(access.group.value.as_str());
            }
        }
        groups.insert(env.name.as_str(), members);
    }
    Access { clients, groups }
}

pub fn generate(
    platform: &Platform,
    env: &Environment,
    identity: &Identity,
) -> anyhow::Result<String> {
    let Access { clients, groups } = access(platform);
    let clients = clients
        .into_iter()
        .map(|(client, env)| {
            (
                client,
                Client {
                    groups_override: env,
                },
            )
        })
        .collect();
    let config = Config {
        schema: "./podplane.oidc.schema.json",
        oidc: Oidc {
            provider: Provider {
                kind: env.provider.value.as_str(),
                region: env.region.value.as_str(),
                account: env.account.value.as_str(),
            },
            hostname: identity.hostname.value.as_str(),
            domain: Domain {
                zone: platform.domain.value.as_str(),
                provider: DomainProvider { kind: "aws" },
            },
            connector: Connector {
                kind: identity.connector.value.as_str(),
                client_secret_arn: &identity.client_secret_arn.value,
            },
            signing_key_secret_arn: &identity.signing_key_secret_arn.value,
            encryption_key_secret_arn: identity
                .encryption_key_secret_arn
                .as_ref()
                .map(|arn| arn.value.as_str()),
            default_redirect_uris: [LOGIN_REDIRECT_URI],
            clients,
            groups_overrides: groups,
        },
    };
    let json = serde_json::to_string_pretty(&config)?;
    Ok(format!("{}{json}\n", comment_preamble("//", &Sources::All)))
}
