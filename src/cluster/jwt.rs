//! Reading a JWT's header and claims (no verification: the API server verifies;
//! we only show what a token says).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::Value;

#[derive(Debug, Clone, PartialEq)]
pub struct DecodedToken {
    pub header: Value,
    pub claims: Value,
}

impl DecodedToken {
    /// exp − iat in seconds, when both are present (and the difference is
    /// a number: a token is untrusted text, and exp = i64::MAX, iat = -1
    /// overflowed here — found by tests/fuzz.rs).
    pub fn lifetime_seconds(&self) -> Option<i64> {
        self.claims["exp"]
            .as_i64()?
            .checked_sub(self.claims["iat"].as_i64()?)
    }
}

pub fn decode(token: &str) -> Result<DecodedToken, String> {
    let mut parts = token.split('.');
    let (Some(header), Some(claims), Some(_signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not a JWT: expected three dot-separated parts".into());
    };
    let part = |name: &str, text: &str| -> Result<Value, String> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim_end_matches('='))
            .map_err(|e| format!("the {name} is not base64url: {e}"))?;
        serde_json::from_slice(&bytes).map_err(|e| format!("the {name} is not JSON: {e}"))
    };
    Ok(DecodedToken {
        header: part("header", header)?,
        claims: part("claims", claims)?,
    })
}

/// A token for display: the first characters and the length, never the whole.
pub fn mask(token: &str) -> String {
    let shown: String = token.chars().take(10).collect();
    format!("{shown}… ({} characters, hidden)", token.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn encode(v: &Value) -> String {
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(v).unwrap())
    }

    #[test]
    fn decodes_header_and_claims() {
        let claims = json!({"sub": "system:serviceaccount:default:default", "iat": 100, "exp": 700,
                            "kubernetes.io": {"namespace": "default"}});
        let token = format!(
            "{}.{}.sig",
            encode(&json!({"alg": "ES256"})),
            encode(&claims)
        );
        let decoded = decode(&token).unwrap();
        assert_eq!(decoded.header["alg"], "ES256");
        assert_eq!(decoded.claims, claims);
        assert_eq!(decoded.lifetime_seconds(), Some(600));
    }

    #[test]
    fn rejects_what_is_not_a_jwt() {
        assert!(decode("abc").is_err());
        assert!(decode("a.b.c.d").is_err());
        assert!(decode("!!.??.x").unwrap_err().contains("base64url"));
    }

    #[test]
    fn mask_never_shows_the_token() {
        let token = "eyJhbGciOiJFUzI1NiJ9.secret-part.signature";
        let masked = mask(token);
        assert!(
            !masked.contains("secret-part") && masked.contains("hidden"),
            "{masked}"
        );
    }
}
