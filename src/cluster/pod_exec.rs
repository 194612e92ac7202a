//! A request sent from *inside* a Pod's container, where the cluster runs real
//! containers: curl with the Pod's mounted token and ca.crt, run through exec.
//! The command and the parsing of its output are plain functions, unit-tested;
//! the exec itself needs a cluster with containers (not the kwok lab).

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::Client;
use kube::api::{Api, AttachParams};
use tokio::io::AsyncReadExt;

use super::request::ApiResponse;

const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";
/// Printed by curl after the body, so the status can be told from the body.
const STATUS_MARKER: &str = "__KUBETUTOR_STATUS__";
/// What a Pod calls the API server (a name in the serving certificate).
pub const IN_CLUSTER_SERVER: &str = "https://kubernetes.default.svc";

/// The shell script run in the container. The token is read from the Pod's
/// own mount inside the container: it never leaves the Pod. TLS is verified
/// with the mounted ca.crt; there is no insecure option.
pub fn script(method: &str, path: &str, anonymous: bool) -> String {
    let auth = if anonymous {
        String::new()
    } else {
        format!(" -H \"Authorization: Bearer $(cat {SERVICE_ACCOUNT_DIR}/token)\"")
    };
    format!(
        "command -v curl >/dev/null 2>&1 || {{ echo 'kubetutor: this image has no curl' >&2; exit 127; }}; \
         curl -sS --cacert {SERVICE_ACCOUNT_DIR}/ca.crt{auth} -X {method} -w '\\n{STATUS_MARKER}%{{http_code}}' \
         '{IN_CLUSTER_SERVER}{path}'"
    )
}

/// The exec command: `sh -c SCRIPT`.
pub fn command(method: &str, path: &str, anonymous: bool) -> Vec<String> {
    vec!["sh".into(), "-c".into(), script(method, path, anonymous)]
}

/// Splits curl's output into the answer's status and body.
pub fn parse_output(stdout: &str) -> Result<ApiResponse, String> {
    let (body, status) = stdout
        .rsplit_once(STATUS_MARKER)
        .ok_or_else(|| "curl printed no status: the request did not complete".to_string())?;
    let status = status
        .trim()
        .parse::<u16>()
        .map_err(|_| format!("curl printed an odd status {status:?}"))?;
    if status == 0 {
        return Err("curl could not reach the API server from the Pod".into());
    }
    Ok(ApiResponse {
        status,
        body: body.strip_suffix('\n').unwrap_or(body).to_string(),
    })
}

/// Whether `pod` (JSON) runs on a node with real containers. kwok's fake nodes
/// do not, and an exec there would make the API server dial a fake node
/// address: never try. A node we may not read counts as real.
pub async fn runs_containers(client: &Client, pod: &serde_json::Value) -> bool {
    let Some(node) = pod["spec"]["nodeName"].as_str().filter(|n| !n.is_empty()) else {
        return false; // not scheduled: nothing runs yet
    };
    // A container runtime names every container it starts ("containerd://…");
    // kwok marks containers running without one. This needs no right to read
    // Nodes, which a namespace-scoped user does not have.
    let started_by_a_runtime = pod["status"]["containerStatuses"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["containerID"].as_str().is_some_and(|id| !id.is_empty()));
    if !started_by_a_runtime {
        return false;
    }
    match Api::<Node>::all(client.clone()).get_opt(node).await {
        Ok(Some(node)) => !is_fake(&node),
        Ok(None) => false,
        Err(_) => true,
    }
}

/// A node kwok simulates.
pub fn is_fake(node: &Node) -> bool {
    node.metadata
        .annotations
        .as_ref()
        .is_some_and(|a| a.get("kwok.x-k8s.io/node").is_some_and(|v| v == "fake"))
}

/// Runs the request in the Pod's first container. Err says why (no curl,
/// exec refused, …) so the caller can fall back and say so.
pub async fn request(
    client: &Client,
    namespace: &str,
    pod: &str,
    method: &str,
    path: &str,
    anonymous: bool,
) -> Result<ApiResponse, String> {
    let pods: Api<Pod> = Api::namespaced(client.clone(), namespace);
    let params = AttachParams::default()
        .stdin(false)
        .stdout(true)
        .stderr(true);
    let mut process = pods
        .exec(pod, command(method, path, anonymous), &params)
        .await
        .map_err(|e| format!("exec into Pod {pod} failed: {e}"))?;
    let mut stdout = String::new();
    let mut stderr = String::new();
    if let Some(mut out) = process.stdout() {
        let _ = out.read_to_string(&mut stdout).await;
    }
    if let Some(mut err) = process.stderr() {
        let _ = err.read_to_string(&mut stderr).await;
    }
    let _ = process.join().await;
    parse_output(&stdout).map_err(|e| {
        if stderr.trim().is_empty() {
            e
        } else {
            format!("{e}: {}", stderr.trim())
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_verifies_tls_with_the_pods_ca_and_reads_its_token_in_place() {
        let script = script("GET", "/api/v1/namespaces/demo/pods", false);
        assert!(
            script.contains("--cacert /var/run/secrets/kubernetes.io/serviceaccount/ca.crt"),
            "{script}"
        );
        assert!(
            script.contains("Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)"),
            "{script}"
        );
        assert!(
            script.contains("'https://kubernetes.default.svc/api/v1/namespaces/demo/pods'"),
            "{script}"
        );
        assert!(
            !script.contains("--insecure") && !script.contains(" -k "),
            "{script}"
        );
        let anonymous = super::script("GET", "/api/v1", true);
        assert!(!anonymous.contains("Authorization"), "{anonymous}");
        assert_eq!(
            command("GET", "/api", true)[..2],
            ["sh".to_string(), "-c".to_string()]
        );
    }

    #[test]
    fn output_is_split_into_body_and_status() {
        let out = "{\n  \"kind\": \"Status\",\n  \"code\": 403\n}\n__KUBETUTOR_STATUS__403";
        let response = parse_output(out).unwrap();
        assert_eq!(response.status, 403);
        assert_eq!(response.json().unwrap()["code"], 403);
        assert!(parse_output("curl: (6) Could not resolve host").is_err());
        assert!(
            parse_output("\n__KUBETUTOR_STATUS__000")
                .unwrap_err()
                .contains("could not reach")
        );
    }
}
