//! The stand-ins of `tests/standins/` on a PATH of their own, and their state: what the
//! build registry holds, which secrets each cluster has, what the downloads serve. See
//! `tests/standins/README.md` for what each one enforces.

#![allow(dead_code)] // each test binary uses its own subset of these helpers

use std::collections::BTreeMap;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The real tools the scripts may use beside the stand-ins. Nothing else of the machine
/// is on the PATH: a real kubectl, Docker or network client can never be reached.
const REAL_TOOLS: &[&str] = &[
    "bash",
    "sh",
    "env",
    "cat",
    "cut",
    "tr",
    "sed",
    "awk",
    "grep",
    "mkdir",
    "mktemp",
    "rm",
    "cp",
    "mv",
    "chmod",
    "install",
    "tar",
    "gzip",
    "sha256sum",
    "dirname",
    "basename",
    "head",
    "tail",
    "tac",
    "date",
    "jq",
    "openssl",
    "uname",
    "sort",
    "wc",
    "tee",
    "touch",
    "ls",
    "xargs",
    "find",
    "timeout",
    "git",
    "true",
    "false",
    "sleep",
    "printf",
    "od",
    "base64",
];

pub struct Standins {
    /// The stand-ins' directory, first on the PATH.
    pub bin: PathBuf,
    /// Links to the real tools the scripts may use.
    pub tools: PathBuf,
    /// `$STANDIN_STATE`.
    pub state: PathBuf,
}

impl Standins {
    /// Stand-ins under `dir`, with the pins the repository under test names.
    pub fn new(dir: &Path) -> Standins {
        let source = Path::new(
            &std::env::var_os("CARGO_MANIFEST_DIR")
                .expect("cargo sets CARGO_MANIFEST_DIR for its tests"),
        )
        .join("tests/standins");
        let bin = dir.join("standins");
        let tools = dir.join("tools");
        let state = dir.join("state");
        for d in [&bin, &tools, &state] {
            std::fs::create_dir_all(d).unwrap();
        }
        for entry in std::fs::read_dir(&source).unwrap() {
            let path = entry.unwrap().path();
            let name = path.file_name().unwrap();
            if path.extension().is_none() {
                std::fs::copy(&path, bin.join(name)).unwrap();
            }
        }
        let path = std::env::var("PATH").unwrap();
        for tool in REAL_TOOLS {
            let found = std::env::split_paths(&path)
                .map(|dir| dir.join(tool))
                .find(|candidate| candidate.is_file())
                .unwrap_or_else(|| panic!("the rehearsal needs `{tool}` on the PATH"));
            symlink(found, tools.join(tool)).unwrap();
        }
        Standins { bin, tools, state }
    }

    /// The PATH of a job before it installs anything: the stand-ins that a runner image
    /// provides (Docker, gh, curl, Go, rustup, cargo), and the real basic tools. kubectl,
    /// Helm and Podplane are not on it: the job installs them.
    pub fn path(&self) -> String {
        let image = self.state.join("runner-image");
        std::fs::create_dir_all(&image).unwrap();
        for tool in ["docker", "gh", "curl", "go", "rustup", "cargo"] {
            let link = image.join(tool);
            if !link.exists() {
                symlink(self.bin.join(tool), link).unwrap();
            }
        }
        format!("{}:{}", image.display(), self.tools.display())
    }

    /// The PATH of a Buildkite agent's job: [`Standins::path`], with `buildkite-agent`.
    pub fn buildkite_path(&self) -> String {
        let agent = self.state.join("buildkite-agent-image");
        std::fs::create_dir_all(&agent).unwrap();
        let link = agent.join("buildkite-agent");
        if !link.exists() {
            symlink(self.bin.join("buildkite-agent"), link).unwrap();
        }
        format!("{}:{}", agent.display(), self.path())
    }

    /// The environment every stand-in reads; `source` is the repository under test, whose
    /// history `gh api` answers from.
    pub fn env(&self, pins: &Pins, source: &Path) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("STANDIN_SOURCE".to_owned(), source.display().to_string()),
            // The images are all built before a rehearsed deploy: none is waited for.
            ("RELEASE_IMAGE_WAIT".to_owned(), "0".to_owned()),
            ("STANDIN_STATE".to_owned(), self.state.display().to_string()),
            ("STANDIN_DIR".to_owned(), self.bin.display().to_string()),
            ("STANDIN_PODPLANE_VERSION".to_owned(), pins.podplane.clone()),
            ("STANDIN_KUBECTL_VERSION".to_owned(), pins.kubectl.clone()),
            ("STANDIN_HELM_VERSION".to_owned(), pins.helm.clone()),
            (
                "STANDIN_XTASK".to_owned(),
                env!("CARGO_BIN_EXE_platform-toolkit").to_owned(),
            ),
            ("STANDIN_CARGO".to_owned(), env!("CARGO").to_owned()),
        ])
    }

    /// The build registry holds `reference` (`repository:tag`) as `digest`.
    pub fn build(&self, reference: &str, digest: &str) {
        let dir = self.state.join("build");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(reference.replace('/', "%")), format!("{digest}\n")).unwrap();
    }

    /// The cluster `context` has the secret `key` for `app`.
    pub fn secret(&self, context: &str, app: &str, key: &str) {
        let dir = self.state.join("secrets").join(context);
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join(app);
        let mut keys = std::fs::read_to_string(&file).unwrap_or_default();
        keys.push_str(key);
        keys.push('\n');
        std::fs::write(file, keys).unwrap();
    }

    /// Gives the Healthchecks project the API key `key`, which its management API then
    /// takes.
    pub fn healthchecks_key(&self, key: &str) {
        let dir = self.state.join("healthchecks");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("key"), key).unwrap();
    }

    /// The checks the Healthchecks project has, each as it was created, by file name.
    pub fn healthchecks(&self) -> std::collections::BTreeMap<String, serde_json::Value> {
        let dir = self.state.join("healthchecks").join("checks");
        let Ok(entries) = std::fs::read_dir(&dir) else {
            return Default::default();
        };
        entries
            .map(|entry| {
                let entry = entry.unwrap();
                let text = std::fs::read_to_string(entry.path()).unwrap();
                (
                    entry.file_name().to_string_lossy().into_owned(),
                    serde_json::from_str(&text).unwrap(),
                )
            })
            .collect()
    }

    /// Removes every secret of `app` in `context`.
    pub fn remove_secrets(&self, context: &str, app: &str) {
        let _ = std::fs::remove_file(self.state.join("secrets").join(context).join(app));
    }

    /// Serves kubectl and Helm at the pinned versions, each with the checksum its project
    /// publishes, as `ci/install-tools.sh` downloads them; `corrupt` serves a kubectl that
    /// does not match its checksum.
    pub fn serve_tools(&self, pins: &Pins, corrupt: bool) {
        let arch = match std::env::consts::ARCH {
            "aarch64" => "arm64",
            _ => "amd64",
        };
        let downloads = self.state.join("downloads");
        std::fs::create_dir_all(&downloads).unwrap();
        let serve = |url: &str, bytes: &[u8]| {
            std::fs::write(downloads.join(url.replace(['/', ':'], "%")), bytes).unwrap();
        };
        let kubectl = std::fs::read(self.bin.join("kubectl")).unwrap();
        let kubectl_url = format!(
            "https://dl.k8s.io/release/{}/bin/linux/{arch}/kubectl",
            pins.kubectl
        );
        serve(
            &format!("{kubectl_url}.sha256"),
            sha256(&kubectl).as_bytes(),
        );
        let mut served = kubectl.clone();
        if corrupt {
            served.extend_from_slice(b"\n# tampered\n");
        }
        serve(&kubectl_url, &served);
        let archive = format!("helm-{}-linux-{arch}.tar.gz", pins.helm);
        let pack = self.state.join("helm-pack");
        std::fs::create_dir_all(pack.join(format!("linux-{arch}"))).unwrap();
        std::fs::copy(
            self.bin.join("helm"),
            pack.join(format!("linux-{arch}/helm")),
        )
        .unwrap();
        let tarball = self.state.join(&archive);
        assert!(
            Command::new("tar")
                .args(["-czf"])
                .arg(&tarball)
                .arg("-C")
                .arg(&pack)
                .arg(format!("linux-{arch}"))
                .status()
                .unwrap()
                .success()
        );
        let bytes = std::fs::read(&tarball).unwrap();
        serve(&format!("https://get.helm.sh/{archive}"), &bytes);
        serve(
            &format!("https://get.helm.sh/{archive}.sha256sum"),
            format!("{}  {archive}\n", sha256(&bytes)).as_bytes(),
        );
    }

    /// The `podplane` calls so far, each as its words.
    pub fn podplane_calls(&self) -> Vec<Vec<String>> {
        self.podplane_calls_with_input()
            .into_iter()
            .map(|(words, _)| words)
            .collect()
    }

    /// The `podplane` calls so far, each as its words and what it could read from its
    /// standard input.
    pub fn podplane_calls_with_input(&self) -> Vec<(Vec<String>, String)> {
        let log = std::fs::read_to_string(self.state.join("podplane.calls")).unwrap_or_default();
        let mut calls = Vec::new();
        let mut rest = log.as_str();
        while let Some(end) = rest.find("stdin=") {
            let words = rest[..end]
                .split_terminator('\0')
                .map(str::to_owned)
                .collect();
            let (input, after) = rest[end + "stdin=".len()..]
                .split_once('\n')
                .unwrap_or((&rest[end + "stdin=".len()..], ""));
            calls.push((words, input.to_owned()));
            rest = after;
        }
        calls
    }

    /// As if a person had run `podplane login` for `context` (whose registry is
    /// `registry`) with the keyring password `pass`, and `docker login` to the build
    /// registries.
    pub fn logged_in(&self, context: &str, registry: &str, pass: &str) {
        for (dir, value) in [
            ("login", sha256(pass.as_bytes())),
            ("registry-host", registry.to_owned()),
        ] {
            let dir = self.state.join(dir);
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join(context), format!("{value}\n")).unwrap();
        }
        std::fs::write(self.state.join("current-context"), context).unwrap();
    }

    /// As if a person had made the Kubernetes Secret `name` in `namespace` of `context`.
    pub fn k8s_secret(&self, context: &str, namespace: &str, name: &str) {
        let dir = self.state.join("k8s-secrets").join(context).join(namespace);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(name), "").unwrap();
    }

    /// The Helm release `release` in `namespace` of `context`: its chart, its version,
    /// and the values file it was given, when it was installed.
    pub fn helm_release(
        &self,
        context: &str,
        namespace: &str,
        release: &str,
    ) -> Option<(String, String, Option<String>)> {
        let record = self
            .state
            .join("helm")
            .join(context)
            .join(namespace)
            .join(release);
        let text = std::fs::read_to_string(&record).ok()?;
        let mut lines = text.lines();
        let chart = lines.next()?.to_owned();
        let version = lines.next()?.to_owned();
        let values = std::fs::read_to_string(record.with_extension("values")).ok();
        Some((chart, version, values))
    }

    /// Each `podplane build`: its Containerfile, platform and tag.
    pub fn builds(&self) -> Vec<[String; 3]> {
        let text = std::fs::read_to_string(self.state.join("podplane.builds")).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines
            .chunks(3)
            .map(|c| [c[0].to_owned(), c[1].to_owned(), c[2].to_owned()])
            .collect()
    }

    /// Whether the registry of `context` holds `image` (`apps/NAME:TAG`).
    pub fn in_registry(&self, context: &str, image: &str) -> bool {
        self.state
            .join("registry")
            .join(context)
            .join(image.replace('/', "%"))
            .is_file()
    }

    /// The image each app of `context` runs, by app.
    pub fn running(&self, context: &str) -> BTreeMap<String, String> {
        let dir = self.state.join("running").join(context);
        let Ok(entries) = std::fs::read_dir(dir) else {
            return BTreeMap::new();
        };
        entries
            .map(|e| {
                let e = e.unwrap();
                (
                    e.file_name().to_string_lossy().into_owned(),
                    std::fs::read_to_string(e.path()).unwrap().trim().to_owned(),
                )
            })
            .collect()
    }

    /// The deployment records `gh api` holds, oldest first.
    pub fn deployments(&self) -> Vec<serde_json::Value> {
        let dir = self.state.join("deployments");
        let mut records: Vec<serde_json::Value> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| {
                        let path = e.unwrap().path();
                        (path.extension()? == "json").then(|| {
                            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
                        })
                    })
                    .collect()
            })
            .unwrap_or_default();
        records.sort_by_key(|r| r["id"].as_u64());
        records
    }

    /// Which clusters `podplane login` let in, in order.
    pub fn logins(&self) -> Vec<String> {
        std::fs::read_to_string(self.state.join("logins"))
            .unwrap_or_default()
            .lines()
            .map(|line| line.split(' ').next().unwrap().to_owned())
            .collect()
    }
}

/// The tool versions `ci/pins.toml` pins.
pub struct Pins {
    pub podplane: String,
    pub kubectl: String,
    pub helm: String,
}

impl Pins {
    pub fn read(repo: &Path) -> Pins {
        let text = std::fs::read_to_string(repo.join("ci/pins.toml")).unwrap();
        let pins: toml::Table = toml::from_str(&text).unwrap();
        let tool = |name: &str| pins["tools"][name].as_str().unwrap().to_owned();
        Pins {
            podplane: tool("podplane"),
            kubectl: tool("kubectl"),
            helm: tool("helm"),
        }
    }
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    format!("{:x}", sha2::Sha256::digest(bytes))
}
