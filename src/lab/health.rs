//! Waiting for components to serve, with a clear error (and the tail of the
//! log) when one exits or never gets there.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::runtime::wait::await_condition;
use kube::{Api, Client};

use super::components::Component;
use super::paths::LabPaths;
use super::process::{PidRecord, tail};

/// How often readiness is probed while a component starts. Polling is right
/// here: a process that is not listening yet cannot be watched.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// Why a wait failed, worded for the person who ran `lab up`.
fn exited(component: Component, paths: &LabPaths) -> anyhow::Error {
    let log = paths.log_file(component.name());
    anyhow::anyhow!(
        "{} exited while starting. Last lines of {}:\n{}",
        component.name(),
        log.display(),
        tail(&log, 25)
    )
}

fn timed_out(
    component: Component,
    paths: &LabPaths,
    waited: Duration,
    last: &str,
) -> anyhow::Error {
    let log = paths.log_file(component.name());
    anyhow::anyhow!(
        "{} was not ready after {} s (last probe: {last}). Last lines of {}:\n{}",
        component.name(),
        waited.as_secs(),
        log.display(),
        tail(&log, 25)
    )
}

/// Probes until `probe` succeeds, the process exits, or `timeout` passes.
pub async fn wait_ready<F, Fut>(
    component: Component,
    record: &PidRecord,
    paths: &LabPaths,
    timeout: Duration,
    mut probe: F,
) -> anyhow::Result<()>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let start = Instant::now();
    loop {
        if !record.is_running() {
            return Err(exited(component, paths));
        }
        let last = match probe().await {
            Ok(()) => return Ok(()),
            Err(reason) => reason,
        };
        if start.elapsed() > timeout {
            return Err(timed_out(component, paths, start.elapsed(), &last));
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// Probes a component that was already running until it answers or `within`
/// passes: Ok, or the last probe's reason.
pub async fn serving_within<F, Fut>(within: Duration, mut probe: F) -> Result<(), String>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<(), String>>,
{
    let start = Instant::now();
    loop {
        let reason = match probe().await {
            Ok(()) => return Ok(()),
            Err(reason) => reason,
        };
        if start.elapsed() + PROBE_INTERVAL > within {
            return Err(reason);
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// The controller-manager is doing its work once `default/default` exists.
pub async fn wait_default_service_account(
    client: &Client,
    timeout: Duration,
) -> anyhow::Result<()> {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), "default");
    let exists = await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
        sa.is_some()
    });
    tokio::time::timeout(timeout, exists).await.with_context(|| {
        format!(
            "the default ServiceAccount did not appear after {} s: is kube-controller-manager working?",
            timeout.as_secs()
        )
    })??;
    Ok(())
}
