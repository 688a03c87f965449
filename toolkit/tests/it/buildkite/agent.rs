//! How Buildkite runs one build of a pipeline, modelled after its documentation, to
//! rehearse the rendered pipelines on this machine:
//! - each job checks out the build's commit afresh (a job shares no files with another);
//! - the steps of `.buildkite/pipeline.yml` come first; the steps a job uploads with
//!   `buildkite-agent pipeline upload` come right after that job's step;
//! - at upload, `$$` stands for `$`; any other `$` would be replaced by the uploading
//!   agent's environment, which the rendered pipelines never ask for, so the model fails
//!   rather than guess;
//! - a step runs once every step it `depends_on` passed; one that failed, waits or never
//!   ran stops it; a `block` step waits for a person (the test says whom it unblocks);
//! - a command step's lines run in one `bash -e -c` in the checkout, with the pipeline
//!   file's `env`, the step's own and the job's `BUILDKITE_*` variables; it passes when
//!   bash exits 0.
//!
//! Builds run one after another, so every concurrency group holds one job at a time, in
//! the order the builds were made, as `concurrency_method: ordered` promises.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;

/// What a step came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Passed,
    Failed,
    /// A block step nobody unblocked.
    Waiting,
    /// A step whose dependencies did not all pass.
    NotRun,
}

pub struct StepRun {
    pub key: String,
    pub outcome: Outcome,
    pub log: String,
    pub spec: Value,
}

pub struct BuildRun {
    pub steps: Vec<StepRun>,
}

impl BuildRun {
    pub fn step(&self, key: &str) -> &StepRun {
        self.steps
            .iter()
            .find(|s| s.key == key)
            .unwrap_or_else(|| panic!("the build has no step {key}: {:?}", self.keys()))
    }

    pub fn outcome(&self, key: &str) -> Outcome {
        self.step(key).outcome
    }

    pub fn keys(&self) -> Vec<&str> {
        self.steps.iter().map(|s| s.key.as_str()).collect()
    }

    /// Every step's log, in order.
    pub fn log(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("## {} ({:?})\n{}", s.key, s.outcome, s.log))
            .collect()
    }
}

pub struct Build<'a> {
    /// The repository the jobs clone (with its history).
    pub source: &'a Path,
    pub commit: String,
    pub number: u32,
    pub organization: &'a str,
    pub pipeline: &'a str,
    /// Where the jobs' checkouts and homes go.
    pub scratch: &'a Path,
    /// The agents' PATH, and more of their environment (the stand-ins' state).
    pub path: String,
    pub agent_env: BTreeMap<String, String>,
    /// The stand-ins' state, where `buildkite-agent pipeline upload` leaves uploads.
    pub state: &'a Path,
    /// The block steps a person unblocks.
    pub unblocked: Vec<&'a str>,
    /// Steps taken as passed without running: the checks (cargo on the whole
    /// workspace), which the rehearsal leaves to the repository's own CI.
    pub assumed: Vec<&'a str>,
}

impl Build<'_> {
    pub fn run(&self) -> BuildRun {
        let build_dir = tempfile::tempdir_in(self.scratch).unwrap();
        let pipeline = {
            let checkout = build_dir.path().join("upload-checkout");
            self.checkout(&checkout);
            let text = std::fs::read_to_string(checkout.join(".buildkite/pipeline.yml"))
                .expect("the deploy pipeline");
            uploaded(&text)
        };
        let mut queue: Vec<(Value, Value)> = steps_of(&pipeline);
        let mut done: Vec<StepRun> = Vec::new();
        let mut index = 0;
        while index < queue.len() {
            let (spec, pipeline_env) = queue[index].clone();
            let key = spec["key"]
                .as_str()
                .expect("every step has a key")
                .to_owned();
            let ready = depends_on(&spec).iter().all(|dependency| {
                done.iter()
                    .find(|s| &s.key == dependency)
                    .unwrap_or_else(|| {
                        panic!("{key} depends on {dependency}, which is not before it")
                    })
                    .outcome
                    == Outcome::Passed
            });
            let (outcome, log) = if !ready {
                (Outcome::NotRun, String::new())
            } else if spec.get("block").is_some() {
                if self.unblocked.contains(&key.as_str()) {
                    (Outcome::Passed, "unblocked by a person\n".to_owned())
                } else {
                    (Outcome::Waiting, "waiting for a person\n".to_owned())
                }
            } else if self.assumed.contains(&key.as_str()) {
                (
                    Outcome::Passed,
                    "(not rehearsed: taken as passed)\n".to_owned(),
                )
            } else {
                let before = self.uploads();
                let result = self.job(build_dir.path(), &key, &spec, &pipeline_env);
                let added: Vec<(Value, Value)> = self
                    .uploads()
                    .into_iter()
                    .filter(|upload| !before.contains(upload))
                    .flat_map(|upload| {
                        let text = std::fs::read_to_string(&upload).unwrap();
                        steps_of(&uploaded(&text))
                    })
                    .collect();
                queue.splice(index + 1..index + 1, added);
                result
            };
            done.push(StepRun {
                key,
                outcome,
                log,
                spec,
            });
            index += 1;
        }
        BuildRun { steps: done }
    }

    /// One job: a fresh checkout, the step's lines in `bash -e -c`.
    fn job(
        &self,
        build_dir: &Path,
        key: &str,
        spec: &Value,
        pipeline_env: &Value,
    ) -> (Outcome, String) {
        let job_dir = build_dir.join(format!("job-{key}"));
        let checkout = job_dir.join("checkout");
        self.checkout(&checkout);
        let home = job_dir.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let script = match &spec["command"] {
            Value::String(line) => line.clone(),
            Value::Array(lines) => lines
                .iter()
                .map(|line| line.as_str().expect("a command line").to_owned())
                .collect::<Vec<_>>()
                .join("\n"),
            other => panic!("{key}: the model runs command steps only: {other}"),
        };
        let mut env = self.agent_env.clone();
        env.extend([
            ("PATH".to_owned(), self.path.clone()),
            ("HOME".to_owned(), home.display().to_string()),
            ("CI".to_owned(), "true".to_owned()),
            ("BUILDKITE".to_owned(), "true".to_owned()),
            ("BUILDKITE_BRANCH".to_owned(), "main".to_owned()),
            ("BUILDKITE_COMMIT".to_owned(), self.commit.clone()),
            ("BUILDKITE_BUILD_NUMBER".to_owned(), self.number.to_string()),
            (
                "BUILDKITE_ORGANIZATION_SLUG".to_owned(),
                self.organization.to_owned(),
            ),
            (
                "BUILDKITE_PIPELINE_SLUG".to_owned(),
                self.pipeline.to_owned(),
            ),
            ("BUILDKITE_SOURCE".to_owned(), "webhook".to_owned()),
            ("BUILDKITE_STEP_KEY".to_owned(), key.to_owned()),
            (
                "BUILDKITE_JOB_ID".to_owned(),
                format!("job-{}-{key}", self.number),
            ),
            (
                "BUILDKITE_BUILD_CHECKOUT_PATH".to_owned(),
                checkout.display().to_string(),
            ),
        ]);
        for scope in [pipeline_env, &spec["env"]] {
            for (name, value) in scope.as_object().into_iter().flatten() {
                let value = match value {
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                };
                env.insert(name.clone(), value);
            }
        }
        let out = Command::new(self.tool("bash"))
            .arg("-e")
            .arg("-c")
            .arg(&script)
            .current_dir(&checkout)
            .env_clear()
            .envs(&env)
            .stdin(Stdio::null())
            .output()
            .unwrap();
        let log = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let outcome = if out.status.success() {
            Outcome::Passed
        } else {
            Outcome::Failed
        };
        (outcome, log)
    }

    /// The agent's checkout: a clone of the repository with its history, at the build's
    /// commit.
    fn checkout(&self, dir: &Path) {
        let source = format!("file://{}", self.source.display());
        for args in [
            vec!["clone", "--quiet", source.as_str(), &*dir.to_string_lossy()],
            vec![
                "-C",
                &*dir.to_string_lossy(),
                "checkout",
                "--quiet",
                "-f",
                &self.commit,
            ],
        ] {
            let out = Command::new(self.tool("git")).args(&args).output().unwrap();
            assert!(
                out.status.success(),
                "checkout: git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }

    fn uploads(&self) -> Vec<std::path::PathBuf> {
        let dir = self.state.join("buildkite/uploads");
        let mut found: Vec<_> = std::fs::read_dir(dir)
            .map(|entries| entries.map(|e| e.unwrap().path()).collect())
            .unwrap_or_default();
        found.sort();
        found
    }

    /// A real tool from the agent's PATH.
    fn tool(&self, name: &str) -> std::path::PathBuf {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.is_file())
            .unwrap_or_else(|| panic!("no {name} on the agent's PATH"))
    }
}

/// A pipeline as `pipeline upload` reads it: YAML (JSON is YAML), interpolated.
fn uploaded(text: &str) -> Value {
    let value: Value = serde_yaml_ng::from_str(text)
        .unwrap_or_else(|e| panic!("an upload that does not parse: {e}\n{text}"));
    interpolate(value)
}

fn interpolate(value: Value) -> Value {
    match value {
        Value::String(text) => {
            let mut out = String::new();
            let mut chars = text.chars().peekable();
            while let Some(c) = chars.next() {
                if c == '$' {
                    assert_eq!(
                        chars.next(),
                        Some('$'),
                        "an unescaped `$` in {text:?} would be the uploading agent's variable"
                    );
                }
                out.push(c);
            }
            Value::String(out)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(interpolate).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, interpolate(value)))
                .collect(),
        ),
        other => other,
    }
}

/// Each step of a pipeline, with the pipeline's own `env`.
fn steps_of(pipeline: &Value) -> Vec<(Value, Value)> {
    let env = pipeline.get("env").cloned().unwrap_or(Value::Null);
    pipeline["steps"]
        .as_array()
        .expect("a pipeline has steps")
        .iter()
        .map(|step| (step.clone(), env.clone()))
        .collect()
}

/// The keys a step depends on: a key, or a list of keys or `{step: key}`.
fn depends_on(spec: &Value) -> Vec<String> {
    match &spec["depends_on"] {
        Value::Null => Vec::new(),
        Value::String(key) => vec![key.clone()],
        Value::Array(items) => items
            .iter()
            .map(|item| {
                item.as_str()
                    .or_else(|| item["step"].as_str())
                    .expect("a dependency is a key")
                    .to_owned()
            })
            .collect(),
        other => panic!("depends_on the model does not know: {other}"),
    }
}
