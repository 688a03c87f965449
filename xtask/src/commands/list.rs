//! `cargo xtask list`: every environment in one table.

use std::path::Path;
use std::process::ExitCode;

use crate::model;

pub fn run(root: &Path) -> anyhow::Result<ExitCode> {
    let platform = model::load(root)?;
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
    crate::terminal::print(&table(&header, &rows))?;
    Ok(ExitCode::SUCCESS)
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
