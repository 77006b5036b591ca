//! The one application error. Variants mean HTTP statuses; errors of the
//! layers below (diesel, models, imports, exports) are mapped to it here.
//! Pages show it inside the site layout (`web::error_page`); API handlers
//! wrap it in [`ApiError`], answered as JSON.

use crate::domain::FieldErrors;
use crate::export::driver::ExportError;
use crate::json_import::JsonImportError;
use crate::models::WriteError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use serde::Serialize;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Not found")]
    NotFound,
    #[error("Some fields need attention")]
    Validation(FieldErrors),
    #[error("Sign in to continue")]
    Unauthorized,
    #[error("{0}")]
    Forbidden(String),
    /// A write without the version it was based on (API).
    #[error("{0}")]
    PreconditionRequired(String),
    /// An `If-Match` that no longer matches (API).
    #[error("{0}")]
    PreconditionFailed(String),
    #[error("{0}")]
    TooManyRequests(String, u64),
    #[error("{0}")]
    Conflict(String),
    #[error("The request body is too large")]
    PayloadTooLarge,
    #[error("{0}")]
    BadRequest(String),
    /// The database cannot be reached or the pool is exhausted.
    #[error("The database is unavailable; try again in a moment")]
    Unavailable(String),
    #[error("Internal error")]
    Internal(anyhow::Error),
}

pub type AppResult<T> = Result<T, AppError>;

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Unauthorized => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::PreconditionRequired(_) => StatusCode::PRECONDITION_REQUIRED,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::TooManyRequests(..) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::NotFound => "not_found",
            AppError::Validation(_) => "validation_failed",
            AppError::Unauthorized => "unauthorized",
            AppError::Forbidden(_) => "forbidden",
            AppError::PreconditionRequired(_) => "precondition_required",
            AppError::PreconditionFailed(_) => "precondition_failed",
            AppError::TooManyRequests(..) => "too_many_requests",
            AppError::Conflict(_) => "conflict",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unavailable(_) => "unavailable",
            AppError::Internal(_) => "internal",
        }
    }

    /// Turns a violation of the named constraint into a message on `field`;
    /// any other error passes through unchanged.
    pub fn on_constraint(
        err: DieselError,
        constraint: &str,
        field: &str,
        message: &str,
    ) -> AppError {
        match &err {
            DieselError::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
                if info.constraint_name() == Some(constraint) =>
            {
                AppError::Validation(FieldErrors::single(field, message))
            }
            _ => err.into(),
        }
    }

    fn extra_headers(&self, res: &mut actix_web::HttpResponseBuilder) {
        match self {
            AppError::Unavailable(_) => {
                res.insert_header(("Retry-After", "5"));
            }
            AppError::TooManyRequests(_, secs) => {
                res.insert_header(("Retry-After", secs.to_string()));
            }
            _ => {}
        }
    }

    fn log(&self) {
        match self {
            AppError::Internal(e) => tracing::error!(error = ?e, "internal error"),
            AppError::Unavailable(cause) => tracing::warn!(%cause, "database unavailable"),
            _ => {}
        }
    }
}

impl From<DieselError> for AppError {
    fn from(err: DieselError) -> Self {
        if is_connection_failure(&err) {
            // This connection is gone or going: never hand it to another request.
            crate::db::deadline::poison();
            return AppError::Unavailable(err.to_string());
        }
        match err {
            DieselError::NotFound => AppError::NotFound,
            other => AppError::Internal(other.into()),
        }
    }
}

/// A refused write: bad input is 422, a stale version 409 (the API turns
/// it into 412 where the version came from `If-Match`).
impl From<WriteError> for AppError {
    fn from(err: WriteError) -> Self {
        match err {
            WriteError::Db(e) => e.into(),
            WriteError::Invalid(f) => AppError::Validation(f),
            WriteError::Forbidden(m) => AppError::Forbidden(m),
            WriteError::Stale { current } => AppError::Conflict(format!(
                "Someone else changed this record while you were editing (it is now at version {current}). Reload to see their change, then reapply yours."
            )),
        }
    }
}

/// An unusable file is a message on the upload field.
impl From<JsonImportError> for AppError {
    fn from(err: JsonImportError) -> Self {
        match err {
            JsonImportError::File(m) => AppError::Validation(FieldErrors::single("file", m)),
            JsonImportError::Db(e) => e.into(),
        }
    }
}

impl From<ExportError> for AppError {
    fn from(err: ExportError) -> Self {
        match err {
            ExportError::Db(e) => e.into(),
            other => AppError::Internal(other.into()),
        }
    }
}

/// Errors carried in an `anyhow::Error` (helpers that return one) are
/// judged by what they wrap: a lost connection is still a 503.
impl From<anyhow::Error> for AppError {
    fn from(err: anyhow::Error) -> Self {
        if let Some(db) = err.downcast_ref::<DieselError>() {
            if is_connection_failure(db) {
                crate::db::deadline::poison();
                return AppError::Unavailable(format!("{err:#}"));
            }
        }
        if err
            .downcast_ref::<diesel_async::pooled_connection::deadpool::PoolError>()
            .is_some()
        {
            return AppError::Unavailable(format!("{err:#}"));
        }
        AppError::Internal(err)
    }
}

/// Messages PostgreSQL sends when it ends or refuses a connection (SQLSTATE
/// class 08, 57P01-57P05, 53300) or cancels a statement (57014, 55P03).
/// diesel-async hands over the server's message but not its SQLSTATE.
const SERVER_GOING_AWAY: &[&str] = &[
    "terminating connection",  // 57P01 admin, 57P02 crash, 57P05 idle
    "the database system is",  // 57P03: starting up, shutting down, in recovery
    "sorry, too many clients", // 53300
    "remaining connection slots are reserved", // 53300
    "connection to client lost", // 08006
    "canceling statement due to", // 57014 / 55P03: statement or lock timeout, cancel
    "could not receive data from client", // 08006
    "unexpected EOF on client connection", // 08P01
];

/// What the client library says when the socket itself failed (no SQLSTATE).
const TRANSPORT_FAILED: &[&str] = &[
    "connection closed",
    "error communicating with the server",
    "unexpected message from server",
    "error parsing response from server",
    "error connecting to server",
    "timeout waiting for server",
    "error performing TLS handshake",
    "channel closed", // diesel-async's background task is gone
    "channel lagged",
];

/// Whether a database error means "the database or this connection is not
/// usable right now" (a 503 to retry), as opposed to a bug or bad data.
pub fn is_connection_failure(err: &DieselError) -> bool {
    match err {
        DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => true,
        DieselError::BrokenTransactionManager => true,
        DieselError::DatabaseError(DatabaseErrorKind::UnableToSendCommand, info) => {
            TRANSPORT_FAILED
                .iter()
                .any(|m| info.message().starts_with(m))
        }
        DieselError::DatabaseError(_, info) => SERVER_GOING_AWAY
            .iter()
            .any(|m| info.message().starts_with(m)),
        _ => false,
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

/// Status, headers and the message as plain text. Pages are rendered by the
/// web layer (`web::error_page`), which knows who is asking; this plain
/// answer is what is left outside it.
impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let mut res = HttpResponse::build(self.status());
        self.extra_headers(&mut res);
        res.content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

/// JSON body of every API error.
#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<&'a FieldErrors>,
}

/// The same error, rendered as JSON for `/api/` routes.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct ApiError(#[from] pub AppError);

impl From<DieselError> for ApiError {
    fn from(err: DieselError) -> Self {
        ApiError(err.into())
    }
}

impl From<WriteError> for ApiError {
    fn from(err: WriteError) -> Self {
        ApiError(err.into())
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for ApiError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        ApiError(err.into())
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.0.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.0.log();
        let fields = match &self.0 {
            AppError::Validation(f) => Some(f),
            _ => None,
        };
        let body = ErrorBody {
            error: self.0.code(),
            message: self.0.to_string(),
            fields,
        };
        let mut res = HttpResponse::build(self.0.status());
        self.0.extra_headers(&mut res);
        if matches!(self.0, AppError::Unauthorized) {
            res.insert_header(("WWW-Authenticate", "Bearer"));
        }
        res.json(body)
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    fn db(kind: DatabaseErrorKind, message: &str) -> DieselError {
        DieselError::DatabaseError(kind, Box::new(message.to_owned()))
    }

    fn status_of(err: DieselError) -> StatusCode {
        AppError::from(err).status()
    }

    #[test]
    fn connection_failures_are_503_with_retry_after() {
        use DatabaseErrorKind::*;
        for (kind, message) in [
            (
                Unknown,
                "terminating connection due to administrator command",
            ),
            (
                Unknown,
                "terminating connection because of crash of another server process",
            ),
            (Unknown, "the database system is shutting down"),
            (Unknown, "the database system is starting up"),
            (Unknown, "the database system is in recovery mode"),
            (Unknown, "sorry, too many clients already"),
            (Unknown, "canceling statement due to statement timeout"),
            (UnableToSendCommand, "connection closed"),
            (
                UnableToSendCommand,
                "error communicating with the server: Broken pipe",
            ),
            (UnableToSendCommand, "channel closed"),
            (ClosedConnection, "anything"),
        ] {
            let err = AppError::from(db(kind, message));
            assert_eq!(err.status(), StatusCode::SERVICE_UNAVAILABLE, "{message}");
            let res = err.error_response();
            let retry = res.headers().get("Retry-After").map(|v| v.as_bytes());
            assert_eq!(retry, Some(&b"5"[..]), "{message}");
            let api = ApiError(AppError::from(db(kind, message))).error_response();
            assert_eq!(api.status(), StatusCode::SERVICE_UNAVAILABLE);
            assert!(api.headers().contains_key("Retry-After"));
        }
        assert_eq!(
            status_of(DieselError::BrokenTransactionManager),
            StatusCode::SERVICE_UNAVAILABLE
        );
    }

    #[test]
    fn a_connection_failure_inside_anyhow_is_still_503() {
        let lost = anyhow::Error::from(db(
            DatabaseErrorKind::UnableToSendCommand,
            "connection closed",
        ))
        .context("confirming import");
        assert_eq!(
            AppError::from(lost).status(),
            StatusCode::SERVICE_UNAVAILABLE
        );
        let bug = anyhow::anyhow!("something else");
        assert_eq!(
            AppError::from(bug).status(),
            StatusCode::INTERNAL_SERVER_ERROR
        );
    }

    #[test]
    fn bugs_and_bad_data_stay_500() {
        use DatabaseErrorKind::*;
        for (kind, message) in [
            (UnableToSendCommand, "error serializing parameter 0"),
            (UnableToSendCommand, "error deserializing column 2"),
            (Unknown, "syntax error at or near \"SELEC\""),
            (CheckViolation, "new row violates check constraint"),
        ] {
            assert_eq!(
                status_of(db(kind, message)),
                StatusCode::INTERNAL_SERVER_ERROR,
                "{message}"
            );
        }
        assert_eq!(status_of(DieselError::NotFound), StatusCode::NOT_FOUND);
    }
}
