//! Extractors whose every rejection is a problem+json 4xx: JSON bodies (bounded, strict about
//! unknown fields, naming the field at fault), path and query parameters, and the peer address.

use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection, QueryRejection};
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::request::Parts;
use axum::http::Uri;
use serde::de::DeserializeOwned;

use crate::{AppError, AppState};

/// A JSON request body. The request type should `#[serde(deny_unknown_fields)]`.
pub(crate) struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let is_json =
            media_type(&request).is_some_and(|v| v == "application/json" || v.ends_with("+json"));
        if !is_json {
            return Err(AppError::UnsupportedMediaType("application/json"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        parse_json(&bytes).map(ApiJson)
    }
}

/// The request's media type, lower-cased, without parameters.
fn media_type(request: &Request) -> Option<String> {
    request
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_ascii_lowercase())
}

/// A raw email as the request body (`Content-Type: message/rfc822`), bounded by the route's
/// body limit.
pub(crate) struct ApiMail(pub Bytes);

impl<S: Send + Sync> FromRequest<S> for ApiMail {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        if media_type(&request).as_deref() != Some("message/rfc822") {
            return Err(AppError::UnsupportedMediaType("message/rfc822"));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(body_rejection)?;
        Ok(ApiMail(bytes))
    }
}

/// Parses `bytes` as `T`, naming the path of the field that failed. A number written with a
/// zero fraction (`12.0`) is the integer it equals, as JSON Schema's `integer` says, so a
/// client that writes every number as a float is not refused for it.
pub(crate) fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, AppError> {
    let mut value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|error| AppError::BadRequest {
            message: error.to_string(),
            field: None,
        })?;
    integral_floats_as_integers(&mut value);
    serde_path_to_error::deserialize(value).map_err(|error| {
        let path = error.path().to_string();
        let field = (path != "." && !path.is_empty()).then_some(path);
        AppError::BadRequest {
            message: error.into_inner().to_string(),
            field,
        }
    })
}

/// Rewrites every float in `value` that is a whole number within `i64` as that integer.
fn integral_floats_as_integers(value: &mut serde_json::Value) {
    use serde_json::Value;
    match value {
        Value::Number(number) if number.is_f64() => {
            let float = number.as_f64().unwrap_or(f64::NAN);
            // 2^63 is exactly representable; anything below it and whole converts exactly.
            if float.fract() == 0.0 && float >= -(2f64.powi(63)) && float < 2f64.powi(63) {
                #[expect(clippy::cast_possible_truncation, reason = "whole and within i64")]
                let whole = float as i64;
                *value = Value::from(whole);
            }
        }
        Value::Array(items) => items.iter_mut().for_each(integral_floats_as_integers),
        Value::Object(fields) => fields.values_mut().for_each(integral_floats_as_integers),
        _ => {}
    }
}

fn body_rejection(rejection: BytesRejection) -> AppError {
    if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge
    } else {
        AppError::BadRequest {
            message: rejection.body_text(),
            field: None,
        }
    }
}

/// Path parameters.
pub(crate) struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|p| ApiPath(p.0))
            .map_err(|e: PathRejection| AppError::BadRequest {
                message: e.body_text(),
                field: Some("path".to_owned()),
            })
    }
}

/// Query parameters.
pub(crate) struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::try_from_uri(&storable_query(&parts.uri))
            .map(|q| ApiQuery(q.0))
            .map_err(|e: QueryRejection| AppError::BadRequest {
                message: e.body_text(),
                field: Some("query".to_owned()),
            })
    }
}

/// `uri` with every encoded NUL (`%00`) in its query replaced by an encoded U+FFFD: a search
/// for a NUL finds nothing instead of making PostgreSQL refuse the query. (A literal `%` is
/// sent as `%25`, so `%00` can only be a NUL.)
fn storable_query(uri: &Uri) -> std::borrow::Cow<'_, Uri> {
    let query = uri.query().unwrap_or_default();
    if !query.contains("%00") {
        return std::borrow::Cow::Borrowed(uri);
    }
    let replaced = format!("/?{}", query.replace("%00", "%EF%BF%BD"));
    std::borrow::Cow::Owned(replaced.parse().unwrap_or_default())
}

/// The client's address: the peer's, or, when the peer is one of the `trusted` proxies, the
/// nearest address in `X-Forwarded-For` that is not (a client can put anything at the left
/// of that header, so it is read from the right). `None` when the server was started without
/// connect info (tests calling the router directly).
pub(crate) fn remote_addr(parts: &Parts, trusted: &[IpAddr]) -> Option<String> {
    let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>()?.0.ip();
    if !trusted.contains(&peer) {
        return Some(peer.to_string());
    }
    let forwarded = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect::<Vec<_>>();
    let client = forwarded
        .iter()
        .rev()
        .map_while(|hop| hop.parse::<IpAddr>().ok())
        .find(|ip| !trusted.contains(ip));
    Some(client.unwrap_or(peer).to_string())
}

/// The client's address (see [`remote_addr`]), for handlers that need it before anyone is
/// signed in.
pub(crate) struct ClientAddr(pub Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        Ok(ClientAddr(remote_addr(
            parts,
            &state.settings.trusted_proxies,
        )))
    }
}

/// An email address the desk can write to: the core's rule (one normal form, so the same
/// person is found again) and the sender's own parser (so an address taken here never fails
/// only when the first notice goes out, like `a>,evil@evil.test`).
pub(crate) fn parse_email(
    field: &str,
    raw: &str,
) -> Result<amends_core::EmailAddress, amends_core::FieldError> {
    let email = amends_core::EmailAddress::parse(field, raw)?;
    if !amends_mail::can_be_mailed(email.as_str()) {
        return Err(amends_core::FieldError::new(
            field,
            "must be an address mail can be sent to, like name@example.com",
        ));
    }
    Ok(email)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // a test that cannot go on should stop right there
mod tests {
    use super::parse_json;

    #[derive(Debug, serde::Deserialize)]
    struct Amount {
        amount_minor: i64,
    }

    /// JSON Schema's integer includes whole numbers written with a fraction; a large one must
    /// read back exactly (schemathesis found "3687251987976034.0" refused as 3687251987976033.5).
    #[test]
    fn a_whole_number_written_as_a_float_reads_exactly() {
        for (body, expected) in [
            (
                r#"{"amount_minor": 3687251987976034.0}"#,
                3_687_251_987_976_034,
            ),
            (r#"{"amount_minor": 25.0}"#, 25),
            (
                r#"{"amount_minor": -4503599627370497.0}"#,
                -4_503_599_627_370_497,
            ),
        ] {
            let amount: Amount = parse_json(body.as_bytes()).unwrap();
            assert_eq!(amount.amount_minor, expected, "{body}");
        }
        assert!(parse_json::<Amount>(br#"{"amount_minor": 25.5}"#).is_err());
    }
}
