//! The server's one error type and the one place that turns errors into RFC 9457
//! `application/problem+json` responses.

use amends_core::FieldError;
use amends_store::StoreError;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field is wrong; the client should correct it.
    #[error("{0}")]
    Invalid(FieldError),
    /// The request is malformed: not JSON, a wrong type, an unknown field.
    #[error("{message}")]
    BadRequest {
        /// What is wrong.
        message: String,
        /// Where, when the parser could tell.
        field: Option<String>,
    },
    /// No valid session or token.
    #[error("{0}")]
    Unauthorized(&'static str),
    /// Signed in, but the role or CSRF token does not allow this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// No such record.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique rule was broken.
    #[error("{0}")]
    Conflict(FieldError),
    /// The body is larger than allowed.
    #[error("the request body is larger than this server accepts")]
    TooLarge,
    /// The body did not arrive in time.
    #[error("the request body did not arrive in time")]
    Timeout,
    /// Too many of this kind of request at once; try again in a moment.
    #[error("{0}")]
    Busy(&'static str),
    /// Too many attempts; try again after the given number of seconds.
    #[error("{message}")]
    TooManyAttempts {
        /// What to do.
        message: &'static str,
        /// Seconds until another attempt is taken.
        retry_after_seconds: u64,
    },
    /// The body is not JSON.
    #[error("expected content-type {0}")]
    UnsupportedMediaType(&'static str),
    /// The database is unreachable.
    #[error("the desk's database is unavailable")]
    Unavailable(String),
    /// A bug or a broken invariant; the detail is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub(crate) struct Problem {
    /// A URI reference naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// A short summary of the kind.
    pub title: &'static str,
    /// The HTTP status.
    pub status: u16,
    /// What went wrong this time, for a person.
    pub detail: String,
    /// The request field at fault, when one is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl AppError {
    /// The HTTP status this error answers with.
    pub fn status(&self) -> StatusCode {
        self.parts().0
    }

    fn parts(&self) -> (StatusCode, &'static str, &'static str, Option<String>) {
        use AppError::*;
        match self {
            Invalid(e) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "/problems/invalid-field",
                "invalid field",
                Some(e.field.clone()),
            ),
            BadRequest { field, .. } => (
                StatusCode::BAD_REQUEST,
                "/problems/bad-request",
                "bad request",
                field.clone(),
            ),
            Unauthorized(_) => (
                StatusCode::UNAUTHORIZED,
                "/problems/unauthorized",
                "not signed in",
                None,
            ),
            Forbidden(_) => (
                StatusCode::FORBIDDEN,
                "/problems/forbidden",
                "forbidden",
                None,
            ),
            NotFound(_) => (
                StatusCode::NOT_FOUND,
                "/problems/not-found",
                "not found",
                None,
            ),
            Conflict(e) => (
                StatusCode::CONFLICT,
                "/problems/conflict",
                "conflict",
                Some(e.field.clone()),
            ),
            TooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "/problems/too-large",
                "request too large",
                None,
            ),
            Timeout => (
                StatusCode::REQUEST_TIMEOUT,
                "/problems/timeout",
                "request timeout",
                None,
            ),
            Busy(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/busy",
                "busy",
                None,
            ),
            TooManyAttempts { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "/problems/too-many-attempts",
                "too many attempts",
                None,
            ),
            UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "/problems/unsupported-media-type",
                "unsupported media type",
                None,
            ),
            Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "/problems/unavailable",
                "unavailable",
                None,
            ),
            Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "/problems/internal",
                "internal error",
                None,
            ),
        }
    }

    /// A field error, for handlers that check a value themselves.
    pub fn invalid(field: &str, message: impl Into<String>) -> AppError {
        AppError::Invalid(FieldError::new(field, message))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, kind, title, field) = self.parts();
        let detail = match &self {
            AppError::Unavailable(cause) | AppError::Internal(cause) => {
                tracing::error!(%cause, "request failed");
                self.to_string()
            }
            AppError::Invalid(e) | AppError::Conflict(e) => e.message.clone(),
            _ => self.to_string(),
        };
        let problem = Problem {
            kind,
            title,
            status: status.as_u16(),
            detail,
            field,
        };
        let body = serde_json::to_vec(&problem).unwrap_or_default();
        let retry_after = match &self {
            AppError::Busy(_) => Some(1),
            AppError::TooManyAttempts {
                retry_after_seconds,
                ..
            } => Some(*retry_after_seconds),
            _ => None,
        };
        let mut response = (
            status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body,
        )
            .into_response();
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
        }
        response
    }
}

impl From<FieldError> for AppError {
    fn from(error: FieldError) -> Self {
        AppError::Invalid(error)
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => AppError::NotFound(what),
            StoreError::Rejected(e) => AppError::Invalid(e),
            StoreError::Conflict { constraint } => AppError::Conflict(FieldError::new(
                conflict_field(&constraint),
                "is already in use",
            )),
            // The database said no to a value the request brought: the client's to mend, and
            // never "unavailable", which would have a well-behaved client retry it forever.
            StoreError::Refused(why) => {
                tracing::warn!(%why, "the database refused a value");
                AppError::Invalid(FieldError::new(
                    "body",
                    "a value in the request cannot be stored",
                ))
            }
            StoreError::Unavailable(e) => AppError::Unavailable(e.to_string()),
            other => AppError::Internal(other.to_string()),
        }
    }
}

/// Names the request field behind a unique constraint (realworld's `on_constraint`).
fn conflict_field(constraint: &str) -> &'static str {
    if constraint.contains("contact") || constraint.contains("value") {
        "contact"
    } else if constraint.contains("email") {
        "email"
    } else {
        "id"
    }
}
