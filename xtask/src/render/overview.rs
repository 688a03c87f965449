//! `docs/environments.md`: every environment in one table, and the topology as a Mermaid
//! diagram.

use std::path::PathBuf;

use serde::Serialize;

use super::{Generated, Sources, preamble, templates};
use crate::model::{Environment, Platform, Stage};

#[derive(Serialize)]
struct Data<'a> {
    preamble: String,
    name: &'a str,
    environments: Vec<Row<'a>>,
    nodes: Vec<Node>,
    edges: Vec<String>,
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

#[derive(Serialize)]
struct Node {
    id: String,
    label: String,
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
                    .map(|c| {
                        c.services
                            .iter()
                            .map(|(name, s)| format!("{name} {}", s.version.value))
                            .collect::<Vec<_>>()
                            .join(", ")
                    })
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| "-".to_owned()),
            }
        })
        .collect();
    let (nodes, edges) = topology(platform);
    let data = Data {
        preamble: preamble(&Sources::All).join(" "),
        name: &platform.name.value,
        environments,
        nodes,
        edges,
    };
    Ok(Generated {
        path: PathBuf::from("docs/environments.md"),
        contents: templates::render("overview", &data)?,
    })
}

/// The diagram's nodes and edges, after the topology guide: CI deploys to staging and
/// promotes to production, every cluster sends telemetry to observability, a hosted monitor
/// watches observability, and every cluster trusts the issuer.
fn topology(platform: &Platform) -> (Vec<Node>, Vec<String>) {
    let id = |env: &Environment| format!("env_{}", env.name.as_str().replace('-', "_"));
    let mut nodes: Vec<Node> = platform
        .environments
        .values()
        .map(|env| Node {
            id: id(env),
            label: format!("{} ({})", env.name, env.stage.value),
        })
        .collect();
    let mut edges = Vec::new();
    let of = |stage| platform.of_stage(stage).collect::<Vec<_>>();
    for ci in of(Stage::Ci) {
        for staging in of(Stage::Staging) {
            edges.push(format!(
                "{} -->|deploys merged changes| {}",
                id(ci),
                id(staging)
            ));
        }
        for production in of(Stage::Production) {
            edges.push(format!("{} -->|promotes| {}", id(ci), id(production)));
        }
    }
    for observability in of(Stage::Observability) {
        for env in platform.environments.values() {
            if env
                .cluster
                .as_ref()
                .is_some_and(|c| c.otlp_endpoint.is_some())
            {
                edges.push(format!("{} -->|telemetry| {}", id(env), id(observability)));
            }
        }
        if let Some(monitor) = observability
            .observability
            .as_ref()
            .and_then(|o| o.monitor.as_ref())
        {
            nodes.push(Node {
                id: "hosted_monitor".to_owned(),
                label: format!("hosted monitor: {}", monitor.value.replace('"', "#quot;")),
            });
            edges.push(format!(
                "hosted_monitor -->|health checks| {}",
                id(observability)
            ));
        }
    }
    for identity in of(Stage::Identity) {
        for env in platform
            .environments
            .values()
            .filter(|e| e.cluster.is_some())
        {
            edges.push(format!("{} -.->|trusts issuer| {}", id(env), id(identity)));
        }
    }
    (nodes, edges)
}
