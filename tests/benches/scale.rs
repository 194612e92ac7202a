//! The TUI in a namespace of thousands of Pods, and through API server
//! restarts, on a lab of the benchmark's own (so the shared lab is not
//! disturbed): idle CPU over 60 s and resident memory with 0, 1,000 and
//! 5,000 Pods; CPU and memory while 1,000 Pods are created; key → frame with
//! 0 and 5,000 Pods; and ten SIGKILLs of kube-apiserver: from its /readyz
//! answering again to the status bar saying "connected" (every watch listed
//! anew).
//!
//! Run: cargo bench --bench scale   (needs the lab binaries; about 10 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::PostParams;
use kube::{Api, Client};
use kubetutor::lab::LabPaths;
use kubetutor::lab::process::PidRecord;
use support::{Tui, cpu_seconds, header, row, rss_mib};

const NAMESPACE: &str = "scale";
const IDLE: Duration = Duration::from_secs(60);
const SETTLE: Duration = Duration::from_secs(10);

struct OwnLab {
    dir: PathBuf,
}

impl OwnLab {
    fn run(&self, args: &[&str]) {
        let out = common::kubetutor(args, &[("KUBETUTOR_LAB_DIR", self.dir.to_str().unwrap())]);
        assert!(
            out.status.success(),
            "kubetutor {args:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `run`, by a handle that does not stop the lab when dropped.
    fn run_and_forget(self, args: &[&str]) {
        self.run(args);
        std::mem::forget(self);
    }

    fn paths(&self) -> LabPaths {
        LabPaths::new(&self.dir)
    }
}

impl Drop for OwnLab {
    fn drop(&mut self) {
        let _ = common::kubetutor(
            &["lab", "down", "--purge"],
            &[("KUBETUTOR_LAB_DIR", self.dir.to_str().unwrap())],
        );
    }
}

fn pod(i: usize) -> Pod {
    kubetutor::yaml::from_str(&format!(
        "apiVersion: v1
kind: Pod
metadata:
  name: web-{i:05}
  labels: {{app: web}}
spec:
  containers:
  - name: web
    image: busybox
    command: [sleep, '100000']
"
    ))
    .unwrap()
}

/// Creates Pods `from..to`, sixteen requests at a time.
async fn create_pods(client: &Client, from: usize, to: usize) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    futures::stream::iter(from..to)
        .map(|i| {
            let pods = pods.clone();
            async move {
                pods.create(&PostParams::default(), &pod(i)).await.unwrap();
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<()>>()
        .await;
}

fn idle(tui: &Tui, label: &str) {
    std::thread::sleep(SETTLE);
    let before = cpu_seconds(tui.pid());
    std::thread::sleep(IDLE);
    let used = cpu_seconds(tui.pid()) - before;
    println!(
        "  {label:<28} idle CPU {:>6.2} % of a core over {} s   RSS {:>6.1} MiB",
        used / IDLE.as_secs_f64() * 100.0,
        IDLE.as_secs(),
        rss_mib(tui.pid())
    );
}

/// Key → frame: `j` in the cluster pane scrolls it one line, so every key
/// changes the screen; timed from writing the key to the changed screen.
fn key_to_frame(tui: &Tui, label: &str) {
    let mut samples = Vec::new();
    for i in 0..100 {
        let before = tui.text();
        tui.arm(move |s| s != before);
        let t0 = Instant::now();
        tui.keys(if i % 2 == 0 { b"j" } else { b"k" });
        let at = tui
            .hit(Duration::from_secs(5))
            .expect("a frame after the key");
        samples.push(at.saturating_duration_since(t0));
        std::thread::sleep(Duration::from_millis(20));
    }
    row(label, &samples, "");
}

/// Waits until `count` Pods of the namespace are Running (kwok marks them a
/// moment after the scheduler binds them): "idle" means the cluster is quiet.
async fn all_running(client: &Client, count: usize) {
    let pods: Api<Pod> = Api::namespaced(client.clone(), NAMESPACE);
    let params = kube::api::ListParams::default().fields("status.phase=Running");
    loop {
        let running = pods.list_metadata(&params).await.unwrap().items.len();
        if running >= count {
            return;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn pods_shown(screen: &str, count: usize) -> bool {
    screen.contains(&format!("Pods in {NAMESPACE} ({count})"))
}

#[tokio::main]
async fn main() {
    common::lab(); // the shared lab's binaries are this lab's too
    let lab = OwnLab {
        dir: common::temp_dir("scale"),
    };
    lab.run(&["lab", "up"]);
    // One kwok node holds 110 Pods.
    lab.run(&["lab", "nodes", "50"]);
    let config = kubetutor::lab::admin_config(&lab.paths()).await.unwrap();
    let client = kubetutor::transport::client(&config).unwrap();
    let out = std::process::Command::new(common::lab().bin_dir.join("kubectl"))
        .args(["create", "namespace", NAMESPACE])
        .env("KUBECONFIG", lab.paths().kubeconfig())
        .output()
        .unwrap();
    assert!(out.status.success());
    // Pods need the namespace's default ServiceAccount, which the controller-manager makes.
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> =
        Api::namespaced(client.clone(), NAMESPACE);
    while accounts.get_opt("default").await.unwrap().is_none() {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    println!("kubetutor scale benchmark — {}", support::machine());
    println!("command: cargo bench --bench scale");
    let state = common::temp_dir("scale-tui");
    let tui = Tui::start(&lab.paths().kubeconfig(), NAMESPACE, &state, 160, 48);
    tui.wait(Duration::from_secs(20), "connected", |s| {
        s.contains("│ connected")
    });
    // Focus the cluster pane (Lesson → Editor → Cluster).
    tui.keys(b"\t\t");

    println!("\nmemory and CPU");
    idle(&tui, "0 Pods");

    header("key → frame (j/k in the cluster pane), 100 keys");
    key_to_frame(&tui, "0 Pods");

    // 1,000 Pods created while the TUI watches.
    let cpu_before = cpu_seconds(tui.pid());
    let started = Instant::now();
    let mut peak = 0.0f64;
    let creating = tokio::spawn({
        let client = client.clone();
        async move { create_pods(&client, 0, 1000).await }
    });
    while !creating.is_finished() {
        peak = peak.max(rss_mib(tui.pid()));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    creating.await.unwrap();
    let created_in = started.elapsed();
    tui.wait(Duration::from_secs(60), "1000 Pods", |s| {
        pods_shown(s, 1000)
    });
    let shown_in = started.elapsed();
    let used = cpu_seconds(tui.pid()) - cpu_before;
    all_running(&client, 1000).await;
    println!(
        "\n  1,000 Pods created in {:.1} s, all listed on screen after {:.1} s:\n  \
         TUI CPU {:.1} % of a core over that time, peak RSS {:.1} MiB",
        created_in.as_secs_f64(),
        shown_in.as_secs_f64(),
        used / shown_in.as_secs_f64() * 100.0,
        peak.max(rss_mib(tui.pid()))
    );
    idle(&tui, "1,000 Pods");

    create_pods(&client, 1000, 5000).await;
    tui.wait(Duration::from_secs(120), "5000 Pods", |s| {
        pods_shown(s, 5000)
    });
    all_running(&client, 5000).await;
    idle(&tui, "5,000 Pods");
    header("key → frame (j/k in the cluster pane), 100 keys");
    key_to_frame(&tui, "5,000 Pods");

    // A learner who opens the tutor on a namespace that already holds them.
    let fresh_state = common::temp_dir("scale-tui-fresh");
    let started = Instant::now();
    let fresh = Tui::start(&lab.paths().kubeconfig(), NAMESPACE, &fresh_state, 160, 48);
    fresh.wait(Duration::from_secs(60), "5000 Pods", |s| {
        pods_shown(s, 5000)
    });
    println!(
        "\n  started on 5,000 Pods: all listed on screen {:.2} s after the process started",
        started.elapsed().as_secs_f64()
    );
    idle(&fresh, "5,000 Pods, fresh start");
    drop(fresh);
    let _ = std::fs::remove_dir_all(fresh_state);

    // Ten API server restarts.
    let mut recovered = Vec::new();
    let mut noticed = Vec::new();
    for _ in 0..10 {
        let pid = PidRecord::read(&lab.paths().pid_file("kube-apiserver"))
            .expect("the API server's pid file")
            .pid;
        tui.arm(|s| s.contains("reconnecting ("));
        let killed = Instant::now();
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        let seen = tui
            .hit(Duration::from_secs(10))
            .expect("reconnecting shown");
        noticed.push(seen.saturating_duration_since(killed));
        tui.arm(|s| s.contains("│ connected"));
        // `lab up` restarts it; a task notes when /readyz first says ok.
        let readyz = tokio::spawn({
            let client = client.clone();
            async move {
                loop {
                    let request = http::Request::get("/readyz").body(Vec::new()).unwrap();
                    let answer = tokio::time::timeout(
                        Duration::from_millis(200),
                        client.request_text(request),
                    )
                    .await;
                    if matches!(answer, Ok(Ok(ref body)) if body.trim() == "ok") {
                        return Instant::now();
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
            }
        });
        let dir = lab.dir.clone();
        tokio::task::spawn_blocking(move || OwnLab { dir }.run_and_forget(&["lab", "up"]))
            .await
            .unwrap();
        let ready_at = readyz.await.unwrap();
        let connected_at = tui.hit(Duration::from_secs(60)).expect("connected again");
        recovered.push(connected_at.saturating_duration_since(ready_at));
        tui.wait(Duration::from_secs(30), "5000 Pods", |s| {
            pods_shown(s, 5000)
        });
    }
    header("kube-apiserver SIGKILLed, 10 times, 5,000 Pods in the namespace");
    row("kill → \"reconnecting\" on screen", &noticed, "");
    row(
        "/readyz ok → \"connected\" on screen",
        &recovered,
        "every watch listed anew",
    );
    drop(tui);
    let _ = std::fs::remove_dir_all(state);
}
