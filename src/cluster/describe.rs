//! Tokens and API answers as lines of text for people: the output pane, the
//! `token` and `call` commands. A token is masked unless revealed on request.

use kube::Client;
use secrecy::ExposeSecret;

use super::request::ApiResponse;
use super::{apply, jwt, token};

/// Creates a token for `namespace/account` and describes it: masked (or the
/// whole token with `reveal`), header, claims, lifetime.
pub async fn token(client: &Client, namespace: &str, account: &str, reveal: bool) -> Vec<String> {
    let token = match token::request(
        client,
        namespace,
        account,
        token::DEFAULT_EXPIRATION_SECONDS,
        None,
    )
    .await
    {
        Ok(token) => token,
        Err(e) => {
            return vec![format!(
                "no token for ServiceAccount {account}: {}",
                apply::server_message(&e)
            )];
        }
    };
    let secret = token.expose_secret();
    let shown = if reveal {
        secret.to_string()
    } else {
        jwt::mask(secret)
    };
    let mut lines = vec![format!("token: {shown}")];
    match jwt::decode(secret) {
        Ok(decoded) => {
            lines.push(format!("header: {}", decoded.header));
            lines.push("claims:".into());
            let claims = serde_json::to_string_pretty(&decoded.claims).unwrap_or_default();
            lines.extend(claims.lines().map(|l| format!("  {l}")));
            if let Some(seconds) = decoded.lifetime_seconds() {
                lines.push(format!(
                    "lifetime (exp − iat): {seconds} s = {} min; a TokenRequest token expires, a pre-1.24 Secret token did not",
                    seconds / 60
                ));
            }
        }
        Err(e) => lines.push(format!("the token does not decode: {e}")),
    }
    lines
}

/// Said with every request "from a pod": how it was really sent.
pub const FROM_POD_NOTE: &str = "(sent by kubetutor to the API server with this Pod's own token — bound to the Pod, as \
     the kubelet mounts it; no command runs inside the Pod. On a cluster with real containers, \
     `kubectl exec` into the Pod shows the same answer.)";

/// An answer: who asked, the status with the Status message or a list
/// summary, then the body pretty-printed and folded after `body_lines`.
pub fn response(
    response: &ApiResponse,
    who: &str,
    note: Option<&str>,
    body_lines: usize,
) -> Vec<String> {
    let mut lines = vec![format!("as {who}")];
    if let Some(note) = note {
        lines.push(note.to_string());
    }
    lines.push(format!("→ {}", response.summary()));
    let body = response
        .json()
        .and_then(|j| serde_json::to_string_pretty(&j).ok())
        .unwrap_or_else(|| response.body.clone());
    let total = body.lines().count();
    lines.extend(body.lines().take(body_lines).map(str::to_string));
    if total > body_lines {
        let more = total - body_lines;
        let noun = if more == 1 { "line" } else { "lines" };
        lines.push(format!("… {more} more {noun} of JSON"));
    }
    lines
}
