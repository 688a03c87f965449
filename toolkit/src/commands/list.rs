//! `cargo xtask list`: every environment in one table, or as JSON with its resolved names
//! and services.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use serde::Serialize;

use crate::cli::{ListArgs, ReportFormat};
use crate::model::{self, Environment};

pub fn run(root: &Path, args: &ListArgs) -> anyhow::Result<ExitCode> {
    let platform = crate::repository::load_until_exit(root)?;
    match args.format {
        ReportFormat::Human => crate::terminal::print(&human(platform))?,
        ReportFormat::Json => {
            let listed: Vec<Listed> = platform.environments.values().map(listed).collect();
            crate::terminal::print_json(&listed)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn human(platform: &model::Platform) -> String {
    let header = ["NAME", "STAGE", "ACCOUNT", "REGION", "CLUSTER ID", "ZONE"].map(String::from);
    let rows: Vec<[String; 6]> = platform
        .environments
        .values()
        .map(|env| {
            let (cluster_id, zone) = match &env.cluster {
                Some(cluster) => (cluster.id.value.to_string(), cluster.zone.value.to_string()),
                None => ("-".to_owned(), "-".to_owned()),
            };
            [
                env.name.to_string(),
                env.stage.value.to_string(),
                env.account.value.to_string(),
                env.region.value.to_string(),
                cluster_id,
                zone,
            ]
        })
        .collect();
    table(&header, &rows)
}

/// One environment as `list --format json` prints it (docs/json-output.md).
#[derive(Serialize)]
struct Listed<'a> {
    name: &'a str,
    stage: &'a str,
    description: Option<&'a str>,
    account: &'a str,
    region: &'a str,
    /// `None` for an environment without a cluster (identity, hosted CI).
    cluster: Option<ListedCluster<'a>>,
    /// By name; empty without a cluster.
    services: BTreeMap<&'a str, ListedService<'a>>,
}

#[derive(Serialize)]
struct ListedCluster<'a> {
    id: &'a str,
    name: &'a str,
    zone: &'a str,
    api_host: &'a str,
    registry_host: &'a str,
    vpc: String,
}

#[derive(Serialize)]
struct ListedService<'a> {
    version: &'a str,
    template: &'a str,
    image: String,
    /// A web service's host name.
    #[serde(skip_serializing_if = "Option::is_none")]
    host: Option<&'a str>,
    /// A worker's number of replicas.
    #[serde(skip_serializing_if = "Option::is_none")]
    replicas: Option<u32>,
}

fn listed(env: &Environment) -> Listed<'_> {
    let cluster = env.cluster.as_ref();
    Listed {
        name: env.name.as_str(),
        stage: env.stage.value.as_str(),
        description: env.description.as_ref().map(|d| d.value.as_str()),
        account: env.account.value.as_str(),
        region: env.region.value.as_str(),
        cluster: cluster.map(|cluster| ListedCluster {
            id: cluster.id.value.as_str(),
            name: cluster.name.value.as_str(),
            zone: cluster.zone.value.as_str(),
            api_host: cluster.api_host.value.as_str(),
            registry_host: cluster.registry_host.value.as_str(),
            vpc: crate::model::network::cidr_text(cluster.vpc.value),
        }),
        services: cluster
            .map(|cluster| {
                cluster
                    .services
                    .iter()
                    .map(|(name, service)| {
                        let listed = ListedService {
                            version: service.version.value.as_str(),
                            template: service.declaration.template.value.as_str(),
                            image: service.image().value,
                            host: service.host().map(|host| host.value.as_str()),
                            replicas: service.replicas().map(|replicas| replicas.value),
                        };
                        (name.as_str(), listed)
                    })
                    .collect()
            })
            .unwrap_or_default(),
    }
}

/// Left-aligned columns separated by two spaces, without trailing spaces.
fn table<const N: usize>(header: &[String; N], rows: &[[String; N]]) -> String {
    let mut widths = [0; N];
    for row in std::iter::once(header).chain(rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in std::iter::once(header).chain(rows) {
        let mut line = String::new();
        for (cell, width) in row.iter().zip(widths) {
            line.push_str(&format!("{cell:width$}  "));
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::table;

    #[test]
    fn columns_align_on_the_widest_cell() {
        let header = ["NAME".to_owned(), "ZONE".to_owned()];
        let rows = [["observability".to_owned(), "-".to_owned()]];
        assert_eq!(
            table(&header, &rows),
            "NAME           ZONE\nobservability  -\n"
        );
    }
}
