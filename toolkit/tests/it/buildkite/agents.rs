//! Buildkite's agents in the CI cluster (`provider = "buildkite"` with `runners =
//! "self-hosted"`): the CI environment's `deploy.sh`, run as a platform admin would after
//! `podplane login`, with the stand-ins of `tests/standins/`, installs Buildkite's Agent
//! Stack for Kubernetes at the pinned chart version, with values that pass the chart's own
//! schema (`tests/fixtures/agent-stack-k8s`, with Kubernetes' strict definitions for its pod
//! patch), that serve the queue every step of the deploy pipeline asks for, and whose pods
//! run the job image it built and pushed, beside Docker's engine.

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::{name_the_pipeline, pipeline, uploaded};
use crate::common::{self, Repo};
use crate::render::runners::{built_once, deploy};
use crate::{podplane, standins};

/// The CI environment of the test organisation and its cluster, whose id names the queue.
const CLUSTER: &str = "initech-ci";
/// Where the Agent Stack goes, and its Secrets.
const NAMESPACE: &str = "buildkite";
const TOKEN_SECRET: &str = "buildkite-agent-token";
const GIT_SECRET: &str = "buildkite-git-ssh";
/// The chart's address and the version the test pins.
const CHART: &str = "oci://ghcr.io/buildkite/helm/agent-stack-k8s";
const VERSION: &str = "0.47.0";
/// Where the chart's values schema finds Kubernetes' definitions, which the test serves
/// from `kubernetes-validate`'s copy.
const KUBERNETES_DEFINITIONS: &str = "https://raw.githubusercontent.com/buildkite/kubernetes-json-schema/master/v1.35.0/_definitions.json";

/// The test organisation with Buildkite's agents in its CI cluster, not yet rendered.
fn in_the_ci_cluster() -> Repo {
    let repo = Repo::fixture();
    repo.edit(
        "environments/ci/environment.toml",
        "runners = \"self-hosted\"\n",
        "runners = \"self-hosted\"\nprovider = \"buildkite\"\n",
    );
    name_the_pipeline(&repo);
    repo
}

fn yaml(text: &str) -> Value {
    serde_yaml_ng::from_str(text).unwrap()
}

/// Kubernetes' definitions as the chart's schema refers to them, or `None` (with a notice)
/// when they are not here and not required.
fn kubernetes_definitions() -> Option<Value> {
    let Some(dir) = std::env::var_os("K8S_SCHEMA_DIR") else {
        assert!(
            std::env::var_os("REQUIRE_K8S_SCHEMA").is_none(),
            "REQUIRE_K8S_SCHEMA is set but K8S_SCHEMA_DIR is not"
        );
        common::notice(
            "K8S_SCHEMA_DIR is not set: the Buildkite agents' pod patch is not checked against Kubernetes' definitions (.ci/run fetches them)",
        );
        return None;
    };
    let path = std::path::Path::new(&dir).join("_definitions.json");
    let mut definitions: Value = serde_json::from_str(
        &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())),
    )
    .unwrap();
    // kubernetes-validate keeps them under `$defs`, and the chart names them under
    // `definitions`, as the copy it links to does: the same definitions, under both.
    let defs = definitions["$defs"].clone();
    let object = definitions.as_object_mut().unwrap();
    object.insert("definitions".to_owned(), defs);
    object.remove("$id");
    Some(definitions)
}

/// Serves Kubernetes' definitions at the address the chart's schema names, and nothing
/// else: no schema is fetched from a network.
struct Definitions(Value);

impl jsonschema::Retrieve for Definitions {
    fn retrieve(
        &self,
        uri: &jsonschema::Uri<String>,
    ) -> Result<Value, Box<dyn std::error::Error + Send + Sync>> {
        if uri.as_str() == KUBERNETES_DEFINITIONS {
            Ok(self.0.clone())
        } else {
            Err(format!("the test serves no schema at {uri}").into())
        }
    }
}

/// `values` over `defaults`, as Helm merges a values file over a chart's own: tables key by
/// key, anything else replaced.
fn merged(defaults: &mut Value, values: &Value) {
    match (defaults, values) {
        (Value::Object(into), Value::Object(from)) => {
            for (key, value) in from {
                merged(into.entry(key.clone()).or_insert(Value::Null), value);
            }
        }
        (slot, value) => *slot = value.clone(),
    }
}

/// The errors of `values` against the chart's values schema, checked as Helm checks them:
/// merged over the chart's defaults, with the controller image its release sets.
fn chart_schema_errors(values: &Value, definitions: Value) -> Vec<String> {
    let fixture = common::manifest_dir().join("tests/fixtures/agent-stack-k8s");
    let mut all = yaml(&std::fs::read_to_string(fixture.join("values.yaml")).unwrap());
    all["image"] = Value::from(format!(
        "ghcr.io/buildkite/agent-stack-k8s/controller:{VERSION}"
    ));
    merged(&mut all, values);
    let values = &all;
    let schema: Value =
        serde_json::from_str(&std::fs::read_to_string(fixture.join("values.schema.json")).unwrap())
            .unwrap();
    let validator = jsonschema::options()
        .with_retriever(Definitions(definitions))
        .build(&schema)
        .expect("the chart's schema compiles");
    validator
        .iter_errors(values)
        .map(|e| format!("{e} at {}", e.instance_path()))
        .collect()
}

#[test]
fn the_ci_cluster_runs_the_agents_the_deploy_pipeline_asks_for() {
    let repo = in_the_ci_cluster();

    // Pins without the chart's version say what to add, and nothing is written.
    let run = repo.run(&["render"]);
    assert_eq!(run.code(), 2, "{}", run.stderr());
    common::assert_output(
        "buildkite/the_ci_cluster_runs_the_agents_the_deploy_pipeline_asks_for",
        &run.stderr(),
        &["ci/pins.toml", "agent-stack-k8s = \"0.47.0\"", "[charts]"],
    );
    assert!(!repo.path(".buildkite").exists());

    let pins_text = repo.read("ci/pins.toml");
    repo.write(
        "ci/pins.toml",
        &format!("{pins_text}agent-stack-k8s = \"{VERSION}\"\n"),
    );
    repo.run(&["render"]).success();
    repo.run(&["render", "--check"]).success();
    repo.run(&["check"]).success();

    // Every step that builds or deploys asks for the queue named as the cluster, which the
    // controller serves; pull requests stay on Buildkite's default queue.
    let values = yaml(&repo.read("environments/ci/runners.values.yaml"));
    assert_eq!(
        values["config"]["tags"],
        serde_json::json!(["queue=initech-ci"])
    );
    let main = pipeline("pipeline.yml", &repo.read(".buildkite/pipeline.yml"));
    repo.commit_all();
    repo.edit(
        "crates/storefront/Cargo.toml",
        "version = \"1.3.0\"",
        "version = \"1.4.0\"",
    );
    repo.commit_all();
    let steps = uploaded(&repo, "HEAD~1");
    let all: Vec<&Value> = main["steps"]
        .as_array()
        .unwrap()
        .iter()
        .chain(steps["steps"].as_array().unwrap())
        .filter(|step| step.get("block").is_none())
        .collect();
    assert!(all.len() >= 5, "{all:#?}");
    for step in all {
        assert_eq!(step["agents"]["queue"], CLUSTER, "{step:#}");
    }
    let pr = pipeline(
        "pipeline.pull-request.yml",
        &repo.read(".buildkite/pipeline.pull-request.yml"),
    );
    for step in pr["steps"].as_array().unwrap() {
        assert_eq!(step["agents"]["queue"], "default", "{step:#}");
    }

    // The values pass the chart's schema; no pipeline can change the pods.
    if let Some(definitions) = kubernetes_definitions() {
        assert_eq!(
            chart_schema_errors(&values, definitions),
            Vec::<String>::new()
        );
    }
    assert_eq!(values["agentStackSecret"], TOKEN_SECRET);
    assert_eq!(values["config"]["prohibit-kubernetes-plugin"], true);

    // Without the agent token, nothing is built or installed, and the script says how to
    // make it.
    let scratch = common::tempdir();
    let standins = standins::Standins::new(scratch.path());
    let config = podplane::parse_jsonc(&repo.read("environments/ci/podplane.cluster.jsonc"));
    let registry = config["cluster"]["registry"]["hostname"].as_str().unwrap();
    standins.logged_in(CLUSTER, registry, "keyring-pass");
    let out = deploy(&repo, &standins, scratch.path());
    assert_eq!(out.status.code(), Some(1));
    common::assert_output(
        "buildkite/the_ci_cluster_runs_the_agents_the_deploy_pipeline_asks_for",
        &String::from_utf8_lossy(&out.stderr),
        &[
            "kubectl create secret generic buildkite-agent-token --namespace buildkite --context initech-ci",
            "--from-literal=BUILDKITE_AGENT_TOKEN=AGENT_TOKEN",
        ],
    );
    assert!(standins.builds().is_empty());
    assert_eq!(
        standins.helm_release(CLUSTER, NAMESPACE, "agent-stack-k8s"),
        None
    );

    // With it: the job image is built for the pool the pods are held to and pushed to the
    // cluster's registry, then the chart is installed with the rendered values. Without a
    // deploy key, the script says a private repository needs one.
    standins.k8s_secret(CLUSTER, NAMESPACE, TOKEN_SECRET);
    let out = deploy(&repo, &standins, scratch.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains(&format!("no Secret {GIT_SECRET}")),
        "{stderr}"
    );
    let tag = built_once(&repo, &standins);
    let patch = &values["config"]["pod-spec-patch"];
    assert_eq!(patch["nodeSelector"]["kubernetes.io/arch"], "amd64");
    let image = format!("apps/{tag}");
    assert!(standins.in_registry(CLUSTER, &image), "{image} was pushed");
    let (chart, version, given) = standins
        .helm_release(CLUSTER, NAMESPACE, "agent-stack-k8s")
        .expect("the Agent Stack is installed");
    assert_eq!((chart.as_str(), version.as_str()), (CHART, VERSION));
    assert_eq!(yaml(&given.unwrap()), values);

    // Each job's command runs in that image (the controller names the command's container
    // `container-0`), beside the pinned Docker engine as a native sidecar that starts
    // first, which it reaches through the socket in a volume both mount.
    let pins: toml::Table = toml::from_str(&repo.read("ci/pins.toml")).unwrap();
    let command = &patch["containers"][0];
    assert_eq!(command["name"], "container-0");
    assert_eq!(command["image"], format!("{registry}/{image}"));
    let dind = &patch["initContainers"][0];
    assert_eq!(dind["image"], pins["images"]["dind"].as_str().unwrap());
    assert_eq!(dind["restartPolicy"], "Always");
    assert_eq!(dind["securityContext"]["privileged"], true);
    let host = dind["args"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|a| a.as_str()?.strip_prefix("--host="))
        .expect("dockerd listens on a socket");
    assert_eq!(command["env"][0]["name"], "DOCKER_HOST");
    assert_eq!(command["env"][0]["value"], host);
    let socket_dir = host
        .strip_prefix("unix://")
        .and_then(|path| path.rsplit_once('/'))
        .map(|(dir, _)| dir)
        .expect("a unix socket");
    for container in [command, dind] {
        assert_eq!(
            container["volumeMounts"][0]["mountPath"], socket_dir,
            "{container:#}"
        );
        assert_eq!(
            container["volumeMounts"][0]["name"],
            patch["volumes"][0]["name"]
        );
    }

    // A second run builds nothing; with a deploy key it no longer asks for one.
    standins.k8s_secret(CLUSTER, NAMESPACE, GIT_SECRET);
    let out = deploy(&repo, &standins, scratch.path());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(!stderr.contains(GIT_SECRET), "{stderr}");
    assert_eq!(standins.builds().len(), 1);
}

/// The chart's schema, with Kubernetes' definitions, refuses what the controller would
/// silently drop: a misspelt field of the pod patch.
#[test]
fn the_chart_schema_refuses_a_misspelt_pod_patch() {
    let Some(definitions) = kubernetes_definitions() else {
        return;
    };
    let repo = in_the_ci_cluster();
    let pins_text = repo.read("ci/pins.toml");
    repo.write(
        "ci/pins.toml",
        &format!("{pins_text}agent-stack-k8s = \"{VERSION}\"\n"),
    );
    repo.run(&["render"]).success();
    let mut values = yaml(&repo.read("environments/ci/runners.values.yaml"));
    values["config"]["pod-spec-patch"]["containers"][0]["volumeMount"] =
        values["config"]["pod-spec-patch"]["containers"][0]["volumeMounts"].clone();
    let errors = chart_schema_errors(&values, definitions);
    assert!(
        errors.iter().any(|e| e.contains("volumeMount")),
        "{errors:#?}"
    );
}
