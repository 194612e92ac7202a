//! Kernel settings the real node changes on the whole machine, saved before
//! its first start and put back by `lab down`: the kubelet sets its "kernel
//! defaults" (vm.overcommit_memory=1, kernel.panic=10, kernel.panic_on_oops=1,
//! larger key quotas) unless told to refuse to start instead, and the CNI
//! bridge plugin turns on IPv4 forwarding (a Pod reaching another Pod through
//! a Service is forwarded by the host).

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Every machine-wide setting the node's components may change.
pub const SAVED: &[&str] = &[
    "net/ipv4/ip_forward",
    "vm/overcommit_memory",
    "vm/panic_on_oom",
    "kernel/panic",
    "kernel/panic_on_oops",
    "kernel/keys/root_maxkeys",
    "kernel/keys/root_maxbytes",
];

fn proc_path(key: &str) -> PathBuf {
    Path::new("/proc/sys").join(key)
}

/// `node/sysctls-before.json`
pub fn file(node_dir: &Path) -> PathBuf {
    node_dir.join("sysctls-before.json")
}

/// Records the current values, unless a record is already there (a restart
/// of a running node must keep the values from before the first start).
pub fn save(node_dir: &Path) -> anyhow::Result<()> {
    let file = file(node_dir);
    if file.exists() {
        return Ok(());
    }
    let values: BTreeMap<&str, String> = SAVED
        .iter()
        .filter_map(|key| {
            let value = fs::read_to_string(proc_path(key)).ok()?;
            Some((*key, value.trim().to_string()))
        })
        .collect();
    fs::write(&file, serde_json::to_vec_pretty(&values)?)
        .with_context(|| format!("writing {}", file.display()))
}

/// Writes the recorded values back and removes the record; returns problems.
pub fn restore(node_dir: &Path) -> Vec<String> {
    let file = file(node_dir);
    let Ok(text) = fs::read_to_string(&file) else {
        return Vec::new();
    };
    let Ok(values) = serde_json::from_str::<BTreeMap<String, String>>(&text) else {
        return vec![format!("{} is not readable JSON", file.display())];
    };
    let mut problems = Vec::new();
    for (key, value) in values {
        if !SAVED.contains(&key.as_str()) {
            continue;
        }
        let path = proc_path(&key);
        if fs::read_to_string(&path).is_ok_and(|now| now.trim() == value) {
            continue;
        }
        if let Err(e) = fs::write(&path, &value) {
            problems.push(format!("restoring {} to {value}: {e}", path.display()));
        }
    }
    if problems.is_empty() {
        let _ = fs::remove_file(&file);
    }
    problems
}
