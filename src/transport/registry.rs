//! One transport per cluster identity in a process, so every client built for
//! the same server shares its connections, however many places build one.
//!
//! The identity is what the TLS connection itself proves: server, CA,
//! server name, client certificate (or the exec plugin that gives one).
//! Bearer tokens are per request (kube's auth layer sits above the
//! transport), so clients that speak as different ServiceAccounts share a
//! connection, as client-go's do. The tokio runtime is part of the key: a
//! connection's task lives on the runtime that opened it and dies with it
//! (tests run one runtime per test). Entries are weak: when the last client
//! of an identity is dropped, its connections close.

use std::sync::{Arc, Mutex, Weak};

use kube::Config;
use secrecy::ExposeSecret;
use sha2::{Digest, Sha256};

use super::Protocol;
use super::service::{Inner, Transport};

#[derive(PartialEq, Eq, Clone)]
struct Key([u8; 32]);

impl Key {
    fn of(config: &Config, protocol: Protocol) -> Key {
        let runtime = tokio::runtime::Handle::try_current()
            .map(|h| h.id().to_string())
            .unwrap_or_default();
        let auth = &config.auth_info;
        let mut hash = Sha256::new();
        let mut field = |bytes: &[u8]| {
            // Length-prefixed, so two fields cannot run into each other.
            hash.update((bytes.len() as u64).to_le_bytes());
            hash.update(bytes);
        };
        field(runtime.as_bytes());
        field(format!("{protocol:?}").as_bytes());
        field(config.cluster_url.to_string().as_bytes());
        field(config.tls_server_name.as_deref().unwrap_or("").as_bytes());
        for cert in config.root_cert.iter().flatten() {
            field(cert);
        }
        field(
            config
                .root_cert_file
                .as_deref()
                .map(|p| p.to_string_lossy().into_owned())
                .unwrap_or_default()
                .as_bytes(),
        );
        field(format!("{:?}", config.connect_timeout).as_bytes());
        field(auth.client_certificate.as_deref().unwrap_or("").as_bytes());
        field(
            auth.client_certificate_data
                .as_deref()
                .unwrap_or("")
                .as_bytes(),
        );
        field(auth.client_key.as_deref().unwrap_or("").as_bytes());
        field(
            auth.client_key_data
                .as_ref()
                .map(|k| k.expose_secret().as_bytes())
                .unwrap_or_default(),
        );
        field(
            serde_json::to_string(&auth.exec)
                .unwrap_or_default()
                .as_bytes(),
        );
        Key(hash.finalize().into())
    }
}

static TRANSPORTS: Mutex<Vec<(Key, Weak<Inner>)>> = Mutex::new(Vec::new());

/// The transport of `config`'s identity: the live one, or a new one.
pub fn transport(config: &Config, protocol: Protocol) -> anyhow::Result<Transport> {
    let key = Key::of(config, protocol);
    let mut transports = TRANSPORTS.lock().unwrap_or_else(|e| e.into_inner());
    transports.retain(|(_, weak)| weak.strong_count() > 0);
    if let Some(inner) = transports
        .iter()
        .find(|(k, _)| *k == key)
        .and_then(|(_, weak)| weak.upgrade())
    {
        return Ok(Transport { inner });
    }
    let inner = Arc::new(Inner::new(config, protocol)?);
    transports.push((key, Arc::downgrade(&inner)));
    Ok(Transport { inner })
}

#[cfg(test)]
mod tests {
    use super::*;
    use kube::config::AuthInfo;

    fn config(token: &str, cert: &str) -> Config {
        let mut config = Config::new("https://127.0.0.1:6443".parse().unwrap());
        config.auth_info = AuthInfo {
            token: Some(token.to_string().into()),
            client_certificate_data: Some(cert.to_string()),
            ..Default::default()
        };
        config
    }

    #[test]
    fn tokens_share_a_key_and_certificates_do_not() {
        let a = Key::of(&config("token-a", "cert-1"), Protocol::Negotiate);
        let b = Key::of(&config("token-b", "cert-1"), Protocol::Negotiate);
        let c = Key::of(&config("token-a", "cert-2"), Protocol::Negotiate);
        let d = Key::of(&config("token-a", "cert-1"), Protocol::Http1);
        assert!(a == b, "a bearer token is per request, not per connection");
        assert!(a != c, "a client certificate is the connection's identity");
        assert!(a != d, "forced HTTP/1.1 has connections of its own");
    }

    #[test]
    fn another_server_is_another_key() {
        let a = config("t", "c");
        let mut b = a.clone();
        b.cluster_url = "https://127.0.0.1:6444".parse().unwrap();
        assert!(Key::of(&a, Protocol::Negotiate) != Key::of(&b, Protocol::Negotiate));
    }
}
