//! A slow action never delays a check or a key, on the lab, in a real
//! terminal: a step's action (label the namespace) hangs in the API server
//! behind an admission webhook that accepts the connection and never
//! answers; meanwhile a check turns green and a key is answered, and when
//! the action's time runs out the screen says so. Run alone:
//! `-- --test-threads=1`.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::tmux::{Tmux, pane_text};
use common::{TestNamespace, lab};
use k8s_openapi::api::core::v1::Namespace;
use kube::Api;
use kube::api::{Patch, PatchParams};

const WAIT: Duration = Duration::from_secs(60);

const LESSON: &str = "id: slow-label
title: A label that takes its time
rights:
  - labelNamespace: {pod-security.kubernetes.io/warn: [restricted]}
    why: \"step 1 warns about Pods that are not restricted\"
steps:
  - id: warn
    title: Warn and wait
    text: steps/warn.md
    action: {labelNamespace: {pod-security.kubernetes.io/warn: restricted}}
    acts: [run]
    checks:
      - exists: {kind: ConfigMap, name: ready}
";

fn lessons_root() -> PathBuf {
    let root = common::temp_dir("slow-lessons");
    let dir = root.join("slow-label");
    std::fs::create_dir_all(dir.join("steps")).unwrap();
    std::fs::write(dir.join("lesson.yaml"), LESSON).unwrap();
    std::fs::write(dir.join("steps/warn.md"), "# Warn\n\nPress r.\n").unwrap();
    root
}

/// A webhook server on 127.0.0.1 that completes TLS, reads the request and
/// never answers: (port, its CA as PEM, connections accepted).
async fn silent_webhook() -> (u16, String, Arc<AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let (server, ca_cert) = common::loopback_tls::server_config();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let counted = accepted.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let (acceptor, counted) = (acceptor.clone(), counted.clone());
            tokio::spawn(async move {
                let Ok(mut stream) = acceptor.accept(tcp).await else {
                    return;
                };
                counted.fetch_add(1, Ordering::SeqCst);
                // Read (and drop) whatever comes; answer nothing, ever.
                let mut buffer = vec![0u8; 16 * 1024];
                while matches!(stream.read(&mut buffer).await, Ok(n) if n > 0) {}
            });
        }
    });
    (port, ca_cert.pem(), accepted)
}

/// A validating webhook on UPDATE of this one namespace only, sent to `port`,
/// waited on for 30 s (longer than a lesson's action may take).
fn webhook_config(name: &str, namespace: &str, port: u16, ca_pem: &str) -> String {
    use base64::Engine as _;
    let ca = base64::engine::general_purpose::STANDARD.encode(ca_pem);
    format!(
        "apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {{name: {name}}}
webhooks:
  - name: silent.kubetutor.test
    clientConfig: {{url: \"https://127.0.0.1:{port}/never\", caBundle: \"{ca}\"}}
    rules: [{{apiGroups: [\"\"], apiVersions: [v1], operations: [UPDATE], resources: [namespaces]}}]
    objectSelector: {{matchLabels: {{kubernetes.io/metadata.name: {namespace}}}}}
    failurePolicy: Ignore
    sideEffects: None
    admissionReviewVersions: [v1]
    timeoutSeconds: 30
"
    )
}

/// Until the API server sends this namespace's updates to the webhook (a
/// probe label whose patch does not come back within 2 s).
async fn wait_until_updates_hang(namespace: &str, accepted: &AtomicUsize) {
    let namespaces: Api<Namespace> = Api::all(lab().client().await);
    let start = Instant::now();
    loop {
        let patch = serde_json::json!({"metadata": {"labels": {"kt-probe": "1"}}});
        let (params, patch) = (PatchParams::default(), Patch::Merge(&patch));
        let sent = namespaces.patch(namespace, &params, &patch);
        if tokio::time::timeout(Duration::from_secs(2), sent)
            .await
            .is_err()
            && accepted.load(Ordering::SeqCst) > 0
        {
            return;
        }
        assert!(
            start.elapsed() < WAIT,
            "the webhook never got the namespace's updates"
        );
    }
}

/// The webhook configuration, deleted however the test ends.
struct Deleted(String);

impl Drop for Deleted {
    fn drop(&mut self) {
        let _ = lab().kubectl(&["delete", "validatingwebhookconfiguration", &self.0], None);
    }
}

fn tutor(state: &Path, root: &Path, namespace: &str) -> Tmux {
    let command = format!(
        "XDG_STATE_HOME={state} KUBECONFIG={kubeconfig} {bin} --lessons-dir {root} \
         --lesson slow-label --accept-rights -n {namespace}; echo \"EXITED $? END\"; sleep 60",
        state = state.display(),
        kubeconfig = lab().paths.kubeconfig().display(),
        bin = common::KUBETUTOR,
        root = root.display(),
    );
    Tmux::start(&command, 140, 45)
}

#[allow(clippy::await_holding_lock)] // the lock serialises whole pty tests
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hanging_action_delays_no_check_and_no_key_and_its_timeout_is_said() {
    let _pty = common::pty_lock();
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, "slow").await;
    let root = lessons_root();
    let state = common::temp_dir("slow-state");
    let tmux = tutor(&state, &root, &ns.name);
    tmux.wait_for("Warn and wait", WAIT);
    tmux.wait_for("ConfigMap", WAIT);

    let (port, ca, accepted) = silent_webhook().await;
    let webhook = format!("{}-silent", ns.name);
    let out = lab().kubectl(
        &["apply", "-f", "-"],
        Some(&webhook_config(&webhook, &ns.name, port, &ca)),
    );
    assert!(out.status.success(), "{out:?}");
    let _webhook = Deleted(webhook);
    wait_until_updates_hang(&ns.name, &accepted).await;

    tmux.keys(&["r"]);
    let ran = Instant::now();
    tmux.wait_for("gives up after 20 s", Duration::from_secs(5));

    // A check turns green while the action hangs.
    lab().apply(
        &ns.name,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ready\n",
    );
    loop {
        let checks = pane_text(&tmux.screen(), "Checks");
        if checks.contains('✓') {
            break;
        }
        assert!(
            ran.elapsed() < Duration::from_secs(15),
            "the check did not turn green while the action hung:\n{}",
            tmux.screen()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let green_after = ran.elapsed();

    // A key is answered while it hangs.
    tmux.keys(&["?"]);
    tmux.wait_for("Keys (any key closes this)", Duration::from_secs(3));
    let key_after = ran.elapsed();
    tmux.keys(&["Escape"]);
    let output = || pane_text(&tmux.screen(), "Output");
    assert!(
        !output().contains("gave up after"),
        "the action was still running:\n{}",
        tmux.screen()
    );

    // Its time runs out, and the screen says so.
    while !output().contains("gave up after 20 s") {
        assert!(ran.elapsed() < WAIT, "no timeout said:\n{}", tmux.screen());
        std::thread::sleep(Duration::from_millis(100));
    }
    let gave_up_after = ran.elapsed();
    let screen = tmux.screen();
    assert!(
        gave_up_after >= Duration::from_secs(19),
        "the action hung: {gave_up_after:?}\n{screen}"
    );
    // An action that gave up was not run: its step is not done yet.
    std::thread::sleep(Duration::from_millis(500));
    let screen = tmux.screen();
    assert!(
        !screen.contains("Lesson complete") && !common::tmux::step_line(&screen, 1).contains('✓'),
        "a step whose action gave up counts as done:\n{screen}"
    );
    assert!(
        green_after < Duration::from_secs(15) && key_after < Duration::from_secs(19),
        "green after {green_after:?}, key after {key_after:?}"
    );
    eprintln!(
        "check green after {green_after:?}, key answered after {key_after:?}, \
         action gave up after {gave_up_after:?}"
    );

    tmux.keys(&["C-c"]);
    tmux.wait_for("EXITED 0 END", WAIT);
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_dir_all(state);
}
