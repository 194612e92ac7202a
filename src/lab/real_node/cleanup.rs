//! What a stopped real node leaves in the lab folder, removed: its
//! containers (runc state in the lab folder) and mounts under the folder.
//! Everything is found by the lab's own paths, never by a process name or
//! command line (containerd's shims and the cgroups: `cgroups.rs`).

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::NodeBuild;

/// Force-deletes every container in our runc root. Returns what could not
/// be done.
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
    problems
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
