//! `lab down` on a real-node lab touches only what the lab made (issue 24):
//! another program's firewall chain (named like kube-proxy's), cgroup (a
//! `kubepods` outside the lab's own cgroup) and process (whose command line
//! names the lab's containerd socket) are all still there after it, while the
//! lab's own processes, cgroups and chains are gone.
//!
//! A test binary of its own: one real node at a time on a machine (one bridge
//! name), and cargo runs test binaries one after another. Skipped where the
//! machine cannot run a real node, as tests/real_node.rs is.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use common::real_lab::{RealLab, say, skip_reason, text, toolbox_image};
use common::temp_dir;

/// What another program keeps on the machine, made by the test and removed
/// by it whatever the outcome.
struct Foreign {
    /// A nat chain of a kube-proxy Service chain's shape.
    chain: String,
    /// `<hierarchy>/kubepods/kt-foreign-<pid>`.
    cgroup: PathBuf,
    /// Whether the test made `<hierarchy>/kubepods` too (else it was there).
    made_kubepods: bool,
    /// A shell whose command line names the lab's containerd socket.
    process: Child,
}

impl Foreign {
    fn make(socket: &Path) -> Foreign {
        let id = std::process::id();
        let chain = format!("KUBE-SVC-KTFOREIGN{id}");
        iptables(&["-t", "nat", "-N", &chain]);
        let hierarchy = [
            "/sys/fs/cgroup/pids",
            "/sys/fs/cgroup/memory",
            "/sys/fs/cgroup",
        ]
        .into_iter()
        .map(PathBuf::from)
        .find(|h| h.join("cgroup.procs").exists())
        .expect("a cgroup hierarchy");
        let kubepods = hierarchy.join("kubepods");
        let made_kubepods = !kubepods.exists();
        let cgroup = kubepods.join(format!("kt-foreign-{id}"));
        fs::create_dir_all(&cgroup).unwrap();
        let process = Command::new("sh")
            .args(["-c", "while :; do sleep 1; done"])
            .arg(socket)
            .stdin(Stdio::null())
            .spawn()
            .unwrap();
        Foreign {
            chain,
            cgroup,
            made_kubepods,
            process,
        }
    }

    fn chain_exists(&self) -> bool {
        Command::new("iptables")
            .args(["-w", "-t", "nat", "-n", "-L", &self.chain])
            .output()
            .is_ok_and(|o| o.status.success())
    }

    fn process_runs(&mut self) -> bool {
        matches!(self.process.try_wait(), Ok(None))
    }
}

impl Drop for Foreign {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
        let _ = fs::remove_dir(&self.cgroup);
        if self.made_kubepods {
            let _ = fs::remove_dir(self.cgroup.parent().unwrap());
        }
        let _ = Command::new("iptables")
            .args(["-w", "-t", "nat", "-X", &self.chain])
            .output();
    }
}

fn iptables(args: &[&str]) {
    let out = Command::new("iptables")
        .arg("-w")
        .args(args)
        .output()
        .unwrap();
    assert!(out.status.success(), "iptables {args:?}: {}", text(&out));
}

/// Every process in the lab's cgroup `parent` (the tracking hierarchy's
/// `daemons` leaf, wherever it is mounted).
fn lab_processes(parent: &str) -> Vec<i32> {
    let mut tops: Vec<PathBuf> = fs::read_dir("/sys/fs/cgroup")
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    tops.push("/sys/fs/cgroup".into());
    tops.iter()
        .filter_map(|t| fs::read_to_string(t.join(parent).join("daemons/cgroup.procs")).ok())
        .flat_map(|s| s.lines().filter_map(|l| l.parse().ok()).collect::<Vec<_>>())
        .collect()
}

/// Whether a process still runs: its /proc entry is there and it is not a
/// zombie (a killed shim whose parent, the machine's init, has not reaped it
/// yet keeps its entry, with state Z and an empty command line).
fn runs(pid: i32) -> bool {
    fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        // "pid (comm) S …": the state follows the last ')'.
        stat.rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().next())
            .is_some_and(|state| state != "Z" && state != "X")
    })
}

fn cmdline(pid: i32) -> String {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).replace('\0', " "))
        .unwrap_or_default()
}

#[test]
fn lab_down_leaves_what_the_lab_did_not_make() {
    if let Some(reason) = skip_reason() {
        say(&format!("SKIPPED: {reason}"));
        return;
    }
    let lab = RealLab {
        dir: temp_dir("real-node-down"),
    };
    let up = lab.kubetutor(&["lab", "up", "--real-node"]);
    assert!(up.status.success(), "lab up --real-node:\n{}", text(&up));
    // A Pod, so that containerd has a shim (not its child) for down to stop.
    let image = toolbox_image(&up);
    lab.kubectl_ok(
        &[
            "run",
            "down-probe",
            "--image",
            &image,
            "--image-pull-policy=Never",
            "--",
            "sleep",
            "3600",
        ],
        None,
    );
    lab.kubectl_ok(
        &[
            "wait",
            "--for=condition=Ready",
            "pod/down-probe",
            "--timeout=120s",
        ],
        None,
    );

    // A second real-node lab on this machine is refused before it starts
    // anything: it would share the bridge and its address, and its `lab down`
    // would take them from this one.
    let second = RealLab {
        dir: temp_dir("real-node-second"),
    };
    let refused = second.kubetutor(&["lab", "up", "--real-node"]);
    let refused_text = text(&refused);
    assert!(
        !refused.status.success()
            && refused_text.contains("another lab's real node runs on this machine")
            && refused_text.contains(&format!(
                "{}",
                fs::canonicalize(&lab.dir).unwrap().display()
            )),
        "a second lab up --real-node beside a running one:\n{refused_text}"
    );
    let purge = second.kubetutor(&["lab", "down", "--purge"]);
    assert!(
        purge.status.success(),
        "lab down --purge of the refused lab:\n{}",
        text(&purge)
    );
    lab.kubectl_ok(
        &[
            "wait",
            "--for=condition=Ready",
            "pod/down-probe",
            "--timeout=30s",
        ],
        None,
    );

    let socket = lab.dir.join("node/containerd/containerd.sock");
    let mut foreign = Foreign::make(&socket);
    let made: Option<serde_json::Value> = fs::read_to_string(lab.dir.join("node/made.json"))
        .ok()
        .and_then(|t| serde_json::from_str(&t).ok());
    let parent = made
        .as_ref()
        .and_then(|m| m["cgroup_parent"].as_str())
        .map(String::from);
    let shims: Vec<i32> = parent
        .as_deref()
        .map(lab_processes)
        .unwrap_or_default()
        .into_iter()
        .filter(|pid| cmdline(*pid).contains("containerd-shim"))
        .collect();

    let down = lab.kubetutor(&["lab", "down"]);
    let down_text = text(&down);
    let (chain, cgroup, process) = (
        foreign.chain_exists(),
        foreign.cgroup.is_dir(),
        foreign.process_runs(),
    );
    assert!(
        chain && cgroup && process,
        "after lab down, another program's chain nat/{} is there: {chain}; its cgroup {} is \
         there: {cgroup}; its process naming the socket runs: {process}\n{down_text}",
        foreign.chain,
        foreign.cgroup.display()
    );
    assert!(down.status.success(), "lab down:\n{down_text}");

    // And what the lab made is gone.
    let parent = parent.expect("lab up --real-node records what it makes in node/made.json");
    assert!(
        !shims.is_empty(),
        "containerd's shim runs in the lab's cgroup"
    );
    for pid in &shims {
        assert!(
            !runs(*pid),
            "shim {pid} still runs after lab down: {}",
            cmdline(*pid)
        );
    }
    let left: Vec<PathBuf> = fs::read_dir("/sys/fs/cgroup")
        .unwrap()
        .flatten()
        .map(|e| e.path().join(&parent))
        .chain([Path::new("/sys/fs/cgroup").join(&parent)])
        .filter(|p| p.exists())
        .collect();
    assert!(
        left.is_empty(),
        "the lab's cgroups after lab down: {left:?}"
    );
    let before = &made.unwrap()["chains_before"]["iptables-save"]["nat"];
    let had_services = before
        .as_array()
        .is_some_and(|a| a.iter().any(|c| c == "KUBE-SERVICES"));
    let nat = Command::new("iptables-save")
        .args(["-t", "nat"])
        .output()
        .unwrap();
    let nat = String::from_utf8_lossy(&nat.stdout);
    assert!(
        had_services || !nat.contains(":KUBE-SERVICES "),
        "kube-proxy's chains after lab down:\n{nat}"
    );
    say("lab down: another program's chain, cgroup and process kept; the lab's own removed");
    drop(foreign);
}
