//! A TLS server identity for a stand-in server on 127.0.0.1 (a webhook that
//! never answers, a relay in front of the API server): a throwaway CA and a
//! serving certificate for 127.0.0.1 it signed, as a rustls server config.

use std::sync::Arc;

use tokio_rustls::rustls::{self, pki_types};

/// The crypto provider the stand-ins use (ring), for their client side too.
pub fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// A server config serving 127.0.0.1, and the CA that signed its
/// certificate (for the client that must trust it).
pub fn server_config() -> (rustls::ServerConfig, rcgen::Certificate) {
    let ca_key = rcgen::KeyPair::generate().unwrap();
    let mut ca_params = rcgen::CertificateParams::new(Vec::<String>::new()).unwrap();
    ca_params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    let ca_cert = ca_params.self_signed(&ca_key).unwrap();
    let issuer = rcgen::Issuer::new(ca_params, ca_key);
    let key = rcgen::KeyPair::generate().unwrap();
    let params = rcgen::CertificateParams::new(vec!["127.0.0.1".to_string()]).unwrap();
    let cert = params.signed_by(&key, &issuer).unwrap();
    let server = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(
            vec![cert.der().clone()],
            pki_types::PrivateKeyDer::Pkcs8(key.serialize_der().into()),
        )
        .unwrap();
    (server, ca_cert)
}
