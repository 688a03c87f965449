//! The topology guide's release flow for the platform, whichever CI provider runs it:
//! the environments CI deploys, in order, what each waits for, and the gate a
//! production-stage one passes. The GitHub workflows (`workflows`) and the Buildkite
//! pipelines (`buildkite`) are two renderings of it, and the trust the issuer gives CI
//! (`trust`) follows it.

use crate::model::{Flow, Platform, Stage};

/// The environments CI deploys, and how.
pub struct ReleaseFlow {
    /// Production deploys after staging in the same run (`flow = "trunk"`), rather than
    /// when a promotion lands.
    pub trunk: bool,
    /// Whether `[parity]` holds candidates to production: without one (no staging) there
    /// is nothing to compare.
    pub parity: bool,
    pub deploys: Vec<Deploy>,
    /// What production is promoted from and to: its parity candidate in the staging
    /// stage, and the reference.
    pub candidate: Option<(String, String)>,
}

/// One environment's deploy.
pub struct Deploy {
    pub name: String,
    /// Its cluster's id.
    pub cluster: String,
    /// The environments whose deploys come first in the same run.
    pub after: Vec<String>,
    pub gate: Gate,
    /// The environment whose recorded digests it must deploy.
    pub promoted_from: Option<String>,
    /// Whether it is the observability environment the hosted monitor watches: it
    /// applies the monitor's checks after it deploys.
    pub monitored: bool,
}

/// What must hold before a production-stage environment deploys.
#[derive(Clone, PartialEq, Eq)]
pub enum Gate {
    /// Nothing: a staging-stage environment, or production without staging.
    None,
    /// Staging matches production (`cargo xtask parity`).
    Parity,
    /// Only versions the environment `from` ran before this run (the promotion path).
    Promotion { from: String },
}

impl ReleaseFlow {
    pub fn of(platform: &Platform) -> ReleaseFlow {
        let trunk = platform
            .of_stage(Stage::Ci)
            .find_map(|env| env.ci.as_ref())
            .is_some_and(|ci| ci.flow.value == Flow::Trunk);
        let staging: Vec<String> = platform
            .deployed_by_ci()
            .filter(|env| env.stage.value == Stage::Staging)
            .map(|env| env.name.as_str().to_owned())
            .collect();
        let mut deploys: Vec<Deploy> = staging
            .iter()
            .map(|name| Deploy {
                name: name.clone(),
                cluster: cluster_id(platform, name),
                after: Vec::new(),
                gate: Gate::None,
                promoted_from: None,
                monitored: false,
            })
            .collect();
        // The observability platform deploys as staging does, beside it: what it runs is
        // no candidate for production.
        deploys.extend(
            platform
                .deployed_by_ci()
                .filter(|env| env.stage.value == Stage::Observability)
                .map(|env| Deploy {
                    name: env.name.as_str().to_owned(),
                    cluster: cluster_id(platform, env.name.as_str()),
                    after: Vec::new(),
                    gate: Gate::None,
                    promoted_from: None,
                    monitored: super::monitor::watched(env),
                }),
        );
        let candidate = platform.parity.as_ref().and_then(|parity| {
            parity
                .candidates
                .iter()
                .map(|c| c.value.as_str())
                .find(|name| staging.iter().any(|s| s == name))
                .map(|name| (name.to_owned(), parity.reference.value.as_str().to_owned()))
        });
        for env in platform
            .deployed_by_ci()
            .filter(|env| env.stage.value == Stage::Production)
        {
            let name = env.name.as_str();
            // Production, and its disaster-recovery twins: each takes only what staging
            // ran.
            let twin_of = env.dr_of.as_ref().map(|twin| twin.value.as_str());
            let promoted_from = candidate
                .as_ref()
                .filter(|(_, reference)| reference == name || twin_of == Some(reference.as_str()))
                .map(|(from, _)| from.clone());
            let gate = match (trunk, &promoted_from) {
                (false, Some(from)) => Gate::Promotion { from: from.clone() },
                // Without staging, production deploys after the checks alone.
                _ if platform.parity.is_none() => Gate::None,
                _ => Gate::Parity,
            };
            deploys.push(Deploy {
                name: name.to_owned(),
                cluster: cluster_id(platform, name),
                after: staging.clone(),
                gate,
                promoted_from,
                monitored: false,
            });
        }
        ReleaseFlow {
            trunk,
            parity: platform.parity.is_some(),
            deploys,
            candidate,
        }
    }
}

/// The build registries the services' images are in, which the deploys pull from: each
/// image's host, once, in order.
pub fn build_registries(platform: &Platform) -> Vec<&str> {
    let mut registries: Vec<&str> = platform
        .services
        .values()
        .map(|service| service.image.value.split('/').next().unwrap_or_default())
        .collect();
    registries.sort_unstable();
    registries.dedup();
    registries
}

fn cluster_id(platform: &Platform, env: &str) -> String {
    platform
        .environments
        .values()
        .find(|e| e.name.as_str() == env)
        .and_then(|e| e.cluster.as_ref())
        .map(|cluster| cluster.id.value.as_str().to_owned())
        .unwrap_or_default()
}
