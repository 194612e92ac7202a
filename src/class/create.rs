//! `kubetutor class create`: a namespace per attendee with an account that
//! is `admin` there and nothing elsewhere (plus read access to exactly what
//! the lesson's checks read outside it), and a kubeconfig per attendee.
//! Running it again adds missing attendees and renews every token.

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, Config};
use serde_json::json;

use super::{ACCOUNT, ATTENDEE_LABEL, LESSON_ANNOTATION, labels, namespace, roster};
use crate::cluster::kinds::Kinds;
use crate::cluster::scoped_user;
use crate::lesson::Lesson;
use crate::lesson::model::Need;

/// Field manager of what a class creates.
const MANAGER: &str = "kubetutor-class";

pub struct CreateOptions<'a> {
    pub class: &'a str,
    pub attendees: usize,
    pub lesson: &'a Lesson,
    pub token_seconds: i64,
    /// Where the kubeconfig files go.
    pub out: PathBuf,
}

/// What `create` did.
#[derive(Debug, Default)]
pub struct Created {
    /// Namespaces made by this run (others existed).
    pub added: Vec<String>,
    /// Every attendee's kubeconfig file.
    pub files: Vec<PathBuf>,
    /// What the attendees may read outside their namespaces, and why.
    pub grants: Vec<String>,
}

/// The name of the Role (and RoleBinding) granting a class's needs in a namespace.
pub fn grant_name(class: &str) -> String {
    format!("kubetutor-class-{class}")
}

pub async fn create(
    client: &Client,
    config: &Config,
    kinds: &Kinds,
    options: &CreateOptions<'_>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<Created> {
    let class = options.class;
    super::check_name(class)?;
    anyhow::ensure!(options.attendees > 0, "a class needs at least one attendee");
    let existing = roster::attendees(client, class).await?;
    if let Some(other) = existing.iter().find(|a| a.lesson != options.lesson.id) {
        anyhow::bail!(
            "class {class} already runs lesson {}, not {}: choose another class name, or \
             `kubetutor class delete {class}` first",
            other.lesson,
            options.lesson.id
        );
    }
    let count = existing
        .iter()
        .map(|a| a.number)
        .max()
        .unwrap_or(0)
        .max(options.attendees);
    let mut created = Created::default();
    let apply = PatchParams::apply(MANAGER).force();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    for number in 1..=count {
        let ns = namespace(class, number);
        let mut ns_labels = labels(class);
        ns_labels.insert(ATTENDEE_LABEL.into(), format!("{number:02}"));
        let is_new = !existing.iter().any(|a| a.number == number);
        namespaces
            .patch(
                &ns,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "v1", "kind": "Namespace",
                    "metadata": {
                        "name": ns,
                        "labels": ns_labels,
                        "annotations": {LESSON_ANNOTATION: options.lesson.id},
                    },
                })),
            )
            .await
            .with_context(|| format!("creating namespace {ns}"))?;
        scoped_user::ensure_namespace_admin(client, &ns, ACCOUNT, &labels(class)).await?;
        if is_new {
            created.added.push(ns.clone());
            progress(&format!(
                "namespace {ns}: created, {ACCOUNT} is admin there"
            ));
        }
    }
    created.grants = grant_needs(client, kinds, class, count, &options.lesson.needs).await?;
    for grant in &created.grants {
        progress(&format!("extra: {grant}"));
    }

    crate::files::create_private_dir(&options.out)?;
    for number in 1..=count {
        let ns = namespace(class, number);
        let text = scoped_user::kubeconfig(
            client,
            config,
            &ns,
            ACCOUNT,
            options.token_seconds,
            Some(&options.lesson.id),
        )
        .await?;
        let file = options.out.join(format!("attendee-{number:02}.kubeconfig"));
        crate::files::write_private(&file, text.as_bytes())?;
        created.files.push(file);
    }
    progress(&format!(
        "{count} kubeconfig files in {} (mode 0600), tokens valid {} h",
        options.out.display(),
        options.token_seconds / 3600
    ));
    Ok(created)
}

/// Grants every attendee read access to what the lesson needs outside their
/// namespace: per namespace, one Role (get, list, watch on exactly the named
/// objects) and one RoleBinding to every attendee's account.
async fn grant_needs(
    client: &Client,
    kinds: &Kinds,
    class: &str,
    count: usize,
    needs: &[Need],
) -> anyhow::Result<Vec<String>> {
    let mut by_namespace: BTreeMap<&str, Vec<&Need>> = BTreeMap::new();
    for need in needs {
        by_namespace.entry(&need.namespace).or_default().push(need);
    }
    let apply = PatchParams::apply(MANAGER).force();
    let name = grant_name(class);
    let subjects: Vec<serde_json::Value> = (1..=count)
        .map(|n| json!({"kind": "ServiceAccount", "name": ACCOUNT, "namespace": namespace(class, n)}))
        .collect();
    let mut grants = Vec::new();
    for (ns, needs) in by_namespace {
        let mut rules = Vec::new();
        for need in needs {
            let (resource, _) = kinds.by_kind(&need.kind).with_context(|| {
                format!(
                    "the lesson needs a {}, a kind this cluster does not serve",
                    need.kind
                )
            })?;
            rules.push(json!({
                "apiGroups": [resource.group],
                "resources": [resource.plural],
                "resourceNames": [need.name],
                "verbs": ["get", "list", "watch"],
            }));
            grants.push(format!(
                "read {} {} in {} — {}",
                need.kind, need.name, need.namespace, need.why
            ));
        }
        let roles: Api<k8s_openapi::api::rbac::v1::Role> = Api::namespaced(client.clone(), ns);
        roles
            .patch(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": name, "namespace": ns, "labels": labels(class)},
                    "rules": rules,
                })),
            )
            .await
            .with_context(|| format!("creating Role {name} in {ns}"))?;
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
            Api::namespaced(client.clone(), ns);
        bindings
            .patch(
                &name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": name, "namespace": ns, "labels": labels(class)},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": subjects,
                })),
            )
            .await
            .with_context(|| format!("creating RoleBinding {name} in {ns}"))?;
    }
    Ok(grants)
}
