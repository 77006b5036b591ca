//! The JSON API under `/api/`: same filters, rules and errors as the pages.
//! Ids are UUIDs; timestamps are ISO-8601 UTC; field names are stable.

pub mod claims;
pub mod sources;
pub mod stories;

use crate::domain::{FieldErrors, Version};
use crate::error::{ApiError, ApiResult, AppError};
use crate::models::WriteError;
use crate::web::routes::Routes;
use actix_web::{HttpRequest, HttpResponse, HttpResponseBuilder};

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
    versions: Vec<Version>,
    from_if_match: bool,
}

impl Precondition {
    /// `If-Match: "<version>"` (one or more strong tags) or a `version` field;
    /// neither is refused with 428 so that no client can overwrite blindly.
    /// `If-Match: *` is refused with 428 too: it names no version, so it would
    /// be exactly such a blind overwrite. Weak tags never match (RFC 9110
    /// §13.1.1 compares If-Match strongly): 412. A header that is not a list
    /// of entity tags: 400.
    pub fn from(req: &HttpRequest, body_version: Option<Version>) -> Result<Self, ApiError> {
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
        mut attempt: impl AsyncFnMut(Version) -> Result<T, WriteError>,
    ) -> Result<T, WriteError> {
        let first = self.versions[0];
        match attempt(first).await {
            Err(WriteError::Stale { current })
                if first != current && self.versions.contains(&Version::new(current)) =>
            {
                attempt(Version::new(current)).await
            }
            other => other,
        }
    }

    /// A stale write: 412 for If-Match, 409 for a body version.
    pub fn stale(&self, err: WriteError) -> ApiError {
        match err {
            WriteError::Stale { current } if self.from_if_match => ApiError(AppError::PreconditionFailed(
                format!("The record is now at version {current}; fetch it again and reapply your change."),
            )),
            other => other.into(),
        }
    }
}

/// The versions named by `If-Match`, parsed with actix's typed header;
/// `None` when the header is absent.
fn if_match_versions(req: &HttpRequest) -> Result<Option<Vec<Version>>, ApiError> {
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
    let versions: Vec<Version> = tags
        .iter()
        .filter(|t| !t.weak)
        .filter_map(|t| t.tag().parse().ok().map(Version::new))
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

/// A versioned write from a JSON body: the precondition first (428, 412),
/// then the draft (422), then `write` against the version named; `db` turns
/// a database error into a field message where it can (a taken name).
pub async fn versioned_write<D, T>(
    req: &HttpRequest,
    sent: Option<Version>,
    draft: Result<D, FieldErrors>,
    db: impl FnOnce(diesel::result::Error) -> ApiError,
    mut write: impl AsyncFnMut(&D, Version) -> Result<T, WriteError>,
) -> ApiResult<T> {
    let pre = Precondition::from(req, sent)?;
    let draft = draft.map_err(invalid)?;
    pre.write(async |v| write(&draft, v).await)
        .await
        .map_err(|e| match e {
            WriteError::Db(e) => db(e),
            other => pre.stale(other),
        })
}

pub fn invalid(errors: FieldErrors) -> ApiError {
    ApiError(AppError::Validation(errors))
}

/// A record with its version as the ETag a later write sends back.
pub fn tagged(status: actix_web::http::StatusCode, version: i32) -> HttpResponseBuilder {
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", format!("\"{version}\"")));
    res
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
