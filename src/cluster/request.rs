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
    /// The answer in one line: status, reason, and the Status message or a
    /// list summary (what a step and `describe` show of it).
    pub fn summary(&self) -> String {
        let response = self;
        let reason = http::StatusCode::from_u16(response.status)
            .ok()
            .and_then(|s| s.canonical_reason())
            .unwrap_or("");
        let json = response.json().unwrap_or_default();
        let detail = match json["kind"].as_str() {
            Some("Status") => format!(": {}", json["message"].as_str().unwrap_or_default()),
            Some(kind) if kind.ends_with("List") => {
                let names: Vec<&str> = json["items"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|i| i["metadata"]["name"].as_str())
                    .collect();
                if kind == "APIResourceList" {
                    format!(
                        " ({kind}, {} resources)",
                        json["resources"].as_array().map_or(0, Vec::len)
                    )
                } else {
                    format!(
                        " ({kind}: {})",
                        if names.is_empty() {
                            "empty".to_string()
                        } else {
                            names.join(", ")
                        }
                    )
                }
            }
            Some(kind) => format!(" ({kind})"),
            None => String::new(),
        };
        format!("{} {reason}{detail}", response.status)
    }

    /// The body as JSON, if it is JSON.
    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

/// A client that speaks as `identity` to the server of `base`. Only the
/// server address and CA of `base` are used, never its credentials.
pub fn client_for(base: &Config, identity: &Identity) -> anyhow::Result<Client> {
    crate::transport::client(&config_for(base, identity))
}

/// The configuration of `base` (server, CA) with `identity`'s credentials
/// instead of its own.
pub fn config_for(base: &Config, identity: &Identity) -> Config {
    let mut config = base.clone();
    config.auth_info = match identity {
        Identity::Anonymous => AuthInfo::default(),
        Identity::Bearer(token) => AuthInfo {
            token: Some(token.clone()),
            ..Default::default()
        },
    };
    config.headers.clear();
    config
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

/// The largest response body read (a list of thousands of objects fits).
const BODY_CAP: usize = 16 << 20;

/// Sends `method path` with `body` through `client` (see `client_for`),
/// giving up after `bounded::TIME_LIMIT` or a body past `BODY_CAP`.
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
    // A lesson names the path: the answer is bounded in time and size.
    let answer = async {
        let response = client.send(request).await?;
        let status = response.status().as_u16();
        let body = http_body_util::Limited::new(response.into_body(), BODY_CAP);
        let bytes = http_body_util::BodyExt::collect(body)
            .await
            .map_err(|e| match e.downcast::<http_body_util::LengthLimitError>() {
                Ok(_) => {
                    anyhow::anyhow!("the answer is longer than {} MiB: not read", BODY_CAP >> 20)
                }
                Err(e) => anyhow::anyhow!("{e}"),
            })?
            .to_bytes();
        Ok::<_, anyhow::Error>((status, bytes))
    };
    let (status, bytes) = tokio::time::timeout(super::bounded::TIME_LIMIT, answer)
        .await
        .map_err(|_| anyhow::anyhow!("{}", super::bounded::time_limit_said()))??;
    Ok(ApiResponse {
        status,
        body: String::from_utf8_lossy(&bytes).into_owned(),
    })
}
