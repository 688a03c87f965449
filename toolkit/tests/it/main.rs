//! The toolkit's integration tests, one binary: each module runs the program (or reads
//! what it writes) for one subject. The helpers they share, and Podplane, Truster and the
//! stand-ins as consumers, live beside this directory with the data they read.

#[path = "../common/mod.rs"]
mod common;
/// The heartbeat that watches the observability platform, as its crate compiles it: its
/// own tests run here.
#[allow(dead_code)]
#[path = "../../templates/heartbeat/main.rs"]
mod heartbeat;
/// The program the observability platform's service starts OpenObserve with, as its crate
/// compiles it: its own tests run here.
#[allow(dead_code)]
#[path = "../../templates/openobserve/main.rs"]
mod openobserve;
#[path = "../podplane/mod.rs"]
mod podplane;
/// The OTLP relay new repositories with managed observability run, as their crate
/// compiles it: its own tests run here.
#[allow(dead_code)]
#[path = "../../templates/relay/main.rs"]
mod relay;
#[path = "../standins/mod.rs"]
mod standins;
#[path = "../truster/mod.rs"]
mod truster;

mod affected;
mod architecture;
mod bad_input;
mod buildkite;
mod check;
mod cli;
mod diff;
mod disk_full;
mod generated;
mod heartbeat_rounds;
mod json_output;
mod new_env;
mod new_repo;
mod new_service;
mod openobserve_service;
mod output;
mod parity;
mod platform_rules;
mod promote;
mod properties;
mod relay_clients;
mod render;
mod schemas;
mod secrets;
mod shapes;
mod snapshots;
mod upgrade;
mod workflows;
mod workspace_record;
