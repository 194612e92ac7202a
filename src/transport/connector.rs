//! TCP + TLS connectors for the transport, verifying the server exactly as
//! kube does (the kubeconfig's CA, its tls-server-name, its client
//! certificate): one offering `h2` and `http/1.1` by ALPN for the shared
//! connections, one offering HTTP/1.1 alone for upgrades and the fallback.

use hyper_rustls::{FixedServerNameResolver, HttpsConnector, HttpsConnectorBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use kube::Config;
use kube::client::ConfigExt;

pub type Https = HttpsConnector<HttpConnector>;

/// Which protocols the TLS handshake offers.
#[derive(Clone, Copy)]
pub enum Alpn {
    H2AndHttp1,
    Http1,
}

pub fn https(config: &Config, alpn: Alpn) -> anyhow::Result<Https> {
    let mut tcp = HttpConnector::new();
    tcp.enforce_http(false);
    tcp.set_connect_timeout(config.connect_timeout);
    tcp.set_nodelay(true);
    // Dead peers behind a NAT are found by HTTP/2 PINGs; TCP keep-alive is
    // the HTTP/1.1 connections' only chance.
    tcp.set_keepalive(Some(std::time::Duration::from_secs(30)));
    let tls = config.rustls_client_config()?;
    let builder = HttpsConnectorBuilder::new()
        .with_tls_config(tls)
        .https_or_http();
    let builder = match &config.tls_server_name {
        Some(name) => builder.with_server_name_resolver(FixedServerNameResolver::new(
            name.clone()
                .try_into()
                .map_err(|e| anyhow::anyhow!("the kubeconfig's tls-server-name {name:?}: {e}"))?,
        )),
        None => builder,
    };
    Ok(match alpn {
        Alpn::H2AndHttp1 => builder.enable_http1().enable_http2().wrap_connector(tcp),
        Alpn::Http1 => builder.enable_http1().wrap_connector(tcp),
    })
}
