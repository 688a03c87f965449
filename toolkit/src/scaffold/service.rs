//! The files of a new service crate: a small real program of its template (`web`: an HTTP
//! server with a health check; `worker`: a loop that stops cleanly on SIGTERM), or one of
//! the observability services the toolkit writes (the OTLP relay, OpenObserve), its
//! manifest with `[package.metadata.platform]`, and a README.

use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{NewFile, toml};
use crate::model::Template;

/// The version a new service starts at, in its manifest and in `--deploy-to` environments.
pub const FIRST_VERSION: &str = "0.1.0";

/// A service crate to write, validated by the caller.
pub struct ServiceCrate<'a> {
    pub name: &'a str,
    pub template: Template,
    /// The port of a `web` service.
    pub port: Option<u16>,
    pub image: &'a str,
    /// Whether the workspace declares `signal-hook` in `[workspace.dependencies]`, for a
    /// worker to inherit; without it, the worker names a version of its own.
    pub workspace_signal_hook: bool,
    /// The images its Containerfile builds in and runs on, each by digest.
    pub base_images: &'a BaseImages,
    pub program: Program,
}

/// What a service crate's program is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Program {
    /// A new service's starting program, of its template.
    Starter,
    /// The OTLP relay, which adds a credential to what Podplane's VMs ship (a `web`
    /// service).
    Relay,
    /// OpenObserve, the self-hosted observability platform: its own image, started by a
    /// program that hands it its mounted secrets (a `web` service).
    OpenObserve,
    /// The heartbeat, which pings the hosted monitor while each cluster's telemetry is
    /// recent in OpenObserve (a `worker`).
    Heartbeat,
}

/// Why the relay and the heartbeat depend on `ureq` with rustls, in their manifests.
const HTTPS_CLIENT: &str =
    "# An HTTPS client with its own root certificates: the runtime image has none.";

/// The port OpenObserve serves its API, OTLP ingest and dashboards on.
pub const OPENOBSERVE_PORT: u16 = 5080;

/// The files of one of the observability services the toolkit writes, `program` being
/// [`Program::Relay`], [`Program::OpenObserve`] (web services on their program's port) or
/// [`Program::Heartbeat`] (a worker), whose image is `image`.
pub fn observability_crate(
    name: &str,
    program: Program,
    image: &str,
    base_images: &BaseImages,
) -> anyhow::Result<Vec<NewFile>> {
    let (template, port) = match program {
        Program::OpenObserve => (Template::Web, Some(OPENOBSERVE_PORT)),
        Program::Heartbeat => (Template::Worker, None),
        Program::Relay | Program::Starter => (
            Template::Web,
            Some(crate::model::services::WEB_DEFAULT_PORT),
        ),
    };
    ServiceCrate {
        name,
        template,
        port,
        image,
        workspace_signal_hook: true,
        base_images,
        program,
    }
    .files()
}

/// What a service's Containerfile starts from: `[images] build` and `runtime` of
/// `ci/pins.toml`, each `HOST/PATH:TAG@sha256:DIGEST`, and `openobserve`, which the
/// OpenObserve service runs on, where the pins have it.
pub struct BaseImages {
    pub build: String,
    pub runtime: String,
    pub openobserve: Option<String>,
}

impl BaseImages {
    /// The repository's pins, or the toolkit's own where it has none.
    pub fn of(pins: Option<&crate::model::pins::Pins>) -> anyhow::Result<BaseImages> {
        match pins {
            Some(pins) => Ok(BaseImages {
                build: pins.images.build.value.clone(),
                runtime: pins.images.runtime.value.clone(),
                openobserve: pins.images.openobserve.as_ref().map(|i| i.value.clone()),
            }),
            None => BaseImages::toolkit(),
        }
    }

    /// The base images of the toolkit's own pins, which a new repository starts with.
    pub fn toolkit() -> anyhow::Result<BaseImages> {
        BaseImages::in_pins(super::toolkit::PINS)
            .ok_or_else(|| anyhow::anyhow!("the toolkit's pins have no [images] build and runtime"))
    }

    /// `[images] build` and `runtime` of a pins file's text, where it has both.
    pub fn in_pins(text: &str) -> Option<BaseImages> {
        let pins: ::toml::Table = ::toml::from_str(text).ok()?;
        let images = pins.get("images")?;
        let image = |key: &str| Some(images.get(key)?.as_str()?.to_owned());
        Some(BaseImages {
            build: image("build")?,
            runtime: image("runtime")?,
            openobserve: image("openobserve"),
        })
    }
}

/// The Containerfile `new-service` writes for the service `name`, whose image is `image`.
pub fn containerfile(name: &str, image: &str, base_images: &BaseImages) -> anyhow::Result<String> {
    fill_containerfile(name, image, &base_images.build, &base_images.runtime, false)
}

/// The Containerfile of the OpenObserve service `name`: its program built as every
/// service's is, copied into OpenObserve's own image, as whose user it runs (the image's
/// data directory is that user's).
fn openobserve_containerfile(
    name: &str,
    image: &str,
    base_images: &BaseImages,
) -> anyhow::Result<String> {
    let openobserve = base_images.openobserve.as_deref().ok_or_else(|| {
        let toolkit = BaseImages::toolkit()
            .ok()
            .and_then(|images| images.openobserve)
            .unwrap_or_default();
        anyhow::anyhow!(
            "ci/pins.toml has no [images] openobserve, the image the OpenObserve service runs on: add `openobserve = \"{toolkit}\"` under [images], the toolkit's own pin"
        )
    })?;
    fill_containerfile(name, image, &base_images.build, openobserve, true)
}

fn fill_containerfile(
    name: &str,
    image: &str,
    build: &str,
    runtime: &str,
    openobserve: bool,
) -> anyhow::Result<String> {
    crate::templates::fill(
        "service-containerfile",
        &serde_json::json!({
            "name": name,
            "image": image,
            "version": FIRST_VERSION,
            "build": build,
            "runtime": runtime,
            "openobserve": openobserve,
        }),
    )
}

/// The Containerfile the toolkit's 0.1.0 wrote for the service `name`.
pub fn containerfile_0_1_0(name: &str, image: &str) -> anyhow::Result<String> {
    crate::templates::fill(
        "history-0.1.0-containerfile",
        &serde_json::json!({ "name": name, "image": image, "version": FIRST_VERSION }),
    )
}

#[derive(Serialize)]
struct Manifest<'a> {
    name: String,
    name_text: &'a str,
    version: String,
    description: String,
    template: String,
    image: String,
    port: Option<u16>,
    /// A new worker's starting program, which stops on SIGTERM with `signal-hook`.
    worker: bool,
    workspace_signal_hook: bool,
    /// The dependency lines of the relay and the heartbeat, with their comments.
    dependencies: Vec<&'static str>,
}

#[derive(Serialize)]
struct Readme<'a> {
    name: &'a str,
    relay: bool,
    openobserve: bool,
    heartbeat: bool,
    description: &'a str,
    template: &'a str,
    image: &'a str,
    port: Option<u16>,
}

impl ServiceCrate<'_> {
    /// The crate's directory, relative to the repository root.
    pub fn dir(&self) -> PathBuf {
        Path::new("crates").join(self.name)
    }

    pub fn files(&self) -> anyhow::Result<Vec<NewFile>> {
        let description = match (self.program, self.template) {
            (Program::Relay, _) => "Carries Podplane's VM telemetry to the observability platform",
            (Program::OpenObserve, _) => {
                "OpenObserve, the observability platform every cluster ships its telemetry to"
            }
            (Program::Heartbeat, _) => {
                "Pings the hosted monitor while every cluster's telemetry is recent"
            }
            (Program::Starter, Template::Web) => "An HTTP service with a health check",
            (Program::Starter, Template::Worker) => {
                "A background worker that stops cleanly on SIGTERM"
            }
        };
        let manifest = crate::templates::fill(
            "service-manifest",
            &Manifest {
                name: toml(self.name),
                name_text: self.name,
                version: toml(FIRST_VERSION),
                description: toml(description),
                template: toml(self.template.as_str()),
                image: toml(self.image),
                port: self.port,
                worker: self.template == Template::Worker && self.program == Program::Starter,
                workspace_signal_hook: self.workspace_signal_hook,
                dependencies: match self.program {
                    Program::Relay => vec![HTTPS_CLIENT, crate::templates::RELAY_CLIENT],
                    Program::Heartbeat => vec![
                        "# OpenObserve answers in JSON.",
                        crate::templates::HEARTBEAT_JSON,
                        HTTPS_CLIENT,
                        crate::templates::RELAY_CLIENT,
                    ],
                    Program::Starter | Program::OpenObserve => Vec::new(),
                },
            },
        )?;
        let main = match (self.program, self.template) {
            (Program::Relay, _) => crate::templates::RELAY_MAIN.to_owned(),
            (Program::OpenObserve, _) => crate::templates::OPENOBSERVE_MAIN.to_owned(),
            (Program::Heartbeat, _) => crate::templates::HEARTBEAT_MAIN.to_owned(),
            (Program::Starter, Template::Web) => crate::templates::fill(
                "service-web",
                &serde_json::json!({ "port": self.port.unwrap_or(crate::model::services::WEB_DEFAULT_PORT) }),
            )?,
            (Program::Starter, Template::Worker) => crate::templates::WORKER_MAIN.to_owned(),
        };
        let readme = crate::templates::fill(
            "service-readme",
            &Readme {
                name: self.name,
                relay: self.program == Program::Relay,
                openobserve: self.program == Program::OpenObserve,
                heartbeat: self.program == Program::Heartbeat,
                description,
                template: self.template.as_str(),
                image: self.image,
                port: self.port,
            },
        )?;
        let containerfile = match self.program {
            Program::OpenObserve => {
                openobserve_containerfile(self.name, self.image, self.base_images)?
            }
            Program::Starter | Program::Relay | Program::Heartbeat => {
                containerfile(self.name, self.image, self.base_images)?
            }
        };
        let dir = self.dir();
        Ok(vec![
            NewFile::text(dir.join("Containerfile"), containerfile),
            NewFile::text(dir.join("Cargo.toml"), manifest),
            NewFile::text(dir.join("src/main.rs"), main),
            NewFile::text(dir.join("README.md"), readme),
        ])
    }
}
