//! Waiting for each component to be ready, with a clear error (and the tail of
//! its log) when one exits instead.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::Context;
use k8s_openapi::api::core::v1::{Node, NodeStatus, ServiceAccount};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{Patch, PatchParams};
use kube::runtime::wait::await_condition;
use kube::{Api, Client, Config};

use super::components::{Component, NODE_NAME};
use super::paths::LabPaths;
use super::ports::Ports;
use super::process::{PidRecord, tail};

/// How often readiness is probed while a component starts. Polling is right
/// here: a process that is not listening yet cannot be watched.
const PROBE_INTERVAL: Duration = Duration::from_millis(200);

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
    Fut: std::future::Future<Output = anyhow::Result<()>>,
{
    let start = Instant::now();
    loop {
        if !record.is_running() {
            return Err(exited(component, paths));
        }
        let last = match probe().await {
            Ok(()) => return Ok(()),
            Err(err) => format!("{err:#}"),
        };
        if start.elapsed() > timeout {
            return Err(timed_out(component, paths, start.elapsed(), &last));
        }
        tokio::time::sleep(PROBE_INTERVAL).await;
    }
}

/// Probe for a component: etcd accepts TCP connections; the others answer
/// their health endpoint over TLS verified with the lab CA.
pub async fn probe(component: Component, admin: &Config, ports: &Ports) -> anyhow::Result<()> {
    match component {
        Component::Etcd => {
            tokio::net::TcpStream::connect(("127.0.0.1", ports.etcd_client)).await?;
            Ok(())
        }
        Component::ApiServer => get_ok(admin.clone(), "/readyz").await,
        Component::ControllerManager | Component::Scheduler => {
            // /healthz is always allowed without credentials on these components.
            let mut config = admin.clone();
            config.cluster_url = format!("https://127.0.0.1:{}", component.port(ports)).parse()?;
            config.auth_info = Default::default();
            get_ok(config, "/healthz").await
        }
        Component::Kwok => node_ready(admin).await,
    }
}

async fn get_ok(config: Config, path: &str) -> anyhow::Result<()> {
    let client = Client::try_from(config)?;
    let request = http::Request::get(path).body(Vec::new())?;
    let body = client.request_text(request).await?;
    if body.trim() == "ok" {
        Ok(())
    } else {
        anyhow::bail!("{path} answered {body:?}")
    }
}

/// kwok is ready once it has marked its node Ready.
async fn node_ready(admin: &Config) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(Client::try_from(admin.clone())?);
    let node = nodes.get(NODE_NAME).await?;
    let ready = node
        .status
        .and_then(|s| s.conditions)
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"));
    if ready {
        Ok(())
    } else {
        anyhow::bail!("node {NODE_NAME} is not Ready yet")
    }
}

/// Registers the fake node kwok will manage (idempotent: server-side apply).
pub async fn register_node(client: &Client) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let quantity = |q: &str| Quantity(q.to_string());
    let resources = BTreeMap::from([
        ("cpu".to_string(), quantity("32")),
        ("memory".to_string(), quantity("256Gi")),
        ("pods".to_string(), quantity("110")),
    ]);
    let mut node = Node::default();
    node.metadata.name = Some(NODE_NAME.into());
    node.metadata.annotations = Some(BTreeMap::from([
        ("kwok.x-k8s.io/node".to_string(), "fake".to_string()),
        ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
    ]));
    node.metadata.labels = Some(BTreeMap::from([
        ("kubernetes.io/hostname".to_string(), NODE_NAME.to_string()),
        ("kubernetes.io/os".to_string(), "linux".to_string()),
        ("kubernetes.io/arch".to_string(), "amd64".to_string()),
        ("type".to_string(), "kwok".to_string()),
    ]));
    node.status = Some(NodeStatus {
        allocatable: Some(resources.clone()),
        capacity: Some(resources),
        ..Default::default()
    });
    let mut json = serde_json::to_value(&node)?;
    json["apiVersion"] = "v1".into();
    json["kind"] = "Node".into();
    nodes
        .patch(
            NODE_NAME,
            &PatchParams::apply("kubetutor-lab").force(),
            &Patch::Apply(json),
        )
        .await
        .context("registering the kwok node")?;
    Ok(())
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
