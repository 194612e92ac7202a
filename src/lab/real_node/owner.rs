//! One real-node lab per machine. The bridge `kubetutor0`, its address
//! 10.87.0.1 and the node's firewall chains are machine-wide names: a second
//! lab folder's real node would share them, and its `lab down` would take the
//! bridge from under the first one's kubelet and CoreDNS ("cannot assign
//! requested address"). So the lab whose node runs says so in a file under
//! /run (a tmpfs: gone with a reboot, as the node is), and `lab up
//! --real-node` from another folder is refused while that node still runs.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{cgroups, made, node_dir};

const CLAIM_DIR: &str = "/run/kubetutor";
const CLAIM_FILE: &str = "real-node-lab";

fn claim_file() -> PathBuf {
    Path::new(CLAIM_DIR).join(CLAIM_FILE)
}

/// The folder a lab is known by: canonical when it exists, so two spellings
/// of one folder are one lab.
fn identity(lab_dir: &Path) -> PathBuf {
    fs::canonicalize(lab_dir).unwrap_or_else(|_| lab_dir.to_path_buf())
}

/// Whether the real node of the lab in `lab_dir` still runs: its record is of
/// this boot and its cgroup holds a process.
fn node_runs(lab_dir: &Path) -> bool {
    let dir = node_dir(&crate::lab::paths::LabPaths::new(lab_dir.to_path_buf()));
    made::load(&dir).is_some_and(|made| cgroups::occupied(&made.cgroup_parent))
}

/// The folder named in the claim (`claimed`), when it is not ours and its
/// node still runs.
fn running_other<'a>(
    claimed: Option<&'a Path>,
    ours: &Path,
    runs: impl Fn(&Path) -> bool,
) -> Option<&'a Path> {
    claimed.filter(|other| *other != ours && runs(other))
}

/// What to do about a claim: `claimed` is the folder named in the claim file
/// (if any), `ours` this lab's. Ok when the bridge is ours to use (no claim,
/// our own, or one whose node no longer runs); else the refusal.
pub fn verdict(
    claimed: Option<&Path>,
    ours: &Path,
    runs: impl Fn(&Path) -> bool,
) -> Result<(), String> {
    match running_other(claimed, ours, runs) {
        Some(other) => Err(format!(
            "another lab's real node runs on this machine (lab folder {other}); two real-node \
             labs would share the bridge kubetutor0 and its address 10.87.0.1, and the first \
             one's `lab down` would break the other. Stop it first: \
             KUBETUTOR_LAB_DIR={other} kubetutor lab down — or use that lab \
             (KUBETUTOR_LAB_DIR={other})",
            other = other.display()
        )),
        None => Ok(()),
    }
}

fn claimed() -> Option<PathBuf> {
    fs::read_to_string(claim_file())
        .ok()
        .map(|text| PathBuf::from(text.trim()))
}

/// Refused while another lab's real node runs on this machine (checked
/// before `lab up` records anything of a real node in the folder).
pub fn check(lab_dir: &Path) -> anyhow::Result<()> {
    verdict(claimed().as_deref(), &identity(lab_dir), node_runs).map_err(anyhow::Error::msg)
}

/// The folder of another lab whose real node runs now, if any: `lab down`
/// then leaves the bridge and the firewall chains, which are that node's.
pub fn other_running(lab_dir: &Path) -> Option<PathBuf> {
    running_other(claimed().as_deref(), &identity(lab_dir), node_runs).map(Path::to_path_buf)
}

/// Before the real node of the lab in `lab_dir` makes anything: refused
/// while another lab's node runs; otherwise the claim is (re)written.
pub fn claim(lab_dir: &Path) -> anyhow::Result<()> {
    let ours = identity(lab_dir);
    verdict(claimed().as_deref(), &ours, node_runs).map_err(anyhow::Error::msg)?;
    fs::create_dir_all(CLAIM_DIR).with_context(|| format!("creating {CLAIM_DIR}"))?;
    crate::files::write_private(&claim_file(), ours.as_os_str().as_encoded_bytes())
        .with_context(|| format!("writing {}", claim_file().display()))
}

/// After `lab down` removed the node: the claim goes, if it is this lab's.
pub fn release(lab_dir: &Path) {
    if claimed().is_some_and(|claimed| claimed == identity(lab_dir)) {
        let _ = fs::remove_file(claim_file());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn another_labs_running_node_is_refused_with_how_to_stop_it() {
        let err = verdict(Some(Path::new("/labs/a")), Path::new("/labs/b"), |_| true).unwrap_err();
        assert!(err.contains("lab folder /labs/a"), "{err}");
        assert!(
            err.contains("KUBETUTOR_LAB_DIR=/labs/a kubetutor lab down"),
            "{err}"
        );
    }

    #[test]
    fn no_claim_our_own_or_a_stopped_node_lets_the_lab_start() {
        assert!(verdict(None, Path::new("/labs/b"), |_| true).is_ok());
        assert!(verdict(Some(Path::new("/labs/b")), Path::new("/labs/b"), |_| true).is_ok());
        assert!(verdict(Some(Path::new("/labs/a")), Path::new("/labs/b"), |_| false).is_ok());
    }
}
