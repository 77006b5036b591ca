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

pub(crate) fn parse_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| ApiError(AppError::NotFound))
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
