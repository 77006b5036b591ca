//! HTML form bodies: the extractor, and the helpers that fill and refuse
//! the resources' forms. The bodies themselves are the domain's input types
//! (`domain::drafts`), which keep what the user typed so that a refused form
//! can be shown again as it was sent.

use crate::domain::drafts::{ClaimInput, FiguresInput, SourceInput, StoryInput};
use crate::domain::{FieldErrors, Version};
use crate::error::{ApiError, AppError};
use crate::models::claim::ClaimDetail;
use crate::models::source::Source;
use crate::models::story::Story;
use crate::models::WriteError;
use crate::web::access::CSRF_FIELD;
use crate::web::view;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;

/// Percent-decodes an urlencoded body or query string and checks that what
/// comes out is UTF-8. serde_urlencoded (behind actix's `Form` and `Query`)
/// replaces invalid bytes with U+FFFD, silently storing something nobody
/// typed; here they are refused instead. Splitting on `&` and `=` first is
/// not needed: both are ASCII, which never occurs inside a valid multi-byte
/// sequence, so the whole is valid exactly when every key and value is.
pub fn check_utf8(raw: &[u8]) -> Result<(), String> {
    let decoded: Vec<u8> = percent_encoding::percent_decode(raw).collect();
    std::str::from_utf8(&decoded).map(|_| ()).map_err(|_| {
        "The request contains bytes that are not valid UTF-8 text; nothing was saved. \
         Send it as UTF-8."
            .to_owned()
    })
}

/// `application/x-www-form-urlencoded` bodies for every HTML form handler:
/// like `web::Form`, but invalid UTF-8 is a 400, never U+FFFD.
pub struct Form<T>(pub T);

impl<T> Form<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Form<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

fn body_error(err: actix_web::Error) -> AppError {
    match err.as_error::<actix_web::error::PayloadError>() {
        Some(actix_web::error::PayloadError::Overflow) => AppError::PayloadTooLarge,
        _ => AppError::BadRequest(format!("Could not read the form: {err}")),
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for Form<T> {
    type Error = actix_web::Error;
    type Future = futures_util::future::LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let urlencoded = req.content_type() == "application/x-www-form-urlencoded";
        let body = actix_web::web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !urlencoded {
                return Err(AppError::BadRequest(
                    "Send the form as application/x-www-form-urlencoded.".into(),
                )
                .into());
            }
            let body = body.await.map_err(body_error)?;
            check_utf8(&body).map_err(AppError::BadRequest)?;
            serde_urlencoded::from_str(&without_csrf(&body))
                .map(Form)
                .map_err(|e| AppError::BadRequest(format!("Could not read the form: {e}")).into())
        })
    }
}

/// The body without its `csrf_token` (checked by the access layer before
/// any handler runs), so that input types can refuse unknown fields.
fn without_csrf(body: &[u8]) -> String {
    let pairs = url::form_urlencoded::parse(body).filter(|(k, _)| k != CSRF_FIELD);
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Query strings, with the same UTF-8 rule as [`Form`]; a 400 as JSON
/// under `/api/`.
pub struct Query<T>(pub T);

impl<T> Query<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for Query<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = actix_web::Error;
    type Future = std::future::Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let raw = req.query_string();
        let parsed = check_utf8(raw.as_bytes())
            .and_then(|()| {
                serde_urlencoded::from_str(raw).map_err(|e| format!("Invalid query string: {e}"))
            })
            .map(Query)
            .map_err(|m| {
                let err = AppError::BadRequest(m);
                if req.path().starts_with("/api/") {
                    ApiError(err).into()
                } else {
                    err.into()
                }
            });
        std::future::ready(parsed)
    }
}

/// A form without the version it was based on could overwrite a change it
/// never saw: refused (428) like the API does, with the input kept and the
/// record shown as it is now, so that a resubmission is a conscious one.
pub const MISSING_VERSION: &str = "This form was sent without the version of the record it was \
     based on, so it could overwrite someone else's change; nothing was saved. The record as \
     stored now is shown; your input is kept in the form — check it and submit again.";

/// A refused form write, as the form is shown again: the status, the field
/// messages and the banner above the form.
#[derive(Debug)]
pub struct Refused {
    pub status: StatusCode,
    pub errors: FieldErrors,
    pub conflict: Option<String>,
}

impl Refused {
    fn new(status: StatusCode, errors: FieldErrors, conflict: Option<String>) -> Self {
        Refused {
            status,
            errors,
            conflict,
        }
    }
}

/// `None` is a form without a usable version. `db` turns a database error
/// into a field message where it can (a unique name); anything else is an
/// error page.
fn refuse(
    err: Option<WriteError>,
    db: impl FnOnce(diesel::result::Error) -> AppError,
) -> Result<Refused, AppError> {
    match err {
        None => Ok(Refused::new(
            StatusCode::PRECONDITION_REQUIRED,
            FieldErrors::new(),
            Some(MISSING_VERSION.to_owned()),
        )),
        Some(WriteError::Invalid(e)) => Ok(Refused::new(StatusCode::UNPROCESSABLE_ENTITY, e, None)),
        Some(WriteError::Stale { current }) => Ok(Refused::new(
            StatusCode::CONFLICT,
            FieldErrors::new(),
            Some(view::stale_message(current)),
        )),
        Some(WriteError::Db(e)) => match db(e) {
            AppError::Validation(e) => Ok(Refused::new(StatusCode::UNPROCESSABLE_ENTITY, e, None)),
            other => Err(other),
        },
        Some(e) => Err(e.into()),
    }
}

/// A versioned form write: a form without a usable version attempts
/// nothing (428); an invalid draft is refused as such (422); otherwise
/// `write` runs against the version the form was based on (409 when
/// stale). `Ok(Err(_))`: show the form again.
pub async fn versioned_write<D, T>(
    version: Option<Version>,
    draft: Result<D, FieldErrors>,
    db: impl FnOnce(diesel::result::Error) -> AppError,
    write: impl AsyncFnOnce(D, Version) -> Result<T, WriteError>,
) -> Result<Result<T, Refused>, AppError> {
    let result = match (draft, version) {
        (_, None) => Err(None),
        (Err(e), Some(_)) => Err(Some(WriteError::Invalid(e))),
        (Ok(d), Some(v)) => write(d, v).await.map_err(Some),
    };
    match result {
        Ok(t) => Ok(Ok(t)),
        Err(e) => refuse(e, db).map(Err),
    }
}

/// A form that creates a record: like [`versioned_write`] without a version.
pub async fn create_write<D, T>(
    draft: Result<D, FieldErrors>,
    db: impl FnOnce(diesel::result::Error) -> AppError,
    write: impl AsyncFnOnce(D) -> Result<T, WriteError>,
) -> Result<Result<T, Refused>, AppError> {
    let result = match draft {
        Err(e) => Err(WriteError::Invalid(e)),
        Ok(d) => write(d).await,
    };
    match result {
        Ok(t) => Ok(Ok(t)),
        Err(e) => refuse(Some(e), db).map(Err),
    }
}

/// The edit forms, filled from what is stored.
impl ClaimInput {
    /// An empty form for adding a claim to `story`.
    pub fn for_story(story_id: crate::domain::StoryId) -> Self {
        ClaimInput {
            story_id: story_id.to_string(),
            ..Default::default()
        }
    }

    pub fn from_detail(d: &ClaimDetail) -> Self {
        ClaimInput {
            story_id: d.claim.story_id.to_string(),
            source_id: d.claim.source_id.to_string(),
            quote: d.claim.quote.clone(),
            is_paraphrase: d.claim.is_paraphrase,
            summary: d.claim.summary.clone().unwrap_or_default(),
            claimed_at: view::input_datetime(&d.claim.claimed_at),
            claimed_where: d.claim.claimed_where.clone().unwrap_or_default(),
            figures: FiguresInput::List(d.figures.iter().cloned().map(Into::into).collect()),
            version: Some(d.claim.version.into()),
            ..Default::default()
        }
    }
}

impl SourceInput {
    pub fn from_source(s: &Source, aliases: &[String]) -> Self {
        SourceInput {
            aliases: Some(aliases.join("\n")),
            name: s.name.clone(),
            source_type: s.source_type.as_str().into(),
            affiliation: s.affiliation.clone().unwrap_or_default(),
            description: s.description.clone().unwrap_or_default(),
            version: Some(s.version.into()),
        }
    }
}

impl StoryInput {
    pub fn from_story(s: &Story) -> Self {
        StoryInput {
            title: s.title.clone(),
            outlet: s.outlet.clone(),
            url: s.url.clone().unwrap_or_default(),
            published_at: view::input_datetime(&s.published_at),
            dateline: s.dateline.clone().unwrap_or_default(),
            notes: s.notes.clone().unwrap_or_default(),
            version: Some(s.version.into()),
        }
    }
}

/// Board and API list filters, as query-string values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClaimQuery {
    /// Free-text search in the quote and summary.
    pub q: String,
    /// Claimed from / to (inclusive dates, YYYY-MM-DD).
    pub from: String,
    pub to: String,
    pub status: String,
    pub source_type: String,
    pub source: String,
    pub story: String,
    pub after: String,
    pub limit: Option<i64>,
}

impl ClaimQuery {
    /// A filter value that does not parse is refused rather than silently
    /// ignored: an editor must never believe a list is filtered when it is not.
    pub fn to_filter(&self) -> Result<crate::models::claim::ClaimFilter, crate::error::AppError> {
        use crate::domain::{ClaimStatus, SourceType};
        use crate::error::AppError;
        fn blank(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|s| !s.is_empty())
        }
        fn bad(what: &str, v: &str) -> AppError {
            AppError::BadRequest(format!("Unknown {what} filter: {v:?}"))
        }
        let day = |v: &str| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        };
        Ok(crate::models::claim::ClaimFilter {
            status: blank(&self.status)
                .map(|v| ClaimStatus::parse(v).ok_or_else(|| bad("status", v)))
                .transpose()?,
            source_type: blank(&self.source_type)
                .map(|v| SourceType::parse(v).ok_or_else(|| bad("source type", v)))
                .transpose()?,
            source_id: blank(&self.source)
                .map(|v| v.parse().map_err(|_| bad("source", v)))
                .transpose()?,
            story_id: blank(&self.story)
                .map(|v| v.parse().map_err(|_| bad("story", v)))
                .transpose()?,
            text: blank(&self.q)
                .map(|v| {
                    crate::domain::validation::plain_text(v)
                        .map(|()| v.to_owned())
                        .map_err(|m| AppError::BadRequest(format!("Search: {m}")))
                })
                .transpose()?,
            from: blank(&self.from)
                .map(|v| day(v).ok_or_else(|| bad("from date", v)))
                .transpose()?,
            until: blank(&self.to)
                .map(|v| {
                    day(v)
                        .map(|d| d + chrono::Duration::days(1))
                        .ok_or_else(|| bad("to date", v))
                })
                .transpose()?,
            after: blank(&self.after)
                .map(|v| crate::models::claim::Cursor::decode(v).ok_or_else(|| bad("page", v)))
                .transpose()?,
        })
    }

    fn filters(&self) -> [(&'static str, &str); 7] {
        [
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("source_type", &self.source_type),
            ("source", &self.source),
            ("story", &self.story),
        ]
    }

    fn serializer(&self) -> url::form_urlencoded::Serializer<'static, String> {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.filters() {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s
    }

    /// The filters alone, as a query string (for export links).
    pub fn filter_query(&self) -> String {
        self.serializer().finish()
    }

    /// The same query moved to the page after `cursor`.
    pub fn next_query(&self, cursor: &crate::models::claim::Cursor) -> String {
        let mut s = self.serializer();
        if let Some(l) = self.limit {
            s.append_pair("limit", &l.to_string());
        }
        s.append_pair("after", &cursor.encode());
        s.finish()
    }

    pub fn is_filtered(&self) -> bool {
        self.filters().iter().any(|(_, v)| !v.trim().is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::check_utf8;

    #[test]
    fn utf8_is_checked_after_percent_decoding() {
        for ok in [
            "quote=Damascus+awaits",
            "quote=%D8%AF%D9%85%D8%B4%D9%82&x=1",
            "a=100%25&b=%zz&c=%",
            "",
        ] {
            assert!(check_utf8(ok.as_bytes()).is_ok(), "{ok}");
        }
        for bad in [
            "quote=%FF",
            "quote=%C3",
            "q=%C3&x=%A9",
            "%E2%82=1",
            "q=%ED%A0%80",
        ] {
            assert!(check_utf8(bad.as_bytes()).is_err(), "{bad}");
        }
        assert!(check_utf8(b"quote=\xff").is_err());
    }
}
