//! The first answer in a big namespace: with 5,000 Pods in the lesson's
//! namespace, how long after the tutor starts does step 1's check (it reads
//! one Service) appear — before the big Pod list has arrived, or only after?
//!
//! Measured on the shared lab, in a namespace of the benchmark's own whose
//! Pods carry a scheduling gate (they are never scheduled, so they take no
//! room on the lab's kwok nodes and make no events), deleted at the end:
//! - floor: a fresh client (new connection, TLS) GETs the Service — the
//!   first moment the API server itself can answer;
//! - engine, first lists first: `Engine::start` (waits for every scope's
//!   first list, as `verify` does), then step 1 evaluated;
//! - engine, streaming: `Engine::connect` and `run`, until step 1's report;
//! - the TUI: process spawned → step 1's check on screen (the prediction
//!   is answered by the first key, so the check may show).
//!
//! Run: cargo bench --bench first_answer   (needs the lab; about 3 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::time::{Duration, Instant};

use common::{TestNamespace, lab};
use futures::StreamExt;
use k8s_openapi::api::core::v1::{Pod, Service};
use kube::api::PostParams;
use kube::{Api, Client};
use kubetutor::engine::Engine;
use kubetutor::engine::actor::EngineUpdate;
use kubetutor::lesson::Lesson;
use support::{Tui, header, row};

const PODS: usize = 5000;
const RUNS: usize = 10;
/// What the Checks pane says once step 1's field check has answered.
const STEP_ONE_ANSWERED: &str = "spec.ports[0].port is 443";

/// A Pod the scheduler leaves alone (scheduling gate): it stays Pending on
/// no node, as the lab's shared nodes ask of scale tests.
fn gated_pod(i: usize) -> Pod {
    kubetutor::yaml::from_str(&format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: idle-{i:05}
  labels: {{app: idle}}
spec:
  schedulingGates: [{{name: kubetutor.dev/bench}}]
  containers:
  - name: idle
    image: busybox
"
    ))
    .unwrap()
}

async fn create_pods(client: &Client, namespace: &str) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    futures::stream::iter(0..PODS)
        .map(|i| {
            let pods = pods.clone();
            async move {
                pods.create(&PostParams::default(), &gated_pod(i))
                    .await
                    .unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

fn lesson(namespace: &str) -> Lesson {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    Lesson::load(&dir, Some(namespace)).unwrap()
}

#[tokio::main]
async fn main() {
    let config = lab().config().await;
    let client = kubetutor::transport::client(&config).unwrap();
    let ns = TestNamespace::create(&client, "first-answer").await;
    println!("kubetutor first-answer benchmark — {}", support::machine());
    println!("command: cargo bench --bench first_answer");
    println!("tutor: {}", support::tutor_binary().display());
    let created = Instant::now();
    create_pods(&client, &ns.name).await;
    println!(
        "{PODS} gated Pods created in namespace {} in {:.1} s",
        ns.name,
        created.elapsed().as_secs_f64()
    );

    header(&format!(
        "start → step 1 answered, {PODS} Pods in the namespace"
    ));
    let mut floor = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let fresh = kubetutor::transport::client(&config).unwrap();
        Api::<Service>::namespaced(fresh, "default")
            .get("kubernetes")
            .await
            .unwrap();
        floor.push(t0.elapsed());
    }
    row("floor: fresh client GETs the Service", &floor, "");

    let mut listed_first = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let engine = Engine::start(lesson(&ns.name), config.clone())
            .await
            .unwrap();
        let report = engine.evaluate_step(0).await;
        assert!(report.passed(), "{report:?}");
        listed_first.push(t0.elapsed());
    }
    row(
        "engine, every list first",
        &listed_first,
        "as `verify` reads",
    );

    let mut streamed = Vec::new();
    for _ in 0..RUNS {
        let t0 = Instant::now();
        let engine = Engine::connect(lesson(&ns.name), config.clone())
            .await
            .unwrap();
        let (_commands, command_rx) = tokio::sync::mpsc::unbounded_channel();
        let (update_tx, mut updates) = tokio::sync::mpsc::unbounded_channel();
        let running = tokio::spawn(engine.run(command_rx, update_tx));
        'wait: while let Some(update) = updates.recv().await {
            if let EngineUpdate::Started(reports) | EngineUpdate::Steps(reports) = update
                && let Some(report) = reports.iter().find(|r| r.index == 0)
            {
                assert!(report.passed(), "{report:?}");
                break 'wait;
            }
        }
        streamed.push(t0.elapsed());
        running.abort();
    }
    row("engine, streaming (the tutor's)", &streamed, "");

    let mut on_screen = Vec::new();
    for _ in 0..RUNS {
        let state = common::temp_dir("first-answer");
        let t0 = Instant::now();
        let tui = Tui::start(&lab().paths.kubeconfig(), &ns.name, &state, 160, 48);
        tui.arm(|s| s.contains(STEP_ONE_ANSWERED));
        tui.keys(b"1");
        let shown = tui
            .hit(Duration::from_secs(30))
            .expect("step 1's check on screen within 30 s");
        on_screen.push(shown.saturating_duration_since(t0));
        drop(tui);
        let _ = std::fs::remove_dir_all(state);
    }
    row("TUI: spawn → step 1's check on screen", &on_screen, "");
    println!("\ndeleting namespace {} and its Pods", ns.name);
}
