//! Everything that talks to a cluster: connecting, raw HTTP requests as a
//! chosen identity, ServiceAccount tokens from the TokenRequest API, and the
//! transport every client is built on (`crate::transport::client`).

pub mod apply;
pub mod bounded;
pub(crate) mod callers;
pub(crate) mod capabilities;
pub(crate) mod connect;
pub(crate) mod context;
pub(crate) mod describe;
pub mod jwt;
pub mod kinds;
pub mod kubectl;
pub mod limit_range_settle;
pub mod namespace_labels;
pub mod pod_exec;
pub mod request;
pub mod reset;
pub mod scoped_user;
pub(crate) mod shell;
pub mod token;

/// The server's own words for a failed request.
pub fn server_message(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => status.message.clone(),
        other => other.to_string(),
    }
}
