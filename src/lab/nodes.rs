//! The lab's fake nodes. `up` registers `kwok-node-0`; benchmarks that need room
//! for more Pods register `kwok-node-1..` (`lab nodes N`). kwok manages exactly
//! the nodes annotated `kwok.x-k8s.io/node=fake` (its
//! `--manage-nodes-with-annotation-selector`), so every node here carries it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use anyhow::Context;
use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::core::v1::{Node, NodeStatus};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use kube::api::{DeleteParams, ListParams, Patch, PatchParams};
use kube::runtime::{WatchStreamExt, watcher};
use kube::{Api, Client};

use super::components::NODE_NAME;
use super::probe::is_ready;

/// Pod slots of one fake node (its allocatable `pods`), as on a default kubelet.
pub const PODS_PER_NODE: u32 = 110;
/// Label every fake node of the lab carries.
const KWOK_LABEL: (&str, &str) = ("type", "kwok");
const NAME_PREFIX: &str = "kwok-node-";
/// How long `add_nodes` waits for kwok to mark new nodes Ready (it takes
/// about a second per batch).
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// Registrations in flight at once when adding many nodes.
const PARALLEL: usize = 8;

/// `kwok-node-<index>`; index 0 is the node `up` registers.
pub fn node_name(index: u32) -> String {
    format!("{NAME_PREFIX}{index}")
}

/// Registers the fake node `name` for kwok to manage (idempotent: server-side apply).
pub async fn register_node(client: &Client, name: &str) -> anyhow::Result<()> {
    let nodes: Api<Node> = Api::all(client.clone());
    let quantity = |q: &str| Quantity(q.to_string());
    let resources = BTreeMap::from([
        ("cpu".to_string(), quantity("32")),
        ("memory".to_string(), quantity("256Gi")),
        ("pods".to_string(), quantity(&PODS_PER_NODE.to_string())),
    ]);
    let mut node = Node::default();
    node.metadata.name = Some(name.into());
    node.metadata.annotations = Some(BTreeMap::from([
        ("kwok.x-k8s.io/node".to_string(), "fake".to_string()),
        ("node.alpha.kubernetes.io/ttl".to_string(), "0".to_string()),
    ]));
    node.metadata.labels = Some(BTreeMap::from([
        ("kubernetes.io/hostname".to_string(), name.to_string()),
        ("kubernetes.io/os".to_string(), "linux".to_string()),
        ("kubernetes.io/arch".to_string(), "amd64".to_string()),
        (KWOK_LABEL.0.to_string(), KWOK_LABEL.1.to_string()),
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
            name,
            &PatchParams::apply("kubetutor-lab").force(),
            &Patch::Apply(json),
        )
        .await
        .with_context(|| format!("registering the kwok node {name}"))?;
    Ok(())
}

/// Registers `kwok-node-1..` so that `total` kwok nodes exist (with `kwok-node-0`,
/// which `up` registers), each with room for `PODS_PER_NODE` Pods, and waits
/// until all are Ready, so Pods can be scheduled on them at once. Never
/// removes a node (see `remove_nodes_from`); returns the names of the `total` nodes.
pub async fn add_nodes(client: &Client, total: u32) -> anyhow::Result<Vec<String>> {
    let names: Vec<String> = (0..total).map(node_name).collect();
    debug_assert_eq!(names.first().map(String::as_str), Some(NODE_NAME));
    futures::stream::iter(names.iter().map(|name| register_node(client, name)))
        .buffer_unordered(PARALLEL)
        .try_collect::<Vec<()>>()
        .await?;
    wait_nodes_ready(client, &names, READY_TIMEOUT).await?;
    Ok(names)
}

/// Deletes the lab's fake nodes numbered `total` and above (their Pods are then
/// garbage-collected by the controller-manager); returns their names.
pub async fn remove_nodes_from(client: &Client, total: u32) -> anyhow::Result<Vec<String>> {
    let nodes: Api<Node> = Api::all(client.clone());
    let selector = format!("{}={}", KWOK_LABEL.0, KWOK_LABEL.1);
    let list = nodes
        .list_metadata(&ListParams::default().labels(&selector))
        .await
        .context("listing the lab's kwok nodes")?;
    let mut removed = Vec::new();
    for node in list.items {
        let Some(name) = node.metadata.name else {
            continue;
        };
        let index = name
            .strip_prefix(NAME_PREFIX)
            .and_then(|i| i.parse::<u32>().ok());
        if index.is_some_and(|i| i >= total) {
            nodes
                .delete(&name, &DeleteParams::default())
                .await
                .with_context(|| format!("deleting node {name}"))?;
            removed.push(name);
        }
    }
    Ok(removed)
}

/// Waits until every node in `names` is Ready (kwok marks them so), watching
/// the lab's kwok nodes rather than polling each.
pub async fn wait_nodes_ready(
    client: &Client,
    names: &[String],
    timeout: Duration,
) -> anyhow::Result<()> {
    let mut waiting: BTreeSet<&str> = names.iter().map(String::as_str).collect();
    let nodes: Api<Node> = Api::all(client.clone());
    let selector = format!("{}={}", KWOK_LABEL.0, KWOK_LABEL.1);
    let mut events = std::pin::pin!(
        watcher(nodes, watcher::Config::default().labels(&selector)).default_backoff()
    );
    let all_ready = async {
        while !waiting.is_empty() {
            match events.next().await {
                Some(Ok(event)) => {
                    // Apply and the initial list carry objects; Delete cannot make one Ready.
                    if let watcher::Event::Apply(node) | watcher::Event::InitApply(node) = event
                        && is_ready(&node)
                        && let Some(name) = node.metadata.name.as_deref()
                    {
                        waiting.remove(name);
                    }
                }
                // The backoff retries; a lasting failure ends in the timeout below.
                Some(Err(_)) => {}
                None => break,
            }
        }
    };
    let finished = tokio::time::timeout(timeout, all_ready).await.is_ok();
    if finished && waiting.is_empty() {
        return Ok(());
    }
    let late: Vec<&str> = waiting.into_iter().collect();
    anyhow::bail!(
        "after {} s these nodes are not Ready: {}. kwok marks them Ready: check it with \
         `kubetutor lab status` and its log",
        timeout.as_secs(),
        late.join(", ")
    )
}
