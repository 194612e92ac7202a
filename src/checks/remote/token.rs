//! The `token` check: a token for a ServiceAccount is minted
//! (TokenRequest, short-lived) and decoded, and its claims compared; the token
//! itself is never kept or shown.

use secrecy::ExposeSecret;

use super::{RemoteContext, is_answer, unreachable};
use crate::checks::local::expect_value;
use crate::checks::outcome::Outcome;
use crate::cluster::apply::server_message;
use crate::cluster::jwt;
use crate::cluster::token::{self, DEFAULT_EXPIRATION_SECONDS};
use crate::lesson::model::TokenCheck;
use crate::syntax::path;
use crate::tree::Tree;

pub(super) async fn token_check(c: &TokenCheck, ctx: &RemoteContext<'_>) -> Outcome {
    let token = match token::request(
        ctx.client,
        ctx.namespace,
        &c.service_account,
        DEFAULT_EXPIRATION_SECONDS,
        None,
    )
    .await
    {
        Ok(token) => token,
        Err(e) if is_answer(&e) => {
            return Outcome::fail(format!(
                "could not create a token for ServiceAccount {}: {}",
                c.service_account,
                server_message(&e)
            ));
        }
        Err(e) => {
            return unreachable(
                &format!("create a token for ServiceAccount {}", c.service_account),
                &e,
            );
        }
    };
    let decoded = match jwt::decode(token.expose_secret()) {
        Ok(decoded) => decoded,
        Err(e) => return Outcome::fail(format!("the token does not decode: {e}")),
    };
    let claims = Tree::from(decoded.claims.clone());
    for (claim, expected) in &c.claims {
        let expected = serde_json::Value::String(expected.clone());
        if let Err(message) = expect_value(
            path::lookup(&claims, claim),
            Some(&expected),
            None,
            &format!("claim {claim}"),
        ) {
            return Outcome::fail(format!(
                "A token for {} decodes, but {message}",
                c.service_account
            ));
        }
    }
    let sub = decoded.claims["sub"].as_str().unwrap_or_default();
    let lifetime = decoded
        .lifetime_seconds()
        .map(|s| format!(", valid {} min", s / 60))
        .unwrap_or_default();
    Outcome::pass(format!(
        "A token for {} decodes: sub {sub}{lifetime}",
        c.service_account
    ))
}
