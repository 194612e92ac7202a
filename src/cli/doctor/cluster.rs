//! The cluster side: which kubeconfig and context, whether the API server
//! answers, whether the lesson loads, and what the current user may do for it
//! (asked with SelfSubjectAccessReviews, as the engine does before watching).

use std::collections::BTreeSet;
use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Namespace;
use kube::{Api, Client};

use super::Finding;
use crate::cli::{ClusterArgs, LessonArgs};
use crate::cluster::kinds::Kinds;
use crate::engine::rights::{self, Sight};
use crate::engine::scope::{LessonScopes, Scope};
use crate::k8s_names::object_namespace;
use crate::lesson::catalog;

/// How long the API server has to answer discovery.
const REACH_TIMEOUT: Duration = Duration::from_secs(5);

const NO_CLUSTER_FIX: &str = "start the local lab with `kubetutor lab up` (with no kubeconfig of \
                              your own kubetutor then uses it), or pass --kubeconfig and --context \
                              for your cluster";

pub async fn findings(lesson_args: &LessonArgs, cluster: &ClusterArgs) -> Vec<Finding> {
    let mut out = Vec::new();
    let lesson_args = lesson_args.with_context_defaults(cluster);
    out.push(match catalog::resolve(lesson_args.lessons_dir.as_deref()) {
        Ok(root) => Finding::ok("lessons", root.to_string().replace("lessons root: ", "")),
        Err(err) => Finding::block(
            "lessons",
            format!("{err:#}"),
            "set XDG_CACHE_HOME to a writable folder, or name a lessons folder with --lessons-dir",
        ),
    });
    let lesson = match lesson_args.load() {
        Ok(lesson) => {
            out.push(Finding::ok(
                "lesson",
                format!(
                    "{} ({} steps), namespace {}",
                    lesson.id,
                    lesson.steps.len(),
                    lesson.namespace
                ),
            ));
            Some(lesson)
        }
        Err(err) => {
            out.push(Finding::block(
                "lesson",
                format!("{err:#}"),
                "pick a lesson from `kubetutor lessons` with --lesson, or fix it (`kubetutor lessons lint`)",
            ));
            None
        }
    };

    let Some(client) = connect(cluster, &mut out).await else {
        return out;
    };
    let kinds = match tokio::time::timeout(REACH_TIMEOUT, Kinds::discover(&client)).await {
        Ok(Ok(kinds)) => kinds,
        Ok(Err(err)) => {
            out.push(Finding::block(
                "reach",
                format!("the API server answered discovery with an error: {}", crate::engine::health::short_error(&err)),
                "check the server address and your credentials (`kubectl version` with the same kubeconfig)",
            ));
            return out;
        }
        Err(_) => {
            out.push(Finding::block(
                "reach",
                format!("no answer within {} s", REACH_TIMEOUT.as_secs()),
                "is the cluster running and its address reachable from here? For the local lab: `kubetutor lab status`",
            ));
            return out;
        }
    };
    let version = client
        .apiserver_version()
        .await
        .map(|v| v.git_version)
        .unwrap_or_else(|_| "version unknown".into());
    out.push(Finding::ok(
        "reach",
        format!("the API server answers (Kubernetes {version})"),
    ));
    if let Some(lesson) = lesson {
        out.extend(rights(&client, &kinds, &lesson).await);
    }
    out
}

/// The kubeconfig and context line, and a client when they load.
async fn connect(cluster: &ClusterArgs, out: &mut Vec<Finding>) -> Option<Client> {
    let target = cluster.target();
    let file: Option<PathBuf> = target.kubeconfig.clone().or_else(|| {
        std::env::var_os("KUBECONFIG")
            .filter(|k| !k.is_empty())
            .map(PathBuf::from)
            .or_else(|| directories::BaseDirs::new().map(|b| b.home_dir().join(".kube/config")))
    });
    let Some(file) = file.filter(|f| f.exists()) else {
        out.push(Finding::block(
            "kubeconfig",
            "none: no --kubeconfig, $KUBECONFIG or ~/.kube/config, and the local lab is not running",
            NO_CLUSTER_FIX,
        ));
        return None;
    };
    let label = crate::cluster::context::label(&target);
    let why = cluster
        .chosen
        .as_ref()
        .map(|c| format!(" — chosen by kubetutor: {c}"))
        .unwrap_or_default();
    match target.config().await {
        Ok(config) => {
            out.push(Finding::ok(
                "kubeconfig",
                format!(
                    "{}, context {}, server {}{why}",
                    file.display(),
                    if label.context.is_empty() {
                        "(none)"
                    } else {
                        &label.context
                    },
                    config.cluster_url
                ),
            ));
            match crate::transport::client(&config) {
                Ok(client) => Some(client),
                Err(err) => {
                    out.push(Finding::block("reach", format!("{err}"), NO_CLUSTER_FIX));
                    None
                }
            }
        }
        Err(err) => {
            out.push(Finding::block(
                "kubeconfig",
                format!("{} does not load: {err:#}", file.display()),
                "fix the file or the --context you named (`kubectl config get-contexts` lists them)",
            ));
            None
        }
    }
}

/// What the user may read for the lesson (warn: steps show `?`), whether its
/// namespace exists and whether the user may create what the lesson makes
/// (block: the lesson cannot be done).
async fn rights(client: &Client, kinds: &Kinds, lesson: &crate::lesson::Lesson) -> Vec<Finding> {
    let mut out = Vec::new();
    let ns = lesson.namespace.as_str();
    match Api::<Namespace>::all(client.clone()).get_opt(ns).await {
        Ok(None) => {
            let may_create = match kinds.by_kind("Namespace") {
                Some((resource, _)) => {
                    rights::may(client, "create", &resource, &Scope::all("Namespace", "")).await
                }
                None => false,
            };
            out.push(if may_create {
                Finding::ok(
                    "namespace",
                    format!("{ns} does not exist yet: the tutor creates it when the lesson starts"),
                )
            } else {
                Finding::block(
                    "namespace",
                    format!("{ns} does not exist, and you may not create namespaces"),
                    "work in a namespace you have with -n NAME (a class attendee's is the one in their kubeconfig)",
                )
            });
        }
        Ok(Some(_)) => out.push(Finding::ok("namespace", format!("{ns} exists"))),
        // A namespace admin may not read namespaces: nothing to say.
        Err(_) => {}
    }

    let watch_set = LessonScopes::of(lesson).watch_set();
    let mut blind = Vec::new();
    let mut polled = Vec::new();
    for scope in &watch_set {
        let sight = match kinds.by_kind(&scope.kind) {
            Some((resource, _)) => rights::sight(client, &resource, scope).await,
            None => Sight::Blind("not served".into()),
        };
        match sight {
            Sight::Watch => {}
            Sight::Get => polled.push(scope.describe()),
            Sight::Blind(_) => blind.push(scope.describe()),
        }
    }
    let polled_note = if polled.is_empty() {
        String::new()
    } else {
        format!("; read by name only (polled): {}", polled.join(", "))
    };
    if blind.is_empty() {
        out.push(Finding::ok(
            "read",
            format!(
                "may list and watch all {} things the lesson reads{polled_note}",
                watch_set.len()
            ),
        ));
    } else {
        out.push(Finding::warn(
            "read",
            format!(
                "may not read {} ({} of {} things the lesson reads){polled_note}",
                blind.join(", "),
                blind.len(),
                watch_set.len()
            ),
            "steps that need them show ? (cannot be checked); for all of them ask the cluster's \
             admin for get, list and watch on those (`kubetutor class create` grants exactly \
             this), or use the local lab (`kubetutor --lab`)",
        ));
    }
    if !rights::may_review_anyone(client).await {
        out.push(Finding::ok(
            "access",
            format!("may not ask about others cluster-wide: access checks ask in {ns} (LocalSubjectAccessReview) instead"),
        ));
    }

    // Rights the lesson declares beyond namespace admin: the same sentence
    // the steps that need them show.
    let declared = crate::lesson::rights::declared_kinds(&lesson.rights);
    let missing = rights::missing_rights(client, kinds, lesson).await;
    for lacking in &missing {
        out.push(Finding::block(
            "rights",
            format!("needs a right you do not have: {}", lacking.sentence),
            "steps that need it cannot be done with this kubeconfig; the others can",
        ));
    }
    if missing.is_empty() && !lesson.rights.is_empty() {
        out.push(Finding::ok(
            "rights",
            format!(
                "you have the {} right(s) the lesson needs beyond namespace admin",
                lesson.rights.len()
            ),
        ));
    }

    let mut forbidden = Vec::new();
    let owned: BTreeSet<(String, String)> = lesson
        .owns
        .iter()
        .filter(|o| !declared.contains(&o.kind))
        .map(|o| {
            (
                o.kind.clone(),
                object_namespace(&o.kind, o.namespace.as_deref(), ns).to_string(),
            )
        })
        .collect();
    for (kind, namespace) in &owned {
        if let Some((resource, _)) = kinds.by_kind(kind)
            && !rights::may(client, "create", &resource, &Scope::all(kind, namespace)).await
        {
            forbidden.push(Scope::all(kind, namespace).describe());
        }
    }
    if forbidden.is_empty() {
        out.push(Finding::ok(
            "create",
            format!("may create what the lesson makes ({} kinds)", owned.len()),
        ));
    } else {
        out.push(Finding::block(
            "create",
            format!("may not create {}", forbidden.join(", ")),
            format!("ask for the admin or edit role in {ns} (a RoleBinding), or pick a namespace of your own with -n"),
        ));
    }
    out
}
