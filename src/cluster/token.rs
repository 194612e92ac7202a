//! ServiceAccount tokens from the TokenRequest API: short-lived, never stored.

use k8s_openapi::api::authentication::v1::{BoundObjectReference, TokenRequest, TokenRequestSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::PostParams;
use kube::{Api, Client};
use secrecy::SecretString;

/// Ten minutes: long enough for a lesson step, short enough to be harmless if seen.
pub const DEFAULT_EXPIRATION_SECONDS: i64 = 600;

/// A pod a token is bound to, as the kubelet binds the tokens it mounts.
#[derive(Debug, Clone)]
pub struct BoundPod {
    pub name: String,
    pub uid: String,
}

/// Asks the API server for a token of `namespace/service_account`
/// (what `kubectl create token` does).
pub async fn request(
    client: &Client,
    namespace: &str,
    service_account: &str,
    expiration_seconds: i64,
    bound_pod: Option<&BoundPod>,
) -> kube::Result<SecretString> {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let spec = TokenRequestSpec {
        audiences: None,
        expiration_seconds: Some(expiration_seconds),
        bound_object_ref: bound_pod.map(|pod| BoundObjectReference {
            api_version: Some("v1".into()),
            kind: Some("Pod".into()),
            name: Some(pod.name.clone()),
            uid: Some(pod.uid.clone()),
        }),
    };
    let request = TokenRequest {
        spec: Some(spec),
        ..Default::default()
    };
    let answer = accounts
        .create_token_request(service_account, &PostParams::default(), &request)
        .await?;
    let token = answer.status.and_then(|s| s.token).unwrap_or_default();
    Ok(SecretString::from(token))
}
