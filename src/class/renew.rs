//! Renewing a class's tokens revokes the old ones. A TokenRequest token
//! cannot be withdrawn one by one, but the API server accepts a
//! ServiceAccount token only while an account of its name with the UID it
//! names exists: deleting the attendee's account and making it again (a new
//! UID) ends every token issued before — the kubeconfig files handed out,
//! and any token the attendee minted themselves. The RoleBindings name the
//! account by name, so the new one has the same rights.

use std::time::Duration;

use k8s_openapi::api::authentication::v1::{TokenReview, TokenReviewSpec};
use k8s_openapi::api::core::v1::ServiceAccount;
use kube::api::{DeleteParams, PostParams, Preconditions};
use kube::{Api, Client, ResourceExt};
use secrecy::{ExposeSecret, SecretString};
use tokio::time::Instant;

use crate::cluster::apply::server_message;
use crate::cluster::token;

/// How long the API server may take to refuse a token of a deleted account
/// it has never accepted (its account cache follows a watch: normally well
/// under a second; a probe accepted just before that is remembered 10 s).
const REFUSED_WITHIN: Duration = Duration::from_secs(30);
/// kube-apiserver remembers a token it accepted for 10 s (its token success
/// cache, not configurable for ServiceAccount tokens): a token used just
/// before its account went is accepted that long after. Measured on the lab:
/// 401 came 10.0 s after the delete for a token used just before it.
const SUCCESS_CACHE: Duration = Duration::from_secs(11);

/// An account deleted to end its tokens, and a token of it (ten minutes,
/// held in memory only) that proves when the API server refuses them.
pub struct Revoking {
    namespace: String,
    probe: SecretString,
}

/// Deletes `namespace/account` if it exists, and returns once it is gone.
/// None when there was no account (nothing to revoke). `confirm` then waits
/// until its old tokens are refused.
pub async fn revoke_tokens(
    client: &Client,
    namespace: &str,
    account: &str,
) -> anyhow::Result<Option<Revoking>> {
    let accounts: Api<ServiceAccount> = Api::namespaced(client.clone(), namespace);
    let where_ = format!("ServiceAccount {account} in {namespace}");
    let Some(old) = accounts
        .get_opt(account)
        .await
        .map_err(|e| anyhow::anyhow!("reading {where_}: {}", server_message(&e)))?
    else {
        return Ok(None);
    };
    let old_uid = old.uid().unwrap_or_default();
    let probe = token::request(
        client,
        namespace,
        account,
        token::DEFAULT_EXPIRATION_SECONDS,
        None,
    )
    .await
    .map_err(|e| {
        anyhow::anyhow!(
            "a token of {where_} to prove the revocation: {}",
            server_message(&e)
        )
    })?;
    let params = DeleteParams {
        preconditions: Some(Preconditions {
            uid: Some(old_uid.clone()),
            resource_version: None,
        }),
        ..DeleteParams::background()
    };
    match accounts.delete(account, &params).await {
        Ok(_) => {}
        Err(kube::Error::Api(status)) if status.code == 404 => {}
        Err(e) => anyhow::bail!(
            "deleting {where_} to revoke its old tokens: {}",
            server_message(&e)
        ),
    }
    let deadline = Instant::now() + REFUSED_WITHIN;
    while accounts
        .get_opt(account)
        .await
        .map_err(|e| anyhow::anyhow!("reading {where_}: {}", server_message(&e)))?
        .is_some_and(|sa| sa.uid().as_deref() == Some(old_uid.as_str()))
    {
        anyhow::ensure!(
            Instant::now() < deadline,
            "{where_} was deleted to revoke its old tokens, yet it is still there after {} s \
             (see `kubectl get serviceaccount {account} -n {namespace} -o yaml`, finalizers)",
            REFUSED_WITHIN.as_secs()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(Some(Revoking {
        namespace: namespace.to_string(),
        probe,
    }))
}

/// Returns once the API server refuses every old token of the accounts
/// revoked: each probe refused, then the server's memory of tokens it
/// accepted run out.
pub async fn confirm(client: &Client, revoked: &[Revoking]) -> anyhow::Result<()> {
    if revoked.is_empty() {
        return Ok(());
    }
    let deadline = Instant::now() + REFUSED_WITHIN;
    for revoking in revoked {
        while accepted(client, revoking.probe.expose_secret()).await? {
            anyhow::ensure!(
                Instant::now() < deadline,
                "the account of {} was re-created to revoke its old tokens, yet after {} s the \
                 API server still accepts them: the old kubeconfig files may still work",
                revoking.namespace,
                REFUSED_WITHIN.as_secs()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    tokio::time::sleep(SUCCESS_CACHE).await;
    Ok(())
}

/// Whether the API server authenticates `token` now (a TokenReview: the
/// same authenticators a request meets).
async fn accepted(client: &Client, token: &str) -> anyhow::Result<bool> {
    let review = TokenReview {
        spec: TokenReviewSpec {
            token: token.to_string(),
            audiences: None,
        },
        ..Default::default()
    };
    let answer = Api::<TokenReview>::all(client.clone())
        .create(&PostParams::default(), &review)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "asking the API server whether an old token still works (TokenReview): {}",
                server_message(&e)
            )
        })?;
    Ok(answer.status.and_then(|s| s.authenticated).unwrap_or(false))
}
