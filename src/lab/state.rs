//! `lab.json`: which binaries and ports the lab was last started with.

use std::fs;
use std::path::PathBuf;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::paths::LabPaths;
use super::ports::Ports;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabState {
    pub bin_dir: PathBuf,
    pub ports: Ports,
    /// Started with `--real-node` (kubelet, containerd, kube-proxy, CoreDNS).
    #[serde(default)]
    pub real_node: bool,
}

impl LabState {
    pub fn load(paths: &LabPaths) -> Option<LabState> {
        let text = fs::read_to_string(paths.state_file()).ok()?;
        serde_json::from_str(&text).ok()
    }

    pub fn save(&self, paths: &LabPaths) -> anyhow::Result<()> {
        let file = paths.state_file();
        fs::write(&file, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", file.display()))
    }
}
