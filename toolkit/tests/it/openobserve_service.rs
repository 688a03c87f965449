//! The observability platform's service as a new repository has it: OpenObserve's own
//! image with the crate's program in front, and that program run for real: it refuses to
//! start without a secret it is given, and becomes the program it starts, with its
//! arguments and variables. (Reading a mounted secret, at Podplane's absolute path, is
//! tested in the program's own tests, which run here too: `main.rs`.)

use std::process::Command;

use pretty_assertions::assert_eq;

use crate::common::{self, Repo};

#[test]
fn openobserves_image_is_its_own_pinned_one_with_the_program_in_front() {
    let repo = Repo::generated();
    let pins: toml::Table = toml::from_str(&repo.read("ci/pins.toml")).unwrap();
    let image = |key: &str| pins["images"][key].as_str().unwrap().to_owned();
    let openobserve = common::containerfile_stages(&repo.read("crates/openobserve/Containerfile"));
    // The program is built as every service's is, on the builder's platform.
    let hello = common::containerfile_stages(&repo.read("crates/hello/Containerfile"));
    assert_eq!(
        openobserve[0].1,
        hello[0]
            .1
            .iter()
            .map(|i| i.replace("hello", "openobserve"))
            .collect::<Vec<_>>()
    );
    assert_eq!(
        openobserve[0].0,
        format!("FROM --platform=$BUILDPLATFORM {} AS build", image("build"))
    );
    // Its image is OpenObserve's, by digest; it only copies the program in, which starts
    // first, as the image's own user (whose data directory /data is).
    assert_eq!(
        openobserve[1..],
        [(
            format!("FROM {}", image("openobserve")),
            vec![
                "COPY --from=build /openobserve /usr/local/bin/openobserve".to_owned(),
                "ENTRYPOINT [\"/usr/local/bin/openobserve\"]".to_owned(),
            ]
        )]
    );
}

#[test]
fn the_program_refuses_to_start_without_its_secret_and_else_becomes_openobserve() {
    let dir = common::tempdir();
    let program = dir.path().join("openobserve");
    // As cargo builds it in the crate `openobserve`, which names itself in its messages.
    let built = Command::new("rustc")
        .env("CARGO_PKG_NAME", "openobserve")
        .args([
            "--edition",
            "2024",
            "-O",
            "--crate-name",
            "openobserve",
            "-o",
        ])
        .arg(&program)
        .arg(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates/openobserve/main.rs"
        ))
        .status()
        .unwrap();
    assert!(built.success());
    // OpenObserve stands in as a script that says what it was started with.
    let standin = dir.path().join("standin");
    std::fs::write(
        &standin,
        "#!/bin/sh\necho \"args: $*\"\nenv | grep -E '^(ZO_|OPENOBSERVE_)' | sort\n",
    )
    .unwrap();
    std::fs::set_permissions(
        &standin,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    let run = |vars: &[(&str, &str)]| {
        Command::new(&program)
            .args(["--flag", "value"])
            .env_clear()
            .env("OPENOBSERVE_PROGRAM", &standin)
            .envs(vars.iter().copied())
            .output()
            .unwrap()
    };
    // No mounted secret in this test's machine: Podplane's mount path is absolute, so a
    // secret that is not there stops the start, saying what to create.
    let missing = run(&[(
        "ZO_ROOT_USER_PASSWORD_FILE",
        "/var/run/podplane/secrets/openobserve-root-password",
    )]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&missing.stderr),
        "openobserve: ZO_ROOT_USER_PASSWORD_FILE: cannot read the secret `openobserve-root-password` at /var/run/podplane/secrets/openobserve-root-password (No such file or directory (os error 2)): add \"openobserve-root-password\" to the service's secrets and create it in the cluster (`podplane secret create --for openobserve openobserve-root-password`)\n"
    );
    assert!(
        missing.stdout.is_empty(),
        "OpenObserve started without its secret"
    );
    // Variables that name no mounted secret pass on as they are, with the arguments.
    let started = run(&[
        ("ZO_DATA_DIR", "/data"),
        ("ZO_ETCD_KEY_FILE", "/etc/etcd/key.pem"),
    ]);
    assert!(started.status.success(), "{started:?}");
    assert_eq!(
        String::from_utf8_lossy(&started.stdout),
        "args: --flag value\nZO_DATA_DIR=/data\nZO_ETCD_KEY_FILE=/etc/etcd/key.pem\n"
    );
}

#[test]
fn the_shipped_examples_observability_programs_are_the_toolkits() {
    let example = common::manifest_dir().join("..");
    for (dir, template) in [
        (
            "openobserve",
            include_str!("../../templates/openobserve/main.rs"),
        ),
        ("otlp-relay", include_str!("../../templates/relay/main.rs")),
        (
            "heartbeat",
            include_str!("../../templates/heartbeat/main.rs"),
        ),
    ] {
        let program = example.join("crates").join(dir).join("src/main.rs");
        assert!(
            std::fs::read_to_string(&program).unwrap() == template,
            "{} is not the toolkit's template: copy it again from toolkit/templates/",
            program.display()
        );
    }
}
