//! The one way kubetutor builds a `kube::Client`: kube's own middleware (base
//! URI, retries, credentials, impersonation headers) over a transport of our
//! own that multiplexes every request on shared HTTP/2 connections, so a tutor
//! holds one TCP+TLS connection to the API server instead of one per watch.
//!
//! Why our own: kube-rs speaks HTTP/1.1 only (enabling HTTP/2 in its client
//! breaks the WebSocket upgrade exec needs). Here requests that ask for an
//! upgrade go to an HTTP/1.1 connection of their own, opened only while used;
//! everything else shares HTTP/2 (ALPN `h2`, keep-alive PINGs), falling back to
//! HTTP/1.1 when the server or a proxy in between does not offer `h2`.
//! `KUBETUTOR_HTTP1=1` forces HTTP/1.1 for servers or proxies that misbehave.

mod connector;
mod h2pool;
mod registry;
mod service;

use kube::client::ConfigExt;
use kube::{Client, Config};
use tower::{BoxError, ServiceBuilder};

pub use service::Transport;

/// The environment variable that forces HTTP/1.1 (any value but empty, `0`
/// or `false`).
pub const FORCE_HTTP1_ENV: &str = "KUBETUTOR_HTTP1";

/// Which protocol the shared connections speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// HTTP/2 where the server offers it (ALPN), HTTP/1.1 where it does not.
    Negotiate,
    /// HTTP/1.1 only: one connection per request in flight, as kube-rs does.
    Http1,
}

impl Protocol {
    /// What the environment asks for (`KUBETUTOR_HTTP1`).
    pub fn from_env() -> Protocol {
        match std::env::var(FORCE_HTTP1_ENV) {
            Ok(value) if !matches!(value.trim(), "" | "0" | "false") => Protocol::Http1,
            _ => Protocol::Negotiate,
        }
    }
}

/// A client for the cluster and credentials of `config`. Clients built for the
/// same server and TLS identity (CA, client certificate) in one process and
/// runtime share their connections, whatever bearer token each one sends.
pub fn client(config: &Config) -> anyhow::Result<Client> {
    client_with(config, Protocol::from_env())
}

/// As `client`, speaking `protocol` (benchmarks compare both).
pub fn client_with(config: &Config, protocol: Protocol) -> anyhow::Result<Client> {
    if config.proxy_url.is_some() {
        // kube is built without its proxy features here: let it give its own
        // error ("enable kube/http-proxy") rather than ignore the proxy.
        return Ok(Client::try_from(config.clone())?);
    }
    let transport = registry::transport(config, protocol)?;
    let retry = config
        .default_retry
        .then(|| tower::retry::RetryLayer::new(kube::client::retry::RetryPolicy::server_retry()));
    let service = ServiceBuilder::new()
        .layer(config.base_uri_layer())
        .option_layer(retry)
        .option_layer(config.auth_layer()?)
        .layer(config.extra_headers_layer()?)
        .map_err(BoxError::from)
        .service(transport);
    Ok(Client::new(service, config.default_namespace.clone()))
}

/// Whether `request` asks to switch protocols (exec, attach, port-forward:
/// WebSocket or SPDY). HTTP/2 has no such upgrade, so these need HTTP/1.1.
pub fn wants_upgrade<B>(request: &http::Request<B>) -> bool {
    request.headers().contains_key(http::header::UPGRADE)
        || request
            .headers()
            .get_all(http::header::CONNECTION)
            .iter()
            .any(|v| {
                v.to_str().is_ok_and(|v| {
                    v.split(',')
                        .any(|t| t.trim().eq_ignore_ascii_case("upgrade"))
                })
            })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(headers: &[(&str, &str)]) -> http::Request<()> {
        let mut builder = http::Request::get("https://127.0.0.1/api");
        for (name, value) in headers {
            builder = builder.header(*name, *value);
        }
        builder.body(()).unwrap()
    }

    #[test]
    fn an_upgrade_is_told_by_either_header() {
        assert!(wants_upgrade(&request(&[("upgrade", "websocket")])));
        assert!(wants_upgrade(&request(&[(
            "connection",
            "keep-alive, Upgrade"
        )])));
        assert!(!wants_upgrade(&request(&[("connection", "keep-alive")])));
        assert!(!wants_upgrade(&request(&[])));
    }
}
