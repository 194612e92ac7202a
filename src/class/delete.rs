//! `kubetutor class delete`: every namespace, Role and RoleBinding the class
//! made (found by its label), deleted and waited for — and nothing else.

use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::core::v1::Namespace;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use kube::api::{DeleteParams, ListParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client, ResourceExt};

use super::CLASS_LABEL;
use crate::cluster::apply::server_message;

/// How long to wait for the namespaces to be gone (their controller deletes
/// everything in them first).
const WAIT: Duration = Duration::from_secs(180);

pub async fn delete(
    client: &Client,
    class: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<usize> {
    super::check_name(class)?;
    let selector = ListParams::default().labels(&format!("{CLASS_LABEL}={class}"));
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let doomed = namespaces.list(&selector).await.map_err(|e| {
        anyhow::anyhow!(
            "listing the namespaces of class {class}: {}",
            server_message(&e)
        )
    })?;
    let class_namespaces: Vec<String> = doomed.items.iter().map(ResourceExt::name_any).collect();
    let mut deleted = 0;

    // Grants outside the class's namespaces (those inside go with them).
    let outside = |ns: &Option<String>| ns.as_ref().is_none_or(|ns| !class_namespaces.contains(ns));
    let roles = Api::<Role>::all(client.clone()).list(&selector).await?;
    for role in roles
        .items
        .iter()
        .filter(|r| outside(&r.metadata.namespace))
    {
        let ns = role.namespace().unwrap_or_default();
        Api::<Role>::namespaced(client.clone(), &ns)
            .delete(&role.name_any(), &DeleteParams::default())
            .await?;
        progress(&format!("Role {} in {ns} deleted", role.name_any()));
        deleted += 1;
    }
    let bindings = Api::<RoleBinding>::all(client.clone())
        .list(&selector)
        .await?;
    for binding in bindings
        .items
        .iter()
        .filter(|b| outside(&b.metadata.namespace))
    {
        let ns = binding.namespace().unwrap_or_default();
        Api::<RoleBinding>::namespaced(client.clone(), &ns)
            .delete(&binding.name_any(), &DeleteParams::default())
            .await?;
        progress(&format!(
            "RoleBinding {} in {ns} deleted",
            binding.name_any()
        ));
        deleted += 1;
    }

    let started = Instant::now();
    let total = doomed.items.len();
    for ns in &doomed.items {
        namespaces
            .delete(&ns.name_any(), &DeleteParams::foreground())
            .await
            .map_err(|e| {
                anyhow::anyhow!(
                    "deleting namespace {}: {}",
                    ns.name_any(),
                    server_message(&e)
                )
            })?;
    }
    progress(&format!("deleting {total} namespaces …"));
    let waits = doomed.items.iter().map(|ns| {
        let name = ns.name_any();
        let uid = ns.uid().unwrap_or_default();
        let namespaces = namespaces.clone();
        async move {
            let gone = await_condition(namespaces, &name, conditions::is_deleted(&uid));
            let gone = tokio::time::timeout(WAIT, gone).await.is_ok();
            (name, gone)
        }
    });
    let mut left = Vec::new();
    for (name, gone) in join_all(waits).await {
        if gone {
            deleted += 1;
        } else {
            left.push(name);
        }
    }
    if !left.is_empty() {
        anyhow::bail!(
            "after {} s these namespaces are still being deleted: {} (see `kubectl get namespace NAME -o yaml`, \
             status.conditions, for what holds them)",
            WAIT.as_secs(),
            left.join(", ")
        );
    }
    progress(&format!(
        "{total} namespaces gone in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(deleted)
}
