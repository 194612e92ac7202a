//! A user who reaches one namespace only, as a workshop attendee on a shared
//! cluster gets: a ServiceAccount bound to the `admin` ClusterRole by a
//! RoleBinding in that namespace, and a kubeconfig holding a token for it
//! (TokenRequest: time-limited), the server and its CA, and the namespace
//! as the context's default.

use std::collections::BTreeMap;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use kube::api::{Patch, PatchParams};
use kube::{Api, Client, Config};
use secrecy::ExposeSecret;
use serde_json::json;

use super::token;

/// The field manager of what this module creates.
const MANAGER: &str = "kubetutor-scoped-user";

/// Creates (or updates) `namespace/account` and its RoleBinding to `admin`
/// in that namespace, with `labels` on both.
pub async fn ensure_namespace_admin(
    client: &Client,
    namespace: &str,
    account: &str,
    labels: &BTreeMap<String, String>,
) -> anyhow::Result<()> {
    let apply = PatchParams::apply(MANAGER).force();
    let accounts: Api<k8s_openapi::api::core::v1::ServiceAccount> =
        Api::namespaced(client.clone(), namespace);
    accounts
        .patch(
            account,
            &apply,
            &Patch::Apply(json!({
                "apiVersion": "v1", "kind": "ServiceAccount",
                "metadata": {"name": account, "namespace": namespace, "labels": labels},
            })),
        )
        .await
        .with_context(|| format!("creating ServiceAccount {account} in {namespace}"))?;
    let binding = format!("{account}-admin");
    let bindings: Api<k8s_openapi::api::rbac::v1::RoleBinding> =
        Api::namespaced(client.clone(), namespace);
    bindings
        .patch(
            &binding,
            &apply,
            &Patch::Apply(json!({
                "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
                "metadata": {"name": binding, "namespace": namespace, "labels": labels},
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "admin"},
                "subjects": [{"kind": "ServiceAccount", "name": account, "namespace": namespace}],
            })),
        )
        .await
        .with_context(|| format!("binding {account} to admin in {namespace}"))?;
    Ok(())
}

/// The cluster CA of `config` as PEM (what `certificate-authority-data` holds).
pub fn ca_pem(config: &Config) -> anyhow::Result<String> {
    let certs = config
        .root_cert
        .as_ref()
        .filter(|c| !c.is_empty())
        .context("the kubeconfig names no cluster CA; kubetutor verifies TLS and needs one")?;
    let mut pem = String::new();
    for der in certs {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        let encoded = STANDARD.encode(der);
        for line in encoded.as_bytes().chunks(64) {
            pem.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
    }
    Ok(pem)
}

/// The kubeconfig context extension that names the lesson a user is given
/// (`kubetutor class create`); the tutor opens it when no `--lesson` is given.
pub const LESSON_EXTENSION: &str = "kubetutor.dev/lesson";

/// A kubeconfig for a token user. `name` names its cluster, user and context;
/// `lesson`, when given, is written as a context extension. Built as data and
/// serialised, never spliced into YAML text: a value holding a newline, a
/// quote or `: ` stays that value (a class name, a lesson id, a token).
pub fn render(
    name: &str,
    server: &str,
    ca_pem: &str,
    token: &str,
    namespace: &str,
    lesson: Option<&str>,
) -> String {
    let mut context = serde_json::json!({
        "cluster": name,
        "user": name,
        "namespace": namespace,
    });
    if let Some(id) = lesson {
        // An extension is an object with apiVersion and kind, as kubectl expects.
        context["extensions"] = serde_json::json!([{
            "name": LESSON_EXTENSION,
            "extension": {"apiVersion": "kubetutor.dev/v1", "kind": "Lesson", "id": id},
        }]);
    }
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": name, "cluster": {
            "server": server,
            "certificate-authority-data": STANDARD.encode(ca_pem),
        }}],
        "users": [{"name": name, "user": {"token": token}}],
        "contexts": [{"name": name, "context": context}],
        "current-context": name,
    });
    crate::yaml::to_text(&config)
}

/// A kubeconfig for `namespace/account` with a token valid `seconds`,
/// talking to the same server, with the same CA, as `config`; and how long
/// its token is valid in seconds as the API server granted it: a server with
/// a maximum token lifetime shortens a longer request (with a warning the
/// caller would not see otherwise).
pub async fn kubeconfig(
    client: &Client,
    config: &Config,
    namespace: &str,
    account: &str,
    seconds: i64,
    lesson: Option<&str>,
) -> anyhow::Result<(String, Option<i64>)> {
    let token = token::request(client, namespace, account, seconds, None)
        .await
        .with_context(|| format!("creating a token for {namespace}/{account}"))?;
    let granted = super::jwt::decode(token.expose_secret())
        .ok()
        .and_then(|t| t.lifetime_seconds());
    let server = config.cluster_url.to_string();
    let text = render(
        &format!("{namespace}-{account}"),
        server.trim_end_matches('/'),
        &ca_pem(config)?,
        token.expose_secret(),
        namespace,
        lesson,
    );
    Ok((text, granted))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_kubeconfig_parses_and_defaults_to_its_namespace() {
        let text = render(
            "att-01",
            "https://127.0.0.1:6443",
            "PEM",
            &"x".repeat(900),
            "att-01",
            Some("serviceaccount-rbac"),
        );
        // A token (long) is one line, where a reader looks for it.
        assert!(
            text.contains(&format!("    token: {}\n", "x".repeat(900))),
            "{text}"
        );
        let config = kube::config::Kubeconfig::from_yaml(&text).unwrap();
        let extension = &config.contexts[0]
            .context
            .as_ref()
            .unwrap()
            .extensions
            .as_ref()
            .unwrap()[0];
        assert_eq!(extension.name, LESSON_EXTENSION);
        assert_eq!(extension.extension["id"], "serviceaccount-rbac");
        assert_eq!(config.current_context.as_deref(), Some("att-01"));
        let context = config.contexts[0].context.as_ref().unwrap();
        assert_eq!(context.namespace.as_deref(), Some("att-01"));
        let cluster = config.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("UEVN"));
        assert_eq!(cluster.insecure_skip_tls_verify, None);
    }

    /// Values that would break YAML spliced as text (a newline and a key, a
    /// quote, `: `, a `#`) come back exactly, and add nothing.
    #[test]
    fn values_stay_values_in_the_kubeconfig() {
        let namespace = "att-01\n    namespace: kube-system";
        let lesson = "x\"\ncurrent-context: evil # y: z";
        let token = "tok: en\nusers: []";
        let text = render(
            "att-01",
            "https://127.0.0.1:6443",
            "PEM",
            token,
            namespace,
            Some(lesson),
        );
        let config = kube::config::Kubeconfig::from_yaml(&text).unwrap();
        let context = config.contexts[0].context.as_ref().unwrap();
        assert_eq!(context.namespace.as_deref(), Some(namespace));
        assert_eq!(
            context.extensions.as_ref().unwrap()[0].extension["id"],
            lesson
        );
        assert_eq!(config.current_context.as_deref(), Some("att-01"));
        assert_eq!(config.auth_infos.len(), 1);
        let user = config.auth_infos[0].auth_info.as_ref().unwrap();
        use secrecy::ExposeSecret;
        assert_eq!(user.token.as_ref().unwrap().expose_secret(), token);
    }
}
