//! The local lab: a real control plane (etcd, kube-apiserver,
//! kube-controller-manager, kube-scheduler and a kwok fake node) run as child
//! processes on 127.0.0.1, built from their Go modules by `lab/build.sh`.
//!
//! We start the processes ourselves rather than through `kwokctl`: every flag
//! (loopback listeners, anonymous auth, the token issuer) is in one place
//! (`components.rs`), nothing can try to download, and errors name the
//! component and show its log.

pub mod bins;
pub mod components;
mod health;
pub mod kubeconfig;
pub mod paths;
mod pki;
pub mod ports;
pub mod process;
mod state;

use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use kube::config::{KubeConfigOptions, Kubeconfig};
use kube::{Client, Config};
use nix::fcntl::{Flock, FlockArg};

pub use components::Component;
pub use paths::LabPaths;
use ports::Ports;
use process::PidRecord;
use state::LabState;

const STOP_GRACE: Duration = Duration::from_secs(10);

#[derive(Debug, Default, Clone)]
pub struct UpOptions {
    /// Port for the API server; a free one (or the previous one) when None.
    pub port: Option<u16>,
}

/// One line of `lab status`.
#[derive(Debug, Clone)]
pub struct ComponentStatus {
    pub component: Component,
    pub pid: Option<i32>,
    pub port: Option<u16>,
    pub log: PathBuf,
}

/// Starts whatever part of the lab is not running and waits until it is ready.
/// Progress goes to `progress` (stderr for the CLI).
pub async fn up(
    paths: &LabPaths,
    options: &UpOptions,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    for dir in [paths.root().to_path_buf(), paths.logs(), paths.pids()] {
        fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let _lock = lock(paths, progress)?;
    let bin_dir = bins::locate()?;
    if pki::ensure(paths)? {
        progress("generated the lab's CA, certificates and ServiceAccount signing key");
    }

    let previous = LabState::load(paths);
    let running: Vec<Component> = Component::ALL
        .into_iter()
        .filter(|c| running_record(paths, *c).is_some())
        .collect();
    let ports = match (&previous, running.is_empty()) {
        (Some(state), false) => {
            if let Some(port) = options.port.filter(|p| *p != state.ports.apiserver) {
                anyhow::bail!(
                    "the lab is already running with its API server on port {}, not {port}; \
                     run `kubetutor lab down` first to move it",
                    state.ports.apiserver
                );
            }
            state.ports
        }
        _ => Ports::choose(previous.as_ref().map(|s| s.ports), options.port)?,
    };
    let bin_dir = match (&previous, running.is_empty()) {
        // Components already running keep the binaries they were started from,
        // while those are still there.
        (Some(state), false) if bins::check_complete(&state.bin_dir).is_ok() => {
            state.bin_dir.clone()
        }
        _ => bin_dir,
    };
    LabState {
        bin_dir: bin_dir.clone(),
        ports,
    }
    .save(paths)?;
    kubeconfig::write_all(paths, ports.apiserver)?;
    let admin = admin_config(paths).await?;
    let client = Client::try_from(admin.clone())?;

    let mut started_now = Vec::new();
    let result = start_missing(
        paths,
        &ports,
        &bin_dir,
        &admin,
        &client,
        &mut started_now,
        progress,
    )
    .await;
    if let Err(err) = result {
        // A failed `up` leaves nothing half-started: stop what this call started.
        for record in started_now.iter().rev() {
            process::stop(record, STOP_GRACE);
        }
        return Err(err);
    }

    let started = Instant::now();
    health::wait_default_service_account(&client, Duration::from_secs(60)).await?;
    progress(&format!(
        "{:<24} present ({:.1} s)",
        "default ServiceAccount",
        started.elapsed().as_secs_f64()
    ));
    Ok(())
}

/// Starts, in order, each component that is not running, waiting for each to be
/// ready before the next; records what it started in `started_now`.
async fn start_missing(
    paths: &LabPaths,
    ports: &Ports,
    bin_dir: &std::path::Path,
    admin: &Config,
    client: &Client,
    started_now: &mut Vec<PidRecord>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<()> {
    for component in Component::ALL {
        let started = Instant::now();
        if let Some(record) = running_record(paths, component) {
            progress(&format!(
                "{:<24} already running (pid {})",
                component.name(),
                record.pid
            ));
            continue;
        }
        if component == Component::Kwok {
            health::register_node(client).await?;
        }
        let record = process::spawn_detached(
            &bin_dir.join(component.binary()),
            &component.args(paths, ports, bin_dir),
            &paths.log_file(component.name()),
            &paths.pid_file(component.name()),
        )?;
        started_now.push(record.clone());
        progress(&format!(
            "{:<24} starting (pid {}) …",
            component.name(),
            record.pid
        ));
        let timeout = match component {
            Component::ApiServer => Duration::from_secs(120),
            _ => Duration::from_secs(60),
        };
        health::wait_ready(component, &record, paths, timeout, || {
            health::probe(component, admin, ports)
        })
        .await?;
        progress(&format!(
            "{:<24} ready in {:.1} s",
            component.name(),
            started.elapsed().as_secs_f64()
        ));
    }
    Ok(())
}

/// Stops every lab process (in reverse start order). With `purge`, also
/// removes the lab's state: certificates, etcd data, logs.
pub fn down(paths: &LabPaths, purge: bool, progress: &mut dyn FnMut(&str)) -> anyhow::Result<()> {
    if !paths.root().exists() {
        progress("no lab here: nothing to stop");
        return Ok(());
    }
    {
        let _lock = lock(paths, progress)?;
        for component in Component::ALL.into_iter().rev() {
            let pid_file = paths.pid_file(component.name());
            if let Some(record) = PidRecord::read(&pid_file) {
                if record.is_running() {
                    let killed = process::stop(&record, STOP_GRACE);
                    let how = if killed {
                        "killed after 10 s"
                    } else {
                        "stopped"
                    };
                    progress(&format!(
                        "{:<24} {how} (pid {})",
                        component.name(),
                        record.pid
                    ));
                }
                let _ = fs::remove_file(&pid_file);
            }
        }
    }
    if purge {
        fs::remove_dir_all(paths.root())
            .with_context(|| format!("removing {}", paths.root().display()))?;
        progress(&format!("removed {}", paths.root().display()));
    }
    Ok(())
}

/// What runs, on which port, and where its log is.
pub fn status(paths: &LabPaths) -> Vec<ComponentStatus> {
    let ports = LabState::load(paths).map(|s| s.ports);
    Component::ALL
        .into_iter()
        .map(|component| ComponentStatus {
            component,
            pid: running_record(paths, component).map(|r| r.pid),
            port: ports.map(|p| component.port(&p)),
            log: paths.log_file(component.name()),
        })
        .collect()
}

/// The folder holding the binaries the running (or last) lab used.
pub fn bin_dir(paths: &LabPaths) -> Option<PathBuf> {
    LabState::load(paths).map(|s| s.bin_dir)
}

/// A kube `Config` for the lab's admin, TLS verified with the lab CA.
pub async fn admin_config(paths: &LabPaths) -> anyhow::Result<Config> {
    let kubeconfig = Kubeconfig::read_from(paths.kubeconfig())
        .with_context(|| format!("reading {}", paths.kubeconfig().display()))?;
    Ok(Config::from_custom_kubeconfig(kubeconfig, &KubeConfigOptions::default()).await?)
}

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
