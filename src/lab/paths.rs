//! Where the local lab keeps its state: certificates, kubeconfigs, etcd data,
//! logs and pid files, all under one folder so `down --purge` can remove it whole.

use std::path::{Path, PathBuf};

/// Environment variable that moves the lab's state folder (tests use it to run
/// a second, throw-away lab beside the shared one).
pub const LAB_DIR_ENV: &str = "KUBETUTOR_LAB_DIR";

/// The lab's state folder and the files in it.
#[derive(Debug, Clone)]
pub struct LabPaths {
    root: PathBuf,
}

impl LabPaths {
    pub fn new(root: impl Into<PathBuf>) -> Self {
        Self { root: root.into() }
    }

    /// `$KUBETUTOR_LAB_DIR`, else `$XDG_STATE_HOME/kubetutor/lab`
    /// (`~/.local/state/kubetutor/lab`).
    pub fn from_env() -> anyhow::Result<Self> {
        if let Some(dir) = std::env::var_os(LAB_DIR_ENV).filter(|d| !d.is_empty()) {
            return Ok(Self::new(dir));
        }
        let base = directories::BaseDirs::new().ok_or_else(|| {
            anyhow::anyhow!(
                "cannot find your home folder; set {LAB_DIR_ENV} to a folder for the lab's state"
            )
        })?;
        let state = base
            .state_dir()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| base.home_dir().join(".local/state"));
        Ok(Self::new(state.join("kubetutor").join("lab")))
    }

    pub fn root(&self) -> &Path {
        &self.root
    }
    pub fn pki(&self) -> PathBuf {
        self.root.join("pki")
    }
    pub fn pki_file(&self, name: &str) -> PathBuf {
        self.pki().join(name)
    }
    pub fn logs(&self) -> PathBuf {
        self.root.join("logs")
    }
    pub fn log_file(&self, component: &str) -> PathBuf {
        self.logs().join(format!("{component}.log"))
    }
    pub fn pids(&self) -> PathBuf {
        self.root.join("pids")
    }
    pub fn pid_file(&self, component: &str) -> PathBuf {
        self.pids().join(format!("{component}.pid"))
    }
    pub fn etcd_data(&self) -> PathBuf {
        self.root.join("etcd")
    }
    /// The admin kubeconfig users and tests point KUBECONFIG at.
    pub fn kubeconfig(&self) -> PathBuf {
        self.root.join("kubeconfig")
    }
    /// Kubeconfig of one in-lab component (its own client certificate).
    pub fn component_kubeconfig(&self, component: &str) -> PathBuf {
        self.root
            .join("kubeconfigs")
            .join(format!("{component}.kubeconfig"))
    }
    /// kubetutor's own kwok stages (failing a Job's Pod on a marker), written
    /// by `lab up` from `assets/kubetutor-stages.yaml`.
    pub fn kubetutor_stages(&self) -> PathBuf {
        self.root.join("kubetutor-stages.yaml")
    }
    /// Ports and binaries of the current lab (see `state.rs`).
    pub fn state_file(&self) -> PathBuf {
        self.root.join("lab.json")
    }
    /// Held while `up` or `down` runs, so two of them never interleave.
    pub fn lock_file(&self) -> PathBuf {
        self.root.join("lab.lock")
    }
    /// Written by `lab up`: this folder is a lab's, and `down --purge` may
    /// remove it whole.
    pub fn marker(&self) -> PathBuf {
        self.root.join(".kubetutor-lab")
    }
}
