//! Shared fixture for the integration tests: one local lab for the whole run
//! (started by the first test that needs it, reused when already running), and
//! a fresh namespace per test.

#![allow(dead_code)] // each test binary uses its own part of this module

use std::path::PathBuf;
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

use k8s_openapi::api::core::v1::{Namespace, ServiceAccount};
use kube::api::PostParams;
use kube::runtime::wait::await_condition;
use kube::{Api, Client, Config};
use kubetutor::lab::{self, LabPaths};

/// The kubetutor binary cargo built for this test run.
pub const KUBETUTOR: &str = env!("CARGO_BIN_EXE_kubetutor");

pub struct Lab {
    pub paths: LabPaths,
    pub bin_dir: PathBuf,
}

/// The shared lab, started on first use with `kubetutor lab up` (exactly what a
/// user runs), which builds the binaries if this machine has none yet.
pub fn lab() -> &'static Lab {
    static LAB: OnceLock<Lab> = OnceLock::new();
    LAB.get_or_init(|| {
        let paths = LabPaths::from_env().expect("lab folder");
        let output = kubetutor(&["lab", "up"], &[]);
        assert!(
            output.status.success(),
            "`kubetutor lab up` failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let bin_dir = lab::bin_dir(&paths).expect("lab.json names the bin folder");
        let lab = Lab { paths, bin_dir };
        lab.make_room();
        lab
    })
}

/// Fake nodes the tests need at least: lessons_proof runs eight lesson cases
/// at a time, beside the other suites' Pods (110 Pods per node).
const TEST_NODES: u32 = 3;

impl Lab {
    /// At least `TEST_NODES` fake nodes, added (never removed: a benchmark may
    /// have registered more, with Pods on them). On a thread of its own, so
    /// that first use from inside a test's runtime works too.
    fn make_room(&self) {
        let paths = self.paths.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Runtime::new().expect("a runtime");
            runtime.block_on(async {
                let config = lab::admin_config(&paths).await.expect("admin kubeconfig");
                let client = kubetutor::transport::client(&config).expect("client");
                lab::add_nodes(&client, TEST_NODES)
                    .await
                    .expect("the lab's fake nodes Ready")
            })
        })
        .join()
        .expect("adding the lab's fake nodes");
    }
}

impl Lab {
    pub async fn config(&self) -> Config {
        lab::admin_config(&self.paths)
            .await
            .expect("admin kubeconfig")
    }

    pub async fn client(&self) -> Client {
        kubetutor::transport::client(&self.config().await).expect("client")
    }

    /// Runs the lab's own kubectl against the lab.
    pub fn kubectl(&self, args: &[&str], stdin: Option<&str>) -> Output {
        run_kubectl(&self.bin_dir, &self.paths.kubeconfig(), args, stdin)
    }

    /// `kubectl apply -n NS -f -` that must succeed.
    pub fn apply(&self, namespace: &str, yaml: &str) {
        let out = self.kubectl(&["apply", "-n", namespace, "-f", "-"], Some(yaml));
        assert!(
            out.status.success(),
            "kubectl apply failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// Runs the kubetutor binary with extra environment variables.
pub fn kubetutor(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut command = Command::new(KUBETUTOR);
    command.args(args);
    for (key, value) in env {
        command.env(key, value);
    }
    command.output().expect("kubetutor runs")
}

/// A fresh folder under the system temp dir, e.g. for $XDG_STATE_HOME.
pub fn temp_dir(prefix: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("kubetutor-{prefix}-{:08x}", rand::random::<u32>()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs kubetutor against the lab with its own state folder: (success, stdout + stderr).
pub fn run_on_lab(args: &[&str], state: &std::path::Path) -> (bool, String) {
    let kubeconfig = lab().paths.kubeconfig();
    let out = kubetutor(
        args,
        &[
            ("KUBECONFIG", kubeconfig.to_str().unwrap()),
            ("XDG_STATE_HOME", state.to_str().unwrap()),
        ],
    );
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}

/// A namespace of the test's own, deleted (without waiting) when dropped.
pub struct TestNamespace {
    pub name: String,
}

impl TestNamespace {
    /// Creates `kt-<prefix>-<random>` and waits for its `default` ServiceAccount,
    /// so pods can be created in it at once.
    pub async fn create(client: &Client, prefix: &str) -> TestNamespace {
        let name = format!("kt-{prefix}-{:08x}", rand::random::<u32>());
        let namespaces: Api<Namespace> = Api::all(client.clone());
        let mut namespace = Namespace::default();
        namespace.metadata.name = Some(name.clone());
        namespaces
            .create(&PostParams::default(), &namespace)
            .await
            .expect("create namespace");
        let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), &name);
        let ready = await_condition(accounts, "default", |sa: Option<&ServiceAccount>| {
            sa.is_some()
        });
        tokio::time::timeout(Duration::from_secs(30), ready)
            .await
            .expect("default ServiceAccount appears within 30 s")
            .unwrap();
        TestNamespace { name }
    }
}

impl Drop for TestNamespace {
    fn drop(&mut self) {
        let _ = lab().kubectl(&["delete", "namespace", &self.name, "--wait=false"], None);
    }
}

/// The seed exercise's manifests, for a namespace of the test's choosing.
pub mod seed {
    pub fn demo_sa() -> &'static str {
        "apiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: demo-sa\n"
    }

    pub fn role_list_pods(namespace: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: list-pods
  namespace: {namespace}
rules:
  - apiGroups:
      - ''
    resources:
      - pods
    verbs:
      - list
"
        )
    }

    pub fn role_binding_list_pods(namespace: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: list-pods_demo-sa
  namespace: {namespace}
roleRef:
  kind: Role
  name: list-pods
  apiGroup: rbac.authorization.k8s.io
subjects:
  - kind: ServiceAccount
    name: demo-sa
    namespace: {namespace}
"
        )
    }

    pub fn pod(name: &str, service_account: Option<&str>) -> String {
        let sa = service_account
            .map(|sa| format!("  serviceAccountName: {sa}\n"))
            .unwrap_or_default();
        format!(
            "apiVersion: v1
kind: Pod
metadata:
  name: {name}
spec:
{sa}  containers:
  - name: alpine
    image: alpine:3.15
    command:
    - \"sleep\"
    - \"10000\"
"
        )
    }
}

pub mod fixture;
pub mod loopback_tls;
pub mod real_lab;
pub mod tmux;

/// Pty tests run one at a time (they are timing-sensitive and share the CPU).
pub fn pty_lock() -> std::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::Mutex<()> = std::sync::Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

/// Runs the kubectl in `bin_dir` with `kubeconfig`, feeding it `stdin`.
pub fn run_kubectl(
    bin_dir: &std::path::Path,
    kubeconfig: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    use std::io::Write;
    let mut child = Command::new(bin_dir.join("kubectl"))
        .args(args)
        .env("KUBECONFIG", kubeconfig)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("kubectl runs");
    let mut input = child.stdin.take().unwrap();
    input
        .write_all(stdin.unwrap_or_default().as_bytes())
        .unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

/// Writes the progress of a learner who answered, ran and applied every step
/// of the first lesson in `namespace` on the lab, as the TUI saves it under
/// `state` (its XDG_STATE_HOME): the TUI opens with every step that holds done.
#[allow(dead_code)] // not every test binary uses it
pub fn learner_did_everything(state: &std::path::Path, namespace: &str) {
    learner_did_steps(state, namespace, usize::MAX);
}

/// The same, for a cluster reached with `kubeconfig` (a lab of a test's own).
#[allow(dead_code)]
pub fn learner_did_everything_on(
    state: &std::path::Path,
    kubeconfig: &std::path::Path,
    namespace: &str,
) {
    save_progress(state, kubeconfig, namespace, usize::MAX);
}

/// The same for the first `count` steps only, the learner being on the next.
#[allow(dead_code)]
pub fn learner_did_steps(state: &std::path::Path, namespace: &str, count: usize) {
    save_progress(state, &lab().paths.kubeconfig(), namespace, count);
}

fn save_progress(
    state: &std::path::Path,
    kubeconfig: &std::path::Path,
    namespace: &str,
    count: usize,
) {
    use kubetutor::app::{SavedState, StepActs, saved};
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("lessons/serviceaccount-rbac");
    let lesson = kubetutor::lesson::Lesson::load(&dir, Some(namespace)).unwrap();
    let kubeconfig = kube::config::Kubeconfig::read_from(kubeconfig).unwrap();
    let server = kubeconfig.clusters[0]
        .cluster
        .as_ref()
        .and_then(|c| c.server.clone())
        .unwrap();
    let count = count.min(lesson.steps.len());
    let acts = lesson
        .steps
        .iter()
        .take(count)
        .map(|step| {
            let acts = StepActs {
                applied: true,
                ran: true,
                answer: step.predict.as_ref().and_then(|p| p.correct()),
            };
            (step.id.clone(), acts)
        })
        .collect();
    let progress = SavedState {
        // On the next step to do; on the first when every step is done.
        current: if count < lesson.steps.len() { count } else { 0 },
        unlocked: count.min(lesson.steps.len() - 1),
        drafts: Default::default(),
        acts,
    };
    let path = saved::path(&state.join("kubetutor"), &server, namespace, &lesson.id);
    saved::store(&path, &progress).unwrap();
}

/// A namespace of its own and a kubeconfig (0600) that reaches only it, as
/// `kubetutor class create` makes for a workshop attendee. `test` labels the
/// account's objects; the files are in the returned folder.
#[allow(dead_code)]
pub async fn attendee(test: &str, prefix: &str) -> (TestNamespace, PathBuf, PathBuf) {
    use kubetutor::cluster::scoped_user;
    use std::os::unix::fs::PermissionsExt;
    let client = lab().client().await;
    let ns = TestNamespace::create(&client, prefix).await;
    let labels =
        std::collections::BTreeMap::from([("kubetutor.dev/test".to_string(), test.to_string())]);
    scoped_user::ensure_namespace_admin(&client, &ns.name, "attendee", &labels)
        .await
        .unwrap();
    let (text, _) = scoped_user::kubeconfig(
        &client,
        &lab().config().await,
        &ns.name,
        "attendee",
        3600,
        None,
    )
    .await
    .unwrap();
    let dir = temp_dir(&format!("{test}-attendee"));
    let file = dir.join("attendee.kubeconfig");
    std::fs::write(&file, text).unwrap();
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    (ns, file, dir)
}

/// TCP connections established from process `pid` to `port` on the loopback
/// (the API server's), counted from /proc: the process's socket inodes
/// (/proc/PID/fd) matched against /proc/net/tcp and tcp6.
pub fn connections_to(pid: u32, port: u16) -> usize {
    let inodes: std::collections::HashSet<String> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map(|dir| {
            dir.flatten()
                .filter_map(|fd| std::fs::read_link(fd.path()).ok())
                .filter_map(|target| {
                    let target = target.to_string_lossy().into_owned();
                    target
                        .strip_prefix("socket:[")
                        .and_then(|t| t.strip_suffix(']'))
                        .map(str::to_string)
                })
                .collect()
        })
        .unwrap_or_default();
    let mut count = 0;
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let Ok(text) = std::fs::read_to_string(table) else {
            continue;
        };
        for line in text.lines().skip(1) {
            let fields: Vec<&str> = line.split_whitespace().collect();
            // local, remote (hex addr:port), state (01 = ESTABLISHED), …, inode (10th)
            let (Some(remote), Some(state), Some(inode)) =
                (fields.get(2), fields.get(3), fields.get(9))
            else {
                continue;
            };
            let remote_port = remote
                .rsplit_once(':')
                .and_then(|(_, p)| u16::from_str_radix(p, 16).ok());
            if *state == "01" && remote_port == Some(port) && inodes.contains(*inode) {
                count += 1;
            }
        }
    }
    count
}
