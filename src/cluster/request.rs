//! Raw HTTP requests to the API server as a chosen identity, returning the
//! status and body exactly as the server sent them (a 403 is an answer here,
//! not an error). TLS is verified with the cluster CA from the kubeconfig.

use kube::config::AuthInfo;
use kube::{Client, Config};
use secrecy::SecretString;

/// Who the request is sent as.
#[derive(Clone)]
pub enum Identity {
    /// No credentials at all: the server sees `system:anonymous`.
    Anonymous,
    /// A bearer token, e.g. a ServiceAccount token from TokenRequest.
    Bearer(SecretString),
}

impl std::fmt::Debug for Identity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Identity::Anonymous => f.write_str("Anonymous"),
            Identity::Bearer(_) => f.write_str("Bearer(****)"),
        }
    }
}

/// What the server answered.
#[derive(Debug, Clone)]
pub struct ApiResponse {
    pub status: u16,
    pub body: String,
}

impl ApiResponse {
    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A client that speaks as `identity` to the server of `base`. Only the
/// server address and CA of `base` are used, never its credentials.
pub fn client_for(base: &Config, identity: &Identity) -> anyhow::Result<Client> {
    let mut config = base.clone();
    config.auth_info = match identity {
        Identity::Anonymous => AuthInfo::default(),
        Identity::Bearer(token) => AuthInfo {
            token: Some(token.clone()),
            ..Default::default()
        },
    };
    config.headers.clear();
    Ok(Client::try_from(config)?)
}

/// Sends `method path` with `body` as `identity`, to the server of `base`.
pub async fn send(
    base: &Config,
    identity: &Identity,
    method: http::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<ApiResponse> {
    send_with(&client_for(base, identity)?, method, path, body).await
}

/// Sends `method path` with `body` through `client` (see `client_for`).
pub async fn send_with(
    client: &Client,
    method: http::Method,
    path: &str,
    body: Option<Vec<u8>>,
) -> anyhow::Result<ApiResponse> {
    let mut request = http::Request::builder().method(method).uri(path);
    if body.is_some() {
        request = request.header(http::header::CONTENT_TYPE, "application/json");
    }
    let request = request.body(kube::client::Body::from(body.unwrap_or_default()))?;
    let response = client.send(request).await?;
    let status = response.status().as_u16();
    let bytes = response.into_body().collect_bytes().await?;
    Ok(ApiResponse {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
