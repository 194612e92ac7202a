//! What a stopped real node leaves on the machine, removed: its containers
//! (runc state in the lab folder), containerd's shims (started with our
//! socket's address), mounts under the lab folder, the kubelet's cgroups.
//! Everything is found by the lab's own paths, never by a process name.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

use super::NodeBuild;

/// Force-deletes every container in our runc root, then kills the shims
/// that served our containerd. Returns what could not be done.
pub fn containers(build: Option<&NodeBuild>, node_dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let root = node_dir.join("runc");
    let runc = build
        .map(|b| b.bin("runc"))
        .unwrap_or_else(|| PathBuf::from("runc"));
    if root.is_dir() {
        // containerd's runc root has one folder per containerd namespace.
        for namespace in fs::read_dir(&root).into_iter().flatten().flatten() {
            let ns_root = namespace.path();
            let Ok(out) = Command::new(&runc)
                .arg("--root")
                .arg(&ns_root)
                .args(["list", "-q"])
                .output()
            else {
                continue;
            };
            for id in String::from_utf8_lossy(&out.stdout).lines() {
                let deleted = Command::new(&runc)
                    .arg("--root")
                    .arg(&ns_root)
                    .args(["delete", "--force", id])
                    .output();
                if let Ok(o) = deleted
                    && !o.status.success()
                {
                    problems.push(format!(
                        "runc delete --force {id}: {}",
                        String::from_utf8_lossy(&o.stderr).trim()
                    ));
                }
            }
        }
    }
    let socket = node_dir.join("containerd/containerd.sock");
    let shims = processes_mentioning(&socket.display().to_string());
    for pid in &shims {
        let _ = kill(Pid::from_raw(*pid), Signal::SIGKILL);
    }
    let deadline = std::time::Instant::now() + Duration::from_secs(5);
    while shims
        .iter()
        .any(|p| Path::new(&format!("/proc/{p}")).exists())
        && std::time::Instant::now() < deadline
    {
        std::thread::sleep(Duration::from_millis(50));
    }
    problems
}

/// Pids whose command line contains `needle` (our containerd socket path:
/// only the shims of this lab's containerd have it).
fn processes_mentioning(needle: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| *pid != me)
        .filter(|pid| {
            fs::read(format!("/proc/{pid}/cmdline"))
                .map(|c| {
                    String::from_utf8_lossy(&c)
                        .replace('\0', " ")
                        .contains(needle)
                })
                .unwrap_or(false)
        })
        .collect()
}

/// Mount points under `dir`, deepest first, from /proc/self/mountinfo.
pub fn mounts_under(dir: &Path) -> Vec<String> {
    let prefix = format!("{}/", dir.display());
    let text = fs::read_to_string("/proc/self/mountinfo").unwrap_or_default();
    let mut points: Vec<String> = text
        .lines()
        .filter_map(|l| l.split(' ').nth(4))
        // mountinfo escapes spaces and the like as octal (\040).
        .map(|p| p.replace("\\040", " "))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    points.dedup();
    points
}

/// Lazily unmounts everything under `dir` (sandbox /dev/shm, netns files,
/// overlay root filesystems, token volumes).
pub fn mounts(dir: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    for _ in 0..3 {
        let points = mounts_under(dir);
        if points.is_empty() {
            return problems;
        }
        for point in points {
            let _ = Command::new("umount").args(["-l", &point]).output();
        }
    }
    let left = mounts_under(dir);
    if !left.is_empty() {
        problems.push(format!("still mounted: {}", left.join(", ")));
    }
    problems
}

/// Removes the kubelet's `kubepods` cgroups (cgroupfs driver, cgroup v1 and
/// the unified hierarchy), deepest first, once no process is left in them.
pub fn cgroups() -> Vec<String> {
    let mut problems = Vec::new();
    let mut dirs = Vec::new();
    for controller in fs::read_dir("/sys/fs/cgroup")
        .into_iter()
        .flatten()
        .flatten()
    {
        let top = controller.path().join("kubepods");
        if top.is_dir() {
            collect_dirs(&top, &mut dirs);
        }
    }
    dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
    for dir in dirs {
        if let Err(e) = fs::remove_dir(&dir)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            problems.push(format!("removing cgroup {}: {e}", dir.display()));
        }
    }
    problems
}

fn collect_dirs(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect_dirs(&entry.path(), out);
        }
    }
}
