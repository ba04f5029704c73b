//! Webhooks signed per Standard Webhooks 1.0 (wire.md §5).
//!
//! Each delivery is one POST of its Segment-spec message ([`crate::payload`]) with
//! `content-type: application/json` and three headers: `webhook-id` (the delivery's message
//! id, the same on every retry), `webhook-timestamp` (unix seconds of this attempt) and
//! `webhook-signature` (`v1,` and the base64 HMAC-SHA256 of `"{id}.{timestamp}.{body}"`).

use crate::delivery::Delivery;
use crate::http::{Answer, ConfigError, HttpClient, parse_url};
use crate::output::{Outcome, Output, SendError};
use crate::payload;
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use reqwest::Url;
use sha2::Sha256;

/// The receiver's default timestamp tolerance, as in the reference library.
pub const DEFAULT_TOLERANCE_SECS: i64 = 5 * 60;

/// A signing secret: the key bytes of a `whsec_<base64>` secret.
#[derive(Clone)]
pub struct Secret(Vec<u8>);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    /// Parses `whsec_` followed by the base64 of a non-empty key (Standard Webhooks
    /// recommends 24–64 bytes).
    pub fn parse(secret: &str) -> Result<Self, ConfigError> {
        let encoded = secret.strip_prefix("whsec_").ok_or(ConfigError::Secret)?;
        match STANDARD.decode(encoded) {
            Ok(key) if !key.is_empty() => Ok(Self(key)),
            _ => Err(ConfigError::Secret),
        }
    }

    /// The key's length in bytes (Standard Webhooks asks for 24–64).
    pub fn key_len(&self) -> usize {
        self.0.len()
    }

    fn mac(&self, id: &str, timestamp: i64, body: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC accepts keys of any length");
        mac.update(format!("{id}.{timestamp}.").as_bytes());
        mac.update(body);
        mac
    }
}

/// The `webhook-signature` header value for a message: `v1,<base64 HMAC-SHA256>`.
pub fn sign(secret: &Secret, id: &str, timestamp: i64, body: &[u8]) -> String {
    let tag = secret.mac(id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(tag))
}

/// Why a received webhook does not verify.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// `webhook-timestamp` is not an integer.
    #[error("webhook-timestamp is not an integer")]
    Timestamp,
    /// `webhook-timestamp` is further from now than the tolerance.
    #[error("webhook-timestamp is outside the tolerance")]
    Stale,
    /// No `v1` signature in `webhook-signature` matches.
    #[error("no matching v1 signature")]
    NoMatch,
}

/// Verifies a received webhook as a receiver would: the timestamp within `tolerance_secs`
/// of `now_secs`, and any of the space-separated `v1,` signatures matching, compared in
/// constant time.
pub fn verify(
    secret: &Secret,
    id: &str,
    timestamp: &str,
    signatures: &str,
    body: &[u8],
    now_secs: i64,
    tolerance_secs: i64,
) -> Result<(), VerifyError> {
    let ts: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| VerifyError::Timestamp)?;
    if ts.abs_diff(now_secs) > tolerance_secs.unsigned_abs() {
        return Err(VerifyError::Stale);
    }
    let matches = signatures
        .split(' ')
        .filter_map(|sig| sig.strip_prefix("v1,"))
        .filter_map(|b64| STANDARD.decode(b64).ok())
        .any(|tag| secret.mac(id, ts, body).verify_slice(&tag).is_ok());
    if matches {
        Ok(())
    } else {
        Err(VerifyError::NoMatch)
    }
}

/// An output that POSTs each delivery to a URL, signed.
#[derive(Debug, Clone)]
pub struct WebhookOutput {
    url: Url,
    secret: Secret,
    /// A rotated-out secret and the unix second until which it still signs: during the
    /// grace period each message carries both signatures, space-separated, so a receiver
    /// verifies with either the old or the new secret.
    previous: Option<(Secret, i64)>,
    http: HttpClient,
}

impl WebhookOutput {
    /// A webhook output to `url` (http or https) signing with `secret` (`whsec_…`).
    pub fn new(url: &str, secret: &str, http: HttpClient) -> Result<Self, ConfigError> {
        Ok(Self {
            url: parse_url(url)?,
            secret: Secret::parse(secret)?,
            previous: None,
            http,
        })
    }

    /// Also signs with `previous` (a rotated-out secret) until the unix second `until`.
    pub fn also_signing_with(mut self, previous: &str, until: i64) -> Result<Self, ConfigError> {
        self.previous = Some((Secret::parse(previous)?, until));
        Ok(self)
    }

    /// The `webhook-signature` value at `timestamp`: the current secret's signature, and the
    /// previous one's while its grace period lasts.
    pub fn signatures(&self, id: &str, timestamp: i64, body: &[u8]) -> String {
        let current = sign(&self.secret, id, timestamp, body);
        match &self.previous {
            Some((previous, until)) if timestamp < *until => {
                format!("{current} {}", sign(previous, id, timestamp, body))
            }
            _ => current,
        }
    }

    async fn send_one(&self, delivery: &Delivery) -> Result<Answer, SendError> {
        let body = payload::message(delivery)?.to_string().into_bytes();
        let id = delivery.message_id();
        let timestamp = jiff::Timestamp::now().as_second();
        let signature = self.signatures(&id, timestamp, &body);
        let headers = [
            ("content-type", "application/json".to_owned()),
            ("webhook-id", id),
            ("webhook-timestamp", timestamp.to_string()),
            ("webhook-signature", signature),
        ];
        self.http.post(&self.url, &headers, None, body).await
    }
}

impl Output for WebhookOutput {
    async fn send(&self, deliveries: &[Delivery]) -> Outcome {
        let mut last = None;
        for (sent, delivery) in deliveries.iter().enumerate() {
            match self.send_one(delivery).await {
                Ok(answer) => last = Some(answer),
                Err(error) => return Outcome::failed(sent, error),
            }
        }
        Outcome::success(deliveries.len()).answered(last)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "whsec_am91cm5leS1lbmdpbmUtdGVzdC1zZWNyZXQtMzJieXRl";
    const ID: &str = "msg_2KWPBgLlAfxdpx2AI54pPJ85f4W";
    const TS: i64 = 1674087231;
    const BODY: &str = r#"{"type":"audience.entered","timestamp":"2022-11-03T20:26:10.344522Z","data":{"user_id":"u1"}}"#;
    const SIGNATURE: &str = "v1,3KdcFGCR9/1tJteM4xFkBrbr1yy2zT87U4rU/MiuPSQ=";

    #[test]
    fn standard_webhooks_test_vector() {
        let secret = Secret::parse(SECRET).unwrap();
        assert_eq!(secret.0, b"journey-engine-test-secret-32byte");
        assert_eq!(sign(&secret, ID, TS, BODY.as_bytes()), SIGNATURE);
    }

    #[test]
    fn verifies_the_test_vector() {
        let secret = Secret::parse(SECRET).unwrap();
        let ok = |sigs: &str, now: i64| {
            verify(
                &secret,
                ID,
                "1674087231",
                sigs,
                BODY.as_bytes(),
                now,
                DEFAULT_TOLERANCE_SECS,
            )
        };
        assert_eq!(ok(SIGNATURE, TS), Ok(()));
        assert_eq!(ok(SIGNATURE, TS + 300), Ok(()));
        assert_eq!(ok(&format!("v1,AAAA {SIGNATURE} v1a,xyz"), TS), Ok(()));
        assert_eq!(ok(SIGNATURE, TS + 301), Err(VerifyError::Stale));
        assert_eq!(ok(SIGNATURE, TS - 301), Err(VerifyError::Stale));
        assert_eq!(
            ok("v1,3KdcFGCR9/1tJteM4xFkBrbr1yy2zT87U4rU/MiuPSQ", TS),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            ok("v2,3KdcFGCR9/1tJteM4xFkBrbr1yy2zT87U4rU/MiuPSQ=", TS),
            Err(VerifyError::NoMatch)
        );
        let tampered = verify(&secret, ID, "1674087231", SIGNATURE, b"{}", TS, 300);
        assert_eq!(tampered, Err(VerifyError::NoMatch));
        let other_id = verify(
            &secret,
            "msg_x",
            "1674087231",
            SIGNATURE,
            BODY.as_bytes(),
            TS,
            300,
        );
        assert_eq!(other_id, Err(VerifyError::NoMatch));
        let bad_ts = verify(&secret, ID, "soon", SIGNATURE, BODY.as_bytes(), TS, 300);
        assert_eq!(bad_ts, Err(VerifyError::Timestamp));
    }

    #[test]
    fn secrets() {
        for bad in [
            "am91cm5leQ==",
            "whsec_",
            "whsec_not base64!",
            "WHSEC_am91cm5leQ==",
        ] {
            assert!(
                matches!(Secret::parse(bad), Err(ConfigError::Secret)),
                "{bad}"
            );
        }
        assert_eq!(
            format!("{:?}", Secret::parse(SECRET).unwrap()),
            "Secret(<redacted>)"
        );
    }

    #[test]
    fn a_rotated_secret_signs_beside_the_new_one_until_its_grace_ends() {
        const NEW: &str = "whsec_d3JvbmctZW5naW5lLXRlc3Qtc2VjcmV0LTMyYnl0ZXM=";
        let http = HttpClient::new(&Default::default()).unwrap();
        let output = WebhookOutput::new("https://example.com/hook", NEW, http)
            .unwrap()
            .also_signing_with(SECRET, TS + 10)
            .unwrap();
        let old = Secret::parse(SECRET).unwrap();
        let new = Secret::parse(NEW).unwrap();
        let during = output.signatures(ID, TS, BODY.as_bytes());
        assert_eq!(during.split(' ').count(), 2, "{during}");
        for secret in [&old, &new] {
            let verified = verify(
                secret,
                ID,
                &TS.to_string(),
                &during,
                BODY.as_bytes(),
                TS,
                300,
            );
            assert_eq!(verified, Ok(()));
        }
        let after = output.signatures(ID, TS + 10, BODY.as_bytes());
        assert_eq!(after.split(' ').count(), 1, "{after}");
        let ts = (TS + 10).to_string();
        assert_eq!(
            verify(&old, ID, &ts, &after, BODY.as_bytes(), TS + 10, 300),
            Err(VerifyError::NoMatch)
        );
        assert_eq!(
            verify(&new, ID, &ts, &after, BODY.as_bytes(), TS + 10, 300),
            Ok(())
        );
    }
}
