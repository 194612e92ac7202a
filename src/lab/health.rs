//! Waiting for components to serve, with a clear error (and the tail of the
//! log) when one exits or never gets there.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::runtime::wait::await_condition;
use kube::{Api, Client};

use super::paths::LabPaths;
use super::process::{PidRecord, ended_while_starting, tail};

/// How often readiness is probed while a component starts. Polling is right
/// here: a process that is not listening yet cannot be watched.
pub const PROBE_INTERVAL: Duration = Duration::from_millis(100);

/// Why a wait failed, worded for the person who ran `lab up`.
fn exited(name: &str, paths: &LabPaths, reason: &str) -> anyhow::Error {
    let log = paths.log_file(name);
    anyhow::anyhow!(
        "{name} exited while starting ({reason}). Last lines of {}:\n{}",
        log.display(),
        tail(&log, 25)
    )
}

fn timed_out(name: &str, paths: &LabPaths, waited: Duration, last: &str) -> anyhow::Error {
    let log = paths.log_file(name);
    anyhow::anyhow!(
        "{name} was not ready after {} s (last probe: {last}). Last lines of {}:\n{}",
        waited.as_secs(),
        log.display(),
        tail(&log, 25)
    )
}

/// Probes until `probe` succeeds, the process exits, or `timeout` passes.
/// `name` is the component's (its log file is named after it): a control
/// plane component or one of the real node's.
pub async fn wait_ready<F, Fut>(
    name: &str,
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
        let log = paths.log_file(name);
        if let Some(reason) = ended_while_starting(record, &log) {
            return Err(exited(name, paths, &reason));
        }
        let last = match probe().await {
            Ok(()) => return Ok(()),
            Err(reason) => reason,
        };
        if start.elapsed() > timeout {
            return Err(timed_out(name, paths, start.elapsed(), &last));
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
