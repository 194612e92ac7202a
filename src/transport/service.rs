//! The tower service under `kube::Client`: upgrades (exec's WebSocket) on an
//! HTTP/1.1 connection of their own, everything else on the shared HTTP/2
//! connections, or on pooled HTTP/1.1 where HTTP/2 is refused or forced off.

use std::sync::Arc;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use http::{Request, Response};
use hyper_util::client::legacy;
use hyper_util::rt::TokioExecutor;
use kube::Config;
use kube::client::Body;
use tower::BoxError;

use super::Protocol;
use super::connector::{self, Alpn, Https};
use super::h2pool::{CountedBody, H2Pool, Sent};

/// Cheap to clone: clones share the connections.
#[derive(Clone)]
pub struct Transport {
    pub(super) inner: Arc<Inner>,
}

pub(super) struct Inner {
    /// `None` when HTTP/2 is forced off or the server is plain HTTP.
    h2: Option<H2Pool>,
    /// Kept-alive HTTP/1.1 connections, one per request in flight.
    http1: legacy::Client<Https, Body>,
    /// HTTP/1.1 for upgrades: the connection becomes the upgraded stream and
    /// closes with it; none is kept idle.
    upgrades: legacy::Client<Https, Body>,
}

impl Inner {
    pub(super) fn new(config: &Config, protocol: Protocol) -> anyhow::Result<Inner> {
        let http1 = connector::https(config, Alpn::Http1)?;
        let secure = config.cluster_url.scheme() == Some(&http::uri::Scheme::HTTPS);
        let h2 = match protocol {
            Protocol::Negotiate if secure => Some(H2Pool::new(
                connector::https(config, Alpn::H2AndHttp1)?,
                config.cluster_url.clone(),
            )),
            _ => None,
        };
        Ok(Inner {
            h2,
            http1: legacy::Client::builder(TokioExecutor::new()).build(http1.clone()),
            upgrades: legacy::Client::builder(TokioExecutor::new())
                .pool_max_idle_per_host(0)
                .build(http1),
        })
    }
}

impl tower::Service<Request<Body>> for Transport {
    type Response = Response<CountedBody>;
    type Error = BoxError;
    type Future = BoxFuture<'static, Result<Response<CountedBody>, BoxError>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), BoxError>> {
        // Connections are found (or made) per request, in `call`.
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<Body>) -> Self::Future {
        let inner = self.inner.clone();
        Box::pin(async move {
            if super::wants_upgrade(&request) {
                let response = inner.upgrades.request(request).await?;
                return Ok(response.map(|body| CountedBody::new(body, None)));
            }
            let request = match &inner.h2 {
                Some(pool) => match pool.send(request).await? {
                    Sent::Answered(response) => return Ok(response),
                    Sent::NotHttp2(request) => request,
                },
                None => request,
            };
            let response = inner.http1.request(request).await?;
            Ok(response.map(|body| CountedBody::new(body, None)))
        })
    }
}
