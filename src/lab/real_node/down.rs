//! `lab down` for the real node: its processes stopped, and what it made on
//! the machine removed — only that, as recorded when it started (`made.rs`):
//! the processes and cgroups under the lab's own cgroup, the firewall chains
//! that were not there before, our bridge; the kernel settings put back.
//! Problems are collected, not stopping the rest.

use std::fs;
use std::time::Duration;

use super::build::check_built;
use super::{
    NodeComponent, cgroups, chains, cleanup, made, network, node_dir, owner, pid_file, sysctls,
};
use crate::lab::paths::LabPaths;
use crate::lab::process::{self, PidRecord};

/// Stops the node and removes what it made on the machine: containers (runc),
/// whatever is left in the lab's cgroup (containerd's shims), mounts under
/// the lab folder, the kubelet's and kube-proxy's chains, our firewall
/// chains, the bridge, the lab's cgroups. Problems are collected and
/// reported, not stopping the rest of the cleanup.
pub fn down(paths: &LabPaths, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let dir = node_dir(paths);
    let build = check_built().ok();
    if made::drop_stale(&dir) {
        progress("real node: its record is from before a reboot; nothing it made is left");
    }
    let made = made::load(&dir);
    let mut problems = Vec::new();
    for component in NodeComponent::ALL.into_iter().rev() {
        let file = pid_file(paths, component);
        let Some(record) = PidRecord::read(&file) else {
            continue;
        };
        if !record.is_gone() {
            match process::stop(&record, Duration::from_secs(10)) {
                Ok(_) => progress(&format!(
                    "{:<24} stopped (pid {})",
                    component.name(),
                    record.pid
                )),
                Err(e) => problems.push(format!("stopping {}: {e}", component.name())),
            }
        }
        if component == NodeComponent::Containerd {
            // Containers outlive containerd (their shims are not its children).
            problems.extend(cleanup::containers(build.as_ref(), &dir));
        }
        let _ = fs::remove_file(&file);
    }
    if build.is_none() {
        problems.extend(cleanup::containers(None, &dir));
    }
    if let Some(made) = &made {
        // containerd's shims and anything else a node process started.
        problems.extend(cgroups::kill_all(&made.cgroup_parent));
    }
    problems.extend(cleanup::mounts(&dir));
    if let Some(made) = &made {
        problems.extend(chains::remove_made(&made.chains_before));
    }
    // The bridge and our chains have machine-wide names: while another lab's
    // real node runs they are its own (this folder's node never started, or
    // was stopped before it did), and stay.
    match owner::other_running(paths.root()) {
        Some(other) => progress(&format!(
            "real node: the bridge and firewall chains are in use by the real node of the lab              in {}: left",
            other.display()
        )),
        None => problems.extend(network::down()),
    }
    match &made {
        Some(made) => problems.extend(cgroups::remove(&made.cgroup_parent)),
        None if dir.exists() => progress(
            "real node: no record of what it made (node/made.json; a node started by an \
             older kubetutor): its shims, the kubelet's and kube-proxy's chains and cgroups, \
             if any, are left alone",
        ),
        None => {}
    }
    problems.extend(sysctls::restore(&dir));
    if problems.is_empty() {
        made::forget(&dir);
        owner::release(paths.root());
        progress(
            "real node: containers, its processes, mounts, cgroups, firewall chains and the \
             bridge removed; kernel settings it changed restored",
        );
        Ok(())
    } else {
        anyhow::bail!(
            "the real node stopped, but some of its traces remain:\n  {}",
            problems.join("\n  ")
        )
    }
}
