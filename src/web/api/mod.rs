//! The JSON API under `/api/`: same filters, rules and errors as the pages.
//! Ids are UUIDs; timestamps are ISO-8601 UTC; field names are stable.

pub mod claims;
pub mod sources;
pub mod stories;

use crate::error::{ApiError, AppError};
use actix_web::web;
use uuid::Uuid;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(claims::configure)
        .configure(sources::configure)
        .configure(stories::configure)
        .default_service(web::to(not_found));
}

async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

/// The version a write is based on, and where the client sent it.
#[derive(Debug, Clone, Copy)]
pub struct Precondition {
    pub version: i32,
    from_if_match: bool,
}

impl Precondition {
    /// `If-Match: "<version>"` or a `version` field; neither is refused with
    /// 428 so that no client can overwrite blindly.
    pub fn from(req: &actix_web::HttpRequest, body_version: Option<i32>) -> Result<Self, ApiError> {
        let header = req.headers().get("If-Match").and_then(|h| h.to_str().ok());
        if let Some(h) = header {
            let v = h
                .trim()
                .trim_start_matches("W/")
                .trim_matches('"')
                .parse()
                .map_err(|_| {
                    ApiError(AppError::PreconditionFailed(format!(
                        "If-Match {h:?} is not a version this API issued."
                    )))
                })?;
            return Ok(Precondition {
                version: v,
                from_if_match: true,
            });
        }
        match body_version {
            Some(version) => Ok(Precondition { version, from_if_match: false }),
            None => Err(ApiError(AppError::PreconditionRequired(
                "Send the version you are changing: an If-Match header with the ETag, or a \"version\" field.".into(),
            ))),
        }
    }

    /// A stale write: 412 for If-Match, 409 for a body version.
    pub fn stale(&self, err: crate::models::WriteError) -> ApiError {
        match err {
            crate::models::WriteError::Stale { current } if self.from_if_match => ApiError(AppError::PreconditionFailed(
                format!("The record is now at version {current}; fetch it again and reapply your change."),
            )),
            other => other.into(),
        }
    }
}

pub(crate) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Ok(crate::web::parse_id(raw)?)
}

/// A list with its status counts, as returned for a story or a source.
#[derive(serde::Serialize)]
pub struct StatusCount {
    pub status: crate::domain::ClaimStatus,
    pub count: i64,
}

pub fn status_counts(counts: &[(crate::domain::ClaimStatus, i64)]) -> Vec<StatusCount> {
    crate::web::view::status_summary(counts)
        .into_iter()
        .map(|(status, count)| StatusCount { status, count })
        .collect()
}
