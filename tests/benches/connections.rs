//! How gentle kubetutor is on a shared API server: the TCP connections to it
//! held by one tutor (the TUI on the first lesson), by `class board` for 30
//! attendees, and by 30 tutors at once, counted from /proc (each process's
//! sockets matched against /proc/net/tcp*) once they have settled; for the
//! default transport (HTTP/2, every request multiplexed), for
//! `KUBETUTOR_HTTP1=1` (HTTP/1.1: one connection per request in flight, what
//! kube-rs alone does) and, when `CONNECTIONS_BEFORE` names another build of
//! kubetutor (e.g. one from before the HTTP/2 transport), for that build.
//! Then, on a lab of the benchmark's own, five SIGKILLs of kube-apiserver
//! with a tutor open: from /readyz answering again to "connected" on screen.
//!
//! Run: cargo bench --bench connections   (needs the lab; about 10 minutes)

#[path = "../common/mod.rs"]
mod common;
mod support;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use common::connections_to;
use kubetutor::lab::LabPaths;
use kubetutor::lab::process::PidRecord;
use support::{Tui, header, row};

const TUTORS: usize = 30;
const ATTENDEES: usize = 30;
const RESTARTS: usize = 5;
/// After the screen says connected (or every row is decided): time for
/// every watch to be open, so the count is what an idle tutor holds.
const SETTLE: Duration = Duration::from_secs(5);
const WAIT: Duration = Duration::from_secs(90);

struct Variant {
    name: String,
    program: PathBuf,
    env: Vec<(&'static str, &'static str)>,
}

fn variants() -> Vec<Variant> {
    let this = support::tutor_binary();
    let mut all = vec![
        Variant {
            name: "HTTP/2 (default)".into(),
            program: this.clone(),
            env: vec![],
        },
        Variant {
            name: "KUBETUTOR_HTTP1=1".into(),
            program: this,
            env: vec![("KUBETUTOR_HTTP1", "1")],
        },
    ];
    if let Ok(before) = std::env::var("CONNECTIONS_BEFORE") {
        all.push(Variant {
            name: format!("before ({before})"),
            program: before.into(),
            env: vec![],
        });
    }
    all
}

fn connected(screen: &str) -> bool {
    screen.contains("│ connected")
}

fn tutor(variant: &Variant, kubeconfig: &Path, namespace: &str, state: &Path) -> Tui {
    Tui::spawn_as(
        &variant.program,
        &variant.env,
        &["-n", namespace],
        kubeconfig,
        state,
        160,
        48,
    )
}

fn admin(args: &[&str]) {
    let kubeconfig = common::lab().paths.kubeconfig();
    let out = common::kubetutor(args, &[("KUBECONFIG", kubeconfig.to_str().unwrap())]);
    assert!(
        out.status.success(),
        "kubetutor {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::main]
async fn main() {
    let lab = common::lab();
    let client = lab.client().await;
    let config = lab.config().await;
    let port = config
        .cluster_url
        .port_u16()
        .expect("the lab's API server port");
    let kubeconfig = lab.paths.kubeconfig();
    println!("kubetutor connections benchmark — {}", support::machine());
    println!("command: cargo bench --bench connections");
    let variants = variants();
    let mut table: Vec<(String, Vec<usize>)> = Vec::new();

    // One tutor.
    let namespace = common::TestNamespace::create(&client, "conn").await;
    let mut counts = Vec::new();
    for variant in &variants {
        let state = common::temp_dir("conn-state");
        let tui = tutor(variant, &kubeconfig, &namespace.name, &state);
        tui.wait(WAIT, "connected", connected);
        std::thread::sleep(SETTLE);
        counts.push(connections_to(tui.pid(), port));
        drop(tui);
        let _ = std::fs::remove_dir_all(state);
    }
    table.push(("one tutor".into(), counts));
    drop(namespace);

    // Thirty tutors at once, each in its own namespace.
    let mut namespaces = Vec::new();
    for _ in 0..TUTORS {
        namespaces.push(common::TestNamespace::create(&client, "conn").await);
    }
    let mut counts = Vec::new();
    for variant in &variants {
        let state = common::temp_dir("conn-state");
        let tuis: Vec<Tui> = namespaces
            .iter()
            .map(|ns| tutor(variant, &kubeconfig, &ns.name, &state))
            .collect();
        for tui in &tuis {
            tui.wait(WAIT, "connected", connected);
        }
        std::thread::sleep(SETTLE);
        counts.push(tuis.iter().map(|t| connections_to(t.pid(), port)).sum());
        drop(tuis);
        let _ = std::fs::remove_dir_all(state);
    }
    table.push((format!("{TUTORS} tutors at once (sum)"), counts));
    drop(namespaces);

    // The class board.
    let class = format!("conn{:04x}", rand::random::<u16>());
    let files = common::temp_dir("conn-class").join("files");
    admin(&[
        "class",
        "create",
        &class,
        "--attendees",
        &ATTENDEES.to_string(),
        "--out",
        files.to_str().unwrap(),
    ]);
    let last = format!("{ATTENDEES:02} {class}-{ATTENDEES:02}");
    let mut counts = Vec::new();
    for variant in &variants {
        let state = common::temp_dir("conn-state");
        let board = Tui::spawn_as(
            &variant.program,
            &variant.env,
            &["class", "board", &class],
            &kubeconfig,
            &state,
            180,
            48,
        );
        board.wait(WAIT, "every row decided", |s| {
            s.contains(&last) && !s.contains("checking")
        });
        std::thread::sleep(SETTLE);
        counts.push(connections_to(board.pid(), port));
        drop(board);
        let _ = std::fs::remove_dir_all(state);
    }
    table.push((format!("class board, {ATTENDEES} attendees"), counts));
    admin(&["class", "delete", &class]);
    let _ = std::fs::remove_dir_all(files.parent().unwrap());

    println!("\nTCP connections to the API server (established, after {SETTLE:?} settled)");
    print!("  {:<34}", "");
    for variant in &variants {
        print!(" {:>20}", variant.name);
    }
    println!();
    for (what, counts) in &table {
        print!("  {what:<34}");
        for count in counts {
            print!(" {count:>20}");
        }
        println!();
    }

    restarts().await;
}

/// A tutor through API server SIGKILLs, on a lab of the benchmark's own.
async fn restarts() {
    let dir = common::temp_dir("conn-lab");
    let own = |args: &[&str]| {
        let out = common::kubetutor(args, &[("KUBETUTOR_LAB_DIR", dir.to_str().unwrap())]);
        assert!(
            out.status.success(),
            "kubetutor {args:?}:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    own(&["lab", "up"]);
    let paths = LabPaths::new(&dir);
    let config = kubetutor::lab::admin_config(&paths).await.unwrap();
    let client = kubetutor::transport::client(&config).unwrap();
    // Not a TestNamespace: that one is deleted from the shared lab.
    let namespace = "conn-restarts";
    let mut object = k8s_openapi::api::core::v1::Namespace::default();
    object.metadata.name = Some(namespace.into());
    kube::Api::<k8s_openapi::api::core::v1::Namespace>::all(client.clone())
        .create(&Default::default(), &object)
        .await
        .unwrap();
    let state = common::temp_dir("conn-state");
    let tui = Tui::start(&paths.kubeconfig(), namespace, &state, 160, 48);
    tui.wait(WAIT, "connected", connected);
    let mut recovered = Vec::new();
    for _ in 0..RESTARTS {
        let pid = PidRecord::read(&paths.pid_file("kube-apiserver"))
            .expect("the API server's pid file")
            .pid;
        tui.arm(|s| s.contains("reconnecting ("));
        nix::sys::signal::kill(
            nix::unistd::Pid::from_raw(pid),
            nix::sys::signal::Signal::SIGKILL,
        )
        .unwrap();
        tui.hit(Duration::from_secs(10))
            .expect("reconnecting shown");
        tui.arm(connected);
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
        own(&["lab", "up"]);
        let ready_at = readyz.await.unwrap();
        let connected_at = tui.hit(Duration::from_secs(60)).expect("connected again");
        recovered.push(connected_at.saturating_duration_since(ready_at));
    }
    header(&format!(
        "kube-apiserver SIGKILLed {RESTARTS} times, a tutor open (HTTP/2)"
    ));
    row("/readyz ok → \"connected\" on screen", &recovered, "");
    drop(tui);
    own(&["lab", "down", "--purge"]);
    let _ = std::fs::remove_dir_all(state);
}
