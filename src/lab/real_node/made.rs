//! The record of what the real node makes on the machine, written before
//! anything of it starts (`node/made.json`): the boot it belongs to, the
//! cgroup parent of the lab's own, and the firewall chains that existed
//! before (so `lab down` knows which are the node's). Kept while the node
//! runs, across `lab up` restarts; removed once `lab down` has cleaned up.
//! After a reboot nothing the node made is left (processes, cgroups, chains
//! and kernel settings do not survive one), so a record from another boot is
//! stale: it is dropped, with the kernel-settings record, never acted on.

use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::chains::{self, Snapshot};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Made {
    /// /proc/sys/kernel/random/boot_id when recorded.
    pub boot_id: String,
    /// The cgroup (in every hierarchy) the node's processes and the
    /// kubelet's `kubepods` live under, e.g. `kubetutor-lab-1a2b3c4d`.
    pub cgroup_parent: String,
    /// The firewall chains before the node first started.
    pub chains_before: Snapshot,
}

fn file(node_dir: &Path) -> PathBuf {
    node_dir.join("made.json")
}

pub fn boot_id() -> String {
    fs::read_to_string("/proc/sys/kernel/random/boot_id")
        .map(|s| s.trim().to_string())
        .unwrap_or_default()
}

/// The lab's cgroup parent: named after its folder, so two lab folders never
/// share one, and no other program's cgroup has this name.
pub fn cgroup_parent_for(node_dir: &Path) -> String {
    let digest = Sha256::digest(node_dir.as_os_str().as_encoded_bytes());
    let hex: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
    format!("kubetutor-lab-{hex}")
}

/// The record of this boot, if there is one.
pub fn load(node_dir: &Path) -> Option<Made> {
    let text = fs::read_to_string(file(node_dir)).ok()?;
    let made: Made = serde_json::from_str(&text).ok()?;
    (made.boot_id == boot_id()).then_some(made)
}

/// Drops records of another boot (this one and the kernel settings'):
/// what they describe is gone with that boot.
pub fn drop_stale(node_dir: &Path) -> bool {
    let text = match fs::read_to_string(file(node_dir)) {
        Ok(text) => text,
        Err(_) => return false,
    };
    let current = serde_json::from_str::<Made>(&text).is_ok_and(|m| m.boot_id == boot_id());
    if current {
        return false;
    }
    let _ = fs::remove_file(file(node_dir));
    let _ = fs::remove_file(super::sysctls::file(node_dir));
    true
}

/// The record, made now (chains as they are) unless this boot has one.
pub fn ensure(node_dir: &Path) -> anyhow::Result<Made> {
    drop_stale(node_dir);
    if let Some(made) = load(node_dir) {
        return Ok(made);
    }
    let made = Made {
        boot_id: boot_id(),
        cgroup_parent: cgroup_parent_for(node_dir),
        chains_before: chains::snapshot(),
    };
    let path = file(node_dir);
    fs::write(&path, serde_json::to_vec_pretty(&made)?)
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(made)
}

/// Removes the record once everything it names is gone.
pub fn forget(node_dir: &Path) {
    let _ = fs::remove_file(file(node_dir));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_lab_folder_has_a_cgroup_parent_of_its_own() {
        let a = cgroup_parent_for(Path::new("/root/.local/state/kubetutor/lab/node"));
        let b = cgroup_parent_for(Path::new("/tmp/kubetutor-real-node-lab-1/node"));
        assert!(a.starts_with("kubetutor-lab-") && a.len() == "kubetutor-lab-".len() + 8);
        assert_ne!(a, b);
        assert_ne!(a, "kubepods");
    }

    #[test]
    fn a_record_of_another_boot_is_dropped_with_the_kernel_settings_record() {
        let dir = std::env::temp_dir().join(format!("kt-made-{}", std::process::id()));
        fs::create_dir_all(&dir).unwrap();
        let old = Made {
            boot_id: "another-boot".into(),
            cgroup_parent: "kubetutor-lab-00000000".into(),
            chains_before: Snapshot::new(),
        };
        fs::write(file(&dir), serde_json::to_vec(&old).unwrap()).unwrap();
        fs::write(super::super::sysctls::file(&dir), "{}").unwrap();
        assert!(load(&dir).is_none());
        assert!(drop_stale(&dir));
        assert!(!file(&dir).exists() && !super::super::sysctls::file(&dir).exists());
        let this_boot = Made {
            boot_id: boot_id(),
            ..old
        };
        fs::write(file(&dir), serde_json::to_vec(&this_boot).unwrap()).unwrap();
        assert!(!drop_stale(&dir));
        assert_eq!(load(&dir).unwrap().cgroup_parent, "kubetutor-lab-00000000");
        let _ = fs::remove_dir_all(&dir);
    }
}
