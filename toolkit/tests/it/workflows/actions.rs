//! How GitHub Actions runs one job of a workflow, modelled after its documentation, to
//! rehearse the rendered jobs on this machine: the checkout, each `run:` step in `bash
//! --noprofile --norc -eo pipefail` in the workspace, the environment (the workflow's,
//! the job's, what earlier steps wrote to `GITHUB_ENV`, the step's own), `GITHUB_PATH`,
//! `GITHUB_OUTPUT`, the `${{ }}` expressions the rendered workflows use, the ID-token
//! variables only under `permissions: id-token: write`, and `::add-mask::`. An expression
//! or an action the model does not know fails the rehearsal rather than being guessed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;

/// What a run has of GitHub's context.
pub struct Github {
    pub repository: String,
    /// The commit the run is for: the checkout's.
    pub sha: String,
    pub event: &'static str,
    pub git_ref: &'static str,
    pub workflow: &'static str,
    /// `github.event.before`: the commit main was at before the push.
    pub before: String,
}

/// One run of one job.
pub struct JobRun {
    /// Every step's output and errors, in order, as the log shows them.
    pub log: String,
    /// The name of the step that failed, if one did.
    pub failed: Option<String>,
    /// The values `::add-mask::` hid.
    pub masks: Vec<String>,
    pub outputs: BTreeMap<String, String>,
}

impl JobRun {
    pub fn succeeded(&self) -> bool {
        self.failed.is_none()
    }

    /// Every masked value appears in the log only where it was masked.
    pub fn assert_masks_hold(&self) {
        for mask in &self.masks {
            let shown = self
                .log
                .lines()
                .filter(|line| line.contains(mask.as_str()) && !line.starts_with("::add-mask::"))
                .count();
            assert_eq!(shown, 0, "a masked value is printed:\n{}", self.log);
        }
    }
}

pub struct Runner<'a> {
    /// The repository the checkout clones (with its history).
    pub source: &'a Path,
    /// Where the runner keeps the workspace and `RUNNER_TEMP`.
    pub scratch: &'a Path,
    pub github: Github,
    /// The PATH of the runner image.
    pub path: String,
    /// More environment of the runner image (the stand-ins' state).
    pub image_env: BTreeMap<String, String>,
}

impl Runner<'_> {
    /// Runs `job` of `workflow`, with the outputs of the jobs it needs. Panics on what the
    /// model does not know; a failing step ends the job, as in Actions.
    pub fn run(
        &self,
        workflow: &Value,
        job: &str,
        needs: &BTreeMap<String, BTreeMap<String, String>>,
    ) -> JobRun {
        let spec = &workflow["jobs"][job];
        assert!(spec.is_object(), "no job `{job}`");
        let run_dir = tempfile::tempdir_in(self.scratch).unwrap();
        let workspace = run_dir.path().join("workspace");
        let temp = run_dir.path().join("temp");
        std::fs::create_dir_all(&workspace).unwrap();
        std::fs::create_dir_all(&temp).unwrap();
        let context = Context {
            github: &self.github,
            needs,
            temp: &temp,
            steps: BTreeMap::new(),
        };
        let mut env: BTreeMap<String, String> = self.image_env.clone();
        env.extend([
            ("PATH".to_owned(), self.path.clone()),
            ("HOME".to_owned(), run_dir.path().display().to_string()),
            ("CI".to_owned(), "true".to_owned()),
            ("GITHUB_ACTIONS".to_owned(), "true".to_owned()),
            (
                "GITHUB_REPOSITORY".to_owned(),
                self.github.repository.clone(),
            ),
            ("GITHUB_SHA".to_owned(), self.github.sha.clone()),
            ("GITHUB_REF".to_owned(), self.github.git_ref.to_owned()),
            ("GITHUB_EVENT_NAME".to_owned(), self.github.event.to_owned()),
            (
                "GITHUB_WORKFLOW_REF".to_owned(),
                format!(
                    "{}/{}@{}",
                    self.github.repository, self.github.workflow, self.github.git_ref
                ),
            ),
            (
                "GITHUB_WORKSPACE".to_owned(),
                workspace.display().to_string(),
            ),
            ("RUNNER_TEMP".to_owned(), temp.display().to_string()),
        ]);
        if spec["permissions"]["id-token"] == "write" {
            env.insert(
                "ACTIONS_ID_TOKEN_REQUEST_URL".to_owned(),
                "https://pipelines.actions.invalid/idtoken?api-version=2.0".to_owned(),
            );
            env.insert(
                "ACTIONS_ID_TOKEN_REQUEST_TOKEN".to_owned(),
                "runtime-token".to_owned(),
            );
        }
        let mut context = context;
        for scope in [&workflow["env"], &spec["env"]] {
            for (key, value) in scope.as_object().into_iter().flatten() {
                env.insert(key.clone(), context.eval(&scalar(value)));
            }
        }
        let mut run = JobRun {
            log: String::new(),
            failed: None,
            masks: Vec::new(),
            outputs: BTreeMap::new(),
        };
        let mut path_additions: Vec<String> = Vec::new();
        for (index, step) in spec["steps"].as_array().unwrap().iter().enumerate() {
            let name = step["name"]
                .as_str()
                .or_else(|| step["uses"].as_str())
                .unwrap_or("a step")
                .to_owned();
            if let Some(action) = step["uses"].as_str() {
                // GitHub's cache may always miss, and a job must work when it does: the
                // model's cache is always empty.
                if action.starts_with("actions/cache@")
                    || action.starts_with("actions/cache/restore@")
                {
                    run.log.push_str(&format!("## {name} (a cache miss)\n"));
                    continue;
                }
                assert!(
                    action.starts_with("actions/checkout@"),
                    "the model runs no action but checkout and the cache: {action}"
                );
                assert_eq!(step["with"]["persist-credentials"], false, "{name}");
                self.checkout(&workspace, step["with"]["fetch-depth"].as_u64() == Some(0));
                continue;
            }
            if let Some(condition) = step["if"].as_str()
                && !context.holds(condition)
            {
                run.log
                    .push_str(&format!("## {name} (skipped: {condition})\n"));
                continue;
            }
            let script = context.eval(step["run"].as_str().expect("a run step"));
            let mut step_env = env.clone();
            for (key, value) in step["env"].as_object().into_iter().flatten() {
                step_env.insert(key.clone(), context.eval(&scalar(value)));
            }
            if !path_additions.is_empty() {
                let path = &step_env["PATH"];
                step_env.insert(
                    "PATH".to_owned(),
                    format!("{}:{path}", path_additions.join(":")),
                );
            }
            let files: BTreeMap<&str, PathBuf> = [
                "GITHUB_ENV",
                "GITHUB_PATH",
                "GITHUB_OUTPUT",
                "GITHUB_STEP_SUMMARY",
            ]
            .into_iter()
            .map(|name| {
                let file = temp.join(format!("{name}-{index}"));
                std::fs::write(&file, "").unwrap();
                (name, file)
            })
            .collect();
            for (name, file) in &files {
                step_env.insert((*name).to_owned(), file.display().to_string());
            }
            let script_file = temp.join(format!("step-{index}.sh"));
            std::fs::write(&script_file, script).unwrap();
            let out = Command::new(self.tool("bash"))
                .args(["--noprofile", "--norc", "-eo", "pipefail"])
                .arg(&script_file)
                .current_dir(&workspace)
                .env_clear()
                .envs(&step_env)
                .stdin(Stdio::null())
                .output()
                .unwrap();
            let stdout = String::from_utf8_lossy(&out.stdout);
            let stderr = String::from_utf8_lossy(&out.stderr);
            run.log.push_str(&format!("## {name}\n{stdout}{stderr}"));
            for line in stdout.lines() {
                if let Some(mask) = line.strip_prefix("::add-mask::") {
                    run.masks.push(mask.to_owned());
                }
            }
            if !out.status.success() {
                run.failed = Some(name);
                break;
            }
            env.extend(read_env_file(&files["GITHUB_ENV"]));
            for line in std::fs::read_to_string(&files["GITHUB_PATH"])
                .unwrap()
                .lines()
            {
                path_additions.insert(0, line.to_owned());
            }
            if let Some(id) = step["id"].as_str() {
                context
                    .steps
                    .insert(id.to_owned(), read_env_file(&files["GITHUB_OUTPUT"]));
            }
        }
        if run.succeeded() {
            for (key, value) in spec["outputs"].as_object().into_iter().flatten() {
                run.outputs
                    .insert(key.clone(), context.eval(value.as_str().unwrap()));
            }
        }
        run
    }

    /// `actions/checkout`: the workspace becomes a clone of the repository at the run's
    /// commit (which main may have moved past), with its whole history only when
    /// `fetch-depth: 0` asks for it; otherwise that one commit, as a shallow clone has it.
    fn checkout(&self, workspace: &Path, whole_history: bool) {
        let git = |args: &[&str]| {
            let out = Command::new(self.tool("git"))
                .args(args)
                .current_dir(workspace)
                .output()
                .unwrap();
            assert!(
                out.status.success(),
                "checkout: git {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
        };
        let source = format!("file://{}", self.source.display());
        let status = Command::new(self.tool("git"))
            .args(["clone", "--quiet", &source])
            .arg(workspace)
            .status()
            .unwrap();
        assert!(status.success(), "checkout");
        git(&["checkout", "--quiet", "--detach", &self.github.sha]);
        if !whole_history {
            git(&["branch", "--quiet", "-D", "main"]);
            git(&["remote", "remove", "origin"]);
            std::fs::write(
                workspace.join(".git/shallow"),
                format!("{}\n", self.github.sha),
            )
            .unwrap();
            git(&["reflog", "expire", "--expire=now", "--all"]);
            git(&["gc", "--quiet", "--prune=now"]);
        }
    }

    fn tool(&self, name: &str) -> PathBuf {
        std::env::split_paths(&self.path)
            .map(|dir| dir.join(name))
            .find(|candidate| candidate.exists())
            .unwrap_or_else(|| panic!("no {name} on the runner's PATH"))
    }
}

/// What the expressions of one job can read.
struct Context<'a> {
    github: &'a Github,
    needs: &'a BTreeMap<String, BTreeMap<String, String>>,
    temp: &'a Path,
    steps: BTreeMap<String, BTreeMap<String, String>>,
}

impl Context<'_> {
    /// `text` with each `${{ expression }}` replaced by its value.
    fn eval(&self, text: &str) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("an expression ends") + start;
            out.push_str(&self.value(rest[start + 3..end].trim()));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    /// A step's `if:`, of the one form the rendered workflows use: a value compared with a
    /// string, `==` or `!=`.
    fn holds(&self, condition: &str) -> bool {
        let (left, right, equal) = if let Some((l, r)) = condition.split_once("==") {
            (l, r, true)
        } else if let Some((l, r)) = condition.split_once("!=") {
            (l, r, false)
        } else {
            panic!("the model does not know the condition `{condition}`")
        };
        let literal = right
            .trim()
            .strip_prefix('\'')
            .and_then(|r| r.strip_suffix('\''))
            .unwrap_or_else(|| panic!("the model compares with a string only: `{condition}`"));
        (self.value(left.trim()) == literal) == equal
    }

    fn value(&self, expression: &str) -> String {
        let parts: Vec<&str> = expression.split('.').collect();
        match parts.as_slice() {
            ["github", "token"] => "ghs_job-token".to_owned(),
            ["github", "sha"] => self.github.sha.clone(),
            ["github", "repository"] => self.github.repository.clone(),
            ["github", "event", "before"] => self.github.before.clone(),
            ["runner", "temp"] => self.temp.display().to_string(),
            ["vars", name] => format!("vars-{name}"),
            // Each secret of the GitHub Environment, as the repository's admins set it.
            ["secrets", name] => format!("secrets-{name}"),
            ["needs", job, "outputs", name] => self
                .needs
                .get(*job)
                .and_then(|outputs| outputs.get(*name))
                .cloned()
                .unwrap_or_default(),
            ["steps", step, "outputs", name] => self
                .steps
                .get(*step)
                .and_then(|outputs| outputs.get(*name))
                .cloned()
                .unwrap_or_default(),
            _ => panic!("the model does not know the expression `{expression}`"),
        }
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `KEY=value` lines and `KEY<<DELIMITER` blocks, as `GITHUB_ENV` and `GITHUB_OUTPUT`
/// take them.
fn read_env_file(file: &Path) -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(file).unwrap();
    let mut values = BTreeMap::new();
    let mut lines = text.lines();
    while let Some(line) = lines.next() {
        if let Some((key, delimiter)) = line.split_once("<<") {
            let mut value = Vec::new();
            for line in lines.by_ref() {
                if line == delimiter {
                    break;
                }
                value.push(line);
            }
            values.insert(key.to_owned(), value.join("\n"));
        } else if let Some((key, value)) = line.split_once('=') {
            values.insert(key.to_owned(), value.to_owned());
        }
    }
    values
}
