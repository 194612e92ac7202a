//! The client transport on the lab's API server, counted in real sockets
//! (this process's, from /proc): watches share one HTTP/2 connection, a
//! second opens past 100 streams in flight (kube-apiserver's limit) instead
//! of queueing the 101st watch; clients built for one identity share, bearer
//! tokens ride along on one connection; forced HTTP/1.1 takes a connection
//! per request in flight; an upgrade request (exec) leaves no connection
//! behind; behind a TLS relay that offers HTTP/1.1 only (as some proxies
//! do), requests go in HTTP/1.1 on a kept-alive connection. Real execs over
//! the transport: tests/real_node.rs.
//!
//! Responses nobody reads (a watch whose reader is busy) never stall the
//! other requests on their connection.
//!
//! One test at a time: each counts this process's connections.

mod common;

use std::time::{Duration, Instant};

use futures::StreamExt;
use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::WatchParams;
use kube::{Api, Client};
use kubetutor::cluster::request::{self, Identity};
use kubetutor::transport::{self, Protocol};

static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Established TCP connections from this process to `port`.
fn connections_to(port: u16) -> usize {
    common::connections_to(std::process::id(), port)
}

/// Waits (a little: closing is asynchronous) until `holds` of the count.
async fn settle(port: u16, holds: impl Fn(usize) -> bool) -> usize {
    let since = Instant::now();
    loop {
        let n = connections_to(port);
        if holds(n) || since.elapsed() > Duration::from_secs(5) {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// `count` watches open at once (each past its response headers).
async fn watches(client: &Client, namespace: &str, count: usize) -> Vec<impl Sized> {
    let maps: Api<ConfigMap> = Api::namespaced(client.clone(), namespace);
    let mut open = Vec::new();
    for i in 0..count {
        let params = WatchParams::default()
            .timeout(120)
            .fields(&format!("metadata.name=watch-{i}"));
        let stream = tokio::time::timeout(Duration::from_secs(10), maps.watch(&params, "0"))
            .await
            .unwrap_or_else(|_| panic!("watch {i} did not start within 10 s"))
            .unwrap()
            .boxed();
        open.push(stream);
    }
    open
}

fn port(config: &kube::Config) -> u16 {
    config.cluster_url.port_u16().unwrap()
}

#[tokio::test]
async fn watches_share_one_connection_and_a_second_opens_past_100_streams() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let config = lab.config().await;
    let port = port(&config);
    let admin = lab.client().await;
    let namespace = common::TestNamespace::create(&admin, "transport").await;
    let held = watches(&admin, &namespace.name, 60).await;
    assert_eq!(
        settle(port, |n| n == 1).await,
        1,
        "60 watches, one connection"
    );
    let more = watches(&admin, &namespace.name, 60).await;
    assert_eq!(
        settle(port, |n| n == 2).await,
        2,
        "120 watches: a second connection, none queued"
    );
    // A plain request still answers at once with 120 streams held.
    let maps: Api<ConfigMap> = Api::namespaced(admin.clone(), &namespace.name);
    tokio::time::timeout(Duration::from_secs(5), maps.list(&Default::default()))
        .await
        .expect("a list answers while 120 watches are open")
        .unwrap();
    drop((held, more));
}

#[tokio::test]
async fn responses_nobody_reads_leave_the_connection_to_the_others() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let config = lab.config().await;
    let port = port(&config);
    let admin = lab.client().await;
    let namespace = common::TestNamespace::create(&admin, "transport").await;
    let maps: Api<ConfigMap> = Api::namespaced(admin.clone(), &namespace.name);
    // Three ConfigMaps of 900 kB: every list of them is 2.7 MB, more than
    // the 2 MiB a stream may hold unread.
    for i in 0..3 {
        let map: ConfigMap = serde_json::from_value(serde_json::json!({
            "metadata": {"name": format!("big-{i}")},
            "data": {"filler": "x".repeat(900_000)},
        }))
        .unwrap();
        maps.create(&Default::default(), &map).await.unwrap();
    }
    // Ten lists whose answers are never read: 10 × 2 MiB of data sent and
    // unread, more than a connection window of 16 MiB (the old setting,
    // under which this test hangs) could hold.
    let url = format!("/api/v1/namespaces/{}/configmaps", namespace.name);
    let mut unread = Vec::new();
    for _ in 0..10 {
        let request = http::Request::get(&url).body(Vec::new()).unwrap();
        unread.push(
            admin
                .send(request.map(kube::client::Body::from))
                .await
                .unwrap(),
        );
    }
    // Let the server fill what the windows allow.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let listed = tokio::time::timeout(Duration::from_secs(15), maps.list(&Default::default()))
        .await
        .expect("a list is answered in full while ten answers lie unread")
        .unwrap();
    let big = listed
        .items
        .iter()
        .filter(|m| m.metadata.name.as_deref().unwrap_or("").starts_with("big-"));
    assert_eq!(big.count(), 3);
    assert_eq!(settle(port, |n| n == 1).await, 1, "all on one connection");
    drop(unread);
}

#[tokio::test]
async fn clients_of_one_identity_share_and_bearer_tokens_ride_along() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let config = lab.config().await;
    let port = port(&config);
    let a = transport::client(&config).unwrap();
    let b = transport::client(&config).unwrap();
    let namespace = common::TestNamespace::create(&a, "transport").await;
    for client in [&a, &b] {
        let maps: Api<ConfigMap> = Api::namespaced(client.clone(), &namespace.name);
        maps.list(&Default::default()).await.unwrap();
    }
    assert_eq!(settle(port, |n| n == 1).await, 1, "two admin clients");
    // Two ServiceAccounts' tokens: no client certificate, so a connection
    // of their own, shared by both; each is still itself to the server.
    let mut tokens = Vec::new();
    for name in ["default", "second"] {
        if name != "default" {
            lab.kubectl(
                &["create", "serviceaccount", name, "-n", &namespace.name],
                None,
            );
        }
        let out = lab.kubectl(
            &[
                "create",
                "token",
                name,
                "-n",
                &namespace.name,
                "--duration=10m",
            ],
            None,
        );
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        tokens.push(String::from_utf8(out.stdout).unwrap().trim().to_string());
    }
    let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    let mut seen = Vec::new();
    let clients: Vec<Client> = tokens
        .iter()
        .map(|t| request::client_for(&config, &Identity::Bearer(t.clone().into())).unwrap())
        .collect();
    for client in &clients {
        let body = serde_json::to_vec(&serde_json::json!({
            "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"
        }))
        .unwrap();
        let answer = request::send_with(client, http::Method::POST, path, Some(body))
            .await
            .unwrap();
        seen.push(answer.json().unwrap()["status"]["userInfo"]["username"].clone());
    }
    assert_eq!(
        seen,
        [
            format!("system:serviceaccount:{}:default", namespace.name),
            format!("system:serviceaccount:{}:second", namespace.name)
        ]
    );
    assert_eq!(
        settle(port, |n| n == 2).await,
        2,
        "admin's connection, and one for both tokens"
    );
    drop((a, b, clients));
    assert_eq!(
        settle(port, |n| n == 0).await,
        0,
        "closed with their clients"
    );
}

#[tokio::test]
async fn forced_http1_takes_a_connection_per_request_in_flight() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let config = lab.config().await;
    let port = port(&config);
    let http1 = transport::client_with(&config, Protocol::Http1).unwrap();
    let namespace = common::TestNamespace::create(&http1, "transport").await;
    let held = watches(&http1, &namespace.name, 10).await;
    let n = settle(port, |n| n >= 10).await;
    assert!(
        n >= 10,
        "10 watches over HTTP/1.1 hold 10 connections, saw {n}"
    );
    drop(held);
}

#[tokio::test]
async fn an_upgrade_leaves_no_connection_behind() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let config = lab.config().await;
    let port = port(&config);
    let admin = lab.client().await;
    let namespace = common::TestNamespace::create(&admin, "transport").await;
    lab.apply(&namespace.name, &common::seed::pod("exec-me", None));
    assert_eq!(settle(port, |n| n == 1).await, 1);
    // kwok runs no containers: the API server refuses the exec (500, the
    // node has no address), which says nothing of the protocol (tests/
    // real_node.rs runs real execs). What this shows: the upgrade's own
    // HTTP/1.1 connection is not kept once it is answered.
    let pods: Api<k8s_openapi::api::core::v1::Pod> =
        Api::namespaced(admin.clone(), &namespace.name);
    let attempt = tokio::time::timeout(
        Duration::from_secs(20),
        pods.exec("exec-me", ["true"], &Default::default()),
    )
    .await
    .expect("the exec gets an answer");
    if let Ok(process) = attempt {
        let _ = process.join().await;
    }
    assert_eq!(
        settle(port, |n| n == 1).await,
        1,
        "after the exec, only the shared connection"
    );
}

/// A TLS relay in front of the API server that offers HTTP/1.1 only (ALPN),
/// as some proxies do, with a CA of its own; it notes the protocol each
/// connection settled on. Returns its port, its CA (DER) and the notes.
async fn http1_only_relay(
    upstream_port: u16,
    lab_ca_pem: &str,
) -> (u16, Vec<u8>, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::sync::Arc;
    use tokio_rustls::rustls::{self, pki_types};
    let provider = common::loopback_tls::provider();
    // The relay's own CA and serving certificate for 127.0.0.1.
    let (mut server, ca_cert) = common::loopback_tls::server_config();
    server.alpn_protocols = vec![b"http/1.1".to_vec()];
    // Upstream: the API server, verified with the lab's CA, HTTP/1.1 too.
    let mut roots = rustls::RootCertStore::empty();
    for der in pem_certificates(lab_ca_pem) {
        roots.add(der).unwrap();
    }
    let mut client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    client.alpn_protocols = vec![b"http/1.1".to_vec()];
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let notes = Arc::new(std::sync::Mutex::new(Vec::new()));
    let noted = notes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, connector, noted) = (acceptor.clone(), connector.clone(), noted.clone());
            tokio::spawn(async move {
                let Ok(mut downstream) = acceptor.accept(tcp).await else {
                    return;
                };
                let protocol = downstream
                    .get_ref()
                    .1
                    .alpn_protocol()
                    .map(|p| String::from_utf8_lossy(p).into_owned())
                    .unwrap_or_else(|| "none".into());
                noted.lock().unwrap().push(protocol);
                let upstream = tokio::net::TcpStream::connect(("127.0.0.1", upstream_port))
                    .await
                    .unwrap();
                let name = pki_types::ServerName::try_from("127.0.0.1").unwrap();
                let mut upstream = connector.connect(name, upstream).await.unwrap();
                let _ = tokio::io::copy_bidirectional(&mut downstream, &mut upstream).await;
            });
        }
    });
    (port, ca_cert.der().to_vec(), notes)
}

/// The certificates of a PEM bundle, as DER.
fn pem_certificates(pem: &str) -> Vec<tokio_rustls::rustls::pki_types::CertificateDer<'static>> {
    use tokio_rustls::rustls::pki_types::{CertificateDer, pem::PemObject};
    CertificateDer::pem_slice_iter(pem.as_bytes())
        .map(|c| c.unwrap())
        .collect()
}

#[tokio::test]
async fn a_server_that_offers_only_http1_is_spoken_to_in_http1() {
    let _one = ONE_AT_A_TIME.lock().await;
    let lab = common::lab();
    let admin_config = lab.config().await;
    let admin = lab.client().await;
    let namespace = common::TestNamespace::create(&admin, "transport").await;
    let ca = std::fs::read_to_string(lab.paths.pki_file("ca.crt")).unwrap();
    let (relay, relay_ca, notes) = http1_only_relay(port(&admin_config), &ca).await;
    // The relay ends TLS, so the identity is a bearer token (client
    // certificates do not cross a TLS-terminating proxy).
    let out = lab.kubectl(
        &[
            "create",
            "token",
            "default",
            "-n",
            &namespace.name,
            "--duration=10m",
        ],
        None,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let token = String::from_utf8(out.stdout).unwrap().trim().to_string();
    let mut config = admin_config.clone();
    config.cluster_url = format!("https://127.0.0.1:{relay}").parse().unwrap();
    config.root_cert = Some(vec![relay_ca]);
    let client = request::client_for(&config, &Identity::Bearer(token.into())).unwrap();
    let review = serde_json::to_vec(&serde_json::json!({
        "apiVersion": "authentication.k8s.io/v1", "kind": "SelfSubjectReview"
    }))
    .unwrap();
    let path = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
    for _ in 0..5 {
        let answer = request::send_with(&client, http::Method::POST, path, Some(review.clone()))
            .await
            .unwrap();
        assert_eq!(answer.status, 201, "{}", answer.body);
        assert_eq!(
            answer.json().unwrap()["status"]["userInfo"]["username"],
            format!("system:serviceaccount:{}:default", namespace.name)
        );
    }
    let notes = notes.lock().unwrap().clone();
    // The first connection offered h2 and got http/1.1; the HTTP/1.1
    // connections after it offer no ALPN at all (as kube-rs does).
    assert_eq!(
        notes.first().map(String::as_str),
        Some("http/1.1"),
        "{notes:?}"
    );
    assert!(
        notes.iter().all(|p| p != "h2"),
        "no connection spoke HTTP/2: {notes:?}"
    );
    // One connection that offered h2 and learned it is not spoken, then one
    // kept-alive HTTP/1.1 connection for the five requests in turn.
    assert!(
        notes.len() <= 2,
        "five requests in turn reuse a kept-alive connection: {notes:?}"
    );
}
