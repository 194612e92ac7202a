//! The lesson's namespace: a namespace of its own by default (named after
//! the lesson), made for the learner when it is missing and their rights
//! allow — and, when they do not, a sentence saying what to do instead.

use k8s_openapi::api::core::v1::Namespace;
use kube::api::PostParams;
use kube::{Api, Client};

use super::rights::may;
use super::scope::Scope;
use crate::cluster::kinds::Kinds;
use crate::lesson::Lesson;

pub use crate::cluster::apply::MADE_FOR_LABEL;

/// Makes sure the lesson namespace exists. Ok(Some(line)) when it was made
/// now; an error saying what to do when it is missing and cannot be made.
pub async fn ensure(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
) -> anyhow::Result<Option<String>> {
    let made = make_if_missing(client, kinds, lesson).await?;
    // Before the lesson changes anything of its namespace: the labels it may
    // set and the quotas and limit ranges there now, for a reset to go back to.
    let keys = lesson.namespace_label_keys(0);
    let managed: Vec<String> = lesson
        .rights
        .iter()
        .flat_map(|r| r.manage.clone())
        .collect();
    let watched = crate::cluster::namespace_labels::Watched {
        label_keys: &keys,
        kinds: &managed,
    };
    if let Err(why) = crate::cluster::namespace_labels::record(
        client,
        kinds,
        &lesson.namespace,
        &lesson.id,
        &watched,
    )
    .await
    {
        tracing::warn!("lesson {}: {why}", lesson.id);
    }
    Ok(made)
}

async fn make_if_missing(
    client: &Client,
    kinds: &Kinds,
    lesson: &Lesson,
) -> anyhow::Result<Option<String>> {
    let name = lesson.namespace.as_str();
    let namespaces: Api<Namespace> = Api::all(client.clone());
    match namespaces.get_opt(name).await {
        Ok(Some(_)) => return Ok(None),
        Ok(None) => {}
        // Not allowed to look: an attendee's own namespace exists (their
        // class made it); the watches will say what they cannot see.
        Err(kube::Error::Api(status)) if status.code == 403 => return Ok(None),
        Err(err) => return Err(err.into()),
    }
    let allowed = match kinds.by_kind("Namespace") {
        Some((resource, _)) => may(client, "create", &resource, &Scope::all("Namespace", "")).await,
        None => false,
    };
    if !allowed {
        anyhow::bail!(
            "namespace {name} does not exist, and your kubeconfig may not create namespaces: \
             work in a namespace you have with `--namespace NAME` (a class attendee's is the one \
             in their kubeconfig), or ask for {name} to be created"
        );
    }
    let mut object = Namespace::default();
    object.metadata.name = Some(name.to_string());
    object.metadata.labels = Some([(MADE_FOR_LABEL.to_string(), lesson.id.clone())].into());
    match namespaces.create(&PostParams::default(), &object).await {
        Ok(_) => {
            wait_for_default_account(client, name).await;
            Ok(Some(format!(
                "created namespace {name} for lesson {} (a namespace of its own: nothing of another \
             lesson reaches it)",
                lesson.id
            )))
        }
        // Made meanwhile (a second tutor, kubectl): fine.
        Err(kube::Error::Api(status)) if status.code == 409 => Ok(None),
        Err(err) => Err(err.into()),
    }
}

/// The API server refuses Pods in a namespace until the controller-manager
/// has made its `default` ServiceAccount: wait for it (briefly), so the
/// learner's first Pod is not refused for a reason they cannot see.
async fn wait_for_default_account(client: &Client, namespace: &str) {
    use k8s_openapi::api::core::v1::ServiceAccount;
    use kube::runtime::wait::await_condition;
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let made = await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
        sa.is_some()
    });
    let _ = tokio::time::timeout(std::time::Duration::from_secs(10), made).await;
}
