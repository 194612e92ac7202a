//! etcd on the lab: its own CA, so it accepts the API server's client
//! certificate and no other lab identity's (the admin's system:masters
//! certificate included); its peer listener speaks TLS only. Real requests
//! to the lab's etcd.

mod common;

use common::lab;
use kube::Config;
use kube::config::AuthInfo;

fn pki(name: &str) -> std::path::PathBuf {
    lab().paths.pki_file(name)
}

fn port(name: &str) -> u16 {
    let state: serde_json::Value =
        serde_json::from_slice(&std::fs::read(lab().paths.state_file()).unwrap()).unwrap();
    state["ports"][name].as_u64().unwrap() as u16
}

fn der(pem_file: &std::path::Path) -> Vec<u8> {
    use base64::Engine;
    let pem = std::fs::read_to_string(pem_file).unwrap();
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

/// GET `path` on `https://127.0.0.1:port`, verifying with etcd's CA, as `cert`.
async fn get_as(port: u16, scheme: &str, cert: &str, path: &str) -> Result<u16, String> {
    let mut config = Config::new(format!("{scheme}://127.0.0.1:{port}").parse().unwrap());
    config.root_cert = Some(vec![der(&pki("etcd-ca.crt"))]);
    config.auth_info = AuthInfo {
        client_certificate: Some(pki(&format!("{cert}.crt")).display().to_string()),
        client_key: Some(pki(&format!("{cert}.key")).display().to_string()),
        ..Default::default()
    };
    config.default_retry = false;
    let client = kubetutor::transport::client(&config).map_err(|e| format!("{e:#}"))?;
    let request = http::Request::get(path).body(Vec::new()).unwrap();
    client
        .send(request.map(kube::client::Body::from))
        .await
        .map(|r| r.status().as_u16())
        .map_err(|e| format!("{e:#}"))
}

#[tokio::test]
async fn etcd_accepts_only_the_apiservers_certificate_and_its_peer_port_is_tls() {
    let client_port = port("etcd_client");
    assert_eq!(
        get_as(client_port, "https", "apiserver-etcd-client", "/health").await,
        Ok(200)
    );
    for other in ["admin", "kwok", "controller-manager", "scheduler"] {
        let answer = get_as(client_port, "https", other, "/health").await;
        assert!(
            answer.is_err(),
            "etcd accepted {other}'s certificate: {answer:?}"
        );
    }

    let peer_port = port("etcd_peer");
    let plain = get_as(peer_port, "http", "etcd-peer", "/version").await;
    assert!(
        plain.is_err(),
        "the peer port answered plain HTTP: {plain:?}"
    );
    // Over TLS with etcd's peer certificate the handshake passes (the peer
    // handler's answer does not matter here); with a lab certificate it fails.
    let admin = get_as(peer_port, "https", "admin", "/version").await;
    assert!(
        admin.is_err(),
        "the peer port accepted the admin certificate"
    );
    let peer = get_as(peer_port, "https", "etcd-peer", "/version").await;
    if let Err(err) = &peer {
        assert!(!err.contains("certificate"), "peer TLS failed: {err}");
    }
}
