//! Bounds on what one request may cost: its body arrives within a deadline and a declared
//! length over the route's limit is refused before a byte of it is read; every API answer is
//! marked never to be sniffed or cached.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, CONNECTION, CONTENT_LENGTH, TRANSFER_ENCODING};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::{AppError, AppState};

/// The route that takes raw mail, whose limit is the mail limit rather than the body limit.
const MAIL_INTAKE: &str = "/api/v1/inbound/email";
/// The same route inside the API's router, which sees paths without `/api/v1`.
pub(crate) const MAIL_INTAKE_ROUTE: &str = "/inbound/email";

/// Reads the request body within `body_timeout` and the route's size limit before the
/// handler runs: a slow body is answered 408 and a declared length over the limit 413 at once,
/// both closing the connection, so neither holds a connection or memory for long.
pub(crate) async fn bound_request_body(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let is_api = request.uri().path().starts_with("/api/");
    let limit = if request.uri().path() == MAIL_INTAKE {
        state.settings.mail.max_mail_bytes
    } else {
        state.settings.max_body_bytes
    };
    let declared = declared_length(request.headers());
    let response = match declared {
        Err(()) => closing(AppError::BadRequest {
            message: "the content-length header is not a number".to_owned(),
            field: None,
        }),
        Ok(Some(length)) if length > limit as u64 => closing(AppError::TooLarge),
        Ok(None) if !request.headers().contains_key(TRANSFER_ENCODING) => next.run(request).await,
        Ok(Some(0)) => next.run(request).await,
        Ok(_) => {
            let (parts, body) = request.into_parts();
            let read = axum::body::to_bytes(body, limit);
            match tokio::time::timeout(state.settings.body_timeout, read).await {
                Ok(Ok(bytes)) => {
                    next.run(Request::from_parts(parts, Body::from(bytes)))
                        .await
                }
                Ok(Err(_)) if declared.ok().flatten().is_none() => closing(AppError::TooLarge),
                Ok(Err(_)) => closing(AppError::BadRequest {
                    message: "the request body ended before its content-length".to_owned(),
                    field: None,
                }),
                Err(_) => closing(AppError::Timeout),
            }
        }
    };
    let mut response = if is_api {
        never_sniffed_or_cached(response)
    } else {
        response
    };
    if state.settings.hsts {
        response.headers_mut().insert(
            axum::http::header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000; includeSubDomains"),
        );
    }
    response
}

/// The longest request id a client may choose; anything longer, or with other characters than
/// letters, digits, `-`, `_` and `.`, is replaced by the desk's own, so a client cannot fill
/// the logs or forge their lines through it.
const MAX_REQUEST_ID: usize = 64;

/// Drops a client-supplied `x-request-id` that is too long or not plain, before the desk
/// makes its own.
pub(crate) async fn bound_request_id(mut request: Request) -> Request {
    let plain = |id: &str| {
        !id.is_empty()
            && id.len() <= MAX_REQUEST_ID
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    };
    let keep = request
        .headers()
        .get(crate::REQUEST_ID)
        .is_none_or(|v| v.to_str().is_ok_and(plain));
    if !keep {
        request.headers_mut().remove(crate::REQUEST_ID);
    }
    request
}

fn declared_length(headers: &HeaderMap) -> Result<Option<u64>, ()> {
    match headers.get(CONTENT_LENGTH) {
        None => Ok(None),
        Some(value) => value
            .to_str()
            .ok()
            .and_then(|v| v.trim().parse().ok())
            .map(Some)
            .ok_or(()),
    }
}

/// An error answer that also ends the connection: the rest of the body is never read.
fn closing(error: AppError) -> Response {
    let mut response = error.into_response();
    response
        .headers_mut()
        .insert(CONNECTION, HeaderValue::from_static("close"));
    response
}

/// API answers hold customers' words: a browser must not guess their type, nor any cache
/// keep them.
fn never_sniffed_or_cached(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        axum::http::header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}
