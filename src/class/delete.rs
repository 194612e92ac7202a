//! `kubetutor class delete`: exactly what the class's record lists, each
//! object checked by its UID before it goes (another object of the same name
//! stays), plus what the attendees made cluster-wide; then it says which
//! kubeconfig files remain on disk.

use std::time::{Duration, Instant};

use futures::future::join_all;
use k8s_openapi::api::core::v1::Namespace;
use kube::api::{DeleteParams, ListParams};
use kube::runtime::wait::{await_condition, conditions};
use kube::{Api, Client, ResourceExt};

use super::{CLASS_LABEL, ledger};

/// How long to wait for the namespaces to be gone (their controller deletes
/// everything in them first).
const WAIT: Duration = Duration::from_secs(180);

/// What `delete` did.
#[derive(Debug, Default)]
pub struct Deleted {
    pub count: usize,
    /// Objects of a recorded name that are not the recorded ones: left.
    pub left: Vec<String>,
    /// The kubeconfig files `create` wrote that are still on disk.
    pub files: Vec<String>,
}

pub async fn delete(
    client: &Client,
    class: &str,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Deleted> {
    super::check_name(class)?;
    let Some(ledger) = ledger::read(client, class).await? else {
        anyhow::bail!(
            "class {class} has no record on this cluster (no ConfigMap kubetutor-class in a \
             namespace {home}): nothing was deleted. A class made by an older kubetutor, or none: \
             look with `kubectl get namespaces -l {CLASS_LABEL}={class}` and delete what is yours",
            home = ledger::home(class)
        )
    };
    let mut deleted = Deleted::default();
    let home = ledger::home(class);
    // Grants outside the namespaces first, the namespaces (and everything
    // in them) after, the class's own namespace with its record last.
    let rank = |m: &ledger::Made| match (m.kind.as_str(), m.name == home) {
        ("Namespace", true) => 2,
        ("Namespace", false) => 1,
        _ => 0,
    };
    let mut made = ledger.made.clone();
    made.sort_by_key(rank);
    let class_namespaces: Vec<String> = made
        .iter()
        .filter(|m| m.kind == "Namespace")
        .map(|m| m.name.clone())
        .collect();
    deleted.count += delete_cluster_grants(client, &class_namespaces, progress).await?;
    let started = Instant::now();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    let mut waiting = Vec::new();
    for m in &made {
        if rank(m) == 2 {
            // Wait for the attendee namespaces before the record goes.
            deleted.count += wait_for(&namespaces, &waiting, progress, started).await?;
            waiting.clear();
        }
        match ledger::delete(client, m).await? {
            ledger::Outcome::Deleted if m.kind == "Namespace" => {
                waiting.push((m.name.clone(), m.uid.clone()))
            }
            ledger::Outcome::Deleted => {
                progress(&format!("{m} deleted"));
                deleted.count += 1;
            }
            ledger::Outcome::Gone => {}
            ledger::Outcome::NotOurs(uid) => {
                progress(&format!(
                    "{m}: another object has its name now (uid {uid}): left alone"
                ));
                deleted.left.push(m.to_string());
            }
        }
    }
    deleted.count += wait_for(&namespaces, &waiting, progress, started).await?;
    deleted.files = ledger
        .files
        .iter()
        .filter(|f| std::path::Path::new(f).exists())
        .cloned()
        .collect();
    Ok(deleted)
}

/// Waits for namespaces being deleted to be gone; how many are.
async fn wait_for(
    namespaces: &Api<Namespace>,
    doomed: &[(String, String)],
    progress: &mut dyn FnMut(&str),
    started: Instant,
) -> anyhow::Result<usize> {
    if doomed.is_empty() {
        return Ok(0);
    }
    progress(&format!("deleting {} namespaces …", doomed.len()));
    let waits = doomed.iter().map(|(name, uid)| {
        let namespaces = namespaces.clone();
        async move {
            let gone = await_condition(namespaces, name, conditions::is_deleted(uid));
            (name.clone(), tokio::time::timeout(WAIT, gone).await.is_ok())
        }
    });
    let mut left = Vec::new();
    let mut gone = 0;
    for (name, ok) in join_all(waits).await {
        if ok {
            gone += 1;
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
        "{gone} namespaces gone after {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    Ok(gone)
}

/// The ClusterRoles and ClusterRoleBindings the attendees made: named after
/// their namespaces, as the admission policy makes them be (the class's own
/// are in its record). They outlive the namespaces otherwise.
async fn delete_cluster_grants(
    client: &Client,
    class_namespaces: &[String],
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<usize> {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let made_by_attendee = |name: &str| {
        class_namespaces
            .iter()
            .any(|ns| name.starts_with(&crate::k8s_names::cluster_prefix(ns)))
    };
    let mut deleted = 0;
    let bindings: Api<ClusterRoleBinding> = Api::all(client.clone());
    let all_bindings = bindings.list(&ListParams::default()).await?;
    let roles: Api<ClusterRole> = Api::all(client.clone());
    let all_roles = roles.list(&ListParams::default()).await?;
    for name in all_bindings
        .items
        .iter()
        .map(ResourceExt::name_any)
        .filter(|n| made_by_attendee(n))
    {
        bindings.delete(&name, &DeleteParams::default()).await?;
        progress(&format!("ClusterRoleBinding {name} deleted"));
        deleted += 1;
    }
    for name in all_roles
        .items
        .iter()
        .map(ResourceExt::name_any)
        .filter(|n| made_by_attendee(n))
    {
        roles.delete(&name, &DeleteParams::default()).await?;
        progress(&format!("ClusterRole {name} deleted"));
        deleted += 1;
    }
    Ok(deleted)
}
