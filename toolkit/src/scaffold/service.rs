//! The files of a new service crate: a small real program of its template (`web`: an HTTP
//! server with a health check; `worker`: a loop that stops cleanly on SIGTERM), its
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
    /// Whether it is the OTLP relay of managed observability (a `web` service) rather
    /// than a new service's starting program.
    pub relay: bool,
}

/// What a service's Containerfile starts from: `[images] build` and `runtime` of
/// `ci/pins.toml`, each `HOST/PATH:TAG@sha256:DIGEST`.
pub struct BaseImages {
    pub build: String,
    pub runtime: String,
}

impl BaseImages {
    /// The repository's pins, or the toolkit's own where it has none.
    pub fn of(pins: Option<&crate::model::pins::Pins>) -> anyhow::Result<BaseImages> {
        match pins {
            Some(pins) => Ok(BaseImages {
                build: pins.images.build.value.clone(),
                runtime: pins.images.runtime.value.clone(),
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
        })
    }
}

/// The Containerfile `new-service` writes for the service `name`, whose image is `image`.
pub fn containerfile(name: &str, image: &str, base_images: &BaseImages) -> anyhow::Result<String> {
    crate::templates::fill(
        "service-containerfile",
        &serde_json::json!({
            "name": name,
            "image": image,
            "version": FIRST_VERSION,
            "build": base_images.build,
            "runtime": base_images.runtime,
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
    worker: bool,
    workspace_signal_hook: bool,
    /// The relay's dependency line, for the relay only.
    relay_client: Option<&'static str>,
}

#[derive(Serialize)]
struct Readme<'a> {
    name: &'a str,
    relay: bool,
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
        let description = match self.template {
            _ if self.relay => {
                "Carries the cluster's telemetry to the managed observability provider"
            }
            Template::Web => "An HTTP service with a health check",
            Template::Worker => "A background worker that stops cleanly on SIGTERM",
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
                worker: self.template == Template::Worker,
                workspace_signal_hook: self.workspace_signal_hook,
                relay_client: self.relay.then_some(crate::templates::RELAY_CLIENT),
            },
        )?;
        let main = match self.template {
            _ if self.relay => crate::templates::RELAY_MAIN.to_owned(),
            Template::Web => crate::templates::fill(
                "service-web",
                &serde_json::json!({ "port": self.port.unwrap_or(crate::model::services::WEB_DEFAULT_PORT) }),
            )?,
            Template::Worker => crate::templates::WORKER_MAIN.to_owned(),
        };
        let readme = crate::templates::fill(
            "service-readme",
            &Readme {
                name: self.name,
                relay: self.relay,
                description,
                template: self.template.as_str(),
                image: self.image,
                port: self.port,
            },
        )?;
        let containerfile = containerfile(self.name, self.image, self.base_images)?;
        let dir = self.dir();
        Ok(vec![
            NewFile::text(dir.join("Containerfile"), containerfile),
            NewFile::text(dir.join("Cargo.toml"), manifest),
            NewFile::text(dir.join("src/main.rs"), main),
            NewFile::text(dir.join("README.md"), readme),
        ])
    }
}
