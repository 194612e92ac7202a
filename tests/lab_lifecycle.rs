//! `kubetutor lab up | down | status | nodes` on throw-away labs of the tests'
//! own (each its own state folder and ports), so the shared lab keeps running.
//! They run one at a time: each starts a whole control plane.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use common::kubetutor;
use kubetutor::lab::LabPaths;
use kubetutor::lab::process::PidRecord;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// One lab at a time: two control planes starting at once on two cores only
/// make each other slow.
fn one_lab_at_a_time() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// The lab's binaries (built once per machine by `kubetutor lab build`; at once when cached).
fn bin_dir() -> PathBuf {
    use kubetutor::lab::bins::{self, Cache};
    match bins::find().expect("lab binaries") {
        Cache::Built(dir) => dir,
        Cache::NotBuilt(_) => bins::build().expect("building the lab").0,
    }
}

/// Every process whose command line mentions `dir` (a lab's state folder).
fn processes_using(dir: &Path) -> Vec<String> {
    let needle = dir.to_string_lossy().into_owned();
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.chars().all(|c| c.is_ascii_digit()) || name == std::process::id().to_string() {
            continue;
        }
        if let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) {
            let cmdline = String::from_utf8_lossy(&cmdline).replace('\0', " ");
            if cmdline.contains(&needle) {
                found.push(format!("{name}: {cmdline}"));
            }
        }
    }
    found
}

/// `kubetutor ARGS` on the lab in `dir`: (success, stdout, stderr).
fn run(args: &[&str], dir: &Path) -> (bool, String, String) {
    let out = kubetutor(args, &[("KUBETUTOR_LAB_DIR", dir.to_str().unwrap())]);
    text(out)
}

/// A throw-away folder whose lab is stopped and removed however the test ends,
/// so a failed assertion leaves no control plane running.
struct Scratch {
    dir: PathBuf,
    /// The lab's state folder (`dir` itself, or a folder in it).
    state: PathBuf,
    bin: Option<PathBuf>,
}

impl Scratch {
    fn new(prefix: &str) -> Scratch {
        let dir = tempdir(prefix);
        Scratch {
            state: dir.clone(),
            dir,
            bin: None,
        }
    }

    /// A lab in `dir/state` run with the binaries in `bin` (see `linked_bins`).
    fn with_bins(prefix: &str, replace: Option<(&str, &Path)>) -> Scratch {
        let dir = tempdir(prefix);
        let bin = linked_bins(&dir, replace);
        Scratch {
            state: dir.join("state"),
            dir,
            bin: Some(bin),
        }
    }

    fn run(&self, args: &[&str]) -> (bool, String, String) {
        let mut env = vec![("KUBETUTOR_LAB_DIR", self.state.to_str().unwrap())];
        if let Some(bin) = &self.bin {
            env.push(("KUBETUTOR_LAB_BIN", bin.to_str().unwrap()));
        }
        text(kubetutor(args, &env))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        if self.state.exists() {
            let (ok, _, err) = self.run(&["lab", "down", "--purge"]);
            if !ok {
                eprintln!("cleaning up {}: {err}", self.state.display());
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(out: Output) -> (bool, String, String) {
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The lab's own kubectl against the lab in `dir`.
fn kubectl(dir: &Path, args: &[&str]) -> Output {
    std::process::Command::new(bin_dir().join("kubectl"))
        .args(args)
        .env("KUBECONFIG", dir.join("kubeconfig"))
        .output()
        .unwrap()
}

fn assert_api_answers(dir: &Path) {
    let out = kubectl(dir, &["get", "--raw", "/readyz"]);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok", "{out:?}");
}

fn pid_record(dir: &Path, component: &str) -> PidRecord {
    PidRecord::read(&LabPaths::new(dir).pid_file(component))
        .unwrap_or_else(|| panic!("no pid file for {component}"))
}

/// Every port in the lab's lab.json.
fn lab_ports(dir: &Path) -> Vec<u16> {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("lab.json")).unwrap()).unwrap();
    state["ports"]
        .as_object()
        .unwrap()
        .values()
        .map(|p| p.as_u64().unwrap() as u16)
        .collect()
}

/// The status line of one component.
fn status_line<'a>(status: &'a str, component: &str) -> &'a str {
    status
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{component} ")))
        .unwrap_or_else(|| panic!("no line for {component}:\n{status}"))
}

/// The seconds in "NAME ready in X s" (for the figures a run prints).
fn ready_seconds(stderr: &str, component: &str) -> Option<f64> {
    stderr
        .lines()
        .find(|l| l.contains(component) && l.contains("ready in"))?
        .split("ready in ")
        .nth(1)?
        .split(' ')
        .next()?
        .parse()
        .ok()
}

/// Sends `signal` to the running `component` of the lab in `dir`; returns its record.
fn signal(dir: &Path, component: &str, signal: Signal) -> PidRecord {
    let record = pid_record(dir, component);
    assert!(record.is_running(), "{component} should be running");
    kill(Pid::from_raw(record.pid), signal).unwrap();
    record
}

fn wait_gone(record: &PidRecord) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while !record.is_gone() {
        assert!(Instant::now() < deadline, "pid {} did not exit", record.pid);
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn up_is_idempotent_down_leaves_nothing_and_up_works_again() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("lifecycle");
    let dir = lab.state.clone();

    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "first up failed:\n{err}");
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(ok, "status exits 0 when everything serves:\n{status}");
    assert_eq!(status.matches("running, serving").count(), 5, "{status}");
    assert!(
        status.contains("127.0.0.1:") && status.contains("kube-apiserver.log"),
        "{status}"
    );

    let (ok, _, again) = run(&["lab", "up"], &dir);
    assert!(ok, "second up failed:\n{again}");
    assert_eq!(
        again.matches("already running").count(),
        5,
        "second up reuses the lab:\n{again}"
    );
    assert!(again.contains("nothing to start"), "{again}");

    let (ok, _, err) = run(&["lab", "down"], &dir);
    assert!(ok, "down failed:\n{err}");
    assert_eq!(
        processes_using(&dir),
        Vec::<String>::new(),
        "lab down left processes behind"
    );
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(!ok, "status exits non-zero when the lab is stopped");
    assert_eq!(status.matches("stopped").count(), 5, "{status}");

    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up after down failed:\n{err}");
    assert_api_answers(&dir);

    let (ok, _, err) = run(&["lab", "down", "--purge"], &dir);
    assert!(ok, "down --purge failed:\n{err}");
    assert!(processes_using(&dir).is_empty());
    assert!(!dir.exists(), "--purge removes the lab folder");
}

#[test]
fn a_sigtermed_apiserver_is_named_not_serving_and_up_replaces_it() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("sigterm");
    let dir = lab.state.clone();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up failed:\n{err}");

    // It drains for ~30 s with its pid alive; /readyz fails at once.
    let old = signal(&dir, "kube-apiserver", Signal::SIGTERM);
    let signalled = Instant::now();
    let status = loop {
        let (ok, status, _) = run(&["lab", "status"], &dir);
        if status_line(&status, "kube-apiserver").contains("NOT SERVING") {
            assert!(
                !ok,
                "status exits non-zero while a component does not serve"
            );
            break status;
        }
        assert!(
            signalled.elapsed() < Duration::from_secs(10),
            "status never named the SIGTERMed API server:\n{status}"
        );
    };
    eprintln!(
        "figure: status named the SIGTERMed kube-apiserver {:.2} s after the signal",
        signalled.elapsed().as_secs_f64()
    );
    assert!(
        status.contains("└ "),
        "the probe's reason is shown:\n{status}"
    );
    assert!(
        status_line(&status, "etcd").contains("running, serving"),
        "{status}"
    );

    let began = Instant::now();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up after SIGTERM failed:\n{err}");
    eprintln!(
        "figure: up after SIGTERM took {:.1} s (kube-apiserver ready in {:?} s)",
        began.elapsed().as_secs_f64(),
        ready_seconds(&err, "kube-apiserver")
    );
    assert!(
        err.contains("running (pid") && err.contains("but not serving"),
        "up names the API server that does not serve:\n{err}"
    );
    assert_eq!(err.matches("already running").count(), 4, "{err}");
    assert!(err.contains("started kube-apiserver)"), "{err}");
    assert!(old.is_gone(), "the draining API server was stopped");
    assert_ne!(pid_record(&dir, "kube-apiserver").pid, old.pid);
    assert_api_answers(&dir);
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(ok, "{status}");

    purge(&dir);
}

#[test]
fn a_sigkilled_apiserver_is_the_only_component_up_restarts() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("sigkill");
    let dir = lab.state.clone();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up failed:\n{err}");

    let old = signal(&dir, "kube-apiserver", Signal::SIGKILL);
    wait_gone(&old);
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(!ok);
    assert!(
        status_line(&status, "kube-apiserver").contains("stopped"),
        "{status}"
    );

    let began = Instant::now();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up after SIGKILL failed:\n{err}");
    eprintln!(
        "figure: up after SIGKILL took {:.1} s (kube-apiserver ready in {:?} s)",
        began.elapsed().as_secs_f64(),
        ready_seconds(&err, "kube-apiserver")
    );
    assert_eq!(err.matches("starting (pid").count(), 1, "{err}");
    assert_eq!(err.matches("already running").count(), 4, "{err}");
    assert!(err.contains("started kube-apiserver)"), "{err}");
    assert_api_answers(&dir);

    purge(&dir);
}

#[test]
fn a_frozen_etcd_is_judged_by_its_health_not_its_open_port() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("frozen");
    let dir = lab.state.clone();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up failed:\n{err}");
    let out = kubectl(&dir, &["create", "configmap", "kept", "--from-literal=k=v"]);
    assert!(out.status.success(), "{out:?}");

    // SIGSTOP: its pid lives and the kernel still accepts TCP connections on
    // its port, but nothing answers /health.
    let frozen = signal(&dir, "etcd", Signal::SIGSTOP);
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(!ok, "status exits non-zero:\n{status}");
    assert!(
        status_line(&status, "etcd").contains("NOT SERVING"),
        "{status}"
    );

    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up after SIGSTOP of etcd failed:\n{err}");
    assert!(
        err.contains("etcd") && err.contains("but not serving"),
        "up names etcd:\n{err}"
    );
    assert!(frozen.is_gone(), "the frozen etcd was stopped");
    assert_ne!(pid_record(&dir, "etcd").pid, frozen.pid);
    assert_api_answers(&dir);
    let out = kubectl(
        &dir,
        &["get", "configmap", "kept", "-o", "jsonpath={.data.k}"],
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "v", "{out:?}");
    let (ok, status, _) = run(&["lab", "status"], &dir);
    assert!(ok, "{status}");

    purge(&dir);
}

#[test]
fn down_then_up_at_once_keeps_the_data_and_frees_every_port() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("rounds");
    let dir = lab.state.clone();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up failed:\n{err}");
    let out = kubectl(
        &dir,
        &["create", "configmap", "survivor", "--from-literal=round=0"],
    );
    assert!(out.status.success(), "{out:?}");
    let ports = lab_ports(&dir);

    for round in 1..=3 {
        let records: Vec<PidRecord> = kubetutor::lab::Component::ALL
            .iter()
            .map(|c| pid_record(&dir, c.name()))
            .collect();
        let began = Instant::now();
        let (ok, _, err) = run(&["lab", "down"], &dir);
        assert!(ok, "round {round}: down failed:\n{err}");
        let down_took = began.elapsed();
        for record in &records {
            assert!(
                record.is_gone(),
                "round {round}: pid {} ({}) remains after down",
                record.pid,
                record.program.display()
            );
        }
        assert_eq!(processes_using(&dir), Vec::<String>::new(), "round {round}");
        for port in &ports {
            std::net::TcpListener::bind(("127.0.0.1", *port)).unwrap_or_else(|e| {
                panic!("round {round}: port {port} is not free right after down: {e}")
            });
        }

        let began = Instant::now();
        let (ok, _, err) = run(&["lab", "up"], &dir);
        assert!(ok, "round {round}: up right after down failed:\n{err}");
        eprintln!(
            "figure: round {round}: down {:.1} s, up {:.1} s (etcd ready in {:?} s)",
            down_took.as_secs_f64(),
            began.elapsed().as_secs_f64(),
            ready_seconds(&err, "etcd")
        );
        assert_eq!(lab_ports(&dir), ports, "the lab keeps its ports");
        let out = kubectl(
            &dir,
            &[
                "get",
                "configmap",
                "survivor",
                "-o",
                "jsonpath={.data.round}",
            ],
        );
        assert_eq!(
            String::from_utf8_lossy(&out.stdout),
            "0",
            "round {round}: the data survives: {out:?}"
        );
    }
    let etcd_log = std::fs::read_to_string(dir.join("logs/etcd.log")).unwrap();
    assert!(
        !etcd_log.contains("incompatible key usage"),
        "etcd rejected a certificate:\n{etcd_log}"
    );

    // Another process holding etcd's data directory (as the old etcd did in
    // the bug) is named; no etcd is started to hang on it.
    let (ok, _, err) = run(&["lab", "down"], &dir);
    assert!(ok, "{err}");
    let db = std::fs::File::open(dir.join("etcd/member/snap/db")).unwrap();
    let held = nix::fcntl::Flock::lock(db, nix::fcntl::FlockArg::LockExclusiveNonblock)
        .map_err(|(_, e)| e)
        .unwrap();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(
        !ok,
        "up must not start etcd on a locked data directory:\n{err}"
    );
    assert!(
        err.contains("etcd cannot start")
            && err.contains("member/snap/db is locked")
            && err.contains(&format!("pid {}", std::process::id())),
        "{err}"
    );
    assert!(!err.contains("etcd                     starting"), "{err}");
    drop(held);
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up once the lock is gone:\n{err}");

    purge(&dir);
}

#[test]
fn a_component_that_cannot_restart_is_named_and_up_fails() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::with_bins("norestart", None);
    let (ok, _, err) = lab.run(&["lab", "up"]);
    assert!(ok, "up failed:\n{err}");

    let old = signal(&lab.state, "kube-scheduler", Signal::SIGKILL);
    wait_gone(&old);
    // The scheduler's binary now refuses its flags and exits.
    let bin = lab.bin.as_ref().unwrap();
    std::fs::remove_file(bin.join("kube-scheduler")).unwrap();
    std::os::unix::fs::symlink("/bin/cat", bin.join("kube-scheduler")).unwrap();

    let (ok, _, err) = lab.run(&["lab", "up"]);
    assert!(!ok, "up must fail when a component cannot start:\n{err}");
    assert!(
        err.contains("kube-scheduler exited while starting"),
        "names it:\n{err}"
    );
    let (ok, status, _) = lab.run(&["lab", "status"]);
    assert!(!ok);
    assert!(
        status_line(&status, "kube-scheduler").contains("stopped"),
        "{status}"
    );
    assert!(
        status_line(&status, "kube-apiserver").contains("running, serving"),
        "a failed repair keeps what serves:\n{status}"
    );

    let (ok, _, err) = lab.run(&["lab", "down", "--purge"]);
    assert!(ok, "{err}");
    assert_eq!(processes_using(&lab.dir), Vec::<String>::new());
}

#[test]
fn lab_nodes_gives_the_lab_that_many_ready_nodes() {
    let _one = one_lab_at_a_time();
    let lab = Scratch::new("nodes");
    let dir = lab.state.clone();
    let (ok, _, err) = run(&["lab", "up"], &dir);
    assert!(ok, "up failed:\n{err}");

    let (ok, _, err) = run(&["lab", "nodes", "3"], &dir);
    assert!(ok, "lab nodes 3 failed:\n{err}");
    assert!(err.contains("3 kwok nodes Ready"), "{err}");
    assert!(err.contains("room for 330 Pods"), "{err}");
    assert_eq!(
        ready_nodes(&dir),
        ["kwok-node-0", "kwok-node-1", "kwok-node-2"]
    );

    let (ok, _, err) = run(&["lab", "nodes", "1"], &dir);
    assert!(ok, "lab nodes 1 failed:\n{err}");
    assert!(err.contains("removed kwok-node-1, kwok-node-2"), "{err}");
    assert_eq!(ready_nodes(&dir), ["kwok-node-0"]);

    purge(&dir);
}

/// Names of the nodes whose Ready condition is True, sorted.
fn ready_nodes(dir: &Path) -> Vec<String> {
    let out = kubectl(
        dir,
        &[
            "get",
            "nodes",
            "-o",
            r#"jsonpath={range .items[*]}{.metadata.name} {.status.conditions[?(@.type=="Ready")].status}{"\n"}{end}"#,
        ],
    );
    assert!(out.status.success(), "{out:?}");
    let mut names: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_suffix(" True").map(str::to_owned))
        .collect();
    names.sort();
    names
}

#[test]
fn a_component_that_exits_is_named_with_the_tail_of_its_log() {
    let _one = one_lab_at_a_time();
    // The real binaries, except a kube-scheduler that refuses its flags and exits,
    // after etcd, the API server and the controller-manager have started.
    // (`cat` stands in: a real program failing with a real message.)
    let lab = Scratch::with_bins("crash", Some(("kube-scheduler", Path::new("/bin/cat"))));

    let (ok, _, stderr) = lab.run(&["lab", "up"]);
    assert!(!ok);
    assert!(
        stderr.contains("kube-scheduler exited while starting"),
        "{stderr}"
    );
    assert!(
        stderr.contains("unrecognized option '--bind-address=127.0.0.1'"),
        "log tail: {stderr}"
    );
    assert!(
        stderr.contains("kube-apiserver           ready"),
        "the failure came late: {stderr}"
    );
    assert_eq!(
        processes_using(&lab.dir),
        Vec::<String>::new(),
        "a failed up stops the components it started"
    );
}

#[test]
fn missing_binaries_say_how_to_build_them() {
    let dir = tempdir("nobin");
    let out = kubetutor(
        &["lab", "up"],
        &[
            ("KUBETUTOR_LAB_DIR", dir.to_str().unwrap()),
            ("KUBETUTOR_LAB_BIN", dir.join("empty").to_str().unwrap()),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(
        stderr.contains("lacks etcd") && stderr.contains("kubetutor lab build"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `dir/bin`: a symlink to each real lab artifact, or to `replace`'s target
/// for the one it names.
fn linked_bins(dir: &Path, replace: Option<(&str, &Path)>) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let real = bin_dir();
    for artifact in kubetutor::lab::bins::ARTIFACTS {
        let target = match replace {
            Some((name, target)) if name == *artifact => target.to_path_buf(),
            _ => real.join(artifact),
        };
        std::os::unix::fs::symlink(target, bin.join(artifact)).unwrap();
    }
    bin
}

fn purge(dir: &Path) {
    let (ok, _, err) = run(&["lab", "down", "--purge"], dir);
    assert!(ok, "down --purge failed:\n{err}");
    assert_eq!(processes_using(dir), Vec::<String>::new());
}

fn tempdir(prefix: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "kubetutor-test-{prefix}-{:08x}",
        rand::random::<u32>()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
