//! `lab status`: which components run, and whether each one serves.

use std::path::PathBuf;

use super::paths::LabPaths;
use super::probe::Prober;
use super::state::LabState;
use super::{Component, admin_config, running_record};

/// Where a component is: its pid (when its process runs), port and log.
#[derive(Debug, Clone)]
pub struct ComponentStatus {
    pub component: Component,
    pub pid: Option<i32>,
    pub port: Option<u16>,
    pub log: PathBuf,
}

/// How a component fares, judged by its health endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Its process runs and its health endpoint says so.
    Serving,
    /// Its process runs but does not serve: the probe's reason.
    NotServing(String),
    /// No process of ours runs it.
    Stopped,
}

#[derive(Debug, Clone)]
pub struct ComponentHealth {
    pub status: ComponentStatus,
    pub health: Health,
}

/// What runs (by pid file), on which port, and where its log is. Quick and
/// without network; `health` also asks each component whether it serves.
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

/// Every component's status and health; the running ones are probed side by
/// side, each for at most `PROBE_TIMEOUT`.
pub async fn health(paths: &LabPaths) -> Vec<ComponentHealth> {
    let statuses = status(paths);
    let prober = match (LabState::load(paths), admin_config(paths).await) {
        (Some(state), Ok(admin)) => Some(Prober::new(paths, &admin, state.ports)),
        // Never started (or its files are gone): nothing can be serving.
        _ => None,
    };
    let checks = statuses.into_iter().map(|status| {
        let prober = prober.clone();
        async move {
            let health = match (status.pid, prober) {
                (Some(_), Some(prober)) => match prober.probe(status.component).await {
                    Ok(()) => Health::Serving,
                    Err(reason) => Health::NotServing(reason),
                },
                (Some(_), None) => Health::NotServing(
                    "the lab's kubeconfig or lab.json is missing: run `kubetutor lab up`".into(),
                ),
                (None, _) => Health::Stopped,
            };
            ComponentHealth { status, health }
        }
    });
    futures::future::join_all(checks).await
}
