//! Each environment's `deploy.sh`, run as a person would after `podplane login`, with
//! the stand-ins of `tests/standins/`: bash and shellcheck accept it, it deploys each
//! service as Podplane accepts, and it never answers Podplane's question to install a
//! component.

use std::io::Write as _;
use std::process::{Command, Stdio};

use pretty_assertions::assert_eq;

use crate::common::{self, Repo};
use crate::{podplane, standins};

#[test]
fn deploy_scripts_pass_bash_and_shellcheck() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/dev/environment.toml",
        "env = { LOG_LEVEL = \"debug\" }",
        "env = { LOG_LEVEL = \"debug\", GREETING = \"it's $HOME\" }",
    );
    repo.run(&["render"]).success();
    let scripts = repo.generated_in("deploy.sh");
    assert_eq!(scripts.len(), 5);
    let shellcheck = Command::new("shellcheck").arg("--version").output().is_ok();
    if !shellcheck {
        assert!(
            std::env::var_os("REQUIRE_SHELLCHECK").is_none(),
            "REQUIRE_SHELLCHECK is set but shellcheck is not installed"
        );
        common::notice("shellcheck is not installed: checking deploy.sh with bash -n only");
    }
    for (env, _) in &scripts {
        let path = repo.path(&format!("environments/{env}/deploy.sh"));
        let bash = Command::new("bash").arg("-n").arg(&path).output().unwrap();
        assert!(
            bash.status.success(),
            "{env}: {}",
            String::from_utf8_lossy(&bash.stderr)
        );
        if shellcheck {
            // `-x`: each script sources ci/release.sh, which is checked with it.
            let check = Command::new("shellcheck")
                .arg("-x")
                .arg(&path)
                .output()
                .unwrap();
            assert!(
                check.status.success(),
                "{env}: {}",
                String::from_utf8_lossy(&check.stdout)
            );
        }
    }
}

/// The digest every image of `run_deploy_script` is built as.
const BUILT: &str = "abababababababababababababababababababababababababababababababab";

/// Runs `environments/<env>/deploy.sh` of `repo` as a person would after `podplane
/// login`, with the stand-ins of `tests/standins/` (Podplane, kubectl, Docker) on the PATH
/// and every image of the environment built, its standard input piped from `stdin`.
/// Returns each `podplane deploy` call's words, with what it could read from its standard
/// input (where deploy would read its answer to a prompt).
fn run_deploy_script(repo: &Repo, env: &str, stdin: &str) -> Vec<(Vec<String>, String)> {
    let scratch = common::tempdir();
    let standins = standins::Standins::new(scratch.path());
    let config =
        podplane::parse_jsonc(&repo.read(&format!("environments/{env}/podplane.cluster.jsonc")));
    let cluster = config["cluster"]["id"].as_str().unwrap();
    let registry = config["cluster"]["registry"]["hostname"].as_str().unwrap();
    standins.logged_in(cluster, registry, "keyring-pass");
    // The CI cluster's runners register with GitHub with an App's credentials.
    standins.k8s_secret(cluster, "arc-runners", "github-app");
    let script = repo.read(&format!("environments/{env}/deploy.sh"));
    for line in script.lines().filter(|l| l.contains("$(publish ")) {
        let image = line
            .split_whitespace()
            .last()
            .unwrap()
            .trim_end_matches(")\"");
        standins.build(image, &format!("sha256:{BUILT}"));
        // `docker login` to the build registry, as a person would have.
        let logins = scratch.path().join(".docker-standin");
        std::fs::create_dir_all(&logins).unwrap();
        std::fs::write(logins.join(image.split('/').next().unwrap()), "").unwrap();
    }
    let pins = standins::Pins::read(&repo.path("."));
    let mut child = Command::new("bash")
        .arg(repo.path(&format!("environments/{env}/deploy.sh")))
        .env_clear()
        .envs(standins.env(&pins, &repo.path(".")))
        .env(
            "PATH",
            format!("{}:{}", standins.bin.display(), standins.tools.display()),
        )
        .env("HOME", scratch.path())
        .env("PODPLANE_KEYRING_PASS", "keyring-pass")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // The script may be done before it is offered anything: a closed pipe is no failure.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    standins
        .podplane_calls_with_input()
        .into_iter()
        .filter(|(words, _)| words[0] == "deploy")
        .collect()
}

#[test]
fn deploy_scripts_deploy_each_service_as_podplane_accepts() {
    let repo = Repo::fixture();
    repo.edit(
        "environments/dev/environment.toml",
        "env = { LOG_LEVEL = \"debug\" }",
        "env = { LOG_LEVEL = \"debug\", GREETING = \"it's $HOME\" }",
    );
    repo.run(&["render"]).success();
    for (env, _) in repo.generated_in("deploy.sh") {
        for (words, _) in run_deploy_script(&repo, &env, "") {
            assert_eq!(
                podplane::deploy_violations(&words),
                Vec::<String>::new(),
                "{env}: {words:?}"
            );
        }
    }
    let words = |calls: Vec<(Vec<String>, String)>| -> Vec<String> {
        calls
            .into_iter()
            .map(|(words, _)| words.join(" "))
            .collect()
    };
    assert_eq!(
        words(run_deploy_script(&repo, "dev", "")),
        [
            format!(
                "deploy worker --name mailer --image registry.dev.initech.test/apps/mailer:2.1.0-sha256-{BUILT} --set app.replicas=1 --context initech-dev"
            ),
            format!(
                "deploy web --name storefront --image registry.dev.initech.test/apps/storefront:1.3.0-sha256-{BUILT} --hostname storefront.dev.initech.test \
             --set app.port=9090 --context initech-dev -e GREETING=it's $HOME -e LOG_LEVEL=debug"
            ),
        ]
    );
    assert_eq!(
        words(run_deploy_script(&repo, "prod", ""))[0],
        format!(
            "deploy worker --name mailer --image registry.prod.initech.test/apps/mailer:2.1.0-sha256-{BUILT} --set app.replicas=4 --context initech-prod"
        )
    );
}

#[test]
fn deploy_scripts_never_answer_podplanes_question_to_install_components() {
    let repo = Repo::fixture();
    for (env, text) in repo.generated_in("deploy.sh") {
        let words = text
            .lines()
            .filter(|l| !l.trim_start().starts_with('#'))
            .flat_map(str::split_whitespace);
        for word in words {
            assert!(word != "-y" && word != "--auto-approve", "{env}");
        }
    }
    // CI runs the script without a terminal; whatever its standard input holds, deploy
    // reads nothing, so that a prompt to install a component fails instead of passing.
    let calls = run_deploy_script(&repo, "staging", "y\ny\ny\n");
    assert_eq!(calls.len(), 2);
    for (words, input) in calls {
        assert_eq!(input, "", "{words:?} could read an answer");
    }
}
