//! Who runs a lesson's examples: the kubeconfig's own user (on the lab and
//! most personal clusters an admin), or a class attendee — a ServiceAccount
//! that is admin of its namespace plus exactly what `kubetutor class create`
//! grants for the lesson (`needs:` reads, `rights:`). Each case gets a
//! scratch namespace of its own, made and removed by the kubeconfig's user.

use std::time::Duration;

use anyhow::Context;
use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::{DeleteParams, ListParams, PostParams};
use kube::runtime::wait::await_condition;
use kube::{Api, Client, Config};

use crate::class::{self, rights::Grantee};
use crate::cluster::kinds::Kinds;
use crate::cluster::request::{Identity as Credentials, config_for};
use crate::lesson::Lesson;

/// Label on every scratch namespace, so a crashed run's leftovers can be found.
pub const SCRATCH_LABEL: &str = "kubetutor.dev/proof";
/// The attendee's ServiceAccount, named as `class create` names it.
const ACCOUNT: &str = class::ACCOUNT;
/// An example run takes minutes at most.
const TOKEN_SECONDS: i64 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum As {
    /// The kubeconfig's own user.
    Admin,
    /// A class attendee of the lesson.
    Attendee,
}

impl std::fmt::Display for As {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            As::Admin => "admin",
            As::Attendee => "attendee",
        })
    }
}

/// A scratch namespace and the configuration to work in it as `who`.
pub struct Scratch {
    pub namespace: String,
    pub config: Config,
    admin: Client,
    needs: Vec<crate::lesson::model::Need>,
}

impl Scratch {
    /// Creates `namespace` (labelled as scratch) and, for an attendee, its
    /// account with the class's grants for `lesson`.
    pub async fn create(
        admin: &Client,
        admin_config: &Config,
        kinds: &Kinds,
        namespace: &str,
        who: As,
        lesson: &Lesson,
    ) -> anyhow::Result<Scratch> {
        let namespaces: Api<Namespace> = Api::all(admin.clone());
        let mut object = Namespace::default();
        object.metadata.name = Some(namespace.to_string());
        object.metadata.labels = Some([(SCRATCH_LABEL.to_string(), lesson.id.clone())].into());
        namespaces
            .create(&PostParams::default(), &object)
            .await
            .with_context(|| format!("creating the scratch namespace {namespace}"))?;
        let scratch = Scratch {
            namespace: namespace.to_string(),
            config: admin_config.clone(),
            admin: admin.clone(),
            needs: lesson.needs.clone(),
        };
        // Pods need the namespace's default ServiceAccount to be admitted.
        let accounts: Api<ServiceAccount> = Api::namespaced(admin.clone(), namespace);
        tokio::time::timeout(
            Duration::from_secs(30),
            await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
                sa.is_some()
            }),
        )
        .await
        .context("the controller-manager made no default ServiceAccount within 30 s")??;
        match who {
            As::Admin => Ok(scratch),
            As::Attendee => scratch.into_attendee(kinds, lesson).await,
        }
    }

    async fn into_attendee(mut self, kinds: &Kinds, lesson: &Lesson) -> anyhow::Result<Scratch> {
        let labels = [(SCRATCH_LABEL.to_string(), lesson.id.clone())].into();
        crate::cluster::scoped_user::ensure_namespace_admin(
            &self.admin,
            &self.namespace,
            ACCOUNT,
            &labels,
        )
        .await?;
        self.bound_as_a_class(lesson).await?;
        let grantee = Grantee {
            namespace: &self.namespace,
            account: ACCOUNT,
        };
        class::create::grant_needs_to(
            &self.admin,
            kinds,
            &format!("kubetutor-proof-{}", self.namespace),
            std::slice::from_ref(&grantee),
            &lesson.needs,
            &labels,
        )
        .await?;
        class::rights::grant(&self.admin, kinds, &grantee, &lesson.rights, true, &labels).await?;
        let token = crate::cluster::token::request(
            &self.admin,
            &self.namespace,
            ACCOUNT,
            TOKEN_SECONDS,
            None,
        )
        .await
        .context("a token for the attendee")?;
        self.config = config_for(&self.config, &Credentials::Bearer(token));
        self.await_rights_in_force(kinds, lesson).await?;
        Ok(self)
    }

    /// The namespace policy `class create` gives an attendee namespace of a
    /// class taking this lesson, with its default sizes: Pod Security labels,
    /// ResourceQuota, LimitRange (`class::bounds`). The proof is only true of
    /// a class if the attendee works under the same bounds.
    async fn bound_as_a_class(&self, lesson: &Lesson) -> anyhow::Result<()> {
        use kube::api::{Patch, PatchParams};
        let bounds =
            class::bounds::Bounds::for_lessons(&lesson.rights, &class::bounds::Sizes::default());
        if let Some(labels) = &bounds.pod_security {
            Api::<Namespace>::all(self.admin.clone())
                .patch(
                    &self.namespace,
                    &PatchParams::default(),
                    &Patch::Merge(serde_json::json!({"metadata": {"labels": labels}})),
                )
                .await
                .with_context(|| format!("labelling {} for Pod Security", self.namespace))?;
        }
        let labels = [(SCRATCH_LABEL.to_string(), lesson.id.clone())].into();
        class::bounds::apply(&self.admin, &self.namespace, &bounds, &labels).await?;
        Ok(())
    }

    /// RBAC changes reach the API server's authorizer through a watch: ask,
    /// as the attendee, until what was just granted is allowed.
    async fn await_rights_in_force(&self, kinds: &Kinds, lesson: &Lesson) -> anyhow::Result<()> {
        use crate::engine::rights::{may, missing_rights};
        use crate::engine::scope::Scope;
        let client = crate::transport::client(&self.config)?;
        let pods = kinds.by_kind("Pod").map(|(r, _)| r);
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let admin_here = match &pods {
                Some(pods) => may(&client, "list", pods, &Scope::all("Pod", &self.namespace)).await,
                None => true,
            };
            let missing = missing_rights(&client, kinds, lesson).await;
            if admin_here && missing.is_empty() {
                return Ok(());
            }
            anyhow::ensure!(
                tokio::time::Instant::now() < deadline,
                "the attendee's rights are not in force 15 s after they were granted: {}",
                missing
                    .first()
                    .map_or("admin of the namespace", |m| m.sentence.as_str())
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Deletes the namespace and what was made for it outside (needs
    /// grants, rights, ClusterRoles named after it); waits for none of it.
    pub async fn remove(self) {
        let grantee = Grantee {
            namespace: &self.namespace,
            account: ACCOUNT,
        };
        if let Err(err) = class::create::revoke_needs_of(
            &self.admin,
            &format!("kubetutor-proof-{}", self.namespace),
            &self.needs,
        )
        .await
        {
            tracing::warn!("removing the needs grant of {}: {err:#}", self.namespace);
        }
        if let Err(err) = class::rights::revoke(&self.admin, &grantee).await {
            tracing::warn!("revoking the rights of {}: {err:#}", self.namespace);
        }
        remove_cluster_objects_named_after(&self.admin, &self.namespace).await;
        let namespaces: Api<Namespace> = Api::all(self.admin.clone());
        let _ = namespaces
            .delete(&self.namespace, &DeleteParams::background())
            .await;
    }
}

/// ClusterRoles and ClusterRoleBindings a lesson made in this namespace's
/// name (`<namespace>-…`), however they were made (editor or kubectl).
async fn remove_cluster_objects_named_after(admin: &Client, namespace: &str) {
    use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding};
    let prefix = crate::k8s_names::cluster_prefix(namespace);
    let roles: Api<ClusterRole> = Api::all(admin.clone());
    let bindings: Api<ClusterRoleBinding> = Api::all(admin.clone());
    if let Ok(list) = bindings.list(&ListParams::default()).await {
        for binding in list.items {
            let name = binding.metadata.name.unwrap_or_default();
            if name.starts_with(&prefix) {
                let _ = bindings.delete(&name, &DeleteParams::background()).await;
            }
        }
    }
    if let Ok(list) = roles.list(&ListParams::default()).await {
        for role in list.items {
            let name = role.metadata.name.unwrap_or_default();
            if name.starts_with(&prefix) {
                let _ = roles.delete(&name, &DeleteParams::background()).await;
            }
        }
    }
}
