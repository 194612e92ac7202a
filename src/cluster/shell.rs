//! A shell "in" a pod. Where the pod runs real containers, that is
//! `kubectl exec -ti POD -- sh`. On the local lab (kwok nodes run no
//! containers) it is a shell on this machine that holds what the pod holds —
//! its own token (bound to the pod, in an environment variable only, never in
//! a file), the cluster CA, its namespace and the API server address — and
//! says so plainly.

use std::path::PathBuf;

use kube::{Client, Config};
use secrecy::ExposeSecret;

use super::token::{self, BoundPod};
use crate::tree::Tree;

/// What the shell key runs.
#[derive(Debug, Clone)]
pub enum ShellPlan {
    /// `kubectl` with these arguments.
    Exec { program: PathBuf, args: Vec<String> },
    /// A local shell with the pod's view in its environment.
    PodView {
        env: Vec<(String, String)>,
        banner: String,
    },
}

/// `kubectl` from PATH; where there is none, the local lab's own (built with
/// it, the server's version), so `s` works on the real-node lab out of the box.
fn kubectl() -> PathBuf {
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("kubectl").is_file()));
    if !on_path
        && let Ok(paths) = crate::lab::LabPaths::from_env()
        && let Some(bin) = crate::lab::bin_dir(&paths)
        && bin.join("kubectl").is_file()
    {
        return bin.join("kubectl");
    }
    PathBuf::from("kubectl")
}

/// Decides how to open a shell for `pod` (JSON) and prepares it.
pub async fn plan(
    client: &Client,
    config: &Config,
    kubeconfig: Option<&PathBuf>,
    context: Option<&str>,
    pod: &Tree,
    ca_file: PathBuf,
) -> Result<ShellPlan, String> {
    let name = pod["metadata"]["name"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let namespace = pod["metadata"]["namespace"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let node = pod["spec"]["nodeName"].as_str().unwrap_or_default();
    if node.is_empty() {
        return Err(format!("Pod {name} is not scheduled on a node yet"));
    }
    if super::pod_exec::runs_containers(client, pod).await {
        let mut args = Vec::new();
        if let Some(path) = kubeconfig {
            args.push(format!("--kubeconfig={}", path.display()));
        }
        if let Some(context) = context {
            args.push(format!("--context={context}"));
        }
        args.extend(["exec", "-ti", &name, "-n", &namespace, "--", "sh"].map(String::from));
        return Ok(ShellPlan::Exec {
            program: kubectl(),
            args,
        });
    }
    let account = pod["spec"]["serviceAccountName"]
        .as_str()
        .unwrap_or("default")
        .to_string();
    let uid = pod["metadata"]["uid"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let bound = BoundPod {
        name: name.clone(),
        uid,
    };
    let token = token::request(
        client,
        &namespace,
        &account,
        token::DEFAULT_EXPIRATION_SECONDS,
        Some(&bound),
    )
    .await
    .map_err(|e| {
        format!(
            "no token for Pod {name}: {}",
            super::apply::server_message(&e)
        )
    })?;
    let ca = config
        .root_cert
        .as_ref()
        .and_then(|certs| certs.first())
        .map(|der| pem("CERTIFICATE", der))
        .ok_or("the kubeconfig has no cluster CA to give the shell")?;
    std::fs::write(&ca_file, ca).map_err(|e| format!("writing {}: {e}", ca_file.display()))?;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let banner = format!(
        "This shell runs on your machine, not in Pod {name}: the lab's pods run no containers.\n\
         It holds what the Pod holds (ServiceAccount {account}):\n\
         \x20 $TOKEN      the Pod's token, bound to it, valid 10 minutes (only in this shell's environment)\n\
         \x20 $CACERT     the cluster CA (the Pod's ca.crt)\n\
         \x20 $NAMESPACE  {namespace}\n\
         \x20 $APISERVER  {server} (in a Pod: https://kubernetes.default.svc)\n\
         Try: curl --cacert $CACERT -H \"Authorization: Bearer $TOKEN\" $APISERVER/api/v1/namespaces/$NAMESPACE/pods\n\
         Type exit to return to kubetutor."
    );
    let env = vec![
        ("TOKEN".to_string(), token.expose_secret().to_string()),
        ("CACERT".to_string(), ca_file.display().to_string()),
        ("NAMESPACE".to_string(), namespace),
        ("APISERVER".to_string(), server),
        ("PS1".to_string(), format!("[{name}] $ ")),
    ];
    Ok(ShellPlan::PodView { env, banner })
}

fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine;
    let body = base64::engine::general_purpose::STANDARD.encode(der);
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN {label}-----\n{}\n-----END {label}-----\n",
        lines.join("\n")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_wraps_base64_at_64_columns() {
        let text = pem("CERTIFICATE", &[0u8; 100]);
        assert!(text.starts_with("-----BEGIN CERTIFICATE-----\n"));
        assert!(
            text.lines()
                .skip(1)
                .take_while(|l| !l.starts_with("-----"))
                .all(|l| l.len() <= 64)
        );
    }
}
