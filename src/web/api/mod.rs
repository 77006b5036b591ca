//! The JSON API under `/api/`: same filters, rules and errors as the pages.
//! Ids are UUIDs; timestamps are ISO-8601 UTC; field names are stable.

pub mod claims;
pub mod sources;
pub mod stories;

use crate::error::{ApiError, AppError};
use crate::web::routes::Routes;
use uuid::Uuid;

pub fn routes(r: &mut Routes) {
    claims::routes(r);
    sources::routes(r);
    stories::routes(r);
}

pub(crate) async fn not_found() -> Result<actix_web::HttpResponse, ApiError> {
    Err(ApiError(AppError::NotFound))
}

/// The versions a write may be based on, and where the client sent them.
#[derive(Debug, Clone)]
pub struct Precondition {
    /// Never empty; more than one only when `If-Match` lists several tags.
    versions: Vec<i32>,
    from_if_match: bool,
}

impl Precondition {
    /// `If-Match: "<version>"` (one or more strong tags) or a `version` field;
    /// neither is refused with 428 so that no client can overwrite blindly.
    /// `If-Match: *` is refused with 428 too: it names no version, so it would
    /// be exactly such a blind overwrite. Weak tags never match (RFC 9110
    /// §13.1.1 compares If-Match strongly): 412. A header that is not a list
    /// of entity tags: 400.
    pub fn from(req: &actix_web::HttpRequest, body_version: Option<i32>) -> Result<Self, ApiError> {
        match if_match_versions(req)? {
            Some(versions) => Ok(Precondition {
                versions,
                from_if_match: true,
            }),
            None => match body_version {
                Some(version) => Ok(Precondition {
                    versions: vec![version],
                    from_if_match: false,
                }),
                None => Err(ApiError(AppError::PreconditionRequired(
                    "Send the version you are changing: an If-Match header with the ETag, or a \"version\" field.".into(),
                ))),
            },
        }
    }

    /// Runs a versioned write against the first listed version; when it is
    /// stale but the record's current version is another listed tag, runs it
    /// once more against that one. Each attempt is itself a compare-and-set,
    /// so a change landing in between still fails as stale.
    pub async fn write<T>(
        &self,
        mut attempt: impl AsyncFnMut(i32) -> Result<T, crate::models::WriteError>,
    ) -> Result<T, crate::models::WriteError> {
        let first = self.versions[0];
        match attempt(first).await {
            Err(crate::models::WriteError::Stale { current })
                if current != first && self.versions.contains(&current) =>
            {
                attempt(current).await
            }
            other => other,
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

/// The versions named by `If-Match`, parsed with actix's typed header;
/// `None` when the header is absent.
fn if_match_versions(req: &actix_web::HttpRequest) -> Result<Option<Vec<i32>>, ApiError> {
    use actix_web::http::header::{self, Header, IfMatch};
    let raw: Vec<_> = req.headers().get_all(header::IF_MATCH).collect();
    if raw.is_empty() {
        return Ok(None);
    }
    let malformed = || {
        ApiError(AppError::BadRequest(
            "If-Match must be a comma-separated list of quoted entity tags, such as \"3\".".into(),
        ))
    };
    let tags = match IfMatch::parse(req).map_err(|_| malformed())? {
        IfMatch::Any => {
            return Err(ApiError(AppError::PreconditionRequired(
                "If-Match: * names no version; send the ETag you are changing so that no change is overwritten blindly.".into(),
            )))
        }
        IfMatch::Items(tags) => tags,
    };
    // actix skips list members it cannot parse; a header with any such
    // member is malformed rather than quietly shorter.
    let members = raw
        .iter()
        .map(|v| {
            v.to_str()
                .map(|s| s.split(',').filter(|m| !m.trim().is_empty()).count())
        })
        .sum::<Result<usize, _>>()
        .map_err(|_| malformed())?;
    if tags.is_empty() || tags.len() != members {
        return Err(malformed());
    }
    let versions: Vec<i32> = tags
        .iter()
        .filter(|t| !t.weak)
        .filter_map(|t| t.tag().parse().ok())
        .collect();
    if versions.is_empty() {
        let why = if tags.iter().all(|t| t.weak) {
            "weak entity tags (W/\"...\") never match for a write (RFC 9110 strong comparison); send the ETag exactly as this API issued it"
        } else {
            "none of its entity tags is a version this API issued"
        };
        return Err(ApiError(AppError::PreconditionFailed(format!(
            "If-Match refused: {why}."
        ))));
    }
    Ok(Some(versions))
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
