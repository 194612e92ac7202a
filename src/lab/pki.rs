//! The lab's certificates: one CA, serving certificates for every TLS listener,
//! a client certificate per component and for the admin, and the key that signs
//! ServiceAccount tokens. Generated once with rcgen; private keys are written 0600.

use std::fs;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use anyhow::Context;
use rcgen::{
    BasicConstraints, CertificateParams, DistinguishedName, DnType, ExtendedKeyUsagePurpose, IsCa,
    Issuer, KeyPair, KeyUsagePurpose,
};
use time::{Duration, OffsetDateTime};

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
const COMPLETE_MARKER: &str = "complete";

/// A client identity in the lab: certificate subject CN and O (groups).
struct ClientIdentity {
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

/// Serving certificates: file stem and subject names.
const SERVERS: &[(&str, &[&str])] = &[
    ("apiserver", APISERVER_SANS),
    ("etcd-server", LOOPBACK_SANS),
    ("controller-manager-serving", LOOPBACK_SANS),
    ("scheduler-serving", LOOPBACK_SANS),
];

/// Creates the PKI unless a complete one is already there.
pub fn ensure(paths: &LabPaths) -> anyhow::Result<bool> {
    let dir = paths.pki();
    if dir.join(COMPLETE_MARKER).exists() {
        return Ok(false);
    }
    if dir.exists() {
        fs::remove_dir_all(&dir)
            .with_context(|| format!("removing incomplete {}", dir.display()))?;
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    generate(&dir).context("generating the lab's certificates")?;
    fs::write(dir.join(COMPLETE_MARKER), b"")?;
    Ok(true)
}

fn generate(dir: &Path) -> anyhow::Result<()> {
    let now = OffsetDateTime::now_utc();
    let ca_key = KeyPair::generate()?;
    let mut ca_params = CertificateParams::default();
    ca_params.distinguished_name = name("kubetutor-lab-ca", &[]);
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    set_validity(&mut ca_params, now, Duration::days(3650));
    let ca_cert = ca_params.self_signed(&ca_key)?;
    write_public(&dir.join("ca.crt"), &ca_cert.pem())?;
    write_private(&dir.join("ca.key"), &ca_key.serialize_pem())?;
    let issuer = Issuer::new(ca_params, ca_key);

    for (stem, sans) in SERVERS {
        let mut params =
            CertificateParams::new(sans.iter().map(|s| s.to_string()).collect::<Vec<_>>())?;
        params.distinguished_name = name(stem, &[]);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        leaf(dir, stem, params, now, &issuer)?;
    }
    for client in CLIENTS {
        let mut params = CertificateParams::default();
        params.distinguished_name = name(client.user, client.groups);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        leaf(dir, client.file, params, now, &issuer)?;
    }

    // ServiceAccount token signing key (ES256). The API server verifies with the
    // public half; the controller-manager signs legacy token secrets with it.
    let sa_key = KeyPair::generate()?;
    write_private(&dir.join("sa.key"), &sa_key.serialize_pem())?;
    write_public(&dir.join("sa.pub"), &sa_key.public_key_pem())?;
    Ok(())
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

pub(super) fn write_private(path: &Path, pem: &str) -> anyhow::Result<()> {
    let mut file = fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("writing {}", path.display()))?;
    file.write_all(pem.as_bytes())?;
    Ok(())
}
