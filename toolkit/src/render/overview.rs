//! `docs/environments.md`: every environment in one table, and the topology as a Mermaid
//! diagram.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Serialize;

use super::{Generated, Sources, markdown_preamble};
use crate::model::{Environment, Platform, Service, Stage};
use crate::templates;

#[derive(Serialize)]
struct Data<'a> {
    preamble: String,
    name: &'a str,
    environments: Vec<Row<'a>>,
    /// The topology diagram, one Mermaid line each.
    diagram: Vec<String>,
}

#[derive(Serialize)]
struct Row<'a> {
    name: &'a str,
    stage: &'a str,
    account: &'a str,
    region: &'a str,
    cluster_id: String,
    zone: String,
    services: String,
}

pub fn generate(platform: &Platform) -> anyhow::Result<Generated> {
    let environments = platform
        .environments
        .values()
        .map(|env| {
            let cluster = env.cluster.as_ref();
            Row {
                name: env.name.as_str(),
                stage: env.stage.value.as_str(),
                account: env.account.value.as_str(),
                region: env.region.value.as_str(),
                cluster_id: cluster.map_or("-".to_owned(), |c| format!("`{}`", c.id.value)),
                zone: cluster.map_or("-".to_owned(), |c| format!("`{}`", c.zone.value)),
                services: cluster
                    .map(|c| service_list(&c.services))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "-".to_owned()),
            }
        })
        .collect();
    let data = Data {
        preamble: markdown_preamble(&Sources::All),
        name: &platform.name.value,
        environments,
        diagram: topology(platform),
    };
    Ok(Generated {
        path: PathBuf::from("docs/environments.md"),
        contents: templates::fill("overview", &data)?,
    })
}

/// The diagram as Mermaid flowchart lines, after the topology guide: CI deploys to staging
/// and promotes to production, the clusters ship telemetry to observability, a hosted
/// monitor watches observability, and every cluster trusts the issuer.
///
/// Relations that many environments share are drawn once, from or to a box that groups
/// them (the clusters that trust the issuer, the clusters that ship telemetry), so that no
/// edge runs through a box it does not connect and the picture stays readable as
/// environments are added. Rendered with Mermaid's own layout: the issuer on the left,
/// the clusters in the middle, the hosted monitor on the right.
/// `name version` of each service, comma-separated; joined in one buffer, as a platform
/// lists every service of every environment here.
fn service_list(services: &BTreeMap<String, Service>) -> String {
    let mut list = String::new();
    for (name, service) in services {
        if !list.is_empty() {
            list.push_str(", ");
        }
        list.push_str(name);
        list.push(' ');
        list.push_str(&service.version.value);
    }
    list
}

fn topology(platform: &Platform) -> Vec<String> {
    let id = |env: &Environment| format!("env_{}", env.name.as_str().replace('-', "_"));
    let node = |env: &Environment| {
        let label = match &env.identity {
            Some(identity) => format!("{}: OIDC issuer {}", env.name, identity.hostname.value),
            None if env.ci.is_some() && env.cluster.is_none() => {
                format!("{}: CI on hosted runners", env.name)
            }
            None if env.name.as_str() == env.stage.value.as_str() => env.name.to_string(),
            None => format!("{} ({})", env.name, env.stage.value),
        };
        format!("{}[\"{label}\"]", id(env))
    };
    let of = |stage| platform.of_stage(stage).collect::<Vec<_>>();
    let clusters: Vec<&Environment> = platform
        .environments
        .values()
        .filter(|env| env.cluster.is_some())
        .collect();
    let observability = of(Stage::Observability);
    let issuers = of(Stage::Identity);
    let ships = |env: &Environment| {
        env.cluster
            .as_ref()
            .is_some_and(|c| c.otlp_endpoint.is_some())
    };
    let group_senders = !observability.is_empty() && clusters.iter().any(|env| ships(env));
    let group_clusters = !issuers.is_empty() && !clusters.is_empty();

    let mut lines: Vec<String> = issuers.iter().map(|env| node(env)).collect();
    let mut indent = "";
    if group_clusters {
        lines.push("subgraph clusters[\"clusters, each an OIDC client of the issuer\"]".to_owned());
        lines.push("  direction LR".to_owned());
        indent = "  ";
    }
    if group_senders {
        lines.push(format!(
            "{indent}subgraph telemetry[\"clusters that ship their VM logs to observability\"]"
        ));
        for env in clusters.iter().filter(|env| ships(env)) {
            lines.push(format!("{indent}  {}", node(env)));
        }
        lines.push(format!("{indent}end"));
    }
    for env in clusters.iter().filter(|env| !(group_senders && ships(env))) {
        lines.push(format!("{indent}{}", node(env)));
    }
    if group_clusters {
        lines.push("end".to_owned());
    }
    for env in platform
        .environments
        .values()
        .filter(|env| env.cluster.is_none() && env.identity.is_none())
    {
        lines.push(node(env));
    }

    for identity in &issuers {
        if group_clusters {
            lines.push(format!("{} -.->|issues tokens to| clusters", id(identity)));
        }
    }
    for ci in of(Stage::Ci) {
        for staging in of(Stage::Staging) {
            lines.push(format!(
                "{} -->|deploys merged changes| {}",
                id(ci),
                id(staging)
            ));
        }
        for production in of(Stage::Production) {
            lines.push(format!("{} -->|promotes| {}", id(ci), id(production)));
        }
    }
    for observability in &observability {
        if group_senders {
            lines.push(format!("telemetry -->|telemetry| {}", id(observability)));
        }
        if let Some(monitor) = observability
            .observability
            .as_ref()
            .and_then(|o| o.monitor.as_ref())
        {
            // The invisible link places the monitor after observability, outside the
            // clusters' box; the edge then points back at what it watches.
            lines.push(format!(
                "{} ~~~ hosted_monitor[\"hosted monitor: {}\"]",
                id(observability),
                monitor.value.replace('"', "#quot;")
            ));
            lines.push(format!(
                "hosted_monitor -->|health checks| {}",
                id(observability)
            ));
        }
    }
    lines
}
