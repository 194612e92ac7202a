//! `lab down`: stop every lab process and return only once each is gone and
//! has given back its ports and etcd's data directory, so an `up` right after
//! starts on free ports and an unlocked data directory.

use std::fs;
use std::time::Duration;

use anyhow::Context;

use super::paths::LabPaths;
use super::process::{self, PidRecord, Stopped};
use super::release;
use super::state::LabState;
use super::{Component, lock};

/// How long a component may take to exit on SIGTERM before SIGKILL (etcd and
/// the API server flush and close cleanly well within it).
const STOP_GRACE: Duration = Duration::from_secs(10);
/// How long ports and locks may linger after their process is gone (they go
/// with it: this only catches something else having taken them).
const RELEASE_WAIT: Duration = Duration::from_secs(5);

/// Stops every lab process (in reverse start order). With `purge`, also
/// removes the lab's state: certificates, etcd data, logs.
pub fn down(paths: &LabPaths, purge: bool, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    if !paths.root().exists() {
        progress("no lab here: nothing to stop");
        return Ok(());
    }
    // `--purge` removes a folder whole: only one the lab made (a mistyped
    // $KUBETUTOR_LAB_DIR could name a home folder).
    if purge && !is_lab_folder(paths) {
        anyhow::bail!(
            "{} is not a kubetutor lab folder (no {} and no lab.json): nothing was stopped or \
             removed; check {}",
            paths.root().display(),
            paths.marker().display(),
            super::paths::LAB_DIR_ENV
        );
    }
    {
        let _lock = lock(paths, progress)?;
        // The node first: its kubelet and containers need the API server no
        // more, and its mounts must be gone before --purge removes the folder.
        let node_result = if super::real_node::traces(paths) {
            super::real_node::down(paths, progress)
        } else {
            Ok(())
        };
        let ports = LabState::load(paths).map(|s| s.ports);
        let mut held_ports = Vec::new();
        let mut etcd_stopped = false;
        for component in Component::ALL.into_iter().rev() {
            let pid_file = paths.pid_file(component.name());
            let Some(record) = PidRecord::read(&pid_file) else {
                continue;
            };
            if !record.is_gone() {
                let how = process::stop(&record, STOP_GRACE)
                    .with_context(|| format!("stopping {}", component.name()))?;
                let how = match how {
                    Stopped::Exited => "stopped".to_string(),
                    Stopped::Killed => {
                        format!("killed (SIGKILL) after {} s", STOP_GRACE.as_secs())
                    }
                };
                progress(&format!(
                    "{:<24} {how} (pid {})",
                    component.name(),
                    record.pid
                ));
                held_ports.extend(ports.map(|p| component.ports(&p)).unwrap_or_default());
                etcd_stopped |= component == Component::Etcd;
            }
            let _ = fs::remove_file(&pid_file);
        }
        let etcd_data = paths.etcd_data();
        release::wait_released(
            &held_ports,
            etcd_stopped.then_some(etcd_data.as_path()),
            RELEASE_WAIT,
        )
        .context("the lab's processes have exited, but what they held is not free")?;
        node_result?;
    }
    if purge {
        fs::remove_dir_all(paths.root())
            .with_context(|| format!("removing {}", paths.root().display()))?;
        progress(&format!("removed {}", paths.root().display()));
    }
    Ok(())
}

/// The folder carries the lab's marker, or (a lab from before markers) a
/// `lab.json` that reads as the lab's state.
fn is_lab_folder(paths: &LabPaths) -> bool {
    paths.marker().is_file() || LabState::load(paths).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn purge_refuses_a_folder_without_the_labs_marker() {
        let root = std::env::temp_dir().join(format!("kt-purge-{}", std::process::id()));
        std::fs::create_dir_all(&root).unwrap();
        std::fs::write(root.join("notes.txt"), "someone's file").unwrap();
        let paths = LabPaths::new(&root);
        let err = down(&paths, true, &mut |_| {}).unwrap_err();
        assert!(
            err.to_string().contains("is not a kubetutor lab folder"),
            "{err}"
        );
        assert!(root.join("notes.txt").exists(), "nothing removed");
        // With the marker `lab up` writes, the same folder is the lab's.
        std::fs::write(paths.marker(), "").unwrap();
        down(&paths, true, &mut |_| {}).unwrap();
        assert!(!root.exists());
    }
}
