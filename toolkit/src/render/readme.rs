//! Each environment's `README.md`: the environment at a glance, for the people who use it.

use std::fmt::Write as _;

use super::deploy::push_all;
use super::trust::Deployer;
use super::{Sources, markdown_preamble};
use crate::model::names::is_placeholder;
use crate::model::{Cluster, Environment, Platform};
use crate::templates;

pub const FILE: &str = "README.md";

struct Data<'a> {
    preamble: String,
    title: String,
    env: &'a str,
    /// Wrapped as the page's prose is.
    description: Option<String>,
    stage: &'a str,
    provider: &'a str,
    account: &'a str,
    region: &'a str,
    cluster: Option<ClusterData<'a>>,
    no_cluster: &'static str,
    ci: Option<String>,
    observability: Option<String>,
    identity: Option<IdentityData<'a>>,
    access: Vec<AccessRow<'a>>,
    /// The rows of the services' table, one a line, without the last newline; empty
    /// without services.
    services: String,
    /// The command that creates each secret a service reads, one a line, without the
    /// last newline; empty without.
    secrets: String,
    /// Who CI's deploy job of this environment is in its cluster, when CI deploys it: a
    /// paragraph, wrapped.
    ci_subject: Option<String>,
}

struct ClusterData<'a> {
    id: &'a str,
    zone: &'a str,
    api_host: &'a str,
    registry_host: &'a str,
    vpc: String,
    availability_zones: String,
    issuer: &'a str,
    client_id: &'a str,
    telemetry: String,
    certificates: String,
}

struct IdentityData<'a> {
    hostname: &'a str,
    connector: &'a str,
    clients: String,
    /// Whose deploy jobs the issuer trusts, as the paragraph says it; empty until
    /// `[github]` or `[buildkite]` names them.
    trusts: String,
    /// The CI provider, as its table in platform.toml is named.
    provider: &'static str,
    /// Each trusted deploy job: client (cluster id) and subject.
    trusted: Vec<(&'a str, String)>,
}

struct AccessRow<'a> {
    team: &'a str,
    role: &'a str,
    group: &'a str,
    members: String,
}

pub fn generate(platform: &Platform, env: &Environment) -> anyhow::Result<String> {
    let deployer = Deployer::of(platform);
    let cluster = env.cluster.as_ref().map(|c| ClusterData {
        id: c.id.value.as_str(),
        zone: c.zone.value.as_str(),
        api_host: c.api_host.value.as_str(),
        registry_host: c.registry_host.value.as_str(),
        vpc: crate::model::network::cidr_text(c.vpc.value),
        availability_zones: c
            .subnets
            .value
            .iter()
            .map(|z| format!("`{}`", z.zone))
            .collect::<Vec<_>>()
            .join(", "),
        issuer: &c.issuer.value,
        client_id: c.client_id.value.as_str(),
        telemetry: match &c.otlp_endpoint {
            Some(endpoint) => format!("VM logs shipped to `{}`", endpoint.value),
            None => "none shipped: a hosted monitor watches this cluster".to_owned(),
        },
        certificates: match &c.acme {
            Some(acme) if is_placeholder(&acme.email.value) => format!(
                "self-signed until the ACME email `{}` is filled in",
                acme.email.value
            ),
            Some(acme) => format!(
                "ACME ({}), account `{}`",
                acme.server
                    .as_ref()
                    .map_or("Let's Encrypt".to_owned(), |s| format!("`{}`", s.value)),
                acme.email.value
            ),
            None => "self-signed".to_owned(),
        },
    });
    let title = match &env.cluster {
        Some(c) => c.name.value.clone(),
        None => format!("{} {}", platform.name.value, env.stage.value.title()),
    };
    let data = Data {
        preamble: markdown_preamble(&Sources::EnvironmentAndCrates(env)),
        title,
        env: env.name.as_str(),
        description: env
            .description
            .as_ref()
            .map(|d| templates::wrap(&d.value, super::MARKDOWN_WIDTH)),
        stage: env.stage.value.as_str(),
        provider: env.provider.value.as_str(),
        account: env.account.value.as_str(),
        region: env.region.value.as_str(),
        cluster,
        no_cluster: if env.identity.is_some() {
            "the identity environment serves the OIDC issuer"
        } else {
            "CI runs on hosted runners"
        },
        ci: env.ci.as_ref().map(|ci| ci.runners.value.to_string()),
        observability: env.observability.as_ref().map(|o| {
            let monitor = o
                .monitor
                .as_ref()
                .map_or("no hosted monitor yet".to_owned(), |m| {
                    format!("watched by `{}`", m.value)
                });
            table_cell(&format!(
                "{}, {} days of retention, {monitor}",
                o.platform.value, o.retention_days.value
            ))
        }),
        identity: env.identity.as_ref().map(|i| IdentityData {
            hostname: i.hostname.value.as_str(),
            connector: i.connector.value.as_str(),
            clients: platform
                .environments
                .values()
                .filter_map(|e| {
                    e.cluster
                        .as_ref()
                        .map(|c| format!("`{}`", c.client_id.value))
                })
                .collect::<Vec<_>>()
                .join(", "),
            trusts: deployer
                .map(|deployer| {
                    let whose = match deployer {
                        Deployer::Github(_) => "deploy jobs of this repository".to_owned(),
                        Deployer::Buildkite(buildkite) => format!(
                            "deploy steps of the Buildkite pipeline `{}/{}`",
                            buildkite.organization.value, buildkite.pipeline.value
                        ),
                    };
                    templates::wrap(
                        &format!(
                            "The issuer trusts the {whose} on `main`, each for its own cluster only:"
                        ),
                        80,
                    )
                })
                .unwrap_or_default(),
            provider: platform.ci_provider().as_str(),
            trusted: deployer
                .iter()
                .flat_map(|deployer| {
                    platform.deployed_by_ci().filter_map(move |e| {
                        let cluster = e.cluster.as_ref()?;
                        Some((
                            cluster.client_id.value.as_str(),
                            deployer.subject(e.name.as_str()),
                        ))
                    })
                })
                .collect(),
        }),
        access: env
            .access
            .iter()
            .map(|(team, a)| AccessRow {
                team,
                role: a.role.value.as_str(),
                group: &a.group.value,
                members: a
                    .members
                    .value
                    .iter()
                    .map(|member| format!("`{member}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        services: env.cluster.as_ref().map(service_rows).unwrap_or_default(),
        secrets: env.cluster.as_ref().map(secret_commands).unwrap_or_default(),
        ci_subject: deployer.and_then(|deployer| {
            platform
                .deployed_by_ci()
                .any(|e| e.name == env.name)
                .then(|| {
                    let sentence = format!(
                        "CI's deploy job logs in with Podplane's service login, as `{}` in the group `podplane:{}` (see `ci/README.md`).",
                        deployer.subject(env.name.as_str()),
                        super::trust::CI_ROLE
                    );
                    crate::templates::wrap(&sentence, super::MARKDOWN_WIDTH)
                })
        }),
    };
    Ok(page(&data))
}

/// The page, written out rather than through the template engine, which cost more than
/// everything else `render` does for it.
fn page(d: &Data) -> String {
    let mut out = String::with_capacity(4096 + d.services.len() + d.secrets.len());
    let env = d.env;
    push_all(
        &mut out,
        &[&d.preamble, "\n\n# ", &d.title, " (`", env, "`)\n\n"],
    );
    if let Some(description) = &d.description {
        push_all(&mut out, &[description, "\n\n"]);
    }
    push_all(
        &mut out,
        &[
            "| | |\n| --- | --- |\n| stage | ",
            d.stage,
            " |\n| cloud account | ",
            d.provider,
            " `",
            d.account,
            "` |\n| region | `",
            d.region,
            "` |\n",
        ],
    );
    match &d.cluster {
        Some(c) => push_all(
            &mut out,
            &[
                "| cluster id | `",
                c.id,
                "` |\n| DNS zone | `",
                c.zone,
                "` |\n| Kubernetes API | `https://",
                c.api_host,
                ":6443` |\n| registry | `",
                c.registry_host,
                "` |\n| VPC | `",
                &c.vpc,
                "` in ",
                &c.availability_zones,
                " |\n| OIDC issuer | `",
                c.issuer,
                "`, client `",
                c.client_id,
                "` |\n| telemetry | ",
                &c.telemetry,
                " |\n| certificates | ",
                &c.certificates,
                " |\n",
            ],
        ),
        None => push_all(&mut out, &["| cluster | none: ", d.no_cluster, " |\n"]),
    }
    if let Some(ci) = &d.ci {
        push_all(&mut out, &["| CI runners | ", ci, " |\n"]);
    }
    if let Some(observability) = &d.observability {
        push_all(&mut out, &["| observability | ", observability, " |\n"]);
    }
    if let Some(i) = &d.identity {
        push_all(
            &mut out,
            &[
                "| OIDC issuer | `https://",
                i.hostname,
                "`, signing in with ",
                i.connector,
                " |\n| OIDC clients | ",
                &i.clients,
                " |\n",
            ],
        );
    }
    out.push_str("\n## Access\n\n");
    if d.access.is_empty() {
        out.push_str("No team has access.\n");
    } else {
        out.push_str(
            "| team | Podplane role | group in tokens | members |\n| --- | --- | --- | --- |\n",
        );
        for row in &d.access {
            push_all(
                &mut out,
                &[
                    "| ",
                    row.team,
                    " | ",
                    row.role,
                    " | `",
                    row.group,
                    "` | ",
                    &row.members,
                    " |\n",
                ],
            );
        }
    }
    if let Some(c) = &d.cluster {
        out.push_str("\n## Services\n\n");
        if d.services.is_empty() {
            out.push_str("No services are deployed here.\n");
        } else {
            push_all(
                &mut out,
                &[
                    "| service | template | version | replicas | URL | image |\n",
                    "| --- | --- | --- | --- | --- | --- |\n",
                    &d.services,
                    "\n\nDeploy them all once logged in (below); it needs Docker, jq and kubectl, and a\n",
                    "login to the build registry. Each image is the one CI built for its version, by\n",
                    "digest, copied into this cluster's registry:\n\n```sh\nbash environments/",
                    env,
                    "/deploy.sh\n```\n",
                ],
            );
            if !d.secrets.is_empty() {
                push_all(
                    &mut out,
                    &[
                        "\nThe services read these secrets, which must exist before they deploy; create\n",
                        "each once, its value on standard input:\n\n```sh\n",
                        &d.secrets,
                        "\n```\n",
                    ],
                );
            }
        }
        push_all(
            &mut out,
            &[
                "\n## Log in\n\n```sh\npodplane login -f environments/",
                env,
                "/podplane.cluster.jsonc\nkubectl --context ",
                c.id,
                " get nodes\n```\n\n",
                "The issuer signs you in and puts your teams' groups in the token; the cluster\n",
                "accepts tokens for its own client id only.\n",
            ],
        );
        if let Some(subject) = &d.ci_subject {
            push_all(&mut out, &["\n", subject, "\n"]);
        }
    }
    if let Some(i) = &d.identity {
        push_all(
            &mut out,
            &[
                "\n## Deploy the issuer\n\n```sh\npodplane oidc create -f environments/",
                env,
                ISSUER,
            ],
        );
        if i.trusts.is_empty() {
            push_all(
                &mut out,
                &[
                    "\nNo deploy job is trusted: `[",
                    i.provider,
                    "]` in `environments/platform.toml`\nnames none.\n",
                ],
            );
        } else {
            push_all(
                &mut out,
                &["\n", &i.trusts, "\n\n| client | subject |\n| --- | --- |\n"],
            );
            for (client, subject) in &i.trusted {
                push_all(&mut out, &["| `", client, "` | `", subject, "` |\n"]);
            }
        }
    }
    out
}

/// What the identity environment's page says of `podplane oidc create`, after its command.
const ISSUER: &str = "/podplane.oidc.jsonc
```

`podplane oidc create` writes its Terraform beside `podplane.oidc.jsonc` and
applies it. `truster_override.tf.json`, generated beside it, is a Terraform
override file: it gives the issuer's module its whole configuration, the same
clients and people as `podplane.oidc.jsonc` and the trust that lets CI's deploy
jobs log in, which `podplane.oidc.jsonc` cannot express. Run the command again
after every change to either file.
";

/// `text` as a cell of a Markdown table: a pipe would end the cell, so it is escaped (as
/// GitHub reads it, inside a code span too).
fn table_cell(text: &str) -> String {
    text.replace('|', "\\|")
}

/// `podplane secret create` for each secret a service reads, one a line.
fn secret_commands(cluster: &Cluster) -> String {
    let mut lines = String::new();
    for (name, s) in &cluster.services {
        for key in &s.secrets {
            let _ = writeln!(
                lines,
                "podplane secret create --for {name} {} --stdin --context {}",
                key.value, cluster.id.value
            );
        }
    }
    lines.pop();
    lines
}

/// The rows of the services' table, one a line.
fn service_rows(cluster: &Cluster) -> String {
    let mut rows = String::with_capacity(cluster.services.len() * 160);
    let mut number = itoa::Buffer::new();
    for (name, s) in &cluster.services {
        push_all(
            &mut rows,
            &[
                "| ",
                name,
                " | ",
                s.declaration.template.value.as_str(),
                " | ",
                s.version.value.as_str(),
                " | ",
                // A web service always runs one, as its template fixes.
                number.format(s.replicas().map_or(1, |r| r.value)),
                " | ",
            ],
        );
        // `https://<host>` of a web service (an autolink), `-` for a worker.
        match s.host() {
            Some(host) => push_all(&mut rows, &["<https://", host.value.as_str(), ">"]),
            None => rows.push('-'),
        }
        push_all(&mut rows, &[" | `", &s.image().value, "` |\n"]);
    }
    // The page ends the last row's line.
    rows.pop();
    rows
}
