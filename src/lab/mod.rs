//! The local lab: a real control plane (etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler and kwok fake nodes) run as child
//! processes on 127.0.0.1, built from their Go modules by `assets/lab/build.sh` (see `bins.rs`).
//!
//! We start the processes ourselves rather than through `kwokctl`: every flag
//! (loopback listeners, anonymous auth, the token issuer) is in one place
//! (`components.rs`), nothing can try to download, and errors name the
//! component and show its log. Components are judged by their health
//! endpoints (`probe.rs`), never by their pids alone.

pub mod arrivals;
pub mod background;
pub mod bins;
pub mod build_progress;
pub mod components;
mod down;
mod expiry;
mod health;
pub(crate) mod kubeconfig;
pub(crate) mod nodes;
pub(crate) mod paths;
mod pki;
pub use pki::due_for_renewal as certificates_due_for_renewal;
pub(crate) mod ports;
mod probe;
pub mod process;
pub mod real_node;
mod release;
mod state;
mod status;
mod up;

use std::fs;
use std::path::PathBuf;

use anyhow::Context;
use kube::Config;
use kube::config::{KubeConfigOptions, Kubeconfig};
use nix::fcntl::{Flock, FlockArg};

pub use components::Component;
pub use down::down;
pub use nodes::{PODS_PER_NODE, add_nodes, remove_nodes_from};
pub use paths::LabPaths;
pub use probe::PROBE_TIMEOUT;
pub use status::{ComponentHealth, ComponentStatus, Health, health, status};
pub use up::{UpOptions, UpReport, up};

use process::PidRecord;
use state::LabState;

/// The folder holding the binaries the running (or last) lab used.
pub fn bin_dir(paths: &LabPaths) -> Option<PathBuf> {
    LabState::load(paths).map(|s| s.bin_dir)
}

/// The kubeconfig of the local lab (`$KUBETUTOR_LAB_DIR`, else the default
/// folder) when its API server runs; None when there is no running lab.
pub fn running_kubeconfig() -> Option<PathBuf> {
    let paths = LabPaths::from_env().ok()?;
    let apiserver_runs = status(&paths)
        .iter()
        .any(|c| c.component == Component::ApiServer && c.pid.is_some());
    (apiserver_runs && paths.kubeconfig().is_file()).then(|| paths.kubeconfig())
}

/// A kube `Config` for the lab's admin, TLS verified with the lab CA.
pub async fn admin_config(paths: &LabPaths) -> anyhow::Result<Config> {
    let kubeconfig = Kubeconfig::read_from(paths.kubeconfig())
        .with_context(|| format!("reading {}", paths.kubeconfig().display()))?;
    Ok(Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?)
}

/// The component's process from its pid file, if it is still running.
fn running_record(paths: &LabPaths, component: Component) -> Option<PidRecord> {
    PidRecord::read(&paths.pid_file(component.name())).filter(PidRecord::is_running)
}

/// An exclusive lock on the lab folder for the duration of `up` or `down`.
fn lock(paths: &LabPaths, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Flock<fs::File>> {
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(paths.lock_file())
        .with_context(|| format!("opening {}", paths.lock_file().display()))?;
    match Flock::lock(file, FlockArg::LockExclusiveNonblock) {
        Ok(lock) => Ok(lock),
        Err((file, _)) => {
            progress("another `kubetutor lab` command is running; waiting for it to finish …");
            Flock::lock(file, FlockArg::LockExclusive).map_err(|(_, err)| {
                anyhow::anyhow!("locking {}: {err}", paths.lock_file().display())
            })
        }
    }
}
