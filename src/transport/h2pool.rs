//! Shared HTTP/2 connections to one server. Every request takes a stream on
//! the first connection with a free one; a new connection is opened only when
//! all are full (or none is alive), one handshake at a time, so a burst of
//! watches at start-up still makes one connection.
//!
//! Why count streams ourselves: kube-apiserver lets a client hold 100 streams
//! at once on a connection (its default `--http2-max-streams-per-connection`),
//! and hyper queues the 101st request until a stream frees. A watch holds its
//! stream for minutes, so a queued watch would hang: past 100 we open another
//! connection, as Go's HTTP/2 transport (kubectl, client-go) does.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, Uri};
use hyper::body::Incoming;
use hyper::client::conn::http2;
use hyper_util::client::legacy::connect::Connection;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use kube::client::Body;
use tower::{BoxError, ServiceExt};

use super::connector::Https;

/// Streams one connection carries at once: kube-apiserver's default limit,
/// and the least RFC 9113 recommends a server to allow.
pub const STREAMS_PER_CONNECTION: usize = 100;

/// How often an idle connection is PINGed, and how long a PING may go
/// unanswered before the connection is dropped (client-go's ReadIdleTimeout
/// and PingTimeout): an idle laptop behind a NAT keeps its watches, and a
/// dead server is noticed even when the network says nothing.
const PING_EVERY: Duration = Duration::from_secs(30);
const PING_TIMEOUT: Duration = Duration::from_secs(15);

/// Flow-control window shared by all streams of a connection. Larger than
/// the sum of the streams' own windows (hyper's 2 MiB each, 100 streams), so
/// that streams whose data is not being read (a watch whose reader is busy)
/// can never use up the connection's window and stall every other stream on
/// it. At 16 MiB eight such streams could: a run of `lessons test` (eight
/// cases at once) hung once that way, every case waiting on one idle
/// connection; tests/transport.rs reproduces it with ten unread lists (it
/// hangs at 16 MiB). A window is credit, not memory: only data sent and
/// unread is held. Go's HTTP/2 client uses 1 GiB for the same reason
/// (transportDefaultConnFlow).
const CONNECTION_WINDOW: u32 = 1 << 30;

struct Conn {
    id: u64,
    sender: http2::SendRequest<Body>,
    streams: Arc<AtomicUsize>,
}

pub struct H2Pool {
    connector: Https,
    origin: Uri,
    conns: tokio::sync::Mutex<Vec<Conn>>,
    /// The server answered the TLS handshake without `h2`: HTTP/1.1 from now on.
    refused: AtomicBool,
    next_id: AtomicU64,
}

/// What became of a request.
pub enum Sent {
    Answered(Response<CountedBody>),
    /// The server does not speak HTTP/2: send it over HTTP/1.1.
    NotHttp2(Request<Body>),
}

impl H2Pool {
    pub fn new(connector: Https, origin: Uri) -> H2Pool {
        H2Pool {
            connector,
            origin,
            conns: tokio::sync::Mutex::new(Vec::new()),
            refused: AtomicBool::new(false),
            next_id: AtomicU64::new(0),
        }
    }

    pub async fn send(&self, mut request: Request<Body>) -> Result<Sent, BoxError> {
        // A connection can close between the check and the send (the server
        // restarted, or said GOAWAY): hyper then hands the request back, and
        // it goes once more, on a fresh connection. A server may also close a
        // connection gracefully under requests it has not begun (GOAWAY: Go's
        // server does when a handler answers `Connection: close`, and
        // kube-apiserver's --goaway-chance, common behind load balancers,
        // does at random) or refuse a stream: those requests were never
        // processed, and go again too, as Go's HTTP/2 client does
        // (client-go's `canRetryError`).
        for attempt in 0..ATTEMPTS {
            let last = attempt + 1 == ATTEMPTS;
            let Some((id, mut sender, slot)) = self.checkout().await? else {
                return Ok(Sent::NotHttp2(request));
            };
            let spare = if last { None } else { copy_of(&request) };
            match sender.try_send_request(request).await {
                Ok(response) => {
                    return Ok(Sent::Answered(
                        response.map(|body| CountedBody::new(body, Some(slot))),
                    ));
                }
                Err(mut error) => {
                    if let Some(unsent) = error.take_message()
                        && !last
                    {
                        tracing::debug!("HTTP/2 connection {id} closed before a request: retrying");
                        self.retire(id).await;
                        request = unsent;
                        continue;
                    }
                    let error = error.into_error();
                    match spare {
                        Some(spare) if never_processed(&error) => {
                            tracing::debug!(
                                "HTTP/2 connection {id}: the server did not take a request ({error}): retrying"
                            );
                            self.retire(id).await;
                            request = spare;
                        }
                        _ => return Err(for_people(error)),
                    }
                }
            }
        }
        unreachable!("the last attempt returns")
    }

    /// A connection with a free stream, and that stream's slot; `None` when
    /// the server does not speak HTTP/2.
    async fn checkout(&self) -> Result<Option<(u64, http2::SendRequest<Body>, Slot)>, BoxError> {
        if self.refused.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let mut conns = self.conns.lock().await;
        conns.retain(|c| !c.sender.is_closed());
        if let Some(conn) = conns
            .iter()
            .find(|c| c.streams.load(Ordering::Relaxed) < STREAMS_PER_CONNECTION)
        {
            return Ok(Some((
                conn.id,
                conn.sender.clone(),
                Slot::take(&conn.streams),
            )));
        }
        // Connecting while holding the lock: requests arriving meanwhile wait
        // for this handshake instead of each starting one of their own.
        let Some(conn) = self.connect().await? else {
            self.refused.store(true, Ordering::Relaxed);
            tracing::info!(
                "{} does not offer HTTP/2 (ALPN h2): using HTTP/1.1",
                self.origin
            );
            return Ok(None);
        };
        let found = (conn.id, conn.sender.clone(), Slot::take(&conn.streams));
        conns.push(conn);
        Ok(Some(found))
    }

    async fn retire(&self, id: u64) {
        self.conns.lock().await.retain(|c| c.id != id);
    }

    async fn connect(&self) -> Result<Option<Conn>, BoxError> {
        let io = self.connector.clone().oneshot(self.origin.clone()).await?;
        if !io.connected().is_negotiated_h2() {
            return Ok(None);
        }
        let (sender, connection) = http2::Builder::new(TokioExecutor::new())
            .timer(TokioTimer::new())
            .keep_alive_interval(PING_EVERY)
            .keep_alive_timeout(PING_TIMEOUT)
            .keep_alive_while_idle(true)
            .initial_connection_window_size(CONNECTION_WINDOW)
            .handshake::<_, Body>(io)
            .await?;
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let origin = self.origin.clone();
        tracing::debug!("HTTP/2 connection {id} to {origin} open");
        tokio::spawn(async move {
            match connection.await {
                Ok(()) => tracing::debug!("HTTP/2 connection {id} to {origin} closed"),
                Err(e) => tracing::debug!("HTTP/2 connection {id} to {origin} ended: {e}"),
            }
        });
        Ok(Some(Conn {
            id,
            sender,
            streams: Arc::new(AtomicUsize::new(0)),
        }))
    }
}

/// How often one request is sent before its error is given back: the first
/// try, a retry on a fresh connection, and one more if that one too was
/// closed at once.
const ATTEMPTS: usize = 3;

/// A copy of `request` to send again, when its body is in memory (kube's
/// request bodies are; a streamed body cannot be replayed).
fn copy_of(request: &Request<Body>) -> Option<Request<Body>> {
    let body = request.body().try_clone()?;
    let mut copy = Request::builder()
        .method(request.method().clone())
        .uri(request.uri().clone())
        .version(request.version())
        .body(body)
        .ok()?;
    *copy.headers_mut() = request.headers().clone();
    Some(copy)
}

/// Whether the server said it did not process the request: a graceful GOAWAY
/// it sent (h2 fails only the streams past the last one the server took; a
/// GOAWAY with an error code fails every stream, processed or not, so it is
/// not retried) or a stream it refused (REFUSED_STREAM, RFC 9113 section 8.7).
fn never_processed(error: &hyper::Error) -> bool {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(error);
    while let Some(e) = cause {
        if let Some(h2) = e.downcast_ref::<h2::Error>() {
            return (h2.is_go_away()
                && h2.is_remote()
                && h2.reason() == Some(h2::Reason::NO_ERROR))
                || (h2.is_reset() && h2.reason() == Some(h2::Reason::REFUSED_STREAM));
        }
        cause = e.source();
    }
    false
}

/// The connection ended under a request: a server that was killed or
/// restarted. rustls's own words for it ("peer closed connection without
/// sending TLS close_notify: <a link>") mean nothing to a learner.
#[derive(Debug, thiserror::Error)]
#[error("the API server closed the connection")]
pub struct ConnectionClosed;

fn for_people(error: hyper::Error) -> BoxError {
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&error);
    while let Some(e) = cause {
        if let Some(io) = e.downcast_ref::<std::io::Error>()
            && matches!(
                io.kind(),
                std::io::ErrorKind::UnexpectedEof | std::io::ErrorKind::ConnectionReset
            )
        {
            return Box::new(ConnectionClosed);
        }
        cause = e.source();
    }
    if error.is_closed() || error.is_canceled() {
        return Box::new(ConnectionClosed);
    }
    error.into()
}

/// One stream of a connection, given back when the response body is
/// dropped (which also resets the stream if it was still open).
pub struct Slot(Arc<AtomicUsize>);

impl Slot {
    fn take(streams: &Arc<AtomicUsize>) -> Slot {
        streams.fetch_add(1, Ordering::Relaxed);
        Slot(streams.clone())
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// A response body that holds its stream's slot while it lives.
pub struct CountedBody {
    inner: Incoming,
    _slot: Option<Slot>,
}

impl CountedBody {
    pub fn new(inner: Incoming, slot: Option<Slot>) -> CountedBody {
        CountedBody { inner, _slot: slot }
    }
}

impl http_body::Body for CountedBody {
    type Data = Bytes;
    type Error = hyper::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, hyper::Error>>> {
        std::pin::Pin::new(&mut self.inner).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_counted_while_it_lives() {
        let streams = Arc::new(AtomicUsize::new(0));
        let a = Slot::take(&streams);
        let b = Slot::take(&streams);
        assert_eq!(streams.load(Ordering::Relaxed), 2);
        drop(a);
        assert_eq!(streams.load(Ordering::Relaxed), 1);
        drop(b);
        assert_eq!(streams.load(Ordering::Relaxed), 0);
    }
}
