//! The lab's certificates: the lab CA, which signs a serving certificate for
//! every API listener and a client certificate per component and for the
//! admin; etcd's own CA, which signs etcd's serving and peer certificates and
//! the one client certificate etcd accepts, the API server's (so no other lab
//! identity, the admin's included, can talk to etcd); and the key that signs
//! ServiceAccount tokens. Generated once with rcgen; private keys are 0600.

use std::fs;
use std::path::Path;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

use super::expiry;
use super::paths::LabPaths;

/// Names in the API server's serving certificate: the loopback address the lab
/// listens on, and the in-cluster names a pod would use.
const APISERVER_SANS: &[&str] = &[
    "127.0.0.1",
    "localhost",
    "10.96.0.1",
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    "kubernetes.default.svc.cluster.local",
];
const LOOPBACK_SANS: &[&str] = &["127.0.0.1", "localhost"];

/// Written last, so a half-generated folder (interrupted `up`) is regenerated.
/// It holds the layout version the folder was made or last repaired with.
const COMPLETE_MARKER: &str = "complete";

/// Layout of the certificates this code writes. Version 1 (an empty marker)
/// gave etcd's serving certificate serverAuth only; version 2 had etcd trust
/// the lab CA and serve its peer URL in plain HTTP.
const LAYOUT: u32 = 3;

/// Certificates whose key usage changed in a layout version: a folder made
/// before that version gets them reissued by the same CA (keeping the CA, the
/// other certificates and the ServiceAccount key, so running components,
/// exported kubeconfigs and issued tokens stay valid).
const REISSUED_IN: &[(u32, &str)] = &[
    // etcd's grpc-gateway dials etcd itself with the serving certificate as its
    // client certificate (embed/etcd.go, grpcGatewayDial); with
    // --client-cert-auth etcd rejected it: "certificate specifies an
    // incompatible key usage".
    (2, "etcd-server"),
    // etcd's own CA: what it signs is issued again by it.
    (3, "etcd-server"),
    (3, "etcd-peer"),
    (3, "apiserver-etcd-client"),
];

/// Signed by etcd's CA, not the lab's.
const ETCD_SIGNED: &[&str] = &["etcd-server", "etcd-peer", "apiserver-etcd-client"];

/// The two certificate authorities: file stem and subject.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ca {
    Lab,
    Etcd,
}

impl Ca {
    fn stem(self) -> &'static str {
        match self {
            Ca::Lab => "ca",
            Ca::Etcd => "etcd-ca",
        }
    }

    fn common_name(self) -> &'static str {
        match self {
            Ca::Lab => "kubetutor-lab-ca",
            Ca::Etcd => "kubetutor-lab-etcd-ca",
        }
    }

    /// Which CA signs certificate `stem`.
    fn of(stem: &str) -> Ca {
        if ETCD_SIGNED.contains(&stem) {
            Ca::Etcd
        } else {
            Ca::Lab
        }
    }
}

/// A client identity in the lab: certificate subject CN and O (groups).
pub struct ClientIdentity {
    file: &'static str,
    user: &'static str,
    groups: &'static [&'static str],
}

const CLIENTS: &[ClientIdentity] = &[
    ClientIdentity {
        file: "admin",
        user: "kubetutor-admin",
        groups: &["system:masters"],
    },
    ClientIdentity {
        file: "controller-manager",
        user: "system:kube-controller-manager",
        groups: &[],
    },
    ClientIdentity {
        file: "scheduler",
        user: "system:kube-scheduler",
        groups: &[],
    },
    // kwok plays every kubelet of its fake nodes; like kwokctl we give it admin rights.
    ClientIdentity {
        file: "kwok",
        user: "kwok-controller",
        groups: &["system:masters"],
    },
    ClientIdentity {
        file: "apiserver-etcd-client",
        user: "kube-apiserver-etcd-client",
        groups: &[],
    },
];

/// Identities of the real node (`lab up --real-node`), issued by the lab CA
/// only when that mode first runs, so the default lab's folder is unchanged.
pub const NODE_CLIENTS: &[ClientIdentity] = &[
    // The Node authorizer and NodeRestriction know a kubelet by this name and group.
    ClientIdentity {
        file: "kubelet",
        user: "system:node:kubetutor-node",
        groups: &["system:nodes"],
    },
    // The API server's client certificate towards the kubelet (exec, logs).
    ClientIdentity {
        file: "apiserver-kubelet-client",
        user: "kube-apiserver-kubelet-client",
        groups: &["system:masters"],
    },
    // Bound to system:node-proxier by the API server's default RBAC.
    ClientIdentity {
        file: "kube-proxy",
        user: "system:kube-proxy",
        groups: &[],
    },
    // Bound by the lab to a read-only ClusterRole over what CoreDNS watches.
    ClientIdentity {
        file: "coredns",
        user: "system:kubetutor:coredns",
        groups: &[],
    },
];

/// Issues each of `NODE_CLIENTS` that is missing or expires within 30 days.
pub fn ensure_node_clients(paths: &LabPaths) -> anyhow::Result<Vec<&'static str>> {
    let dir = paths.pki();
    let now = OffsetDateTime::now_utc();
    let mut issued = Vec::new();
    for client in NODE_CLIENTS {
        let pem = fs::read_to_string(dir.join(format!("{}.crt", client.file))).unwrap_or_default();
        if !expiry::needs_renewal(&pem, now) {
            continue;
        }
        let issuer = ca_issuer(&dir, Ca::Lab, now)?;
        client_leaf(&dir, client, now, &issuer)?;
        issued.push(client.file);
    }
    tighten(&dir)?;
    Ok(issued)
}

/// A serving certificate: file stem, subject names, and whether the server
/// also presents it as a client.
struct ServingCert {
    stem: &'static str,
    sans: &'static [&'static str],
    also_client: bool,
}

const SERVERS: &[ServingCert] = &[
    ServingCert {
        stem: "apiserver",
        sans: APISERVER_SANS,
        also_client: false,
    },
    // Also clientAuth: etcd's own grpc-gateway connects to etcd with it (as
    // kubeadm's etcd server certificates have both).
    ServingCert {
        stem: "etcd-server",
        sans: LOOPBACK_SANS,
        also_client: true,
    },
    // etcd's peer listener: TLS both ways, though a single member never has
    // a peer to talk to.
    ServingCert {
        stem: "etcd-peer",
        sans: LOOPBACK_SANS,
        also_client: true,
    },
    ServingCert {
        stem: "controller-manager-serving",
        sans: LOOPBACK_SANS,
        also_client: false,
    },
    ServingCert {
        stem: "scheduler-serving",
        sans: LOOPBACK_SANS,
        also_client: false,
    },
];

/// What `ensure` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PkiChange {
    Unchanged,
    Generated,
    /// An older layout: these certificates (file stems) were reissued.
    Reissued(Vec<&'static str>),
    /// These certificates (file stems) expired within 30 days and were renewed.
    Renewed(Vec<&'static str>),
    /// The CA itself was about to expire: everything was generated afresh.
    Regenerated,
}

/// Creates the PKI unless a complete one is already there; brings an older
/// complete one up to the current layout; renews what expires soon. Keys are
/// 0600 and the folder 0700 afterwards, whatever they were before.
pub fn ensure(paths: &LabPaths) -> anyhow::Result<PkiChange> {
    let change = ensure_files(paths)?;
    tighten(&paths.pki())?;
    Ok(change)
}

fn ensure_files(paths: &LabPaths) -> anyhow::Result<PkiChange> {
    let dir = paths.pki();
    let marker = dir.join(COMPLETE_MARKER);
    if let Ok(text) = fs::read_to_string(&marker) {
        let version = text.trim().parse::<u32>().unwrap_or(1);
        if version >= LAYOUT {
            return renew_expiring(&dir);
        }
        let reissued = reissue_since(&dir, version).with_context(|| {
            format!(
                "updating the lab's certificates in {} (if this keeps failing, \
                 `kubetutor lab down --purge` starts the lab afresh)",
                dir.display()
            )
        })?;
        fs::write(&marker, format!("{LAYOUT}\n"))?;
        return Ok(PkiChange::Reissued(reissued));
    }
    generate_afresh(&dir)?;
    Ok(PkiChange::Generated)
}

fn generate_afresh(dir: &Path) -> anyhow::Result<()> {
    if dir.exists() {
        fs::remove_dir_all(dir)
            .with_context(|| format!("removing incomplete {}", dir.display()))?;
    }
    crate::files::create_private_dir(dir)?;
    generate(dir).context("generating the lab's certificates")?;
    fs::write(dir.join(COMPLETE_MARKER), format!("{LAYOUT}\n"))?;
    Ok(())
}

/// The lab's certificates (CAs included) that expire within 30 days, with
/// when each ends, soonest first. Only `lab up` renews them (the components
/// read their certificates at start): `lab status` says so while the lab runs,
/// so a lab kept for a year is renewed before it fails one morning with TLS
/// errors rather than after.
pub fn due_for_renewal(paths: &LabPaths) -> Vec<(&'static str, OffsetDateTime)> {
    let dir = paths.pki();
    let now = OffsetDateTime::now_utc();
    let mut due: Vec<(&'static str, OffsetDateTime)> = [Ca::Lab.stem(), Ca::Etcd.stem()]
        .into_iter()
        .chain(leaf_stems())
        .filter_map(|stem| {
            let pem = fs::read_to_string(dir.join(format!("{stem}.crt"))).ok()?;
            let end = expiry::not_after(&pem).ok()?;
            expiry::needs_renewal(&pem, now).then_some((stem, end))
        })
        .collect();
    due.sort_by_key(|(_, end)| *end);
    due
}

/// Every leaf certificate's file stem: the serving ones, then the clients'.
fn leaf_stems() -> impl Iterator<Item = &'static str> {
    SERVERS
        .iter()
        .map(|s| s.stem)
        .chain(CLIENTS.iter().map(|c| c.file))
}

/// Renews, with the same CA, every leaf certificate that expires within 30
/// days. A CA that expires that soon cannot sign anything lasting: then the
/// whole folder is generated afresh (and exported kubeconfigs must be too).
fn renew_expiring(dir: &Path) -> anyhow::Result<PkiChange> {
    let now = OffsetDateTime::now_utc();
    let due = |stem: &str| {
        let pem = fs::read_to_string(dir.join(format!("{stem}.crt"))).unwrap_or_default();
        expiry::needs_renewal(&pem, now)
    };
    if due(Ca::Lab.stem()) || due(Ca::Etcd.stem()) {
        generate_afresh(dir)?;
        return Ok(PkiChange::Regenerated);
    }
    let stems: Vec<&'static str> = leaf_stems().filter(|stem| due(stem)).collect();
    if stems.is_empty() {
        return Ok(PkiChange::Unchanged);
    }
    for stem in &stems {
        reissue(dir, stem, now)?;
    }
    Ok(PkiChange::Renewed(stems))
}

/// CA `ca`, read back, to sign with.
fn ca_issuer(dir: &Path, ca: Ca, now: OffsetDateTime) -> anyhow::Result<Issuer<'static, KeyPair>> {
    let ca_key_file = dir.join(format!("{}.key", ca.stem()));
    let ca_key = fs::read_to_string(&ca_key_file)
        .with_context(|| format!("reading {}", ca_key_file.display()))?;
    let ca_key =
        KeyPair::from_pem(&ca_key).with_context(|| format!("parsing {}", ca_key_file.display()))?;
    Ok(Issuer::new(ca_params(ca, now), ca_key))
}

/// Issues certificate `stem` (a serving or a client one), signed by the CA
/// that signs it (`Ca::of`).
fn reissue(dir: &Path, stem: &str, now: OffsetDateTime) -> anyhow::Result<()> {
    let issuer = ca_issuer(dir, Ca::of(stem), now)?;
    if let Some(server) = SERVERS.iter().find(|s| s.stem == stem) {
        return serving_leaf(dir, server, now, &issuer);
    }
    let client = CLIENTS
        .iter()
        .find(|c| c.file == stem)
        .with_context(|| format!("no lab certificate is called {stem}"))?;
    client_leaf(dir, client, now, &issuer)
}

/// Keys 0600 and the folder 0700, also when an older kubetutor (or a copy)
/// left them readable by others.
fn tighten(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    crate::files::create_private_dir(dir)?;
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().is_some_and(|e| e == "key") {
            fs::set_permissions(&path, fs::Permissions::from_mode(0o600))
                .with_context(|| format!("setting the mode of {}", path.display()))?;
        }
    }
    Ok(())
}

/// A CA's parameters. Signing with them and the CA key names the same
/// issuer (subject and key identifier) as the CA certificate written at first.
fn ca_params(ca: Ca, now: OffsetDateTime) -> CertificateParams {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(ca.common_name(), &[]);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut params, now, Duration::days(3650));
    params
}

/// Creates CA `ca` in `dir`.
fn new_ca(dir: &Path, ca: Ca, now: OffsetDateTime) -> anyhow::Result<()> {
    let key = KeyPair::generate()?;
    let cert = ca_params(ca, now).self_signed(&key)?;
    write_public(&dir.join(format!("{}.crt", ca.stem())), &cert.pem())?;
    write_private(
        &dir.join(format!("{}.key", ca.stem())),
        &key.serialize_pem(),
    )
}

fn generate(dir: &Path) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    new_ca(dir, Ca::Lab, now)?;
    new_ca(dir, Ca::Etcd, now)?;
    for stem in leaf_stems() {
        reissue(dir, stem, now)?;
    }

    // ServiceAccount token signing key (ES256). The API server verifies with the
    // public half; the controller-manager signs legacy token secrets with it.
    let sa_key = KeyPair::generate()?;
    write_private(&dir.join("sa.key"), &sa_key.serialize_pem())?;
    write_public(&dir.join("sa.pub"), &sa_key.public_key_pem())?;
    Ok(())
}

/// Reissues, with the existing CA, the serving certificates whose key usage
/// changed after layout `version`.
fn reissue_since(dir: &Path, version: u32) -> anyhow::Result<Vec<&'static str>> {
    let stems: Vec<&'static str> = REISSUED_IN
        .iter()
        .filter(|(since, _)| *since > version)
        .map(|(_, stem)| *stem)
        .collect();
    let mut stems = stems;
    stems.dedup();
    if stems.is_empty() {
        return Ok(stems);
    }
    let now = OffsetDateTime::now_utc();
    if !dir.join("etcd-ca.key").exists() {
        new_ca(dir, Ca::Etcd, now)?;
    }
    for stem in &stems {
        reissue(dir, stem, now)?;
    }
    Ok(stems)
}

fn client_leaf(
    dir: &Path,
    client: &ClientIdentity,
    now: OffsetDateTime,
    issuer: &Issuer<'_, KeyPair>,
) -> anyhow::Result<()> {
    let mut params = CertificateParams::default();
    params.distinguished_name = name(client.user, client.groups);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    leaf(dir, client.file, params, now, issuer)
}

fn serving_leaf(
    dir: &Path,
    server: &ServingCert,
    now: OffsetDateTime,
    issuer: &Issuer<'_, KeyPair>,
) -> anyhow::Result<()> {
    let sans: Vec<String> = server.sans.iter().map(|s| s.to_string()).collect();
    let mut params = CertificateParams::new(sans)?;
    params.distinguished_name = name(server.stem, &[]);
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    if server.also_client {
        params
            .extended_key_usages
            .push(ExtendedKeyUsagePurpose::ClientAuth);
    }
    leaf(dir, server.stem, params, now, issuer)
}

fn leaf(
    dir: &Path,
    stem: &str,
    mut params: CertificateParams,
    now: OffsetDateTime,
    issuer: &Issuer<'_, KeyPair>,
) -> anyhow::Result<()> {
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    params.use_authority_key_identifier_extension = true;
    set_validity(&mut params, now, Duration::days(365));
    let key = KeyPair::generate()?;
    let cert = params.signed_by(&key, issuer)?;
    write_public(&dir.join(format!("{stem}.crt")), &cert.pem())?;
    write_private(&dir.join(format!("{stem}.key")), &key.serialize_pem())
}

fn name(common_name: &str, organizations: &[&str]) -> DistinguishedName {
    let mut dn = DistinguishedName::new();
    dn.push(DnType::CommonName, common_name);
    for org in organizations {
        dn.push(DnType::OrganizationName, *org);
    }
    dn
}

fn set_validity(params: &mut CertificateParams, now: OffsetDateTime, lifetime: Duration) {
    // A little slack before "now" so a clock that is a few minutes behind still accepts them.
    params.not_before = now - Duration::hours(1);
    params.not_after = now + lifetime;
}

fn write_public(path: &Path, pem: &str) -> anyhow::Result<()> {
    fs::write(path, pem).with_context(|| format!("writing {}", path.display()))
}

/// Keys and kubeconfigs: 0600 also when the file already existed (its old
/// mode is not kept).
pub(super) fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    crate::files::write_private(path, pem.as_bytes())
}

#[cfg(test)]
mod tests;
