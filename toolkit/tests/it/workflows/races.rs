//! Quick merges: an older run never deploys over a newer one, and a deploy that was
//! cancelled or skipped is caught up by the next run. Rehearsed with the real scripts,
//! and simulated for three merges with GitHub's rules for `needs` and `concurrency`, read
//! from the rendered workflow.

use std::collections::{BTreeMap, VecDeque};

use pretty_assertions::assert_eq;
use serde_json::Value;

use super::rehearsal::{Rehearsal, assert_succeeded};
use super::workflow;

const STAGING: &str = "environments/staging/environment.toml";

/// Staging's storefront gets another log level, committed: a change of staging's deploy.
fn change_staging(r: &Rehearsal, level: &str) -> String {
    let before = r.head();
    let text = r.repo.read(STAGING);
    let changed: String = text
        .lines()
        .map(|line| match line.starts_with("env = { LOG_LEVEL = ") {
            true => format!("env = {{ LOG_LEVEL = \"{level}\" }}\n"),
            false => format!("{line}\n"),
        })
        .collect();
    assert_ne!(text, changed);
    r.repo.write(STAGING, &changed);
    r.repo.run(&["render"]).success();
    r.repo.git(&["commit", "-q", "-am", level]);
    before
}

/// The plan job of the push that made HEAD, from `before`.
fn plan(r: &Rehearsal, before: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let plan = r.job("plan", before, &BTreeMap::new());
    assert_succeeded(&plan);
    BTreeMap::from([("plan".to_owned(), plan.outputs)])
}

fn deploys(needs: &BTreeMap<String, BTreeMap<String, String>>) -> Value {
    serde_json::from_str(&needs["plan"]["deploy"]).unwrap()
}

#[test]
fn an_older_run_never_deploys_over_a_newer_one_and_a_missed_deploy_is_caught_up() {
    let r = Rehearsal::new();
    let a = r.head();
    let a_plan = plan(&r, &a);
    assert_succeeded(&r.job_at(&a, "deploy-staging", &a, &a_plan));
    let log_level = |r: &Rehearsal| {
        let calls = r.standins.podplane_calls();
        let last = calls
            .iter()
            .rev()
            .find(|c| c[0] == "deploy" && c.contains(&"storefront".to_owned()))
            .unwrap()
            .clone();
        last.into_iter()
            .find(|w| w.starts_with("LOG_LEVEL="))
            .unwrap()
    };
    assert_eq!(log_level(&r), "LOG_LEVEL=info");

    // B and C merge quickly; B's deploy starts only after C is on main.
    let b_before = change_staging(&r, "debug");
    let b = r.head();
    let b_plan = plan(&r, &b_before);
    let c_before = change_staging(&r, "warn");
    let late = r.job_at(&b, "deploy-staging", &b_before, &b_plan);
    assert_succeeded(&late);
    assert!(
        late.log
            .contains("the newer run deploys, this one does not"),
        "{}",
        late.log
    );
    assert_eq!(
        log_level(&r),
        "LOG_LEVEL=info",
        "B's older checkout did not deploy"
    );
    let c_plan = plan(&r, &c_before);
    assert_succeeded(&r.job("deploy-staging", &c_before, &c_plan));
    assert_eq!(log_level(&r), "LOG_LEVEL=warn");

    // D changes staging, and its deploy is cancelled (a newer run's replaced it while it
    // waited); E changes nothing of staging's, yet its plan catches the missed deploy up.
    let notes = |r: &Rehearsal, text: &str| -> String {
        let before = r.head();
        std::fs::write(r.repo.path("NOTES.md"), text).unwrap();
        r.repo.git(&["add", "-A"]);
        r.repo.git(&["commit", "-q", "-m", text]);
        before
    };
    change_staging(&r, "error");
    let e_before = notes(&r, "notes\n");
    let e_plan = plan(&r, &e_before);
    assert!(
        deploys(&e_plan)
            .as_array()
            .unwrap()
            .contains(&"staging".into()),
        "{}",
        deploys(&e_plan)
    );
    assert_succeeded(&r.job("deploy-staging", &e_before, &e_plan));
    assert_eq!(log_level(&r), "LOG_LEVEL=error");
    // Once staging runs what it declares, a push that does not change it deploys nothing.
    let f_before = notes(&r, "more notes\n");
    assert!(
        !deploys(&plan(&r, &f_before))
            .as_array()
            .unwrap()
            .contains(&"staging".into())
    );
}

/// One job of one run, as the simulation sees it.
#[derive(Clone, Debug)]
struct Job {
    run: usize,
    name: String,
    needs: Vec<String>,
    group: Option<String>,
    /// Time it takes once started.
    takes: u32,
}

/// A job's name, the jobs it needs, and its concurrency group.
type Shape = (String, Vec<String>, Option<String>);

/// What the rendered main workflow says of its jobs: needs, concurrency group (with
/// `cancel-in-progress: false`), and whether a deploy job checks that it is not superseded
/// before it deploys.
fn jobs_of(workflow: &Value) -> (Vec<Shape>, bool) {
    let mut jobs = Vec::new();
    let mut checks_newest = true;
    for (name, job) in workflow["jobs"].as_object().unwrap() {
        let needs = match &job["needs"] {
            Value::String(one) => vec![one.clone()],
            Value::Array(many) => many
                .iter()
                .map(|n| n.as_str().unwrap().to_owned())
                .collect(),
            _ => Vec::new(),
        };
        let group = job["concurrency"]["group"].as_str().map(str::to_owned);
        if group.is_some() {
            assert_eq!(job["concurrency"]["cancel-in-progress"], false, "{name}");
        }
        if name.starts_with("deploy-") {
            let steps = job["steps"].as_array().unwrap();
            let newest = steps.iter().position(|s| s["run"] == "ci/superseded.sh");
            let deploy = steps
                .iter()
                .position(|s| s["run"].as_str().is_some_and(|r| r.contains("deploy.sh")));
            checks_newest &= matches!((newest, deploy), (Some(n), Some(d)) if n < d)
                && steps[deploy.unwrap()]["if"]
                    .as_str()
                    .is_some_and(|c| c.contains("steps.newest"));
        }
        jobs.push((name.clone(), needs, group));
    }
    (jobs, checks_newest)
}

/// Runs `pushes` (each a time on main and how long each job of its run takes) through
/// GitHub's rules: a job starts when every job it needs is done; in a concurrency group
/// one job runs, one waits, and a newer waiting job cancels the one waiting before it. A
/// deploy job deploys its run's state when it finishes, unless it checks that main has
/// moved past its run when it starts. Returns the runs whose state staging had, in order.
fn simulate(workflow: &Value, pushes: &[(u32, BTreeMap<&str, u32>)]) -> Vec<usize> {
    let (shape, checks_newest) = jobs_of(workflow);
    let mut waiting: Vec<Job> = Vec::new();
    for (run, (_, takes)) in pushes.iter().enumerate() {
        for (name, needs, group) in &shape {
            waiting.push(Job {
                run,
                name: name.clone(),
                needs: needs.clone(),
                group: group.clone(),
                takes: takes.get(name.as_str()).copied().unwrap_or(1),
            });
        }
    }
    let mut done: Vec<(usize, String)> = Vec::new();
    let mut running: Vec<(Job, u32, bool)> = Vec::new(); // job, ends at, deploys
    let mut queued: BTreeMap<String, VecDeque<Job>> = BTreeMap::new();
    let mut staging_history = Vec::new();
    for now in 0..1000 {
        // Finished jobs.
        let (finished, still): (Vec<_>, Vec<_>) =
            running.into_iter().partition(|(_, end, _)| *end <= now);
        running = still;
        for (job, _, deploys) in finished {
            if deploys && job.name == "deploy-staging" {
                staging_history.push(job.run);
            }
            done.push((job.run, job.name.clone()));
        }
        let main = pushes.iter().rposition(|(at, _)| *at <= now).unwrap();
        // Jobs whose run has been pushed and whose needs are done become ready.
        let (ready, rest): (Vec<_>, Vec<_>) = waiting.into_iter().partition(|job| {
            pushes[job.run].0 <= now
                && job
                    .needs
                    .iter()
                    .all(|n| done.contains(&(job.run, n.clone())))
        });
        waiting = rest;
        for job in ready {
            match &job.group {
                Some(group) => {
                    let queue = queued.entry(group.clone()).or_default();
                    // One waits: a newer one cancels it (it counts as done, deploying nothing).
                    if let Some(cancelled) = queue.pop_front() {
                        done.push((cancelled.run, cancelled.name.clone()));
                    }
                    queue.push_back(job);
                }
                None => running.push((job.clone(), now + job.takes, false)),
            }
        }
        for queue in queued.values_mut() {
            let group_busy = |job: &Job| running.iter().any(|(r, _, _)| r.group == job.group);
            if let Some(next) = queue.front()
                && !group_busy(next)
            {
                let job = queue.pop_front().unwrap();
                let superseded = checks_newest && job.run < main;
                running.push((job.clone(), now + job.takes, !superseded));
            }
        }
        if waiting.is_empty() && running.is_empty() && queued.values().all(VecDeque::is_empty) {
            break;
        }
    }
    staging_history
}

#[test]
fn three_quick_merges_deploy_in_order_and_end_with_the_last() {
    let rendered = workflow(&Rehearsal::new().repo, "main.yml");
    // A's images take long; B and C merge while they build; B's deploy is quick.
    let pushes = [
        (0, BTreeMap::from([("images", 30), ("deploy-staging", 5)])),
        (2, BTreeMap::from([("images", 2), ("deploy-staging", 20)])),
        (4, BTreeMap::from([("images", 1), ("deploy-staging", 5)])),
    ];
    let history = simulate(&rendered, &pushes);
    assert_eq!(
        history.last(),
        Some(&2),
        "staging ends with the last merge: {history:?}"
    );
    assert!(
        history.windows(2).all(|w| w[0] < w[1]),
        "an older run deployed over a newer one: {history:?}"
    );

    // Without the check that a newer push superseded the run, the last deploy to finish
    // is an older run's.
    let mut unchecked = rendered.clone();
    for job in ["deploy-staging", "deploy-prod"] {
        let steps = unchecked["jobs"][job]["steps"].as_array_mut().unwrap();
        steps.retain(|s| s["run"] != "ci/superseded.sh");
    }
    let history = simulate(&unchecked, &pushes);
    assert!(
        history.windows(2).any(|w| w[0] > w[1]) || history.last() != Some(&2),
        "{history:?}"
    );
}
