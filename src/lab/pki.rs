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
    let stems: Vec<&'static str> = SERVERS
        .iter()
        .map(|s| s.stem)
        .chain(CLIENTS.iter().map(|c| c.file))
        .filter(|stem| due(stem))
        .collect();
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
    for stem in SERVERS
        .iter()
        .map(|s| s.stem)
        .chain(CLIENTS.iter().map(|c| c.file))
    {
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
mod tests {
    use super::*;
    use base64::Engine;

    /// DER of the first certificate in a PEM file.
    fn der(path: &Path) -> Vec<u8> {
        let pem = fs::read_to_string(path).unwrap();
        let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap()
    }

    /// id-kp-clientAuth (1.3.6.1.5.5.7.3.2) as DER.
    const CLIENT_AUTH_OID: &[u8] = &[0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x03, 0x02];

    fn contains(haystack: &[u8], needle: &[u8]) -> bool {
        haystack.windows(needle.len()).any(|w| w == needle)
    }

    fn temp_lab() -> LabPaths {
        let dir = std::env::temp_dir().join(format!(
            "kubetutor-pki-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = fs::remove_dir_all(&dir);
        LabPaths::new(dir)
    }

    #[test]
    fn etcd_serving_cert_is_also_a_client_cert_and_others_are_not() {
        let paths = temp_lab();
        assert_eq!(ensure(&paths).unwrap(), PkiChange::Generated);
        assert!(contains(
            &der(&paths.pki_file("etcd-server.crt")),
            CLIENT_AUTH_OID
        ));
        assert!(!contains(
            &der(&paths.pki_file("apiserver.crt")),
            CLIENT_AUTH_OID
        ));
        assert_eq!(ensure(&paths).unwrap(), PkiChange::Unchanged);
        fs::remove_dir_all(paths.root()).unwrap();
    }

    /// The key identifier of CA `ca` of this lab.
    fn key_id(paths: &LabPaths, ca: Ca) -> Vec<u8> {
        let key = fs::read_to_string(paths.pki_file(&format!("{}.key", ca.stem()))).unwrap();
        let key = KeyPair::from_pem(&key).unwrap();
        ca_params(ca, OffsetDateTime::now_utc()).key_identifier(&key)
    }

    #[test]
    fn etcd_has_its_own_ca_and_only_the_apiserver_an_etcd_client_certificate() {
        let paths = temp_lab();
        ensure(&paths).unwrap();
        let (lab, etcd) = (key_id(&paths, Ca::Lab), key_id(&paths, Ca::Etcd));
        assert_ne!(lab, etcd);
        for stem in ["etcd-server", "etcd-peer", "apiserver-etcd-client"] {
            let cert = der(&paths.pki_file(&format!("{stem}.crt")));
            assert!(contains(&cert, &etcd), "{stem} is signed by etcd's CA");
            assert!(!contains(&cert, &lab), "{stem} is not signed by the lab CA");
        }
        for stem in [
            "admin",
            "kwok",
            "controller-manager",
            "scheduler",
            "apiserver",
        ] {
            let cert = der(&paths.pki_file(&format!("{stem}.crt")));
            assert!(!contains(&cert, &etcd), "etcd would accept {stem}");
        }
        fs::remove_dir_all(paths.root()).unwrap();
    }

    #[test]
    fn an_old_layout_gets_etcds_own_ca_and_its_certificates_reissued() {
        let paths = temp_lab();
        ensure(&paths).unwrap();
        // What labs made before layout 3 have: no etcd CA, no peer
        // certificate, and (before layout 2) an empty marker.
        for file in [
            "etcd-ca.crt",
            "etcd-ca.key",
            "etcd-peer.crt",
            "etcd-peer.key",
        ] {
            fs::remove_file(paths.pki_file(file)).unwrap();
        }
        fs::write(paths.pki_file(COMPLETE_MARKER), b"").unwrap();
        let before = |name: &str| fs::read(paths.pki_file(name)).unwrap();
        let (ca, admin, sa, etcd) = (
            before("ca.crt"),
            before("admin.crt"),
            before("sa.key"),
            before("etcd-server.crt"),
        );

        assert_eq!(
            ensure(&paths).unwrap(),
            PkiChange::Reissued(vec!["etcd-server", "etcd-peer", "apiserver-etcd-client"])
        );
        assert_eq!(before("ca.crt"), ca, "the lab CA is kept");
        assert_eq!(before("admin.crt"), admin, "other certificates are kept");
        assert_eq!(before("sa.key"), sa, "the token signing key is kept");
        assert_ne!(before("etcd-server.crt"), etcd);
        let reissued = der(&paths.pki_file("etcd-server.crt"));
        assert!(contains(&reissued, CLIENT_AUTH_OID));
        // Signed by etcd's new CA: its key identifier is the new certificate's
        // authority key identifier.
        let etcd_ca = key_id(&paths, Ca::Etcd);
        assert!(contains(&der(&paths.pki_file("etcd-ca.crt")), &etcd_ca));
        assert!(contains(&reissued, &etcd_ca));
        assert_eq!(ensure(&paths).unwrap(), PkiChange::Unchanged);
        fs::remove_dir_all(paths.root()).unwrap();
    }

    fn mode(path: &Path) -> u32 {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn a_leaf_expiring_within_30_days_is_renewed_by_the_same_ca() {
        let paths = temp_lab();
        ensure(&paths).unwrap();
        // Replace the admin certificate with one that ends in 10 days.
        let dir = paths.pki();
        let now = OffsetDateTime::now_utc();
        let issuer = ca_issuer(&dir, Ca::Lab, now).unwrap();
        let mut params = CertificateParams::default();
        params.distinguished_name = name("kubetutor-admin", &["system:masters"]);
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(10);
        let key = KeyPair::generate().unwrap();
        let short = params.signed_by(&key, &issuer).unwrap().pem();
        fs::write(dir.join("admin.crt"), &short).unwrap();
        let ca = fs::read(dir.join("ca.crt")).unwrap();

        assert_eq!(ensure(&paths).unwrap(), PkiChange::Renewed(vec!["admin"]));
        let renewed = fs::read_to_string(dir.join("admin.crt")).unwrap();
        let lasts = expiry::not_after(&renewed).unwrap() - now;
        assert!(lasts > Duration::days(360), "a year again: {lasts}");
        assert_eq!(fs::read(dir.join("ca.crt")).unwrap(), ca, "the CA is kept");
        assert_eq!(ensure(&paths).unwrap(), PkiChange::Unchanged);
        fs::remove_dir_all(paths.root()).unwrap();
    }

    #[test]
    fn keys_and_the_folder_are_private_whatever_they_were() {
        use std::os::unix::fs::PermissionsExt;
        let paths = temp_lab();
        ensure(&paths).unwrap();
        let dir = paths.pki();
        assert_eq!(mode(&dir), 0o700);
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(dir.join("ca.key"), fs::Permissions::from_mode(0o644)).unwrap();
        ensure(&paths).unwrap();
        assert_eq!(mode(&dir), 0o700);
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_some_and(|e| e == "key") {
                assert_eq!(mode(&path), 0o600, "{}", path.display());
            }
        }

        // A kubeconfig that exists with a loose mode is rewritten 0600.
        let admin = paths.kubeconfig();
        fs::write(&admin, "old").unwrap();
        fs::set_permissions(&admin, fs::Permissions::from_mode(0o644)).unwrap();
        super::super::kubeconfig::write_all(&paths, 6443).unwrap();
        assert_eq!(mode(&admin), 0o600);
        assert!(
            fs::read_to_string(&admin)
                .unwrap()
                .contains("client-key-data")
        );
        let component = paths.component_kubeconfig("scheduler");
        assert_eq!(mode(&component), 0o600);
        assert_eq!(mode(component.parent().unwrap()), 0o700);
        fs::remove_dir_all(paths.root()).unwrap();
    }
}
