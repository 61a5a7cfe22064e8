//! What can go wrong in the store, in terms a caller can act on.

use amends_core::FieldError;

/// A store failure.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The record asked for does not exist.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique rule was broken, such as an email already taken.
    #[error("conflict on {constraint}")]
    Conflict {
        /// The constraint or column named by the database.
        constraint: String,
    },
    /// The domain rule refused the change.
    #[error(transparent)]
    Rejected(#[from] FieldError),
    /// The database URL cannot be used.
    #[error("bad database url: {0}")]
    BadUrl(String),
    /// The schema could not be brought up to date.
    #[error("migration failed: {0}")]
    Migration(String),
    /// A stored value does not parse: the database was changed behind the desk's back.
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// The database refused a value (a NUL byte PostgreSQL cannot keep in text, a check or
    /// a reference broken): the request is at fault, not the database, and retrying the same
    /// value fails the same way.
    #[error("a value could not be stored: {0}")]
    Refused(String),
    /// The database could not be reached or failed.
    #[error("database unavailable")]
    Unavailable(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(error: sqlx::Error) -> Self {
        match &error {
            sqlx::Error::RowNotFound => StoreError::NotFound("record"),
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict {
                constraint: db
                    .constraint()
                    .map(str::to_owned)
                    .unwrap_or_else(|| unique_column(db.message())),
            },
            sqlx::Error::Database(db) if refuses_value(db.as_ref()) => {
                StoreError::Refused(db.message().to_owned())
            }
            _ => StoreError::Unavailable(error),
        }
    }
}

/// Whether the database said no to the data rather than failed: a broken check, not-null or
/// reference rule, or one of PostgreSQL's data exceptions (SQLSTATE class 22, such as 22021
/// for a NUL byte in text).
fn refuses_value(error: &dyn sqlx::error::DatabaseError) -> bool {
    use sqlx::error::ErrorKind;
    matches!(
        error.kind(),
        ErrorKind::ForeignKeyViolation | ErrorKind::NotNullViolation | ErrorKind::CheckViolation
    ) || error.code().is_some_and(|code| code.starts_with("22"))
}

/// SQLite names the columns, not the constraint: `UNIQUE constraint failed: agents.email`.
fn unique_column(message: &str) -> String {
    message
        .rsplit(": ")
        .next()
        .unwrap_or(message)
        .replace('.', "_")
}
