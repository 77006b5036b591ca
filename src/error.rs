//! The one application error. Variants mean HTTP statuses; HTML handlers
//! render it inside the site layout, API handlers wrap it in [`ApiError`].

use crate::domain::FieldErrors;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use askama::Template;
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
    Internal(#[from] anyhow::Error),
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
        match err {
            DieselError::NotFound => AppError::NotFound,
            DieselError::DatabaseError(DatabaseErrorKind::ClosedConnection, info) => {
                AppError::Unavailable(info.message().to_owned())
            }
            DieselError::BrokenTransactionManager => AppError::Unavailable(err.to_string()),
            other => AppError::Internal(other.into()),
        }
    }
}

impl From<diesel_async::pooled_connection::deadpool::PoolError> for AppError {
    fn from(err: diesel_async::pooled_connection::deadpool::PoolError) -> Self {
        AppError::Unavailable(err.to_string())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    me: Option<crate::web::access::CurrentUser>,
    status: u16,
    title: &'a str,
    message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        self.log();
        let status = self.status();
        let page = ErrorPage {
            me: None,
            status: status.as_u16(),
            title: status.canonical_reason().unwrap_or("Error"),
            message: self.to_string(),
        };
        let body = page.render().unwrap_or_else(|_| self.to_string());
        let mut res = HttpResponse::build(status);
        self.extra_headers(&mut res);
        res.content_type("text/html; charset=utf-8").body(body)
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
