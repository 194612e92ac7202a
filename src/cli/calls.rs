//! `kubetutor token` and `kubetutor call`: the TUI's token view and request
//! runner on the command line.

use std::process::ExitCode;

use anyhow::Context;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{ApiResource, DynamicObject};
use kube::{Api, Client};

use super::ClusterArgs;
use crate::checks::Snapshot;
use crate::checks::remote::{self, RemoteContext};
use crate::cluster::callers::Callers;
use crate::cluster::describe;
use crate::lesson::model::{Action, Caller, RequestSpec};

/// Lines of a response body printed by `call` before folding.
const BODY_LINES: usize = 200;

async fn namespace_and_client(
    cluster: &ClusterArgs,
    namespace: Option<&str>,
) -> anyhow::Result<(kube::Config, Client, String)> {
    let config = cluster.target().config().await?;
    let namespace = namespace
        .map(str::to_string)
        .unwrap_or_else(|| config.default_namespace.clone());
    let client = crate::transport::client(&config)?;
    Ok((config, client, namespace))
}

pub async fn token(
    cluster: &ClusterArgs,
    namespace: Option<&str>,
    account: &str,
    reveal: bool,
) -> anyhow::Result<ExitCode> {
    let (_, client, namespace) = namespace_and_client(cluster, namespace).await?;
    println!("Token for ServiceAccount {account} in namespace {namespace} (TokenRequest)");
    let lines = describe::token(&client, &namespace, account, reveal).await;
    let failed = lines.first().is_some_and(|l| l.starts_with("no token"));
    for line in lines {
        println!("{line}");
    }
    if !reveal && !failed {
        println!("(the token is hidden: add --reveal to print it; treat it like a password)");
    }
    if !failed {
        super::acts::record_run(
            cluster,
            &namespace,
            |action| matches!(action, Action::Token(t) if t.service_account == account),
        );
    }
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// `anonymous`, `sa:NAME` or `pod:NAME`.
pub fn parse_caller(text: &str) -> anyhow::Result<Caller> {
    match text.split_once(':') {
        None if text == "anonymous" => Ok(Caller::Anonymous),
        Some(("sa", name)) if !name.is_empty() => Ok(Caller::ServiceAccount(name.into())),
        Some(("pod", name)) if !name.is_empty() => Ok(Caller::Pod(name.into())),
        _ => anyhow::bail!("--as {text:?}: use anonymous, sa:NAME or pod:NAME"),
    }
}

pub async fn call(
    cluster: &ClusterArgs,
    namespace: Option<&str>,
    caller: &str,
    method: &str,
    path: &str,
) -> anyhow::Result<ExitCode> {
    let caller = parse_caller(caller)?;
    let method = method.to_uppercase();
    crate::syntax::request_line::check_method(&method).map_err(anyhow::Error::msg)?;
    crate::syntax::request_line::check_path(path).map_err(anyhow::Error::msg)?;
    let (config, client, namespace) = namespace_and_client(cluster, namespace).await?;
    // A pod caller needs the pod itself (its uid and ServiceAccount).
    let mut snapshot = Snapshot::new();
    if let Caller::Pod(name) = &caller {
        // Untyped: the whole Pod as the server gives it, as the engine keeps
        // a Pod the lesson names.
        let pods: Api<DynamicObject> =
            Api::namespaced_with(client.clone(), &namespace, &ApiResource::erase::<Pod>(&()));
        let pod = pods
            .get_opt(name)
            .await
            .with_context(|| format!("reading Pod {name}"))?
            .with_context(|| format!("there is no Pod {name} in namespace {namespace}"))?;
        let mut value = serde_json::to_value(pod)?;
        value["kind"] = "Pod".into();
        snapshot.insert(value);
    }
    let callers = Callers::new();
    let ctx = RemoteContext {
        client: &client,
        config: &config,
        kinds: None,
        lesson: "",
        namespace: &namespace,
        snapshot: &snapshot,
        callers: &callers,
        local_reviews: true,
        sees_accounts: false,
        sees_cluster_rbac: false,
    };
    let spec = RequestSpec {
        caller: caller.clone(),
        method,
        path: path.to_string(),
    };
    let sent = remote::send(&spec, &ctx, remote::Route::Inside)
        .await
        .map_err(|outcome| anyhow::anyhow!(outcome.message))?;
    println!("{} {path}", spec.method);
    for line in describe::response(&sent.response, &sent.who, sent.note.as_deref(), BODY_LINES) {
        println!("{line}");
    }
    super::acts::record_run(cluster, &namespace, |action| {
        matches!(action, Action::Request(r)
            if r.caller == spec.caller && r.method == spec.method && r.path == spec.path)
    });
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_parse_and_bad_ones_say_what_is_accepted() {
        assert_eq!(parse_caller("anonymous").unwrap(), Caller::Anonymous);
        assert_eq!(
            parse_caller("sa:demo-sa").unwrap(),
            Caller::ServiceAccount("demo-sa".into())
        );
        assert_eq!(
            parse_caller("pod:pod-default").unwrap(),
            Caller::Pod("pod-default".into())
        );
        let err = parse_caller("user:bob").unwrap_err().to_string();
        assert!(err.contains("anonymous, sa:NAME or pod:NAME"), "{err}");
        assert!(parse_caller("sa:").is_err());
    }
}
