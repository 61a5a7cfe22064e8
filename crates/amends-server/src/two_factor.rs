//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP, HMAC-SHA1, 30-second steps,
//! six digits: what every authenticator app reads from an `otpauth://` QR code), and one-time
//! recovery codes.

use amends_core::Timestamp;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha1::Sha1;

/// Seconds a code lasts.
pub const STEP_SECONDS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Recovery codes made at once.
pub const RECOVERY_CODES: usize = 10;

/// The HOTP value of `secret` at `counter`, `digits` long (RFC 4226 §5.3).
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    #[allow(clippy::expect_used)] // HMAC takes a key of any length
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).expect("any key length");
    mac.update(&counter.to_be_bytes());
    let hash = mac.finalize().into_bytes();
    let offset = usize::from(hash[19] & 0x0f);
    let binary = u32::from_be_bytes([
        hash[offset],
        hash[offset + 1],
        hash[offset + 2],
        hash[offset + 3],
    ]) & 0x7fff_ffff;
    binary % 10u32.pow(digits)
}

/// The time step `at` falls in.
pub fn step_at(at: Timestamp) -> i64 {
    at.millis().div_euclid(STEP_SECONDS * 1000)
}

/// The step whose code `code` is, when it is one of the steps around `at` (one either side, for
/// a clock a little off) and later than `last_step`; a code is good once.
pub fn accepted_step(secret: &[u8], code: &str, at: Timestamp, last_step: i64) -> Option<i64> {
    let code = code.trim().replace(' ', "");
    if code.len() != DIGITS as usize || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let wanted: u32 = code.parse().ok()?;
    let now = step_at(at);
    (now - 1..=now + 1)
        .filter(|step| *step > last_step)
        .find(|step| u64::try_from(*step).is_ok_and(|s| hotp(secret, s, DIGITS) == wanted))
}

/// A fresh secret: 160 random bits, as RFC 4226 recommends.
pub fn new_secret() -> Vec<u8> {
    let mut secret = vec![0u8; 20];
    rand::thread_rng().fill_bytes(&mut secret);
    secret
}

/// The secret as an authenticator app takes it typed in: base32, no padding.
pub fn secret_text(secret: &[u8]) -> String {
    data_encoding::BASE32_NOPAD.encode(secret)
}

/// A secret read back from its text.
pub fn secret_from_text(text: &str) -> Option<Vec<u8>> {
    let letters: String = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c.to_ascii_uppercase())
        .collect();
    data_encoding::BASE32_NOPAD.decode(letters.as_bytes()).ok()
}

/// The `otpauth://` URI an authenticator app reads from the QR code.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let escape = |text: &str| {
        percent_encoding::utf8_percent_encode(text, percent_encoding::NON_ALPHANUMERIC).to_string()
    };
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECONDS}",
        escape(issuer),
        escape(account),
        secret_text(secret),
        escape(issuer)
    )
}

/// The URI as a QR code, in SVG.
pub fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}

/// Fresh recovery codes, `xxxxx-xxxxx` in lower-case letters and digits without look-alikes.
pub fn new_recovery_codes() -> Vec<String> {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";
    let mut rng = rand::thread_rng();
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rng.fill_bytes(&mut bytes);
            let letters: String = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
                .collect();
            format!("{}-{}", &letters[..5], &letters[5..])
        })
        .collect()
}

/// A recovery code as typed, in the form it was made: trimmed, lower case, dash in place.
pub fn normalise_recovery_code(typed: &str) -> String {
    let letters: String = typed
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if letters.len() == 10 {
        format!("{}-{}", &letters[..5], &letters[5..])
    } else {
        letters
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, the SHA-1 rows: the secret is the ASCII "12345678901234567890",
    /// codes are eight digits.
    #[test]
    fn the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (seconds, code) in [
            (59, 94_287_082),
            (1_111_111_109, 7_081_804),
            (1_111_111_111, 14_050_471),
            (1_234_567_890, 89_005_924),
            (2_000_000_000, 69_279_037),
            (20_000_000_000_i64, 65_353_130),
        ] {
            let step = step_at(Timestamp(seconds * 1000));
            assert_eq!(
                hotp(secret, u64::try_from(step).unwrap_or(0), 8),
                code,
                "T = {seconds}"
            );
        }
    }

    #[test]
    fn a_code_is_good_in_its_step_and_one_either_side_and_only_once() {
        let secret = new_secret();
        let at = Timestamp(1_700_000_000_000);
        let step = step_at(at);
        let code = |s: i64| {
            format!(
                "{:06}",
                hotp(&secret, u64::try_from(s).unwrap_or(0), DIGITS)
            )
        };
        assert_eq!(accepted_step(&secret, &code(step), at, 0), Some(step));
        assert_eq!(
            accepted_step(&secret, &code(step - 1), at, 0),
            Some(step - 1)
        );
        assert_eq!(
            accepted_step(&secret, &code(step + 1), at, 0),
            Some(step + 1)
        );
        assert_eq!(accepted_step(&secret, &code(step - 2), at, 0), None);
        assert_eq!(
            accepted_step(&secret, &code(step), at, step),
            None,
            "used once already"
        );
        assert_eq!(accepted_step(&secret, "12345", at, 0), None);
        assert_eq!(accepted_step(&secret, "abcdef", at, 0), None);
    }

    #[test]
    fn the_secret_round_trips_through_its_text_and_the_uri_names_it() {
        let secret = new_secret();
        let text = secret_text(&secret);
        assert_eq!(secret_from_text(&text), Some(secret.clone()));
        let typed = text
            .to_lowercase()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ");
        assert_eq!(
            secret_from_text(&typed),
            Some(secret.clone()),
            "grouped and in lower case"
        );
        let uri = otpauth_uri("Amends", "ann@desk.test", &secret);
        assert!(
            uri.starts_with("otpauth://totp/Amends:ann%40desk%2Etest?secret="),
            "{uri}"
        );
        assert!(uri.contains(&text));
        assert!(qr_svg(&uri).is_some_and(|svg| svg.contains("<svg")));
    }

    #[test]
    fn recovery_codes_are_distinct_and_read_back_however_typed() {
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), RECOVERY_CODES);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), RECOVERY_CODES);
        let code = &codes[0];
        assert_eq!(
            normalise_recovery_code(&format!(" {} ", code.to_uppercase().replace('-', ""))),
            *code
        );
    }
}
