//! From a learner's change to the green mark, end to end, on the local lab.
//!
//! Every observer runs before the clock starts; the clock starts before a
//! neutral client's POST (the learner's `kubectl apply` in another
//! terminal). For the first lesson's `exists` step (7, demo-sa) and its
//! RoleBinding step (9, decided by the API server's own access review):
//!
//! - floor: a tight loop asking the cluster for the outcome itself (GET the
//!   ServiceAccount; list Pods with demo-sa's token) — the first moment the
//!   API server agrees;
//! - engine: kubetutor's engine in this process, until it reports the step passed;
//! - TUI: kubetutor on a pseudo-terminal, until the Steps pane shows ✓
//!   (a terminal emulator reads its output as it arrives);
//! - kubectl wait: `kubectl wait --for=create`, started before the POST;
//! - 1 s poll: a loop asking the same as the floor once a second.
//!
//! Then cold starts: `kubectl wait` and `kubetutor verify` as fresh processes.
//!
//! Run: cargo bench --bench latency   (needs the lab; about 4 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{TestNamespace, lab, seed};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{DeleteParams, PostParams};
use kube::{Api, Client, Config};
use kubetutor::cluster::request::{self, Identity};
use kubetutor::engine::Engine;
use kubetutor::engine::actor::EngineUpdate;
use kubetutor::lesson::Lesson;
use secrecy::SecretString;
use support::{Tui, header, row, step_marked};

const RUNS: usize = 50;
const TIMEOUT: Duration = Duration::from_secs(10);

/// When each step last turned green (or None while it fails), as the engine reported.
type Marks = Arc<Mutex<Vec<Option<Instant>>>>;

/// What a scenario creates, and how the floor and the poll loop ask for its outcome.
#[derive(Clone, Copy, PartialEq)]
enum Scenario {
    ServiceAccount,
    RoleBinding,
}

impl Scenario {
    fn step(self) -> usize {
        match self {
            Scenario::ServiceAccount => 7,
            Scenario::RoleBinding => 9,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Scenario::ServiceAccount => "exists step (7: ServiceAccount demo-sa)",
            Scenario::RoleBinding => "access step (9: RoleBinding list-pods_demo-sa)",
        }
    }

    fn kubectl_target(self) -> &'static str {
        match self {
            Scenario::ServiceAccount => "serviceaccount/demo-sa",
            Scenario::RoleBinding => "rolebinding/list-pods_demo-sa",
        }
    }
}

struct Bench {
    client: Client,
    config: Config,
    ns: String,
    /// demo-sa's token, for the RoleBinding scenario's floor.
    token: Option<SecretString>,
}

impl Bench {
    /// The outcome as the API server gives it now.
    async fn outcome(&self, scenario: Scenario) -> bool {
        match scenario {
            Scenario::ServiceAccount => {
                Api::<ServiceAccount>::namespaced(self.client.clone(), &self.ns)
                    .get_opt("demo-sa")
                    .await
                    .ok()
                    .flatten()
                    .is_some()
            }
            Scenario::RoleBinding => {
                let token = self.token.clone().expect("a token");
                let path = format!("/api/v1/namespaces/{}/pods", self.ns);
                request::send(
                    &self.config,
                    &Identity::Bearer(token),
                    http::Method::GET,
                    &path,
                    None,
                )
                .await
                .is_ok_and(|r| r.status == 200)
            }
        }
    }

    async fn create(&self, scenario: Scenario) {
        let pp = PostParams::default();
        match scenario {
            Scenario::ServiceAccount => {
                let sa: ServiceAccount = kubetutor::yaml::from_str(seed::demo_sa()).unwrap();
                Api::<ServiceAccount>::namespaced(self.client.clone(), &self.ns)
                    .create(&pp, &sa)
                    .await
                    .unwrap();
            }
            Scenario::RoleBinding => {
                let rb: RoleBinding =
                    kubetutor::yaml::from_str(&seed::role_binding_list_pods(&self.ns)).unwrap();
                Api::<RoleBinding>::namespaced(self.client.clone(), &self.ns)
                    .create(&pp, &rb)
                    .await
                    .unwrap();
            }
        }
    }

    async fn delete(&self, scenario: Scenario) {
        let dp = DeleteParams::default();
        let _ = match scenario {
            Scenario::ServiceAccount => {
                Api::<ServiceAccount>::namespaced(self.client.clone(), &self.ns)
                    .delete("demo-sa", &dp)
                    .await
                    .map(|_| ())
            }
            Scenario::RoleBinding => Api::<RoleBinding>::namespaced(self.client.clone(), &self.ns)
                .delete("list-pods_demo-sa", &dp)
                .await
                .map(|_| ()),
        };
    }
}

#[derive(Default)]
struct Samples {
    floor: Vec<Duration>,
    engine: Vec<Duration>,
    tui: Vec<Duration>,
    kubectl: Vec<Duration>,
    poll: Vec<Duration>,
    /// Runs in which each observer already showed green when the POST returned.
    green_at_return: [usize; 5],
    runs: usize,
}

async fn until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(start.elapsed() < TIMEOUT, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

async fn scenario_runs(
    bench: Arc<Bench>,
    scenario: Scenario,
    marks: &Marks,
    tui: &Tui,
    poll: &Arc<Mutex<(bool, Option<Instant>)>>,
) -> Samples {
    let step = scenario.step();
    let mut samples = Samples::default();
    for _ in 0..RUNS {
        // Start from "not done", seen by every observer.
        bench.delete(scenario).await;
        while bench.outcome(scenario).await {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        until("the engine to see it undone", || {
            marks.lock().unwrap()[step - 1].is_none()
        })
        .await;
        tui.wait(TIMEOUT, "the step undone", move |s| {
            !step_marked(s, step, '✓')
        });
        until("the poll loop to see it undone", || !poll.lock().unwrap().0).await;

        let mut kubectl = std::process::Command::new(lab().bin_dir.join("kubectl"))
            .args([
                "wait",
                "--for=create",
                scenario.kubectl_target(),
                "-n",
                &bench.ns,
                "--timeout=30s",
            ])
            .env("KUBECONFIG", lab().paths.kubeconfig())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        tokio::time::sleep(Duration::from_millis(500)).await; // its watch is open
        tui.arm(move |s| step_marked(s, step, '✓'));
        poll.lock().unwrap().1 = None;
        let floor = {
            let bench = bench.clone();
            tokio::spawn(async move {
                loop {
                    if bench.outcome(scenario).await {
                        return Instant::now();
                    }
                }
            })
        };
        // A random pause, so the 1 s poll loop's phase is random relative to the POST.
        tokio::time::sleep(Duration::from_millis(50 + rand::random::<u64>() % 1000)).await;

        let t0 = Instant::now();
        bench.create(scenario).await;
        let returned = Instant::now();

        let floor_at = tokio::time::timeout(TIMEOUT, floor).await.unwrap().unwrap();
        until("the engine", || marks.lock().unwrap()[step - 1].is_some()).await;
        let engine_at = marks.lock().unwrap()[step - 1].unwrap();
        let tui_at = tui.hit(TIMEOUT).expect("the TUI shows ✓");
        let kubectl_at = tokio::task::spawn_blocking(move || {
            kubectl.wait().unwrap();
            Instant::now()
        })
        .await
        .unwrap();
        until("the poll loop", || poll.lock().unwrap().1.is_some()).await;
        let poll_at = poll.lock().unwrap().1.unwrap();

        let since = |at: Instant| at.saturating_duration_since(t0);
        for (i, at) in [floor_at, engine_at, tui_at, kubectl_at, poll_at]
            .iter()
            .enumerate()
        {
            if *at <= returned {
                samples.green_at_return[i] += 1;
            }
        }
        samples.floor.push(since(floor_at));
        samples.engine.push(since(engine_at));
        samples.tui.push(since(tui_at));
        samples.kubectl.push(since(kubectl_at));
        samples.poll.push(since(poll_at));
        samples.runs += 1;
    }
    samples
}

fn print(scenario: Scenario, s: &Samples) {
    header(&format!(
        "{} — from before the POST to green, {} runs",
        scenario.name(),
        s.runs
    ));
    let share = |i: usize| {
        format!(
            "green when the POST returned: {:>3.0} %",
            s.green_at_return[i] as f64 * 100.0 / s.runs as f64
        )
    };
    row("floor (the API server agrees)", &s.floor, &share(0));
    row("kubetutor engine", &s.engine, &share(1));
    row("kubetutor TUI screen (pty)", &s.tui, &share(2));
    row("kubectl wait --for=create", &s.kubectl, &share(3));
    row("1 s poll loop", &s.poll, &share(4));
    let over: Vec<Duration> = s
        .tui
        .iter()
        .zip(&s.floor)
        .map(|(t, f)| t.saturating_sub(*f))
        .collect();
    row("TUI minus floor, per run", &over, "");
}

fn cold_starts(ns: &str) {
    header("cold start: process start to answer, demo-sa present, 20 runs");
    let mut kubectl = Vec::new();
    let mut verify = Vec::new();
    for _ in 0..20 {
        let t0 = Instant::now();
        let out = std::process::Command::new(lab().bin_dir.join("kubectl"))
            .args([
                "wait",
                "--for=create",
                "serviceaccount/demo-sa",
                "-n",
                ns,
                "--timeout=30s",
            ])
            .env("KUBECONFIG", lab().paths.kubeconfig())
            .output()
            .unwrap();
        assert!(out.status.success());
        kubectl.push(t0.elapsed());
        let t0 = Instant::now();
        let out = std::process::Command::new(common::KUBETUTOR)
            .args(["verify", "-n", ns])
            .env("KUBECONFIG", lab().paths.kubeconfig())
            .output()
            .unwrap();
        assert!(String::from_utf8_lossy(&out.stdout).contains("Create the demo-sa"));
        verify.push(t0.elapsed());
    }
    row("kubectl wait --for=create", &kubectl, "one object");
    row("kubetutor verify", &verify, "all 12 steps of the lesson");
}

#[tokio::main]
async fn main() {
    let config = lab().config().await;
    let client = kubetutor::transport::client(&config).unwrap();
    let ns = TestNamespace::create(&client, "latency").await;
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = Lesson::load(&dir, Some(&ns.name)).unwrap();
    let steps = lesson.steps.len();

    // The engine, as the TUI runs it, in this process.
    let marks: Marks = Arc::new(Mutex::new(vec![None; steps]));
    let engine = Engine::start(lesson, config.clone()).await.unwrap();
    let (_commands, command_rx) = tokio::sync::mpsc::unbounded_channel();
    let (update_tx, mut updates) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(engine.run(command_rx, update_tx));
    {
        let marks = marks.clone();
        tokio::spawn(async move {
            while let Some(update) = updates.recv().await {
                let now = Instant::now();
                let reports = match update {
                    EngineUpdate::Started(r) | EngineUpdate::Steps(r) => r,
                    _ => continue,
                };
                let mut marks = marks.lock().unwrap();
                for report in reports {
                    let mark = &mut marks[report.index];
                    match (report.passed(), *mark) {
                        (true, None) => *mark = Some(now),
                        (false, _) => *mark = None,
                        _ => {}
                    }
                }
            }
        });
    }
    // The TUI, on a terminal of its own.
    let state = common::temp_dir("latency");
    let tui = Tui::start(&lab().paths.kubeconfig(), &ns.name, &state, 160, 48);
    tui.wait(TIMEOUT, "connected", |s| s.contains("│ connected"));

    let mut bench = Arc::new(Bench {
        client: client.clone(),
        config: config.clone(),
        ns: ns.name.clone(),
        token: None,
    });
    println!("kubetutor latency benchmark — {}", support::machine());
    println!("command: cargo bench --bench latency");

    for scenario in [Scenario::ServiceAccount, Scenario::RoleBinding] {
        if scenario == Scenario::RoleBinding {
            // demo-sa exists (the last run made it); the Role too, and a token for the floor.
            let role: Role = kubetutor::yaml::from_str(&seed::role_list_pods(&ns.name)).unwrap();
            Api::<Role>::namespaced(client.clone(), &ns.name)
                .create(&PostParams::default(), &role)
                .await
                .unwrap();
            let token =
                kubetutor::cluster::token::request(&client, &ns.name, "demo-sa", 3600, None)
                    .await
                    .unwrap();
            bench = Arc::new(Bench {
                token: Some(token),
                ..Arc::try_unwrap(bench)
                    .ok()
                    .expect("no other owner between scenarios")
            });
        }
        // A 1 s poll loop, running throughout the scenario.
        let poll = Arc::new(Mutex::new((false, None::<Instant>)));
        let poller = {
            let (bench, poll) = (bench.clone(), poll.clone());
            tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                loop {
                    tick.tick().await;
                    let yes = bench.outcome(scenario).await;
                    let mut state = poll.lock().unwrap();
                    if yes && !state.0 {
                        state.1 = Some(Instant::now());
                    }
                    state.0 = yes;
                }
            })
        };
        let samples = scenario_runs(bench.clone(), scenario, &marks, &tui, &poll).await;
        poller.abort();
        let _ = poller.await;
        print(scenario, &samples);
    }
    cold_starts(&ns.name);
    drop(tui);
    let _ = std::fs::remove_dir_all(state);
}
