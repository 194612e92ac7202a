//! `lab down` for the real node: its processes stopped, and everything it
//! made on the machine removed (the details are in `cleanup`, `network`,
//! `sysctls`); problems are collected, not stopping the rest.

use std::fs;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::build::check_built;
use super::{NodeComponent, cleanup, network, node_dir, pid_file, sysctls};
use crate::lab::paths::LabPaths;
use crate::lab::process::{self, PidRecord};

/// Stops the node and removes what it made on the machine: containers (runc),
/// containerd's shims, mounts under the lab folder, kube-proxy's rules, our
/// firewall chains, the bridge, the kubelet's cgroups. Problems are
/// collected and reported, not stopping the rest of the cleanup.
pub fn down(paths: &LabPaths, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    let dir = node_dir(paths);
    let build = check_built().ok();
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
    if let Some(build) = &build {
        let output = Command::new(build.bin("kube-proxy"))
            .arg("--cleanup")
            .stdin(Stdio::null())
            .output();
        if let Ok(out) = output
            && !out.status.success()
        {
            problems.push(format!(
                "kube-proxy --cleanup: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
    }
    problems.extend(cleanup::mounts(&dir));
    problems.extend(network::down());
    problems.extend(cleanup::cgroups());
    problems.extend(sysctls::restore(&dir));
    if problems.is_empty() {
        progress(
            "real node: containers, mounts, firewall chains and the bridge removed; \
             kernel settings it changed restored",
        );
        Ok(())
    } else {
        anyhow::bail!(
            "the real node stopped, but some of its traces remain:\n  {}",
            problems.join("\n  ")
        )
    }
}
