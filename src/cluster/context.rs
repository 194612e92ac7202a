//! What the kubeconfig's context says before any request: its namespace
//! (kubectl's default namespace), the lesson a class gave this user, and the
//! context and server the status bar names.

use kube::config::Kubeconfig;

use super::connect::Target;
use super::scoped_user::LESSON_EXTENSION;

/// Defaults the current context carries, if any.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ContextDefaults {
    pub namespace: Option<String>,
    pub lesson: Option<String>,
}

/// Reads the kubeconfig of `target` (no network). A file that cannot be read
/// gives no defaults; connecting will say what is wrong with it.
pub fn defaults(target: &Target) -> ContextDefaults {
    let kubeconfig = match &target.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    kubeconfig
        .map(|k| of(&k, target.context.as_deref()))
        .unwrap_or_default()
}

/// Where the learner is talking to.
#[derive(Debug, Clone, Default)]
pub struct ClusterLabel {
    pub context: String,
    pub server: String,
}

/// Context and server from the kubeconfig file alone (no network), for the
/// status bar and the progress file's key.
pub fn label(target: &Target) -> ClusterLabel {
    let kubeconfig = match &target.kubeconfig {
        Some(path) => Kubeconfig::read_from(path),
        None => Kubeconfig::read(),
    };
    let Ok(kubeconfig) = kubeconfig else {
        return ClusterLabel::default();
    };
    let context = target
        .context
        .clone()
        .or(kubeconfig.current_context.clone())
        .unwrap_or_default();
    let cluster_name = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .map(|c| c.cluster.clone())
        .unwrap_or_default();
    let server = kubeconfig
        .clusters
        .iter()
        .find(|c| c.name == cluster_name)
        .and_then(|c| c.cluster.as_ref())
        .and_then(|c| c.server.clone())
        .unwrap_or_default();
    ClusterLabel { context, server }
}

fn of(kubeconfig: &Kubeconfig, context: Option<&str>) -> ContextDefaults {
    let Some(name) = context.or(kubeconfig.current_context.as_deref()) else {
        return ContextDefaults::default();
    };
    let Some(context) = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == name)
        .and_then(|c| c.context.as_ref())
    else {
        return ContextDefaults::default();
    };
    let lesson = context
        .extensions
        .iter()
        .flatten()
        .find(|e| e.name == LESSON_EXTENSION)
        .and_then(|e| e.extension["id"].as_str())
        .map(str::to_string);
    ContextDefaults {
        // A context that names `default` says nothing a lesson should
        // follow: each lesson has a namespace of its own unless told.
        namespace: context
            .namespace
            .clone()
            .filter(|n| !n.is_empty() && n != "default"),
        lesson,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_class_kubeconfig_names_its_namespace_and_lesson() {
        let text = crate::cluster::scoped_user::render(
            "c-01",
            "https://127.0.0.1:1",
            "PEM",
            "t",
            "c-01",
            Some("serviceaccount-rbac"),
        );
        let kubeconfig = Kubeconfig::from_yaml(&text).unwrap();
        assert_eq!(
            of(&kubeconfig, None),
            ContextDefaults {
                namespace: Some("c-01".into()),
                lesson: Some("serviceaccount-rbac".into())
            }
        );
        assert_eq!(of(&kubeconfig, Some("other")), ContextDefaults::default());
    }
}
