//! End to end: `new-service` writes a web or worker crate that builds and runs, puts it in
//! the lock file and, with `--deploy-to`, in environments and their deploy scripts; it
//! refuses bad input without writing anything.

use crate::common;
use std::io::{BufRead, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::Repo;
use pretty_assertions::assert_eq;

/// Builds `package` in `repo` with the lock file as it is, into a target directory the
/// tests share (not the one `cargo test` holds), and returns the binary.
fn build(repo: &Repo, package: &str) -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).join("new-services");
    let out = Command::new("cargo")
        .args(["build", "--locked", "--quiet", "-p", package])
        .current_dir(repo.dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    target.join("debug").join(package)
}

/// Fails unless rustfmt leaves `file` of `repo` as it is: `cargo fmt --check` in the new
/// repository's CI must pass on what new-service wrote.
fn assert_formatted(repo: &Repo, file: &str) {
    let out = Command::new("rustfmt")
        .args(["--edition", "2024", "--check"])
        .arg(repo.path(file))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{file} is not formatted:\n{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// A line of `reader` that contains `needle`, within ten seconds.
fn wait_for_line(reader: &mut impl BufRead, needle: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    let mut line = String::new();
    while Instant::now() < deadline {
        line.clear();
        if reader.read_line(&mut line).unwrap() == 0 {
            break;
        }
        if line.contains(needle) {
            return line;
        }
    }
    panic!("no line with `{needle}`");
}

#[test]
fn a_web_service_builds_serves_its_health_check_and_deploys_to_staging() {
    let repo = Repo::generated();
    let staging_before = repo.read("environments/staging/environment.toml");
    let run = repo
        .run(&[
            "new-service",
            "billing",
            "--template",
            "web",
            "--port",
            "9090",
            "--deploy-to",
            "staging",
        ])
        .success();
    crate::common::assert_output(
        "new_service/a_web_service_builds_serves_its_health_check_and_deploys_to_staging",
        &run.stderr(),
        &[
            "created crates/billing: a web service, image ghcr.io/globex/billing",
            "added [services.billing] version 0.1.0 to environments/staging/environment.toml",
        ],
    );
    let manifest = repo.read("crates/billing/Cargo.toml");
    crate::common::assert_output(
        "new_service/a_web_service_builds_serves_its_health_check_and_deploys_to_staging",
        &manifest,
        &[
            "edition.workspace = true",
            "[package.metadata.platform]",
            "template = \"web\"",
            "image = \"ghcr.io/globex/billing\"",
            "port = 9090",
            "[lints]\nworkspace = true",
        ],
    );
    assert!(repo.path("crates/billing/README.md").is_file());
    assert_formatted(&repo, "crates/billing/src/main.rs");
    let staging = repo.read("environments/staging/environment.toml");
    assert_eq!(
        staging,
        format!("{staging_before}\n[services.billing]\nversion = \"0.1.0\"\n"),
        "every byte before is kept"
    );
    crate::common::assert_output(
        "new_service/a_web_service_builds_serves_its_health_check_and_deploys_to_staging",
        &repo.read("environments/staging/deploy.sh"),
        &[
            "image[billing]=\"$(publish billing 0.1.0 ghcr.io/globex/billing:0.1.0)\"",
            "  --name billing \\\n  --image \"${image[billing]}\" \\\n  --hostname billing.staging.globex.io \\\n  --set app.port=9090 \\",
        ],
    );
    assert!(!repo.read("environments/prod/deploy.sh").contains("billing"));

    // Staging runs it and production does not yet: pending promotion, not a violation.
    repo.run(&["check"]).success();
    let diff = repo.run(&["diff", "staging", "prod"]).success().stdout();
    crate::common::assert_output(
        "new_service/a_web_service_builds_serves_its_health_check_and_deploys_to_staging-2",
        &diff,
        &[
            "pending promotion",
            "services.billing  staging (present), prod (absent)",
        ],
    );
    repo.run(&["render", "--check"]).success();

    let binary = build(&repo, "billing");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let mut server = Command::new(binary)
        .env("PORT", port.to_string())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(server.stderr.take().unwrap());
    wait_for_line(&mut log, "listening on port");
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\n\r\n").unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    server.kill().unwrap();
    server.wait().unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("\r\n\r\nok\n"), "{answer}");
}

#[test]
fn a_worker_builds_deploys_with_replicas_and_stops_cleanly_on_sigterm() {
    let repo = Repo::generated();
    repo.run(&[
        "new-service",
        "reports",
        "--template",
        "worker",
        "--deploy-to",
        "dev",
    ])
    .success();
    let manifest = repo.read("crates/reports/Cargo.toml");
    crate::common::assert_output(
        "new_service/a_worker_builds_deploys_with_replicas_and_stops_cleanly_on_sigterm",
        &manifest,
        &["template = \"worker\"", "signal-hook.workspace = true"],
    );
    assert!(!manifest.contains("port ="), "{manifest}");
    assert_formatted(&repo, "crates/reports/src/main.rs");
    crate::common::assert_output(
        "new_service/a_worker_builds_deploys_with_replicas_and_stops_cleanly_on_sigterm",
        &repo.read("environments/dev/deploy.sh"),
        &[
            "image[reports]=\"$(publish reports 0.1.0 ghcr.io/globex/reports:0.1.0)\"",
            "podplane deploy worker \\\n  --name reports \\\n  --image \"${image[reports]}\" \\",
            "--set app.replicas=1",
        ],
    );
    repo.run(&["check"]).success();

    let binary = build(&repo, "reports");
    let mut worker = Command::new(binary)
        .env("INTERVAL_SECS", "1")
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut log = BufReader::new(worker.stderr.take().unwrap());
    wait_for_line(&mut log, "unit 1 done");
    let kill = Command::new("kill")
        .args(["-TERM", &worker.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let stopped = wait_for_line(&mut log, "stopping after");
    let status = worker.wait().unwrap();
    assert!(status.success(), "{status:?}: {stopped}");
}

#[test]
fn dry_run_writes_nothing() {
    let repo = Repo::generated();
    let before = repo.snapshot();
    let out = repo
        .run(&[
            "new-service",
            "billing",
            "--template",
            "web",
            "--deploy-to",
            "dev",
            "--dry-run",
        ])
        .success()
        .stderr();
    crate::common::assert_output(
        "new_service/dry_run_writes_nothing",
        &out,
        &[
            "would create crates/billing (--dry-run: nothing written)",
            "crates/billing/src/main.rs",
            "would add [services.billing] version 0.1.0 to environments/dev/environment.toml",
        ],
    );
    assert!(before == repo.snapshot(), "the tree changed");
}

#[test]
fn bad_input_is_refused_and_nothing_is_written() {
    let repo = Repo::generated();
    for (args, expected) in [
        (
            &["new-service", "hello", "--template", "web"][..],
            "a crate named `hello` exists already",
        ),
        (
            &["new-service", "Billing", "--template", "web"][..],
            "invalid service name",
        ),
        (
            &["new-service", "bill_ing", "--template", "web"][..],
            "invalid service name",
        ),
        (
            &["new-service", "1billing", "--template", "web"][..],
            "starts with a digit, which cargo refuses",
        ),
        (
            &["new-service", "build", "--template", "worker"][..],
            "`build` is a name cargo reserves",
        ),
        (
            &[
                "new-service",
                "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
                "--template",
                "worker",
            ][..],
            "is 64 characters: a host name label holds at most 63",
        ),
        (
            &["new-service", "signal-hook", "--template", "worker"][..],
            "a dependency of [workspace.dependencies]",
        ),
        (
            &[
                "new-service",
                "billing",
                "--template",
                "web",
                "--port",
                "443",
            ][..],
            "--port 443 cannot be served: the service runs as an unprivileged user",
        ),
        (
            &[
                "new-service",
                "reports",
                "--template",
                "worker",
                "--port",
                "8080",
            ][..],
            "--port is for web services",
        ),
        (
            &[
                "new-service",
                "billing",
                "--template",
                "web",
                "--deploy-to",
                "qa",
            ][..],
            "unknown environment `qa` for --deploy-to",
        ),
        (
            &[
                "new-service",
                "billing",
                "--template",
                "web",
                "--deploy-to",
                "identity",
            ][..],
            "environment `identity` runs no cluster",
        ),
        (
            &[
                "new-service",
                "billing",
                "--template",
                "web",
                "--image",
                "ghcr.io/x:1",
            ][..],
            "invalid --image",
        ),
    ] {
        crate::common::assert_output(
            "new_service/bad_input_is_refused_and_nothing_is_written",
            &repo.refuses(args),
            &[expected],
        );
    }
    repo.edit(
        "environments/platform.toml",
        "[images]\nregistry = \"ghcr.io/globex\"\n",
        "",
    );
    crate::common::assert_output(
        "new_service/bad_input_is_refused_and_nothing_is_written-2",
        &repo.refuses(&["new-service", "billing", "--template", "web"]),
        &["--image is not given and platform.toml has no [images] registry"],
    );
}
