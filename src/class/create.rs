//! `kubetutor class create`: a namespace per attendee with an account that
//! is `admin` there and nothing elsewhere (plus read access to exactly what
//! the lesson's checks read outside it), and a kubeconfig per attendee.
//! Running it again adds missing attendees and renews every token, revoking
//! the old ones (`renew`).

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, Config};
use serde_json::json;

use super::ledger;
use super::rights::Grantee;
use super::{
    ACCOUNT, ATTENDEE_LABEL, LESSON_ANNOTATION, LESSONS_ANNOTATION, labels, namespace, roster,
};
use crate::cluster::kinds::Kinds;
use crate::cluster::scoped_user;
use crate::lesson::Lesson;
use crate::lesson::model::Need;

/// Field manager of what a class creates.
const MANAGER: &str = "kubetutor-class";

pub struct CreateOptions<'a> {
    pub class: &'a str,
    pub attendees: usize,
    /// The lesson the attendees' kubeconfigs open (and the board shows).
    pub lesson: &'a Lesson,
    /// More lessons the attendees may take in their namespace: their needs
    /// and rights are granted too.
    pub also: &'a [Lesson],
    /// Grant rights that reach beyond the namespace (said, then granted).
    pub allow_risky: bool,
    pub token_seconds: i64,
    /// The attendee namespaces' ResourceQuota and LimitRange (`bounds`).
    pub sizes: super::bounds::Sizes,
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
    /// What the lessons' `rights:` let each attendee do beyond admin of
    /// their namespace, and why.
    pub rights: Vec<String>,
    /// The bounds of the attendee namespaces (Pod Security, ResourceQuota,
    /// LimitRange), in words.
    pub bounds: Vec<String>,
    /// Attendee namespaces whose account was re-created: every token issued
    /// before (the kubeconfig files handed out) no longer works.
    pub revoked: Vec<String>,
    /// Said when the cluster granted shorter tokens than asked.
    pub shortened: Option<String>,
}

/// `seconds` in words: "8 h", "1.5 h".
fn hours(seconds: i64) -> String {
    let hours = seconds as f64 / 3600.0;
    if (hours - hours.round()).abs() < 0.05 {
        format!("{} h", hours.round())
    } else {
        format!("{hours:.1} h")
    }
}

/// Refuses, before changing anything, when a name the class would take
/// holds an object the class did not make (by its record's UIDs).
async fn refuse_what_is_not_ours(
    client: &Client,
    class: &str,
    count: usize,
    needs: &[Need],
    rights: &[crate::lesson::model::Right],
    ledger: &ledger::Ledger,
    labelled: bool,
) -> anyhow::Result<()> {
    let mut wanted: Vec<(&str, Option<String>, String)> =
        vec![("Namespace", None, ledger::home(class))];
    for number in 1..=count {
        let ns = namespace(class, number);
        if rights
            .iter()
            .any(|r| matches!(r.need(), Some(crate::lesson::rights::Need::ClusterRoles(_))))
        {
            let grantee = Grantee {
                namespace: &ns,
                account: ACCOUNT,
            };
            let binding = super::rights::cluster_binding_name(&grantee);
            wanted.push(("ClusterRoleBinding", None, binding));
        }
        wanted.push(("Namespace", None, ns));
    }
    for ns in needs_namespaces(needs) {
        wanted.push(("Role", Some(ns.clone()), grant_name(class)));
        wanted.push(("RoleBinding", Some(ns), grant_name(class)));
    }
    let foreign = ledger::foreign(client, ledger, &wanted).await?;
    if !foreign.is_empty() && ledger.made.is_empty() && labelled {
        anyhow::bail!(
            "class {class} has no record of what it made, yet namespaces carry its label: {}. \
             Made by an older kubetutor (which kept no record), or labelled by someone else: \
             kubetutor will neither take them over nor delete them. Nothing was changed. Choose \
             another class name, or delete them yourself if they are yours",
            foreign.join(", ")
        );
    }
    anyhow::ensure!(
        foreign.is_empty(),
        "class {class} did not make {}, so it will not take {} over. Nothing was changed. \
         Choose another class name (or, if {} yours to remove, delete {} first)",
        foreign.join(", "),
        if foreign.len() == 1 { "it" } else { "them" },
        if foreign.len() == 1 {
            "it is"
        } else {
            "they are"
        },
        if foreign.len() == 1 { "it" } else { "them" },
    );
    Ok(())
}

fn needs_namespaces(needs: &[Need]) -> std::collections::BTreeSet<String> {
    needs.iter().map(|n| n.namespace.clone()).collect()
}

fn namespace_object(
    name: &str,
    labels: BTreeMap<String, String>,
    annotations: serde_json::Value,
) -> k8s_openapi::api::core::v1::Namespace {
    serde_json::from_value(json!({
        "apiVersion": "v1", "kind": "Namespace",
        "metadata": {"name": name, "labels": labels, "annotations": annotations},
    }))
    .expect("a Namespace")
}

/// Gives attendee namespace `ns` its ResourceQuota and LimitRange (recorded
/// by UID, so `delete` goes by the record), and removes the class's own ones
/// that `bounds` no longer wants (a run with `--quota none` after one without).
async fn bound(
    client: &Client,
    class: &str,
    ns: &str,
    bounds: &super::bounds::Bounds,
    ledger: &mut ledger::Ledger,
) -> anyhow::Result<()> {
    let name = super::bounds::NAME;
    let applied = super::bounds::apply(client, ns, bounds, &labels(class)).await?;
    for kind in ["ResourceQuota", "LimitRange"] {
        match applied.iter().find(|(k, _)| *k == kind) {
            Some((_, uid)) => ledger.note(kind, Some(ns), name, uid.clone()),
            None => {
                if let Some(made) = ledger.take(kind, Some(ns), name) {
                    ledger::delete(client, &made).await?;
                }
            }
        }
    }
    ledger::write(client, class, ledger).await
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
    let lessons: Vec<&Lesson> = std::iter::once(options.lesson)
        .chain(options.also)
        .collect();
    let rights: Vec<crate::lesson::model::Right> = lessons
        .iter()
        .flat_map(|l| l.rights.clone())
        .fold(Vec::new(), |mut all, right| {
            if !all.contains(&right) {
                all.push(right);
            }
            all
        });
    if !options.allow_risky
        && let Some(risk) = rights.iter().find_map(|r| r.risk())
    {
        anyhow::bail!(
            "a lesson of this class needs a right that reaches beyond an attendee's namespace: \
             {risk}. Nothing was created. If that is acceptable on this cluster, run again with \
             --allow-risky-rights"
        );
    }
    let needs: Vec<Need> =
        lessons
            .iter()
            .flat_map(|l| l.needs.clone())
            .fold(Vec::new(), |mut all, need| {
                if !all.contains(&need) {
                    all.push(need);
                }
                all
            });
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
    let mut ledger = ledger::read(client, class).await?.unwrap_or_default();
    let labelled = !existing.is_empty();
    refuse_what_is_not_ours(client, class, count, &needs, &rights, &ledger, labelled).await?;
    let mut created = Created::default();
    let bounds = super::bounds::Bounds::for_lessons(&rights, &options.sizes);
    created.bounds = bounds.describe(&options.sizes);
    let pod_security = bounds.pod_security.clone();
    let home = ledger::home(class);
    if ledger.uid_of("Namespace", None, &home).is_none()
        || ledger::uid_now(client, "Namespace", None, &home)
            .await?
            .is_none()
    {
        let uid =
            ledger::create_namespace(client, &namespace_object(&home, labels(class), json!({})))
                .await?;
        ledger.note("Namespace", None, &home, uid);
        ledger::write(client, class, &ledger).await?;
        progress(&format!(
            "namespace {home}: created, holds the class's record"
        ));
    }
    let apply = PatchParams::apply(MANAGER).force();
    let namespaces: Api<k8s_openapi::api::core::v1::Namespace> = Api::all(client.clone());
    let mut revoked = Vec::new();
    for number in 1..=count {
        let ns = namespace(class, number);
        let mut ns_labels = labels(class);
        ns_labels.insert(ATTENDEE_LABEL.into(), format!("{number:02}"));
        ns_labels.extend(pod_security.clone().unwrap_or_default());
        let annotations = json!({
            LESSON_ANNOTATION: options.lesson.id,
            LESSONS_ANNOTATION: lessons.iter().map(|l| l.id.as_str()).collect::<Vec<_>>().join(","),
        });
        let ours = ledger.uid_of("Namespace", None, &ns).is_some()
            && ledger::uid_now(client, "Namespace", None, &ns)
                .await?
                .is_some();
        let is_new = !ours;
        if ours {
            // Checked above: the namespace of this name is the one the class made.
            namespaces
                .patch(
                    &ns,
                    &apply,
                    &Patch::Apply(json!({
                        "apiVersion": "v1", "kind": "Namespace",
                        "metadata": {"name": ns, "labels": ns_labels, "annotations": annotations},
                    })),
                )
                .await
                .with_context(|| format!("updating namespace {ns}"))?;
        } else {
            let uid =
                ledger::create_namespace(client, &namespace_object(&ns, ns_labels, annotations))
                    .await?;
            ledger.note("Namespace", None, &ns, uid);
            ledger::write(client, class, &ledger).await?;
        }
        if ours && let Some(revoking) = super::renew::revoke_tokens(client, &ns, ACCOUNT).await? {
            revoked.push(revoking);
            created.revoked.push(ns.clone());
            progress(&format!(
                "namespace {ns}: {ACCOUNT} re-created, so its old tokens stop working"
            ));
        }
        scoped_user::ensure_namespace_admin(client, &ns, ACCOUNT, &labels(class)).await?;
        let grantee = Grantee {
            namespace: &ns,
            account: ACCOUNT,
        };
        created.rights = super::rights::grant(
            client,
            kinds,
            &grantee,
            &rights,
            options.allow_risky,
            &labels(class),
        )
        .await?;
        let binding = super::rights::cluster_binding_name(&grantee);
        if let Some(uid) = ledger::uid_now(client, "ClusterRoleBinding", None, &binding).await?
            && ledger.uid_of("ClusterRoleBinding", None, &binding) != Some(uid.as_str())
        {
            // Recorded at once: a run cut short later must not leave it unrecorded.
            ledger.note("ClusterRoleBinding", None, &binding, uid);
            ledger::write(client, class, &ledger).await?;
        }
        bound(client, class, &ns, &bounds, &mut ledger).await?;
        if is_new {
            created.added.push(ns.clone());
            progress(&format!(
                "namespace {ns}: created, {ACCOUNT} is admin there"
            ));
        }
    }
    let grantees: Vec<(String, usize)> = (1..=count).map(|n| (namespace(class, n), n)).collect();
    let subjects: Vec<Grantee> = grantees
        .iter()
        .map(|(ns, _)| Grantee {
            namespace: ns,
            account: ACCOUNT,
        })
        .collect();
    created.grants = grant_needs_to(
        client,
        kinds,
        &grant_name(class),
        &subjects,
        &needs,
        &labels(class),
    )
    .await?;
    for grant in &created.grants {
        progress(&format!("extra: {grant}"));
    }
    for ns in needs_namespaces(&needs) {
        for kind in ["Role", "RoleBinding"] {
            let name = grant_name(class);
            if let Some(uid) = ledger::uid_now(client, kind, Some(&ns), &name).await? {
                ledger.note(kind, Some(&ns), &name, uid);
            }
        }
    }
    ledger::write(client, class, &ledger).await?;

    crate::files::ensure_private_dir(&options.out)?;
    let mut shortest = options.token_seconds;
    for number in 1..=count {
        let ns = namespace(class, number);
        let (text, granted) = scoped_user::kubeconfig(
            client,
            config,
            &ns,
            ACCOUNT,
            options.token_seconds,
            Some(&options.lesson.id),
        )
        .await?;
        shortest = shortest.min(granted.unwrap_or(options.token_seconds));
        let file = options.out.join(format!("attendee-{number:02}.kubeconfig"));
        crate::files::write_private(&file, text.as_bytes())?;
        let path = std::fs::canonicalize(&file).unwrap_or_else(|_| file.clone());
        let path = path.display().to_string();
        if !ledger.files.contains(&path) {
            ledger.files.push(path);
        }
        created.files.push(file);
    }
    // Paths only, so `delete` can say which files it leaves.
    ledger::write(client, class, &ledger).await?;
    progress(&format!(
        "{count} kubeconfig files in {} (mode 0600), tokens valid {}",
        options.out.display(),
        hours(shortest)
    ));
    if !revoked.is_empty() {
        progress("waiting until the API server refuses every old token (about 10 s) …");
        super::renew::confirm(client, &revoked).await?;
    }
    // A minute's slack: the server counts from its own clock.
    if shortest < options.token_seconds - 60 {
        created.shortened = Some(format!(
            "The cluster shortened the tokens to {} (asked: {}): it caps token lifetime \
             (kube-apiserver --service-account-max-token-expiration). Run `kubetutor class \
             create` again before they expire (that renews every token)",
            hours(shortest),
            hours(options.token_seconds)
        ));
    }
    Ok(created)
}

/// Grants each of `grantees` read access to what a lesson needs outside
/// their namespaces: per namespace, one Role `name` (get, list, watch on
/// exactly the named objects) and one RoleBinding `name` to every grantee.
pub async fn grant_needs_to(
    client: &Client,
    kinds: &Kinds,
    name: &str,
    grantees: &[Grantee<'_>],
    needs: &[Need],
    labels: &BTreeMap<String, String>,
) -> anyhow::Result<Vec<String>> {
    let mut by_namespace: BTreeMap<&str, Vec<&Need>> = BTreeMap::new();
    for need in needs {
        by_namespace.entry(&need.namespace).or_default().push(need);
    }
    let apply = PatchParams::apply(MANAGER).force();
    let subjects: Vec<serde_json::Value> = grantees
        .iter()
        .map(|g| json!({"kind": "ServiceAccount", "name": g.account, "namespace": g.namespace}))
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
                name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
                    "metadata": {"name": name, "namespace": ns, "labels": labels},
                    "rules": rules,
                })),
            )
            .await
            .with_context(|| format!("creating Role {name} in {ns}"))?;
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
            Api::namespaced(client.clone(), ns);
        bindings
            .patch(
                name,
                &apply,
                &Patch::Apply(json!({
                    "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                    "metadata": {"name": name, "namespace": ns, "labels": labels},
                    "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": name},
                    "subjects": subjects,
                })),
            )
            .await
            .with_context(|| format!("creating RoleBinding {name} in {ns}"))?;
    }
    Ok(grants)
}

/// Removes the Roles and RoleBindings called `name` that `grant_needs_to`
/// made for `needs`.
pub async fn revoke_needs_of(client: &Client, name: &str, needs: &[Need]) -> anyhow::Result<()> {
    let namespaces: std::collections::BTreeSet<&str> =
        needs.iter().map(|n| n.namespace.as_str()).collect();
    for ns in namespaces {
        let roles: Api<k8s_openapi::api::rbac::v1::Role> = Api::namespaced(client.clone(), ns);
        let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
            Api::namespaced(client.clone(), ns);
        for result in [
            bindings.delete(name, &Default::default()).await.map(|_| ()),
            roles.delete(name, &Default::default()).await.map(|_| ()),
        ] {
            match result {
                Ok(()) => {}
                Err(kube::Error::Api(status)) if status.code == 404 => {}
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(())
}
