//! The class board with 30 attendees at mixed steps, on the shared lab:
//! startup (process start to every row decided), idle CPU over 60 s and
//! resident memory, and the time from an attendee's apply (a neutral
//! client's POST with the attendee's own credentials) to their row moving on.
//!
//! Run: cargo bench --bench class   (needs the lab; about 3 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use support::{Tui, cpu_seconds, header, row, rss_mib};

const ATTENDEES: usize = 30;
const RUNS: usize = 20;
const IDLE: Duration = Duration::from_secs(60);

fn admin(args: &[&str]) {
    let kubeconfig = common::lab().paths.kubeconfig();
    let out = common::kubetutor(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    assert!(
        out.status.success(),
        "kubetutor {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn as_attendee(kubeconfig: &Path, args: &[&str]) {
    let out = common::kubetutor(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    assert!(
        out.status.success(),
        "kubetutor {args:?}: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

/// The board's line for attendee `number`.
fn line(screen: &str, class: &str, number: usize) -> String {
    let needle = format!("{number:02} {class}-{number:02}");
    screen
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_default()
        .to_string()
}

#[tokio::main]
async fn main() {
    common::lab();
    let class = format!("bench{:04x}", rand::random::<u16>());
    let files = common::temp_dir("class-bench").join("files");
    println!("kubetutor class benchmark — {}", support::machine());
    println!("command: cargo bench --bench class");
    admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        &ATTENDEES.to_string(),
        "--out",
        files.to_str().unwrap(),
    ]);
    let kubeconfig = |n: usize| files.join(format!("attendee-{n:02}.kubeconfig"));
    // Mixed steps: attendee n has solved through a step that depends on n.
    let steps = [
        "pod-default",
        "default-token-call",
        "demo-sa",
        "role",
        "rolebinding",
        "pod-demo-sa",
        "takeaways",
    ];
    for n in 1..=ATTENDEES {
        let through = steps[n % steps.len()];
        as_attendee(&kubeconfig(n), &["solve", "--through", through]);
    }
    // Attendee 01 is the one whose apply is timed: on step 9, the RoleBinding.
    as_attendee(&kubeconfig(1), &["solve", "--through", "role"]);

    let state = common::temp_dir("class-bench-state");
    let started = Instant::now();
    let board = Tui::spawn(
        &["class", "board", &class],
        &common::lab().paths.kubeconfig(),
        &state,
        180,
        48,
    );
    let last = format!("{ATTENDEES:02} {class}-{ATTENDEES:02}");
    board.wait(Duration::from_secs(60), "every row decided", |s| {
        s.contains(&last) && !s.contains("checking") && !s.contains("…")
    });
    let startup = started.elapsed();
    std::thread::sleep(Duration::from_secs(5));
    let before = cpu_seconds(board.pid());
    std::thread::sleep(IDLE);
    let idle = cpu_seconds(board.pid()) - before;
    println!(
        "\n  {ATTENDEES} attendees: board startup {:.2} s (process start → every row decided)\n  \
         idle CPU {:.2} % of a core over {} s, RSS {:.1} MiB",
        startup.as_secs_f64(),
        idle / IDLE.as_secs_f64() * 100.0,
        IDLE.as_secs(),
        rss_mib(board.pid())
    );

    // The attendee's apply, with their own credentials.
    let config = kube::Config::from_custom_kubeconfig(
        kube::config::Kubeconfig::read_from(kubeconfig(1)).unwrap(),
        &Default::default(),
    )
    .await
    .unwrap();
    let client = kubetutor::transport::client(&config).unwrap();
    let namespace = format!("{class}-01");
    let bindings: Api<RoleBinding> = Api::namespaced(client, &namespace);
    let binding: RoleBinding =
        kubetutor::yaml::from_str(&common::seed::role_binding_list_pods(&namespace)).unwrap();
    let mut samples = Vec::new();
    let class_name = class.clone();
    for _ in 0..RUNS {
        let _ = bindings
            .delete("list-pods_demo-sa", &DeleteParams::default())
            .await;
        let c = class_name.clone();
        board.wait(
            Duration::from_secs(10),
            "attendee 01 back on step 9",
            move |s| line(s, &c, 1).contains("9. Bind the Role"),
        );
        let c = class_name.clone();
        board.arm(move |s| line(s, &c, 1).contains("10. A Pod that runs as demo-sa"));
        tokio::time::sleep(Duration::from_millis(200 + rand::random::<u64>() % 300)).await;
        let t0 = Instant::now();
        bindings
            .create(&PostParams::default(), &binding)
            .await
            .unwrap();
        let at = board
            .hit(Duration::from_secs(10))
            .expect("the row moves on");
        samples.push(at.saturating_duration_since(t0));
    }
    header(&format!(
        "an attendee's RoleBinding → their row moves on (step 9 ✓), {RUNS} runs"
    ));
    row("board screen (pty)", &samples, "");
    drop(board);
    admin(&["class", "delete", &class]);
    let _ = std::fs::remove_dir_all(state);
    let _ = std::fs::remove_dir_all(files.parent().unwrap());
}
