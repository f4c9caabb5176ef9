//! Durable executions end to end, through the built `gale` binary: kill -9 at random
//! points then `gale resume` (the result equals an uninterrupted run), in-flight
//! actions that are not safe-rerun, idempotent `--id`, `--from`, pause / resume /
//! cancel from another process, `--break-before`, `rerun`, `executions`, `why`,
//! `trace`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value as Json;

fn gale_cmd(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_gale"));
    c.args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env("XDG_DATA_HOME", dir.join("data"));
    c
}

fn gale(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out: Output = gale_cmd(dir, args).output().expect("run gale");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn json_of(stdout: &str) -> Json {
    serde_json::from_str(stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}"))
}

/// A fresh scratch folder with the given files.
fn scratch(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("gale-durable-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("mkdir");
    for (path, text) in files {
        std::fs::write(dir.join(path), text).expect("write");
    }
    dir
}

/// A scratch folder holding one workflow file, and the store database in it that
/// every command is pointed at (`--db`).
struct Scratch {
    dir: PathBuf,
    db: String,
}

impl Scratch {
    /// A fresh scratch folder `name` with `file` (holding `text`) and the store `db`.
    fn new(name: &str, file: &str, text: &str, db: &str) -> Self {
        let dir = scratch(name, &[(file, text)]);
        let db = dir.join(db).to_str().expect("utf-8 path").to_string();
        Scratch { dir, db }
    }

    /// `args`, then `--db <db>`, then `--format json` when `json`.
    fn with_db<'a>(&'a self, args: &[&'a str], json: bool) -> Vec<&'a str> {
        let mut all = args.to_vec();
        all.extend(["--db", self.db.as_str()]);
        if json {
            all.extend(["--format", "json"]);
        }
        all
    }

    /// `gale <args> --db <db>`.
    fn gale(&self, args: &[&str]) -> (i32, String, String) {
        gale(&self.dir, &self.with_db(args, false))
    }

    /// `gale <args> --db <db> --format json`.
    fn gale_json(&self, args: &[&str]) -> (i32, String, String) {
        gale(&self.dir, &self.with_db(args, true))
    }

    /// What `gale <args> --db <db> --format json` prints, as JSON.
    fn json(&self, args: &[&str]) -> Json {
        json_of(&self.gale_json(args).1)
    }

    /// `gale <args> --db <db> [--format json]` started in the background, its
    /// stderr dropped.
    fn spawn(&self, args: &[&str], json: bool, stdout: Stdio) -> Child {
        gale_cmd(&self.dir, &self.with_db(args, json))
            .stdout(stdout)
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn gale")
    }
}

/// Lets `child` run for `ms` milliseconds, then kills it (SIGKILL) and reaps it.
fn kill_after(mut child: Child, ms: u64) {
    std::thread::sleep(Duration::from_millis(ms));
    let _ = child.kill();
    let _ = child.wait();
}

/// The `event` of every entry of a JSON trace.
fn trace_events(trace: &Json) -> Vec<&str> {
    trace
        .as_array()
        .map(|t| t.iter().filter_map(|e| e["event"].as_str()).collect())
        .unwrap_or_default()
}

/// The result object without what differs between runs.
fn normalized(mut v: Json) -> Json {
    if let Some(m) = v.as_object_mut() {
        m.remove("id");
    }
    v
}

/// Echo chains, with-items (20 iterations, 4 at a time: more than a task image
/// carries inline), two branches and a join, no-ops, a timer (wait-before: a join
/// task that waited skips its policies in Mistral, so it is on the last task);
/// every task safe-rerun, so a resumed run must end exactly like an uninterrupted one.
const CHAIN: &str = r#"version: '2.0'
chain:
  input:
    - n: 20
  output:
    final: <% $.final %>
    tens: <% $.tens %>
  tasks:
    start:
      action: std.echo output=<% range($.n) %>
      safe-rerun: true
      publish:
        items: <% task().result %>
      on-success: [fan]
    fan:
      with-items: i in <% $.items %>
      concurrency: 4
      action: std.echo
      input:
        output: <% $.i * 10 %>
        delay: 0.08
      safe-rerun: true
      publish:
        tens: <% task().result %>
      on-success: [sum]
    sum:
      action: std.echo
      input:
        output: <% $.tens.sum() %>
        delay: 0.2
      safe-rerun: true
      publish:
        total: <% task().result %>
      on-success: [left, right]
    left:
      action: std.echo
      input:
        output: l
        delay: 0.1
      safe-rerun: true
      on-success: [wait]
    right:
      action: std.echo
      input:
        output: r
        delay: 0.2
      safe-rerun: true
      on-success: [wait]
    wait:
      join: all
      action: std.echo output=<% $.total + 1 %>
      safe-rerun: true
      publish:
        total: <% task().result %>
      on-success: [noops]
    noops:
      with-items: j in <% range(30) %>
      action: std.noop
      on-success: [last]
    last:
      wait-before: 1
      action: std.echo
      input:
        output: <% $.total * 2 %>
        delay: 0.2
      safe-rerun: true
      publish:
        final: <% task().result %>
"#;

fn seed() -> u64 {
    if let Ok(s) = std::env::var("GALE_DURABLE_SEED")
        && let Ok(v) = s.parse()
    {
        return v;
    }
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(1)
        | 1
}

fn next(state: &mut u64) -> u64 {
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    *state
}

/// No expression reads the task history, so a resume restores the completed
/// tasks as stubs (the join's workflow) and placeholders (the loop's older
/// iterations), faulting in what it needs: a loop, a join of a task and a
/// with-items task (more iterations than an image carries inline), a tail.
const COUNTED: &str = r#"version: '2.0'
counted:
  input:
    - n: 6
  output:
    count: <% $.count %>
    sum: <% $.sum %>
    sides: <% [$.left, $.right] %>
  tasks:
    init:
      action: std.echo output=0
      safe-rerun: true
      publish:
        count: 0
        sum: 0
      on-success: [step]
    step:
      action: std.echo
      input:
        output: <% $.count %>
        delay: 0.05
      safe-rerun: true
      publish:
        count: <% $.count + 1 %>
        sum: <% $.sum + $.count %>
      on-success:
        - step: <% $.count < $.n %>
        - left: <% $.count >= $.n %>
        - right: <% $.count >= $.n %>
    left:
      action: std.echo
      input:
        output: l
        delay: 0.1
      safe-rerun: true
      publish:
        left: l
      on-success: [both]
    right:
      with-items: i in <% range(20) %>
      concurrency: 5
      action: std.echo
      input:
        output: <% $.i %>
        delay: 0.03
      safe-rerun: true
      publish:
        right: r
      on-success: [both]
    both:
      join: all
      action: std.echo
      input:
        output: <% $.sum %>
        delay: 0.05
      safe-rerun: true
      publish:
        sum: <% $.sum * 10 %>
      on-success: [tail1]
    tail1:
      action: std.echo
      input:
        output: 1
        delay: 0.05
      safe-rerun: true
      on-success: [tail2]
    tail2:
      action: std.noop
"#;

/// Runs `file` once uninterrupted, then `kills` times killed with SIGKILL at a
/// random moment and resumed: every resumed run (and `executions show`) must equal
/// the uninterrupted one. Returns the uninterrupted result.
fn kill_nine_and_resume(name: &str, file: &str, text: &str, kills: usize) -> Json {
    let s = Scratch::new(name, file, text, "kill.db");
    let t0 = Instant::now();
    let (code, stdout, stderr) = s.gale_json(&["run", file, "--id", "base"]);
    assert_eq!(code, 0, "{stderr}");
    let baseline = normalized(json_of(&stdout));
    let span = t0.elapsed().as_millis() as u64 + 100;
    let mut rng = seed();
    eprintln!("GALE_DURABLE_SEED={rng}");
    let mut resumed_in_flight = 0;
    for i in 0..kills {
        let id = format!("kill-{i}");
        let run = ["run", file, "--id", &id];
        let child = s.spawn(&run, true, Stdio::null());
        let at = next(&mut rng) % span;
        kill_after(child, at);
        // Every other resume prints the human result: state and output, from the
        // state the resume restored (the tasks it did not need stay unread).
        let human = i % 2 == 1;
        let resume = |args: &[&str]| {
            if human {
                s.gale(args)
            } else {
                s.gale_json(args)
            }
        };
        let (mut code, mut stdout, mut stderr) = resume(&["resume", &id]);
        if code != 0 && stderr.contains("no execution") {
            // Killed before the execution was recorded: start it again.
            (code, stdout, stderr) = resume(&run);
        }
        assert_eq!(code, 0, "kill at {at} ms: {stderr}\n{stdout}");
        if stderr.contains("running it again (safe-rerun)") {
            resumed_in_flight += 1;
        }
        if human {
            let (head, output) = stdout.split_once("\noutput: ").unwrap_or_default();
            assert_eq!(
                head,
                format!(
                    "workflow {} SUCCESS",
                    baseline["workflow"].as_str().unwrap_or("")
                ),
                "kill at {at} ms; resume said: {stderr}"
            );
            assert_eq!(
                json_of(output),
                baseline["output"],
                "kill at {at} ms; resume said: {stderr}"
            );
        } else {
            assert_eq!(
                normalized(json_of(&stdout)),
                baseline,
                "kill at {at} ms; resume said: {stderr}"
            );
        }
        // The store agrees with what was printed.
        let shown = s.json(&["executions", "show", &id]);
        assert_eq!(normalized(shown), baseline);
    }
    eprintln!("{resumed_in_flight} of {kills} resumes re-ran an in-flight action");
    baseline
}

#[test]
fn kill_nine_at_random_points_then_resume_ends_like_an_uninterrupted_run() {
    let baseline = kill_nine_and_resume("kill", "chain.yaml", CHAIN, 15);
    assert_eq!(baseline["output"]["final"], 3802, "{baseline}");
}

#[test]
fn kill_nine_then_resume_from_stubs_ends_like_an_uninterrupted_run() {
    let baseline = kill_nine_and_resume("kill-stubs", "counted.yaml", COUNTED, 6);
    assert_eq!(baseline["state"], "SUCCESS", "{baseline}");
    assert_eq!(
        baseline["output"],
        serde_json::json!({"count": 6, "sum": 150, "sides": ["l", "r"]}),
        "{baseline}"
    );
}

const UNSAFE: &str = r#"version: '2.0'
slow:
  tasks:
    nap:
      action: std.sleep seconds=3
      on-success: [after]
    after:
      action: std.noop
"#;

#[test]
fn an_in_flight_action_that_is_not_safe_rerun_fails_as_in_mistral() {
    let s = Scratch::new("unsafe", "slow.yaml", UNSAFE, "u.db");
    let child = s.spawn(&["run", "slow.yaml", "--id", "u1"], false, Stdio::null());
    kill_after(child, 700);
    let (code, stdout, stderr) = s.gale_json(&["resume", "u1"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("not safe-rerun") && stderr.contains("Heartbeat wasn't received."),
        "{stderr}"
    );
    let v = json_of(&stdout);
    assert_eq!(v["state"], "ERROR");
    assert_eq!(v["tasks"][0]["name"], "nap");
    assert_eq!(v["tasks"][0]["state_info"], "Heartbeat wasn't received.");
    assert_eq!(v["tasks"].as_array().map(Vec::len), Some(1));
}

const SMALL: &str = r#"version: '2.0'
small:
  input:
    - n: 1
  output:
    double: <% $.double %>
  tasks:
    t1:
      action: std.echo output=<% $.n * 2 %>
      publish:
        double: <% task().result %>
"#;

#[test]
fn run_with_an_existing_id_prints_it_and_from_starts_a_copy() {
    let s = Scratch::new("idem", "small.yaml", SMALL, "i.db");
    let run = |input| s.gale_json(&["run", "small.yaml", "--id", "x1", "--input", input]);
    let (code, first, _) = run(r#"{"n": 5}"#);
    assert_eq!(code, 0);
    assert_eq!(json_of(&first)["output"]["double"], 10);
    // Same id, other input: nothing new starts, the existing execution is printed.
    let (code, again, stderr) = run(r#"{"n": 7}"#);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_of(&again), json_of(&first));
    // --from: workflow and input copied, --input deep-merged over it.
    let (code, copy, stderr) = s.gale_json(&["run", "--from", "x1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_of(&copy)["output"]["double"], 10);
    let (code, over, _) = s.gale_json(&["run", "--from", "x1", "--input", r#"{"n": 21}"#]);
    assert_eq!(code, 0);
    assert_eq!(json_of(&over)["output"]["double"], 42);
    let list = s.json(&["executions", "list"]);
    let list = list.as_array().expect("array");
    assert_eq!(list.len(), 3, "{list:?}");
    let copies = list
        .iter()
        .filter(|e| e["source_execution_id"] == "x1")
        .count();
    assert_eq!(copies, 2);
    assert!(
        list.iter()
            .any(|e| e["description"] == "Based on the execution 'x1'")
    );
    // Filters.
    let by_state = s.json(&["executions", "list", "--state", "ERROR"]);
    assert_eq!(by_state.as_array().map(Vec::len), Some(0));
}

const NAPS: &str = r#"version: '2.0'
naps:
  tasks:
    one:
      action: std.sleep seconds=1
      on-success: [two]
    two:
      action: std.sleep seconds=1
      on-success: [three]
    three:
      action: std.echo output="done"
"#;

#[test]
fn pause_resume_and_cancel_from_another_process() {
    let s = Scratch::new("control", "naps.yaml", NAPS, "c.db");
    // Pause while `one` sleeps: the runner lets it finish, does not start `two`,
    // and exits with the execution PAUSED.
    let runner = s.spawn(&["run", "naps.yaml", "--id", "p1"], true, Stdio::piped());
    std::thread::sleep(Duration::from_millis(400));
    let (code, paused, stderr) = s.gale_json(&["pause", "p1"]);
    assert_eq!(code, 0, "pause succeeded: {stderr}");
    assert_eq!(json_of(&paused)["state"], "PAUSED");
    let out = runner.wait_with_output().expect("runner");
    let printed = json_of(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(printed["state"], "PAUSED");
    let names: Vec<&str> = printed["tasks"]
        .as_array()
        .map(|ts| ts.iter().filter_map(|t| t["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, ["one"], "{printed}");
    assert_eq!(printed["tasks"][0]["state"], "SUCCESS");
    // Resume in this process: runs to the end.
    let (code, done, stderr) = s.gale_json(&["resume", "p1"]);
    assert_eq!(code, 0, "{stderr}");
    let done = json_of(&done);
    assert_eq!(done["state"], "SUCCESS");
    assert_eq!(done["tasks"][2]["result"], "done");

    // Cancel while running.
    let runner = s.spawn(&["run", "naps.yaml", "--id", "c1"], true, Stdio::piped());
    std::thread::sleep(Duration::from_millis(400));
    let (code, cancelled, stderr) = s.gale_json(&["cancel", "c1", "-m", "enough"]);
    assert_eq!(code, 0, "cancel succeeded: {stderr}");
    let cancelled = json_of(&cancelled);
    assert_eq!(cancelled["state"], "CANCELLED");
    assert_eq!(cancelled["state_info"], "enough");
    assert_eq!(cancelled["output"]["result"], "enough");
    let out = runner.wait_with_output().expect("runner");
    assert_eq!(
        json_of(&String::from_utf8_lossy(&out.stdout))["state"],
        "CANCELLED"
    );
    // A completed execution cannot be paused.
    let (code, _, stderr) = s.gale(&["pause", "c1"]);
    assert_eq!(code, 1);
    assert!(
        stderr.contains("Can't change workflow execution state"),
        "{stderr}"
    );
}

#[test]
fn break_before_pauses_there_and_resume_continues() {
    let s = Scratch::new("break", "small.yaml", SMALL, "b.db");
    let (code, out, stderr) = s.gale_json(&[
        "run",
        "small.yaml",
        "--id",
        "b1",
        "--break-before",
        "t1",
        "--trace",
    ]);
    assert_eq!(code, 1, "{stderr}");
    let v = json_of(&out);
    assert_eq!(v["state"], "PAUSED");
    assert_eq!(v["tasks"][0]["state"], "IDLE");
    assert_eq!(v["tasks"][0]["state_info"], "Paused by --break-before");
    // `executions show --format json` prints the same object.
    assert_eq!(s.json(&["executions", "show", "b1"]), v);
    let (code, done, stderr) = s.gale_json(&["resume", "b1"]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(json_of(&done)["output"]["double"], 2);
    // The trace has the break, the resume and the task's start and end.
    let trace = s.json(&["trace", "b1"]);
    let events = trace_events(&trace);
    for want in [
        "break",
        "resumed",
        "task-started",
        "action",
        "published",
        "task-completed",
    ] {
        assert!(events.contains(&want), "{want} missing in {events:?}");
    }
    let (code, human, _) = s.gale(&["trace", "b1"]);
    assert_eq!(code, 0);
    assert!(
        human.contains("▶ t1") && human.contains("■ t1 SUCCESS"),
        "{human}"
    );
}

const FAILING: &str = r#"version: '2.0'
main:
  tasks:
    prepare:
      action: std.noop
      on-success: [call]
    call:
      workflow: inner
main2:
  tasks:
    items:
      with-items: d in <% [1, 'x', 2, 'y'] %>
      action: std.test_dict size=<% $.d %>
inner:
  tasks:
    compute:
      action: std.echo output=1
      publish:
        bad: <% $.missing.field %>
"#;

#[test]
fn why_walks_to_the_root_cause_and_rerun_runs_the_failed_task_again() {
    let s = Scratch::new("why", "failing.yaml", FAILING, "w.db");
    let run =
        |workflow, id| s.gale_json(&["run", "failing.yaml", "--workflow", workflow, "--id", id]);
    let (code, out, _) = run("main", "f1");
    assert_eq!(code, 1);
    assert_eq!(json_of(&out)["state"], "ERROR");
    let (code, why, _) = s.gale_json(&["why", "f1"]);
    assert_eq!(code, 0);
    let why = json_of(&why);
    let chain = why["chain"].as_array().expect("chain");
    assert_eq!(chain.len(), 2, "{why}");
    assert_eq!(chain[0]["task"], "call");
    assert_eq!(chain[0]["path"][0]["task"], "prepare");
    assert_eq!(chain[1]["workflow"], "inner");
    let cause = &why["root_cause"];
    assert_eq!(cause["task"], "compute");
    assert!(
        cause["state_info"]
            .as_str()
            .is_some_and(|s| s.contains("missing")),
        "{cause}"
    );
    let (_, human, _) = s.gale(&["why", "f1"]);
    assert!(
        human.contains("root cause:") && human.contains("task compute of workflow inner"),
        "{human}"
    );
    // The tree shows the sub-workflow under its task.
    let tree = s.json(&["executions", "tree", "f1"]);
    assert_eq!(tree["children"][0]["workflow"], "inner");
    assert_eq!(tree["children"][0]["task"], "call");
    // Rerun: only ERROR tasks; --no-reset only for with-items; a rerun runs it again.
    let (code, _, stderr) = s.gale(&["rerun", "f1", "--task", "prepare"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("must be in ERROR for rerun"), "{stderr}");
    let (code, _, stderr) = s.gale(&["rerun", "f1", "--task", "call", "--no-reset"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("Only with-items task has the option to not reset."),
        "{stderr}"
    );
    let (code, again, stderr) = s.gale_json(&["rerun", "f1", "--task", "compute"]);
    assert_eq!(code, 1, "{stderr}");
    let again = json_of(&again);
    assert_eq!(again["state"], "ERROR");
    // with-items --no-reset: only the two failed iterations run again.
    let (code, _, _) = run("main2", "f2");
    assert_eq!(code, 1);
    let (code, again, stderr) = s.gale_json(&["rerun", "f2", "--task", "items", "--no-reset"]);
    assert_eq!(code, 1, "{stderr}");
    let again = json_of(&again);
    assert_eq!(again["tasks"][0]["action_executions"], 6, "{again}");
    assert_eq!(again["tasks"][0]["state"], "ERROR");
}

/// `gale complete` delivers the result of an asynchronous action: the run stops with
/// the task RUNNING, the posted result completes it and the workflow runs on; a
/// second post is refused (the execution is completed), an unknown task is reported.
#[test]
fn complete_delivers_an_async_action_result() {
    const WF: &str = "version: '2.0'\nwf:\n  output:\n    approved: <% $.approved %>\n  tasks:\n    approval:\n      action: std.async_noop\n      publish:\n        approved: <% task().result.approved %>\n      on-success: done\n    done:\n      action: std.echo output='ok'\n";
    let dir = scratch("complete", &[("wf.yaml", WF)]);
    let (code, stdout, _) = gale(&dir, &["run", "wf.yaml", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    let run = json_of(&stdout);
    assert_eq!(run["state"], "RUNNING", "{stdout}");
    let id = run["id"].as_str().expect("id").to_string();

    let (code, _, stderr) = gale(&dir, &["complete", &id, "--task", "nope"]);
    assert_ne!(code, 0);
    assert!(
        stderr.contains("no running asynchronous action"),
        "{stderr}"
    );

    let (code, stdout, stderr) = gale(
        &dir,
        &[
            "complete",
            &id,
            "--task",
            "approval",
            "--output",
            "{\"approved\": true}",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 0, "{stdout}{stderr}");
    let done = json_of(&stdout);
    assert_eq!(done["state"], "SUCCESS", "{stdout}");
    assert_eq!(
        done["output"],
        serde_json::json!({"approved": true}),
        "{stdout}"
    );

    let (code, _, stderr) = gale(&dir, &["complete", &id, "--task", "approval"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("completed"), "{stderr}");
}

/// `gale rerun --env` merges into the environment before the failed task runs
/// again (Mistral's rerun `env`).
#[test]
fn rerun_with_env_runs_the_failed_task_in_the_new_environment() {
    const WF: &str = "version: '2.0'\nenvy:\n  output:\n    quotient: <% $.quotient %>\n  tasks:\n    divide:\n      action: std.echo output=<% 12 / env().divisor %>\n      publish:\n        quotient: <% task().result %>\n";
    let s = Scratch::new("rerun-env", "envy.yaml", WF, "e.db");
    let (code, out, stderr) = s.gale_json(&[
        "run",
        "envy.yaml",
        "--id",
        "e1",
        "--env",
        r#"{"divisor": 0, "keep": "me"}"#,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json_of(&out)["state"], "ERROR");
    let rerun = ["rerun", "e1", "--task", "divide", "--env"];
    let (code, _, stderr) = s.gale(&[&rerun[..], &["[4]"]].concat());
    assert_ne!(code, 0);
    assert!(stderr.contains("--env must be a JSON object"), "{stderr}");
    let (code, out, stderr) = s.gale_json(&[&rerun[..], &[r#"{"divisor": 4}"#]].concat());
    assert_eq!(code, 0, "{stderr}");
    let out = json_of(&out);
    assert_eq!(out["state"], "SUCCESS", "{out}");
    assert_eq!(out["output"]["quotient"], 3, "{out}");
}

/// Five sub-workflow iterations, one at a time; an iteration fails while its `i` is
/// in `env().bad`.
const ITEMS_CONCURRENCY: &str = r#"version: '2.0'
main:
  output:
    r: <% $.r %>
  tasks:
    each:
      with-items: i in <% [0, 1, 2, 3, 4] %>
      concurrency: 1
      workflow: item
      input:
        i: <% $.i %>
      publish:
        r: <% task().result.v %>
item:
  input: [i]
  output:
    v: <% $.i %>
  tasks:
    work:
      action: std.echo
      input:
        output: <% $.i %>
      on-success:
        - fail: <% $.i in env().bad %>
"#;

#[test]
fn rerun_no_reset_runs_the_failed_iterations_within_concurrency() {
    let s = Scratch::new("rerun-items", "items.yaml", ITEMS_CONCURRENCY, "i.db");
    let (code, out, stderr) = s.gale_json(&[
        "run",
        "items.yaml",
        "--id",
        "i1",
        "--trace",
        "--env",
        r#"{"bad": [0, 1, 3]}"#,
    ]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(json_of(&out)["state"], "ERROR");
    let (code, out, stderr) = s.gale_json(&[
        "rerun",
        "i1",
        "--task",
        "each",
        "--no-reset",
        "--env",
        r#"{"bad": []}"#,
    ]);
    assert_eq!(code, 0, "{stderr}");
    let out = json_of(&out);
    assert_eq!(out["state"], "SUCCESS", "{out}");
    assert_eq!(
        out["output"]["r"],
        serde_json::json!([0, 1, 2, 3, 4]),
        "{out}"
    );
    // Only the three failed iterations ran again (5 + 3 executions)...
    assert_eq!(out["tasks"][0]["action_executions"], 8, "{out}");
    // ...one at a time (Mistral's `_get_next_indexes` hands out `capacity`
    // indexes): after the rerun, each iteration's task completes before the next
    // iteration's action starts.
    let trace = s.json(&["trace", "i1"]);
    let steps: Vec<String> = trace
        .as_array()
        .map(|t| {
            t.iter()
                .skip_while(|e| e["event"] != "rerun")
                .filter_map(|e| match e["event"].as_str() {
                    Some("action") => Some(format!("start {}", e["input"]["output"])),
                    Some("task-completed") if e["task"] == "work" => Some("done".into()),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        steps,
        ["start 0", "done", "start 1", "done", "start 3", "done"],
        "{trace}"
    );
}

/// Publishes through `task()` (the current task) and `task(name)` (the latest
/// execution of a named task) after any kill point: resume keeps only `first`
/// resident among the completed tasks (the loop's older `step`s are read by no
/// step) and must still end like an uninterrupted run.
const CURRENT_AND_NAMED: &str = r#"version: '2.0'
named:
  input:
    - n: 8
  output:
    count: <% $.count %>
    first: <% $.first %>
    twice: <% $.twice %>
    last: <% $.last %>
  tasks:
    first:
      action: std.echo output=7
      safe-rerun: true
      publish:
        count: 0
      on-success: [step]
    step:
      action: std.echo
      input:
        output: <% $.count %>
        delay: 0.05
      safe-rerun: true
      publish:
        count: <% task().result + 1 %>
        first: <% task(first).result %>
      on-success:
        - step: <% $.count < $.n %>
        - tail: <% $.count >= $.n %>
    tail:
      action: std.echo
      input:
        output: <% $.count %>
        delay: 0.05
      safe-rerun: true
      publish:
        twice: "{{ task('first').result * 2 }}"
        last: <% task().result + task('first').result %>
      on-success: [end]
    end:
      action: std.noop
"#;

#[test]
fn kill_nine_then_resume_with_task_and_named_task_publishes() {
    let baseline = kill_nine_and_resume("kill-named", "named.yaml", CURRENT_AND_NAMED, 5);
    assert_eq!(baseline["state"], "SUCCESS", "{baseline}");
    assert_eq!(
        baseline["output"],
        serde_json::json!({"count": 8, "first": 7, "twice": 14, "last": 15}),
        "{baseline}"
    );
}

const REPEATED: &str = r#"version: '2.0'
tr:
  tasks:
    a:
      action: std.echo output=1
      publish:
        x: <% task().result %>
        y: <% task().result %>
      on-success: [b]
    b:
      action: std.echo output=2
      publish:
        z: <% task().result %>
        j: "{{ task().result }}"
        k: "{{ task().result }}"
  output:
    z: <% $.z %>
"#;

/// The same expression text written at several places is traced at each of
/// them: its own key and its own line and column.
#[test]
fn trace_names_the_place_of_each_copy_of_a_repeated_expression() {
    let s = Scratch::new("repeated", "tr.yaml", REPEATED, "r.db");
    let (code, _, stderr) = s.gale_json(&["run", "tr.yaml", "--id", "r1", "--trace"]);
    assert_eq!(code, 0, "{stderr}");
    let trace = s.json(&["trace", "r1"]);
    let places: Vec<(String, String, i64, i64)> = trace
        .as_array()
        .into_iter()
        .flatten()
        .filter(|e| e["event"] == "expression")
        .map(|e| {
            (
                e["task"].as_str().unwrap_or("").to_string(),
                e["place"].as_str().unwrap_or("").to_string(),
                e["line"].as_i64().unwrap_or(0),
                e["column"].as_i64().unwrap_or(0),
            )
        })
        .collect();
    let want = [
        ("a", "publish.x", 7, 12),
        ("a", "publish.y", 8, 12),
        ("b", "publish.z", 13, 12),
        ("b", "publish.j", 14, 13),
        ("b", "publish.k", 15, 13),
        ("", "output.z", 17, 8),
    ];
    let want: Vec<(String, String, i64, i64)> = want
        .iter()
        .map(|(t, p, l, c)| (t.to_string(), p.to_string(), *l, *c))
        .collect();
    assert_eq!(places, want, "{trace}");
}

const JOINED: &str = r#"version: '2.0'
joined:
  tasks:
    a:
      action: std.noop
      on-success: [j]
    b:
      action: std.noop
      on-success: [j]
    j:
      join: all
      action: std.noop
"#;

/// `--break-before` names a task that can be held: a typo gets a suggestion, a
/// join task (no before-start policy in Mistral) is refused; nothing starts.
#[test]
fn break_before_refuses_unknown_and_join_tasks() {
    let s = Scratch::new("break-refused", "joined.yaml", JOINED, "bj.db");
    let (code, _, stderr) = s.gale(&["run", "joined.yaml", "--break-before", "jj"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(
        stderr.contains("--break-before: no task `jj`; did you mean `j`?"),
        "{stderr}"
    );
    let (code, _, stderr) = s.gale(&["run", "joined.yaml", "--break-before", "j"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("`j` is a join task"), "{stderr}");
    let (code, out, stderr) = s.gale(&["executions", "list"]);
    assert!(
        code != 0 || !out.contains("joined"),
        "nothing was started: {out}{stderr}"
    );
}

/// Commands that print a lot stop quietly when the reader goes away
/// (`gale explain --list | head`), without a panic.
#[test]
fn a_closed_pipe_is_not_a_crash() {
    use std::io::Read;
    let mut child = Command::new(env!("CARGO_BIN_EXE_gale"))
        .args(["explain", "--markdown"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn gale");
    let mut first = [0u8; 16];
    let mut stdout = child.stdout.take().expect("stdout");
    stdout.read_exact(&mut first).expect("reads");
    drop(stdout);
    let out = child.wait_with_output().expect("waits");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_ne!(out.status.code(), Some(101), "{stderr}");
}
