//! When a lab certificate must be renewed: the lab's leaf certificates last a
//! year, and a lab kept longer than that would stop working one morning with
//! TLS errors. `lab up` renews what expires within `RENEW_WITHIN`.

use anyhow::Context;
use time::{Duration, OffsetDateTime};

/// Renew certificates that expire sooner than this.
pub const RENEW_WITHIN: Duration = Duration::days(30);

/// When the first certificate of `pem` stops being valid.
pub fn not_after(pem: &str) -> anyhow::Result<OffsetDateTime> {
    let (_, pem) = x509_parser::pem::parse_x509_pem(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("not a PEM certificate: {e}"))?;
    let cert = pem
        .parse_x509()
        .map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))?;
    OffsetDateTime::from_unix_timestamp(cert.validity().not_after.timestamp())
        .context("the certificate's expiry is out of range")
}

/// Whether a certificate must be renewed at `now`. One that cannot be read is
/// renewed too: a fresh certificate is always safe, a broken one never is.
pub fn needs_renewal(pem: &str, now: OffsetDateTime) -> bool {
    not_after(pem).map_or(true, |end| end - now < RENEW_WITHIN)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert_valid_for(days: i64) -> String {
        let now = OffsetDateTime::now_utc();
        let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
        params.not_before = now - Duration::hours(1);
        params.not_after = now + Duration::days(days);
        let key = rcgen::KeyPair::generate().unwrap();
        params.self_signed(&key).unwrap().pem()
    }

    #[test]
    fn a_certificate_expiring_within_30_days_is_renewed() {
        let now = OffsetDateTime::now_utc();
        assert!(needs_renewal(&cert_valid_for(10), now));
        assert!(needs_renewal(&cert_valid_for(29), now));
        assert!(!needs_renewal(&cert_valid_for(31), now));
        assert!(!needs_renewal(&cert_valid_for(365), now));
        // Eleven months on, the year-long certificate is due.
        assert!(needs_renewal(
            &cert_valid_for(365),
            now + Duration::days(340)
        ));
        assert!(needs_renewal(&cert_valid_for(-1), now), "already expired");
    }

    #[test]
    fn an_unreadable_certificate_is_renewed() {
        let now = OffsetDateTime::now_utc();
        assert!(needs_renewal("", now));
        assert!(needs_renewal(
            "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
            now
        ));
    }
}
