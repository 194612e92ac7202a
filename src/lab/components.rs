//! The lab's processes and their command lines. Flags follow what kubeadm and
//! kwokctl give each component, narrowed to loopback listeners.

use std::path::Path;

use super::paths::LabPaths;
use super::ports::Ports;

/// Issuer of ServiceAccount tokens, as on kubeadm clusters with the default
/// cluster domain; it is what a learner sees in the token's `iss` claim.
pub const SERVICE_ACCOUNT_ISSUER: &str = "https://kubernetes.default.svc.cluster.local";
/// Gives the `kubernetes` Service the address the seed shows (10.96.0.1).
pub const SERVICE_CLUSTER_IP_RANGE: &str = "10.96.0.0/12";
/// The longest ServiceAccount token the lab's API server issues (a day):
/// longer requests are shortened to it.
pub const MAX_TOKEN_SECONDS: i64 = 24 * 3600;
/// Name of the fake node kwok keeps Ready.
pub const NODE_NAME: &str = "kwok-node-0";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Component {
    Etcd,
    ApiServer,
    ControllerManager,
    Scheduler,
    Kwok,
}

impl Component {
    /// Start order: each needs the ones before it.
    pub const ALL: [Component; 5] = [
        Component::Etcd,
        Component::ApiServer,
        Component::ControllerManager,
        Component::Scheduler,
        Component::Kwok,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Component::Etcd => "etcd",
            Component::ApiServer => "kube-apiserver",
            Component::ControllerManager => "kube-controller-manager",
            Component::Scheduler => "kube-scheduler",
            Component::Kwok => "kwok",
        }
    }

    /// The executable's file name in the lab's bin folder.
    pub fn binary(self) -> &'static str {
        self.name()
    }

    pub fn port(self, ports: &Ports) -> u16 {
        match self {
            Component::Etcd => ports.etcd_client,
            Component::ApiServer => ports.apiserver,
            Component::ControllerManager => ports.controller_manager,
            Component::Scheduler => ports.scheduler,
            Component::Kwok => ports.kwok,
        }
    }

    /// Every port the component listens on: all must be free before it starts.
    pub fn ports(self, ports: &Ports) -> Vec<u16> {
        match self {
            Component::Etcd => vec![ports.etcd_client, ports.etcd_peer],
            _ => vec![self.port(ports)],
        }
    }

    pub fn args(self, paths: &LabPaths, ports: &Ports, bin_dir: &Path) -> Vec<String> {
        let pki = |name: &str| path(&paths.pki_file(name));
        let kubeconfig = |name: &str| path(&paths.component_kubeconfig(name));
        match self {
            Component::Etcd => {
                let client = format!("https://127.0.0.1:{}", ports.etcd_client);
                // TLS on the peer listener too (a single member has no peer,
                // but the port is open): nothing of the lab is plain HTTP
                // but kwok's loopback health port.
                let peer = format!("https://127.0.0.1:{}", ports.etcd_peer);
                vec![
                    "--name=kubetutor-lab".into(),
                    format!("--data-dir={}", path(&paths.etcd_data())),
                    format!("--listen-client-urls={client}"),
                    format!("--advertise-client-urls={client}"),
                    format!("--listen-peer-urls={peer}"),
                    format!("--initial-advertise-peer-urls={peer}"),
                    format!("--initial-cluster=kubetutor-lab={peer}"),
                    "--initial-cluster-state=new".into(),
                    format!("--cert-file={}", pki("etcd-server.crt")),
                    format!("--key-file={}", pki("etcd-server.key")),
                    // Its own CA: only the API server's client certificate
                    // (signed by it) is accepted, not every lab identity's.
                    format!("--trusted-ca-file={}", pki("etcd-ca.crt")),
                    "--client-cert-auth=true".into(),
                    format!("--peer-cert-file={}", pki("etcd-peer.crt")),
                    format!("--peer-key-file={}", pki("etcd-peer.key")),
                    format!("--peer-trusted-ca-file={}", pki("etcd-ca.crt")),
                    "--peer-client-cert-auth=true".into(),
                    // A throw-away lab: durability after a power cut is not worth the fsync latency.
                    "--unsafe-no-fsync=true".into(),
                    "--log-level=warn".into(),
                ]
            }
            Component::ApiServer => vec![
                "--bind-address=127.0.0.1".into(),
                "--advertise-address=127.0.0.1".into(),
                format!("--secure-port={}", ports.apiserver),
                format!("--etcd-servers=https://127.0.0.1:{}", ports.etcd_client),
                format!("--etcd-cafile={}", pki("etcd-ca.crt")),
                format!("--etcd-certfile={}", pki("apiserver-etcd-client.crt")),
                format!("--etcd-keyfile={}", pki("apiserver-etcd-client.key")),
                format!("--client-ca-file={}", pki("ca.crt")),
                format!("--tls-cert-file={}", pki("apiserver.crt")),
                format!("--tls-private-key-file={}", pki("apiserver.key")),
                "--authorization-mode=Node,RBAC".into(),
                // On, as on kubeadm clusters: the seed's anonymous call must get a real 403.
                "--anonymous-auth=true".into(),
                format!("--service-account-issuer={SERVICE_ACCOUNT_ISSUER}"),
                format!("--service-account-key-file={}", pki("sa.pub")),
                format!("--service-account-signing-key-file={}", pki("sa.key")),
                format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
                // Endpoints may not hold loopback addresses, so the `kubernetes` Service
                // has none here; requests "from a pod" go to the kubeconfig's server.
                "--endpoint-reconciler-type=none".into(),
                "--allow-privileged=true".into(),
                "--profiling=false".into(),
                // No ServiceAccount token outlives a day, whoever asks: an
                // attendee of a class cannot mint a year-long one for their
                // own account. A day holds every token kubetutor asks for by
                // default (10 min for checks and the shell, 1 h for the
                // attendee proof, 8 h for a class); a longer `class create
                // --token-hours` is shortened, and `class create` says so.
                // https://kubernetes.io/docs/reference/command-line-tools-reference/kube-apiserver/
                format!("--service-account-max-token-expiration={MAX_TOKEN_SECONDS}s"),
                // Else a token bound to a Pod and asked for 3607 s (what a
                // kubelet asks) is stretched to a year past the cap — any
                // namespace admin can ask for one (tried on 1.36). The real
                // node's kubelet renews its 1 h tokens by itself.
                "--service-account-extend-token-expiration=false".into(),
                // On top of the default plugins (PodSecurity, LimitRanger,
                // ResourceQuota, ServiceAccount … are on by default): a
                // kubelet (the real node's) may change only its own Node and
                // the Pods bound to it, as on kubeadm clusters.
                // https://kubernetes.io/docs/reference/access-authn-authz/admission-controllers/#noderestriction
                "--enable-admission-plugins=NodeRestriction".into(),
            ],
            Component::ControllerManager => vec![
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={}", ports.controller_manager),
                format!("--tls-cert-file={}", pki("controller-manager-serving.crt")),
                format!(
                    "--tls-private-key-file={}",
                    pki("controller-manager-serving.key")
                ),
                format!("--kubeconfig={}", kubeconfig("controller-manager")),
                format!(
                    "--authentication-kubeconfig={}",
                    kubeconfig("controller-manager")
                ),
                format!(
                    "--authorization-kubeconfig={}",
                    kubeconfig("controller-manager")
                ),
                format!("--client-ca-file={}", pki("ca.crt")),
                format!("--root-ca-file={}", pki("ca.crt")),
                format!("--service-account-private-key-file={}", pki("sa.key")),
                format!("--cluster-signing-cert-file={}", pki("ca.crt")),
                format!("--cluster-signing-key-file={}", pki("ca.key")),
                format!("--service-cluster-ip-range={SERVICE_CLUSTER_IP_RANGE}"),
                "--use-service-account-credentials=true".into(),
                // One instance: leader election only delays the start.
                "--leader-elect=false".into(),
                "--profiling=false".into(),
            ],
            Component::Scheduler => vec![
                "--bind-address=127.0.0.1".into(),
                format!("--secure-port={}", ports.scheduler),
                format!("--tls-cert-file={}", pki("scheduler-serving.crt")),
                format!("--tls-private-key-file={}", pki("scheduler-serving.key")),
                format!("--kubeconfig={}", kubeconfig("scheduler")),
                format!("--authentication-kubeconfig={}", kubeconfig("scheduler")),
                format!("--authorization-kubeconfig={}", kubeconfig("scheduler")),
                format!("--client-ca-file={}", pki("ca.crt")),
                "--leader-elect=false".into(),
                "--profiling=false".into(),
            ],
            Component::Kwok => vec![
                format!("--kubeconfig={}", kubeconfig("kwok")),
                format!("--config={}", path(&bin_dir.join(super::bins::KWOK_STAGES))),
                format!("--config={}", path(&paths.kubetutor_stages())),
                format!("--server-address=127.0.0.1:{}", ports.kwok),
                // Only nodes we mark, so kwok never fights a real kubelet.
                "--manage-all-nodes=false".into(),
                "--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake".into(),
                "--node-lease-duration-seconds=40".into(),
            ],
        }
    }
}

fn path(p: &Path) -> String {
    p.display().to_string()
}
