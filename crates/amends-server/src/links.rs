//! Signed, expiring links that let a customer open one page of one case without signing in:
//! the follow-up survey now, the action plan and the written summary later.
//!
//! A link's token is `{case}.{purpose}.{expires}.{signature}`, the signature an HMAC-SHA256 of
//! the rest under the desk's link key (kept in the database so every server shares it). A
//! token names its case and purpose, so it opens nothing else, and stops working when it
//! expires.

use amends_core::Timestamp;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// What a link opens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// The satisfaction survey after resolution.
    Survey,
    /// The action plan and its steps.
    Plan,
    /// The written summary to confirm.
    Summary,
    /// An incident's follow-up: is it fixed for you? The link names the customer's place in the
    /// incident's affected set.
    IncidentFollowUp,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Purpose::Survey => "survey",
            Purpose::Plan => "plan",
            Purpose::Summary => "summary",
            Purpose::IncidentFollowUp => "incident",
        }
    }
}

/// Why a token was refused. The customer is told only that the link does not work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkError {
    /// Not a token this desk made, or changed since.
    Forged,
    /// Made for another page.
    WrongPurpose,
    /// Past its time.
    Expired,
}

/// Makes and checks links with the desk's key.
pub struct LinkSigner {
    key: Vec<u8>,
}

impl std::fmt::Debug for LinkSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LinkSigner")
    }
}

impl LinkSigner {
    /// A signer with `key` (at least 32 bytes of secret).
    pub fn new(key: &[u8]) -> LinkSigner {
        LinkSigner { key: key.to_vec() }
    }

    fn signature(&self, body: &str) -> String {
        #[allow(clippy::expect_used)] // HMAC is defined for keys of any length: it cannot fail
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// A token opening `purpose` of `case_id` until `expires_at`.
    pub fn sign(&self, case_id: i64, purpose: Purpose, expires_at: Timestamp) -> String {
        let body = format!("{case_id}.{}.{}", purpose.as_str(), expires_at.millis());
        let signature = self.signature(&body);
        format!("{body}.{signature}")
    }

    /// The case a token opens for `purpose` at `now`.
    pub fn verify(&self, token: &str, purpose: Purpose, now: Timestamp) -> Result<i64, LinkError> {
        let (body, signature) = token.rsplit_once('.').ok_or(LinkError::Forged)?;
        #[allow(clippy::expect_used)] // HMAC is defined for keys of any length: it cannot fail
        let mut mac = HmacSha256::new_from_slice(&self.key).expect("HMAC takes any key length");
        mac.update(body.as_bytes());
        let given = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Forged)?;
        // verify_slice compares in constant time.
        mac.verify_slice(&given).map_err(|_| LinkError::Forged)?;
        let mut parts = body.splitn(3, '.');
        let case_id: i64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(LinkError::Forged)?;
        let made_for = parts.next().ok_or(LinkError::Forged)?;
        let expires_at: i64 = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or(LinkError::Forged)?;
        if made_for != purpose.as_str() {
            return Err(LinkError::WrongPurpose);
        }
        if now.millis() >= expires_at {
            return Err(LinkError::Expired);
        }
        Ok(case_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_opens_its_case_until_it_expires_and_cannot_be_altered() {
        let signer = LinkSigner::new(b"0123456789abcdef0123456789abcdef");
        let token = signer.sign(42, Purpose::Survey, Timestamp(1000));
        assert_eq!(
            signer.verify(&token, Purpose::Survey, Timestamp(999)),
            Ok(42)
        );
        assert_eq!(
            signer.verify(&token, Purpose::Survey, Timestamp(1000)),
            Err(LinkError::Expired)
        );
        let other_case = token.replacen("42.", "43.", 1);
        assert_eq!(
            signer.verify(&other_case, Purpose::Survey, Timestamp(0)),
            Err(LinkError::Forged)
        );
        let longer = token.replacen(".1000.", ".9999999.", 1);
        assert_eq!(
            signer.verify(&longer, Purpose::Survey, Timestamp(0)),
            Err(LinkError::Forged)
        );
        let plan = token.replacen(".survey.", ".plan.", 1);
        assert_eq!(
            signer.verify(&plan, Purpose::Plan, Timestamp(0)),
            Err(LinkError::Forged),
            "a survey link does not open the plan"
        );
        assert_eq!(
            signer.verify(&token, Purpose::Plan, Timestamp(0)),
            Err(LinkError::WrongPurpose)
        );
        let stranger = LinkSigner::new(b"another key, another desk.......");
        assert_eq!(
            stranger.verify(&token, Purpose::Survey, Timestamp(0)),
            Err(LinkError::Forged)
        );
        for junk in ["", ".", "a.b.c.d", "42.survey.1000.", "😀.survey.1.x"] {
            assert_eq!(
                signer.verify(junk, Purpose::Survey, Timestamp(0)),
                Err(LinkError::Forged),
                "{junk:?}"
            );
        }
    }
}
