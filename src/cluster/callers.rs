//! Clients that speak as someone else, kept for a while: the engine asks the
//! same question as the same identity again whenever a dependency changes
//! (and several times in a row while the API server's authorizer catches
//! up), and a new token and TLS connection for each ask would cost more than
//! the ask. Tokens live in memory only, and only as long as what they stand
//! for: the key holds the ServiceAccount's uid (and the Pod's, for a token
//! bound to a Pod), so a deleted and recreated account gets a new token.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use kube::{Client, Config};
use secrecy::SecretString;
use tokio::time::Instant;

use super::request::{Identity, client_for};
use super::token::{self, BoundPod, DEFAULT_EXPIRATION_SECONDS};

/// A cached token is used until this much of its life is left.
const RENEW_BEFORE_EXPIRY: Duration = Duration::from_secs(300);
/// More identities than a lesson uses: the cache is then cleared.
const MAX_CACHED: usize = 64;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct CallerKey {
    namespace: String,
    account: String,
    account_uid: String,
    pod: Option<(String, String)>,
}

/// The token, not a client built on it: a client holds about 10 KB of
/// buffers, and a class board keeps a token per attendee's account, while
/// building a client again is cheap (the connection is shared).
struct Cached {
    token: SecretString,
    renew_at: Instant,
}

#[derive(Default)]
pub struct Callers {
    /// Shared by the engines of a class (`sharing_anonymous`): no one's
    /// credentials, the same client for all (each costs about 10 KB).
    anonymous: Arc<Mutex<Option<Client>>>,
    bearer: Mutex<HashMap<CallerKey, Cached>>,
}

impl Callers {
    pub fn new() -> Callers {
        Callers::default()
    }

    /// A cache of its own for tokens, with the anonymous client of `self`.
    pub fn sharing_anonymous(&self) -> Callers {
        Callers {
            anonymous: self.anonymous.clone(),
            bearer: Mutex::default(),
        }
    }

    /// A client with no credentials. Each of its requests over HTTP/2 costs
    /// a new TLS connection: kube-apiserver answers an anonymous request,
    /// then closes its connection (GOAWAY), a mitigation of HTTP/2 denial
    /// of service on by default since 1.29 (feature gate
    /// UnauthenticatedHTTP2DOSMitigation,
    /// https://kubernetes.io/docs/reference/command-line-tools-reference/feature-gates/).
    /// The engine asks them in quick succession only after a change
    /// (`engine::settle`).
    pub fn anonymous(&self, base: &Config) -> anyhow::Result<Client> {
        let mut cached = self.anonymous.lock().expect("callers lock");
        if let Some(client) = &*cached {
            return Ok(client.clone());
        }
        let client = client_for(base, &Identity::Anonymous)?;
        *cached = Some(client.clone());
        Ok(client)
    }

    /// A client with a token of `namespace/account` (bound to `pod`, when
    /// given), from TokenRequest. Reused while the account (and pod) have the
    /// same uid and the token has more than five minutes left; without a uid
    /// nothing is reused.
    pub async fn service_account(
        &self,
        api: &Client,
        base: &Config,
        namespace: &str,
        account: &str,
        account_uid: Option<&str>,
        pod: Option<&BoundPod>,
    ) -> Result<Client, CallerError> {
        let key = account_uid.map(|uid| CallerKey {
            namespace: namespace.into(),
            account: account.into(),
            account_uid: uid.into(),
            pod: pod.map(|p| (p.name.clone(), p.uid.clone())),
        });
        let cached = key.as_ref().and_then(|key| {
            let cache = self.bearer.lock().expect("callers lock");
            let cached = cache.get(key)?;
            (Instant::now() < cached.renew_at).then(|| cached.token.clone())
        });
        if let Some(token) = cached {
            return client_for(base, &Identity::Bearer(token)).map_err(CallerError::Client);
        }
        let token = token::request(api, namespace, account, DEFAULT_EXPIRATION_SECONDS, pod)
            .await
            .map_err(CallerError::Token)?;
        let client =
            client_for(base, &Identity::Bearer(token.clone())).map_err(CallerError::Client)?;
        if let Some(key) = key {
            let mut cache = self.bearer.lock().expect("callers lock");
            if cache.len() >= MAX_CACHED {
                cache.clear();
            }
            let life = Duration::from_secs(DEFAULT_EXPIRATION_SECONDS as u64);
            cache.insert(
                key,
                Cached {
                    token,
                    renew_at: Instant::now() + life.saturating_sub(RENEW_BEFORE_EXPIRY),
                },
            );
        }
        Ok(client)
    }
}

#[derive(Debug)]
pub enum CallerError {
    /// TokenRequest failed (the account does not exist, or may not be asked for).
    Token(kube::Error),
    Client(anyhow::Error),
}
