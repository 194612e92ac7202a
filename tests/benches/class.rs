//! The class board with N attendees at mixed steps (30 by default), on the
//! lab: startup (process start to every row decided), idle CPU over 60 s,
//! resident memory, the watches it holds open on the API server and its TCP
//! connections to it, and the time from an attendee's apply (a neutral
//! client's POST with the attendee's own credentials) to their row moving on.
//! The board is drawn at 100×30 for up to 30 attendees, 160×48 above.
//!
//! Run: cargo bench --bench class   (needs the lab; about 3 minutes)
//!      CLASS_ATTENDEES=200 cargo bench --bench class   (needs room for about
//!      260 Pods: `kubetutor lab nodes 3` gives 330; about 6 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use k8s_openapi::api::rbac::v1::RoleBinding;
use kube::Api;
use kube::api::{DeleteParams, PostParams};
use support::{Tui, cpu_seconds, header, row, rss_mib};

/// How many attendees: `CLASS_ATTENDEES`, else 30.
fn attendees() -> usize {
    std::env::var("CLASS_ATTENDEES").map_or(30, |n| {
        n.parse()
            .unwrap_or_else(|_| panic!("CLASS_ATTENDEES={n}: give a number of attendees"))
    })
}

/// Watch requests in flight on the API server (every client's), from its
/// metrics: the board's are the difference it makes.
async fn watches(client: &kube::Client) -> u64 {
    let request = http::Request::get("/metrics").body(Vec::new()).unwrap();
    let text = client.request_text(request).await.expect("/metrics");
    text.lines()
        .filter(|l| {
            l.starts_with("apiserver_longrunning_requests{") && l.contains("verb=\"WATCH\"")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum::<f64>() as u64
}

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

/// The board's line for attendee `number` (numbers padded to `width`).
fn line(screen: &str, class: &str, number: usize, width: usize) -> String {
    let needle = format!("{number:0width$} {class}-{number:02}");
    screen
        .lines()
        .find(|l| l.contains(&needle))
        .unwrap_or_default()
        .to_string()
}

/// The row says the attendee is on step `step` (its number, with or without
/// the title, in the step column).
fn on_step(line: &str, step: usize) -> bool {
    line.contains(&format!(" {step}. "))
}

#[tokio::main]
async fn main() {
    let attendees = attendees();
    let width = attendees.to_string().len().max(2);
    let (cols, rows) = if attendees <= 30 {
        (100, 30)
    } else {
        (160, 48)
    };
    let lab = common::lab();
    let admin_client = lab.client().await;
    let port = lab
        .config()
        .await
        .cluster_url
        .port_u16()
        .expect("the lab's API server port");
    let class = format!("bench{:04x}", rand::random::<u16>());
    let files = common::temp_dir("class-bench").join("files");
    println!("kubetutor class benchmark — {}", support::machine());
    println!("command: CLASS_ATTENDEES={attendees} cargo bench --bench class");
    admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        &attendees.to_string(),
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
    // Four at a time: each solve is a short run of the CLI.
    std::thread::scope(|scope| {
        for lane in 0..4 {
            let kubeconfig = &kubeconfig;
            scope.spawn(move || {
                for n in (1..=attendees).filter(|n| n % 4 == lane) {
                    let through = steps[n % steps.len()];
                    as_attendee(&kubeconfig(n), &["solve", "--through", through]);
                }
            });
        }
    });
    // Attendee 01 is the one whose apply is timed: on step 9, the RoleBinding.
    as_attendee(&kubeconfig(1), &["solve", "--through", "role"]);

    let before = watches(&admin_client).await;
    let state = common::temp_dir("class-bench-state");
    let started = Instant::now();
    let board = Tui::spawn(
        &["class", "board", &class],
        &lab.paths.kubeconfig(),
        &state,
        cols,
        rows,
    );
    let first = format!("{:0width$} {class}-01", 1);
    let heading = format!("{attendees} attendees");
    board.wait(Duration::from_secs(120), "every row decided", |s| {
        s.contains(&first) && s.contains(&heading) && !s.contains("checking")
    });
    let startup = started.elapsed();
    std::thread::sleep(Duration::from_secs(5));
    let held = watches(&admin_client).await.saturating_sub(before);
    let connections = common::connections_to(board.pid(), port);
    let before = cpu_seconds(board.pid());
    std::thread::sleep(IDLE);
    let idle = cpu_seconds(board.pid()) - before;
    println!(
        "\n  {attendees} attendees, board at {cols}×{rows}: startup {:.2} s (process start → every row decided)\n  \
         idle CPU {:.2} % of a core over {} s, RSS {:.1} MiB\n  \
         watches open on the API server: {held}; TCP connections to it: {connections}",
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
    drop(admin_client);
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
            move |s| on_step(&line(s, &c, 1, width), 9),
        );
        let c = class_name.clone();
        board.arm(move |s| on_step(&line(s, &c, 1, width), 10));
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
