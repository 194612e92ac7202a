//! Is a component serving? Each one is asked on its own health endpoint, never
//! judged by its pid: a SIGTERMed kube-apiserver keeps its pid for ~30 s while
//! /readyz already fails, and an etcd blocked on its data directory has a pid
//! but no client port. Every probe gives up after `PROBE_TIMEOUT` so `lab
//! status` stays quick.

use std::path::PathBuf;
use std::time::Duration;

use k8s_openapi::api::core::v1::Node;
use kube::client::Body;
use kube::config::AuthInfo;
use kube::{Api, Config};

use crate::transport;

use super::components::{Component, NODE_NAME};
use super::paths::LabPaths;
use super::ports::Ports;

/// Longest a single probe may take (connect, TLS, answer).
pub const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// The client certificate the probe shows etcd (which runs with
/// `--client-cert-auth`): the API server's own, the one identity etcd serves.
const ETCD_CLIENT_CERT: &str = "apiserver-etcd-client";

/// Everything needed to ask each component of one lab whether it serves.
#[derive(Clone)]
pub struct Prober {
    admin: Config,
    ports: Ports,
    etcd_cert: PathBuf,
    etcd_key: PathBuf,
    /// etcd's own CA, which signs its serving certificate.
    etcd_ca: PathBuf,
}

impl Prober {
    /// `admin` is the lab's admin config: its CA verifies every listener.
    pub fn new(paths: &LabPaths, admin: &Config, ports: Ports) -> Prober {
        let mut admin = admin.clone();
        admin.connect_timeout = Some(PROBE_TIMEOUT);
        admin.read_timeout = Some(PROBE_TIMEOUT);
        admin.write_timeout = Some(PROBE_TIMEOUT);
        // A probe answers now or counts as failed; retries belong to the caller.
        admin.default_retry = false;
        Prober {
            admin,
            ports,
            etcd_cert: paths.pki_file(&format!("{ETCD_CLIENT_CERT}.crt")),
            etcd_key: paths.pki_file(&format!("{ETCD_CLIENT_CERT}.key")),
            etcd_ca: paths.pki_file("etcd-ca.crt"),
        }
    }

    /// Ok when `component` serves; otherwise a one-line reason such as
    /// "/readyz answered 500: [-]shutdown failed" or "connection refused".
    pub async fn probe(&self, component: Component) -> Result<(), String> {
        let ask = async {
            match component {
                Component::Etcd => self.etcd().await,
                Component::ApiServer => self.apiserver().await,
                Component::ControllerManager | Component::Scheduler => {
                    self.healthz(component).await
                }
                Component::Kwok => self.kwok().await,
            }
        };
        match tokio::time::timeout(PROBE_TIMEOUT, ask).await {
            Ok(result) => result,
            Err(_) => Err(format!(
                "no answer within {:.1} s",
                PROBE_TIMEOUT.as_secs_f64()
            )),
        }
    }

    /// Ok once kwok has marked `name` Ready (up waits for this after starting kwok).
    pub async fn node_ready(&self, name: &str) -> Result<(), String> {
        let client = transport::client(&self.admin).map_err(|e| cause(&*e))?;
        let nodes: Api<Node> = Api::all(client);
        let node = nodes.get(name).await.map_err(|e| cause(&e))?;
        if is_ready(&node) {
            Ok(())
        } else {
            Err(format!("node {name} is not Ready"))
        }
    }

    /// etcd's own /health, over TLS with a client certificate, verified with
    /// etcd's CA: `{"health":"true",...}` only once it has a leader and
    /// serves reads. An open port alone proves nothing.
    async fn etcd(&self) -> Result<(), String> {
        let mut config = self.config_for(self.ports.etcd_client, "https")?;
        config.root_cert = Some(vec![pem_to_der(&self.etcd_ca)?]);
        config.auth_info = AuthInfo {
            client_certificate: Some(self.etcd_cert.display().to_string()),
            client_key: Some(self.etcd_key.display().to_string()),
            ..Default::default()
        };
        let (status, body) = get(config, "/health").await?;
        let health = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.get("health").and_then(|h| h.as_str()).map(str::to_owned));
        match (status, health.as_deref()) {
            (200, Some("true")) => Ok(()),
            _ => Err(format!("/health answered {status}: {}", one_line(&body))),
        }
    }

    async fn apiserver(&self) -> Result<(), String> {
        let (status, body) = get(self.admin.clone(), "/readyz").await?;
        expect_ok("/readyz", status, &body)
    }

    /// /healthz is open to anonymous callers on these components.
    async fn healthz(&self, component: Component) -> Result<(), String> {
        let mut config = self.config_for(component.port(&self.ports), "https")?;
        config.auth_info = AuthInfo::default();
        let (status, body) = get(config, "/healthz").await?;
        expect_ok("/healthz", status, &body)
    }

    /// kwok serves /healthz (plain HTTP) on its --server-address once its
    /// controllers run. Its node's Ready condition is no sign of life: it
    /// stays True in etcd for the lease's 40 s after kwok dies. But a node
    /// the API server reports NotReady means kwok is not doing its work.
    async fn kwok(&self) -> Result<(), String> {
        let config = self.config_for(self.ports.kwok, "http")?;
        // Asked side by side, the node with less time: a slow API server must
        // not make kwok look dead.
        let node = tokio::time::timeout(PROBE_TIMEOUT * 3 / 4, self.node(NODE_NAME));
        let (healthz, node) = tokio::join!(get(config, "/healthz"), node);
        let (status, body) = healthz?;
        expect_ok("/healthz", status, &body)?;
        match node {
            Ok(Ok(Some(node))) if !is_ready(&node) => Err(format!("node {NODE_NAME} is not Ready")),
            // Ready, not registered yet, or the API server does not answer:
            // /healthz decides.
            _ => Ok(()),
        }
    }

    async fn node(&self, name: &str) -> Result<Option<Node>, kube::Error> {
        let nodes: Api<Node> =
            Api::all(transport::client(&self.admin).map_err(|e| kube::Error::Service(e.into()))?);
        nodes.get_opt(name).await
    }

    fn config_for(&self, port: u16, scheme: &str) -> Result<Config, String> {
        let mut config = self.admin.clone();
        config.cluster_url = format!("{scheme}://127.0.0.1:{port}")
            .parse()
            .map_err(|e| format!("{e}"))?;
        Ok(config)
    }
}

/// The DER of the first certificate in a PEM file.
fn pem_to_der(path: &std::path::Path) -> Result<Vec<u8>, String> {
    use rustls::pki_types::{CertificateDer, pem::PemObject};
    let pem = std::fs::read(path).map_err(|e| format!("reading {}: {e}", path.display()))?;
    let der = CertificateDer::from_pem_slice(&pem)
        .map_err(|e| format!("{} holds no certificate: {e}", path.display()))?;
    Ok(der.to_vec())
}

pub fn is_ready(node: &Node) -> bool {
    node.status
        .as_ref()
        .and_then(|s| s.conditions.as_ref())
        .is_some_and(|cs| cs.iter().any(|c| c.type_ == "Ready" && c.status == "True"))
}

/// One GET: status code and body. A connection the server closed (it was
/// restarted) is dropped by the transport before use, and a request it could
/// not send goes once more on a fresh connection, so a probe never fails for
/// the previous server's sake.
async fn get(config: Config, path: &str) -> Result<(u16, String), String> {
    let client = transport::client(&config).map_err(|e| cause(&*e))?;
    let request = http::Request::get(path)
        .body(Body::from(Vec::new()))
        .map_err(|e| e.to_string())?;
    let response = client.send(request).await.map_err(|e| cause(&e))?;
    let status = response.status().as_u16();
    let body = response
        .into_body()
        .collect_bytes()
        .await
        .map_err(|e| cause(&e))?;
    Ok((status, String::from_utf8_lossy(&body).into_owned()))
}

/// Health endpoints answer the bare word "ok"; on failure kube components list
/// their checks, "[-]" marking the failing ones: those make the reason.
fn expect_ok(path: &str, status: u16, body: &str) -> Result<(), String> {
    if status == 200 && body.trim() == "ok" {
        return Ok(());
    }
    let failing: Vec<&str> = body
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("[-]"))
        .collect();
    let reason = if failing.is_empty() {
        one_line(body)
    } else {
        failing.join(", ")
    };
    Err(format!("{path} answered {status}: {reason}"))
}

fn one_line(text: &str) -> String {
    let line = text.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(160) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

/// The innermost cause of an error chain ("Connection refused (os error 111)"):
/// the outer layers (hyper, the client) only repeat that a request failed.
fn cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut innermost = err;
    while let Some(source) = innermost.source() {
        innermost = source;
    }
    let text = innermost.to_string();
    if text.is_empty() {
        err.to_string()
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failing_checks_make_the_reason() {
        let body =
            "[+]ping ok\n[+]etcd ok\n[-]shutdown failed: reason withheld\nreadyz check failed\n";
        assert_eq!(
            expect_ok("/readyz", 500, body).unwrap_err(),
            "/readyz answered 500: [-]shutdown failed: reason withheld"
        );
        assert_eq!(expect_ok("/healthz", 200, "ok\n"), Ok(()));
        assert_eq!(
            expect_ok("/healthz", 403, "{\"kind\":\"Status\"}").unwrap_err(),
            "/healthz answered 403: {\"kind\":\"Status\"}"
        );
    }
}
