//! The lab PKI, generated into temporary folders.

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

    let due = due_for_renewal(&paths);
    assert_eq!(
        due.iter().map(|(stem, _)| *stem).collect::<Vec<_>>(),
        ["admin"],
        "lab status names the one certificate due"
    );
    assert_eq!(ensure(&paths).unwrap(), PkiChange::Renewed(vec!["admin"]));
    assert!(due_for_renewal(&paths).is_empty(), "none due once renewed");
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
