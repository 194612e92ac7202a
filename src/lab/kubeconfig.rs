//! Kubeconfig files for the admin (what users and tests use) and for each
//! in-lab component. Certificates are embedded, so a copied file still works.

use std::fs;
use std::path::Path;

use anyhow::Context;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

use super::paths::LabPaths;

/// Context, cluster and user name in the admin kubeconfig.
pub const CONTEXT: &str = "kubetutor-lab";

/// (kubeconfig name, client certificate stem in pki/)
const COMPONENT_CLIENTS: &[(&str, &str)] = &[
    ("controller-manager", "controller-manager"),
    ("scheduler", "scheduler"),
    ("kwok", "kwok"),
];

/// Writes every kubeconfig for an API server on `port`.
pub fn write_all(paths: &LabPaths, port: u16) -> anyhow::Result<()> {
    let server = format!("https://127.0.0.1:{port}");
    write_one(paths, &paths.kubeconfig(), &server, CONTEXT, "admin")?;
    for (name, cert) in COMPONENT_CLIENTS {
        let file = paths.component_kubeconfig(name);
        crate::files::create_private_dir(file.parent().expect("kubeconfig has a parent folder"))?;
        write_one(paths, &file, &server, CONTEXT, cert)?;
    }
    Ok(())
}

/// Writes the kubeconfig `file` for the client certificate `cert_stem` in pki/
/// (the real node's components), for an API server on `port`.
pub fn write_client(
    paths: &LabPaths,
    file: &Path,
    port: u16,
    cert_stem: &str,
) -> anyhow::Result<()> {
    crate::files::create_private_dir(file.parent().expect("kubeconfig has a parent folder"))?;
    let server = format!("https://127.0.0.1:{port}");
    write_one(paths, file, &server, CONTEXT, cert_stem)
}

fn write_one(
    paths: &LabPaths,
    file: &Path,
    server: &str,
    context: &str,
    cert_stem: &str,
) -> anyhow::Result<()> {
    let b64 = |name: &str| -> anyhow::Result<String> {
        let path = paths.pki_file(name);
        let bytes = fs::read(&path).with_context(|| format!("reading {}", path.display()))?;
        Ok(STANDARD.encode(bytes))
    };
    let text = render(
        server,
        context,
        &b64("ca.crt")?,
        &b64(&format!("{cert_stem}.crt"))?,
        &b64(&format!("{cert_stem}.key"))?,
    );
    // It holds a private key: readable by its owner only.
    super::pki::write_private(file, &text)
}

/// Built as data and serialised (never spliced into YAML text), as every
/// kubeconfig kubetutor writes.
fn render(server: &str, context: &str, ca: &str, cert: &str, key: &str) -> String {
    let config = serde_json::json!({
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": context, "cluster": {
            "server": server,
            "certificate-authority-data": ca,
        }}],
        "users": [{"name": context, "user": {
            "client-certificate-data": cert,
            "client-key-data": key,
        }}],
        "contexts": [{"name": context, "context": {"cluster": context, "user": context}}],
        "current-context": context,
    });
    crate::yaml::to_text(&config)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_kubeconfig_parses_with_kube_and_names_the_lab_context() {
        let text = render(
            "https://127.0.0.1:6443",
            CONTEXT,
            "Q0E=",
            "Q0VSVA==",
            "S0VZ",
        );
        let config: kube::config::Kubeconfig = kube::config::Kubeconfig::from_yaml(&text).unwrap();
        assert_eq!(config.current_context.as_deref(), Some(CONTEXT));
        let cluster = config.clusters[0].cluster.as_ref().unwrap();
        assert_eq!(cluster.server.as_deref(), Some("https://127.0.0.1:6443"));
        assert_eq!(cluster.certificate_authority_data.as_deref(), Some("Q0E="));
        assert_eq!(cluster.insecure_skip_tls_verify, None);
    }
}
