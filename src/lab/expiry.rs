//! When a lab certificate must be renewed: the lab's leaf certificates last a
//! year, and a lab kept longer than that would stop working one morning with
//! TLS errors. `lab up` renews what expires within `RENEW_WITHIN`.

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;
use time::{Duration, Month, OffsetDateTime};

/// Renew certificates that expire sooner than this.
pub const RENEW_WITHIN: Duration = Duration::days(30);

/// When the first certificate of `pem` stops being valid.
pub fn not_after(pem: &str) -> anyhow::Result<OffsetDateTime> {
    let der = CertificateDer::from_pem_slice(pem.as_bytes())
        .map_err(|e| anyhow::anyhow!("not a PEM certificate: {e}"))?;
    validity_end(&der).map_err(|e| anyhow::anyhow!("not an X.509 certificate: {e}"))
}

/// The `notAfter` of a DER certificate (RFC 5280, 4.1): Certificate ::=
/// SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL, serialNumber,
/// signature, issuer, validity SEQUENCE { notBefore, notAfter }, … }, … }.
/// Only this walk is needed, so it is written here rather than a whole
/// X.509 parser compiled for it (that was 19 s of CPU in every first build).
fn validity_end(der: &[u8]) -> Result<OffsetDateTime, String> {
    const SEQUENCE: u8 = 0x30;
    let (certificate, _) = element(der, SEQUENCE)?;
    let (tbs, _) = element(certificate, SEQUENCE)?;
    let mut rest = tbs;
    if rest.first() == Some(&0xa0) {
        rest = element(rest, 0xa0)?.1;
    }
    let rest = element(rest, 0x02)?.1; // serialNumber
    let rest = element(rest, SEQUENCE)?.1; // signature
    let rest = element(rest, SEQUENCE)?.1; // issuer
    let (validity, _) = element(rest, SEQUENCE)?;
    let not_before_tag = *validity.first().ok_or("empty validity")?;
    let (_, rest) = element(validity, not_before_tag)?;
    let tag = *rest.first().ok_or("no notAfter")?;
    let (time, _) = element(rest, tag)?;
    der_time(tag, time)
}

/// The contents of the DER element at the start of `input`, which must have
/// tag `tag`, and what follows it.
fn element(input: &[u8], tag: u8) -> Result<(&[u8], &[u8]), String> {
    let (&found, rest) = input.split_first().ok_or("truncated")?;
    if found != tag {
        return Err(format!("expected tag {tag:#04x}, found {found:#04x}"));
    }
    let (&first, rest) = rest.split_first().ok_or("truncated length")?;
    let (length, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let bytes = usize::from(first & 0x7f);
        if bytes == 0 || bytes > 4 || rest.len() < bytes {
            return Err("bad length".into());
        }
        let length = rest[..bytes]
            .iter()
            .fold(0usize, |n, b| (n << 8) | usize::from(*b));
        (length, &rest[bytes..])
    };
    if rest.len() < length {
        return Err("truncated contents".into());
    }
    Ok(rest.split_at(length))
}

/// A UTCTime (tag 0x17, YYMMDDHHMMSSZ: years 50–99 are 19xx) or
/// GeneralizedTime (0x18, YYYYMMDDHHMMSSZ), as RFC 5280 4.1.2.5 allows them.
fn der_time(tag: u8, text: &[u8]) -> Result<OffsetDateTime, String> {
    let text = std::str::from_utf8(text).map_err(|_| "a time that is not text")?;
    let digits = text.strip_suffix('Z').ok_or("a time not in UTC")?;
    let number = |range: std::ops::Range<usize>| -> Result<u16, String> {
        digits
            .get(range)
            .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| format!("bad time {text:?}"))
    };
    let (year, rest) = match (tag, digits.len()) {
        (0x17, 12) => {
            let yy = number(0..2)?;
            (if yy >= 50 { 1900 + yy } else { 2000 + yy }, 2)
        }
        (0x18, 14) => (number(0..4)?, 4),
        _ => return Err(format!("bad time {text:?}")),
    };
    let part = |i: usize| number(rest + 2 * i..rest + 2 * i + 2).map(|n| n as u8);
    let month = Month::try_from(part(0)?).map_err(|e| e.to_string())?;
    let (day, hour, minute, second) = (part(1)?, part(2)?, part(3)?, part(4)?);
    time::Date::from_calendar_date(i32::from(year), month, day)
        .and_then(|date| date.with_hms(hour, minute, second))
        .map(|at| at.assume_utc())
        .map_err(|e| e.to_string())
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
    fn the_expiry_read_is_the_one_written_in_both_time_forms() {
        // UTCTime until 2049, GeneralizedTime from 2050 (RFC 5280 4.1.2.5).
        let at = |year, month, day, hms: (u8, u8, u8)| {
            time::Date::from_calendar_date(year, month, day)
                .unwrap()
                .with_hms(hms.0, hms.1, hms.2)
                .unwrap()
                .assume_utc()
        };
        for end in [
            at(2027, Month::March, 4, (5, 6, 7)),
            at(2061, Month::December, 31, (23, 59, 59)),
        ] {
            let mut params = rcgen::CertificateParams::new(vec!["localhost".into()]).unwrap();
            params.not_before = at(2026, Month::January, 1, (0, 0, 0));
            params.not_after = end;
            let key = rcgen::KeyPair::generate().unwrap();
            let pem = params.self_signed(&key).unwrap().pem();
            assert_eq!(not_after(&pem).unwrap(), end);
        }
    }

    #[test]
    fn a_truncated_certificate_is_an_error_not_a_panic() {
        let pem = cert_valid_for(10);
        let der = CertificateDer::from_pem_slice(pem.as_bytes()).unwrap();
        assert!(validity_end(&der).is_ok());
        for cut in 0..der.len() {
            assert!(validity_end(&der[..cut]).is_err(), "cut at {cut}");
        }
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
