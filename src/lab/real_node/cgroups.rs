//! The real node's cgroups: one parent of the lab's own in every cgroup
//! hierarchy, under which the kubelet makes `kubepods` (its `cgroupRoot`), and
//! a `daemons` leaf the node's processes start in. The kernel then records
//! everything the node started, shims and their children included, so `lab
//! down` stops exactly those and removes exactly these cgroups — never another
//! Kubernetes' `kubepods`, never a process that merely names our socket.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;

/// The leaf the node's processes start in, beside the kubelet's `kubepods`
/// (cgroup v2 lets processes live only in leaves of a tree with controllers).
const DAEMONS: &str = "daemons";

/// A mounted cgroup hierarchy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hierarchy {
    pub mount: PathBuf,
    /// cgroup2 (the unified hierarchy), as opposed to a v1 controller's.
    pub unified: bool,
}

/// The cgroup hierarchies in a mountinfo text: one per mount point (a v1
/// controller, a named v1 hierarchy such as `name=systemd`, or cgroup2).
pub fn hierarchies_in(mountinfo: &str) -> Vec<Hierarchy> {
    let mut found: Vec<Hierarchy> = mountinfo
        .lines()
        .filter_map(|line| {
            // Fields after " - " are: fstype, source, super options.
            let (left, right) = line.split_once(" - ")?;
            let fstype = right.split(' ').next()?;
            let unified = match fstype {
                "cgroup2" => true,
                "cgroup" => false,
                _ => return None,
            };
            let mount = left.split(' ').nth(4)?.replace("\\040", " ");
            Some(Hierarchy {
                mount: mount.into(),
                unified,
            })
        })
        .collect();
    found.sort_by(|a, b| a.mount.cmp(&b.mount));
    found.dedup();
    found
}

/// This machine's cgroup hierarchies (as this process sees them).
pub fn hierarchies() -> Vec<Hierarchy> {
    hierarchies_in(&fs::read_to_string("/proc/self/mountinfo").unwrap_or_default())
}

/// The hierarchy whose membership records the node's processes: cgroup2 when
/// mounted (pure v2, or the `unified` mount of a hybrid machine: it only
/// tracks there), else the first v1 hierarchy.
fn tracking(all: &[Hierarchy]) -> Option<&Hierarchy> {
    all.iter().find(|h| h.unified).or_else(|| all.first())
}

/// `<tracking hierarchy>/<parent>/daemons/cgroup.procs`: where `lab up`
/// writes each node process at its start.
pub fn daemons_procs(parent: &str) -> Option<PathBuf> {
    let all = hierarchies();
    Some(
        tracking(&all)?
            .mount
            .join(parent)
            .join(DAEMONS)
            .join("cgroup.procs"),
    )
}

/// Creates the lab's parent in every hierarchy (the kubelet refuses a
/// `cgroupRoot` that does not exist) and the daemons leaf. Idempotent.
pub fn create(parent: &str) -> anyhow::Result<()> {
    let all = hierarchies();
    let tracking = tracking(&all).context("no cgroup hierarchy is mounted on this machine")?;
    for hierarchy in &all {
        let dir = hierarchy.mount.join(parent);
        fs::create_dir_all(&dir).with_context(|| format!("creating cgroup {}", dir.display()))?;
    }
    let leaf = tracking.mount.join(parent).join(DAEMONS);
    fs::create_dir_all(&leaf).with_context(|| format!("creating cgroup {}", leaf.display()))
}

/// Every process in the lab's cgroups of the tracking hierarchy (the node's
/// daemons, containerd's shims, anything they started, leftover container
/// processes), each cgroup's `cgroup.procs` read in turn.
fn processes(parent: &str) -> Vec<i32> {
    let all = hierarchies();
    let Some(tracking) = tracking(&all) else {
        return Vec::new();
    };
    let mut pids = Vec::new();
    for dir in tree(&tracking.mount.join(parent)) {
        let text = fs::read_to_string(dir.join("cgroup.procs")).unwrap_or_default();
        pids.extend(text.lines().filter_map(|l| l.trim().parse::<i32>().ok()));
    }
    pids
}

/// Whether any process runs in the lab's cgroups (its node is up).
pub fn occupied(parent: &str) -> bool {
    !processes(parent).is_empty()
}

/// SIGKILLs whatever is left in the lab's cgroups until none is left (a
/// process that forks while being killed is caught on the next round).
/// Returns what could not be done.
pub fn kill_all(parent: &str) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let pids = processes(parent);
        if pids.is_empty() {
            return Vec::new();
        }
        if Instant::now() >= deadline {
            return vec![format!(
                "processes still in the lab's cgroup {parent} after SIGKILL: {pids:?}"
            )];
        }
        for pid in pids {
            let _ = kill(Pid::from_raw(pid), Signal::SIGKILL);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Removes the lab's parent with everything under it, in every hierarchy,
/// deepest first. Returns problems (a cgroup still holding a process).
pub fn remove(parent: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for hierarchy in hierarchies() {
        let mut dirs = tree(&hierarchy.mount.join(parent));
        dirs.sort_by_key(|d| std::cmp::Reverse(d.components().count()));
        for dir in dirs {
            if let Err(e) = fs::remove_dir(&dir)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                problems.push(format!("removing cgroup {}: {e}", dir.display()));
            }
        }
    }
    problems
}

/// `top` and every cgroup below it (none when `top` does not exist).
fn tree(top: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if top.is_dir() {
        collect(top, &mut out);
    }
    out
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    out.push(dir.to_path_buf());
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            collect(&entry.path(), out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// This machine's: cgroup v1 controllers, a named systemd hierarchy and
    /// a cgroup2 `unified` mount, under a tmpfs.
    const HYBRID: &str = "\
30 1 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu
32 30 0:29 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
33 30 0:30 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd
34 30 0:31 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw
40 1 0:40 / /proc rw - proc proc rw";

    #[test]
    fn every_cgroup_mount_is_a_hierarchy_and_cgroup2_tracks_the_processes() {
        let all = hierarchies_in(HYBRID);
        let mounts: Vec<&str> = all.iter().map(|h| h.mount.to_str().unwrap()).collect();
        assert_eq!(
            mounts,
            [
                "/sys/fs/cgroup/cpu",
                "/sys/fs/cgroup/memory",
                "/sys/fs/cgroup/systemd",
                "/sys/fs/cgroup/unified"
            ]
        );
        assert_eq!(
            tracking(&all).unwrap().mount,
            Path::new("/sys/fs/cgroup/unified")
        );
        let pure_v2 = "29 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate";
        let all = hierarchies_in(pure_v2);
        assert_eq!(tracking(&all).unwrap().mount, Path::new("/sys/fs/cgroup"));
        let only_v1 = "31 30 0:28 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids";
        let all = hierarchies_in(only_v1);
        assert_eq!(
            tracking(&all).unwrap().mount,
            Path::new("/sys/fs/cgroup/pids")
        );
    }
}
