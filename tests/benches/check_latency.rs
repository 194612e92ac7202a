//! From an apply returning to the check turning green: kubetutor's watch-driven
//! engine, `kubectl wait` on the same condition, and a verify loop that polls
//! every second. 50 runs each on the local lab; prints median and p95.
//!
//! Run: cargo bench --bench check_latency

#[path = "../common/mod.rs"]
mod common;

use std::process::Command;
use std::time::{Duration, Instant};

use common::{TestNamespace, lab};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::Api;
use kubetutor::engine::Engine;
use kubetutor::lesson::model::{Check, ObjectCheck};
use kubetutor::lesson::{Lesson, Step};

const RUNS: usize = 50;
const SA: &str = "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: bench-sa\n";

fn lesson(namespace: &str) -> Lesson {
    let check = Check::Exists(ObjectCheck {
        kind: "ServiceAccount".into(),
        name: "bench-sa".into(),
        namespace: None,
        hint: None,
    });
    Lesson {
        id: "bench".into(),
        title: "bench".into(),
        summary: String::new(),
        namespace: namespace.into(),
        owns: Vec::new(),
        steps: vec![Step {
            id: "sa".into(),
            title: "sa".into(),
            text: String::new(),
            template: None,
            solution: None,
            action: None,
            checks: vec![check],
        }],
        dir: ".".into(),
    }
}

fn stats(name: &str, mut samples: Vec<Duration>, baseline: Option<Duration>) -> Duration {
    samples.sort();
    let median = samples[samples.len() / 2];
    let p95 = samples[(samples.len() * 95).div_ceil(100) - 1];
    let ratio = baseline
        .map(|b| {
            format!(
                "  ({:.0}× the watch)",
                median.as_secs_f64() / b.as_secs_f64()
            )
        })
        .unwrap_or_default();
    println!(
        "  {name:<22} median {:>8.2} ms   p95 {:>8.2} ms{ratio}",
        ms(median),
        ms(p95)
    );
    median
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main]
async fn main() {
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "bench").await;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &ns.name);
    let mut engine = Engine::start(lesson(&ns.name), lab().config().await)
        .await
        .unwrap();
    let kubectl = lab().bin_dir.join("kubectl");
    let kubeconfig = lab().paths.kubeconfig();

    // Each run starts from "absent".
    let reset = || {
        let out = lab().kubectl(
            &[
                "delete",
                "serviceaccount",
                "bench-sa",
                "-n",
                &ns.name,
                "--ignore-not-found",
                "--wait=true",
            ],
            None,
        );
        assert!(out.status.success());
    };

    let (mut watch, mut wait, mut poll) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..RUNS {
        reset();
        // The engine's store must have seen the deletion before the next apply.
        while engine.evaluate_step(0).await.passed() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        engine.apply(SA).await.unwrap();
        let t0 = Instant::now();
        engine
            .wait_until_passed(0, Duration::from_secs(10))
            .await
            .unwrap();
        watch.push(t0.elapsed());

        reset();
        engine.apply(SA).await.unwrap();
        let t0 = Instant::now();
        let status = Command::new(&kubectl)
            .args([
                "wait",
                "--for=create",
                "serviceaccount/bench-sa",
                "-n",
                &ns.name,
                "--timeout=30s",
            ])
            .env("KUBECONFIG", &kubeconfig)
            .output()
            .unwrap()
            .status;
        assert!(status.success());
        wait.push(t0.elapsed());

        reset();
        engine.apply(SA).await.unwrap();
        let t0 = Instant::now();
        // A loop polling every second is, at the moment of the apply, somewhere
        // in its second: spread the phase evenly over the runs.
        tokio::time::sleep(Duration::from_millis((run as u64 * 1000) / RUNS as u64)).await;
        while accounts.get_opt("bench-sa").await.unwrap().is_none() {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        poll.push(t0.elapsed());
    }

    println!(
        "check latency: apply returned → check green ({RUNS} runs each, ServiceAccount exists)"
    );
    let base = stats("kubetutor (watch)", watch, None);
    stats("kubectl wait", wait, Some(base));
    stats("verify loop, 1 s poll", poll, Some(base));
}
