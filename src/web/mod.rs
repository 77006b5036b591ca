//! HTTP layer: thin handlers that parse input, call models/domain and
//! render a page (`pages`) or JSON (`api`).

pub mod access;
pub mod api;
pub mod deadline;
pub mod error_page;
pub mod forms;
pub mod head;
pub mod pages;
pub mod routes;
pub mod view;

use crate::db::{DbConn, DbPool};
use crate::error::{ApiError, AppError, AppResult};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError, UrlencodedError};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

/// Headers on every response: a CSP without inline script, the usual
/// hardening, and `no-store`, since pages and API answers carry account
/// data (a new API token, a one-time password) that no browser or proxy may
/// keep. Only responses that set their own `Cache-Control` (the stylesheet)
/// are cached. Names are lower case (they are used as static header names).
pub const SECURITY_HEADERS: &[(&str, &str)] = &[
    (
        "content-security-policy",
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
         object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    ),
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cache-control", "no-store"),
];

/// Largest request body accepted; a 10,000-character quote in any script fits easily.
pub const BODY_LIMIT: usize = 256 * 1024;

/// The `after` cursor of a paged list; blank means the first page.
pub fn parse_cursor(raw: &str) -> AppResult<Option<crate::models::claim::Cursor>> {
    match raw.trim() {
        "" => Ok(None),
        raw => crate::models::claim::Cursor::decode(raw)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest("Unknown page cursor.".into())),
    }
}

/// A pooled connection for a handler. Holding it counts against the
/// request's deadline; if the deadline passes (or a query finds the
/// connection broken) it is discarded instead of returned to the pool.
/// On a route declared `long` (`routes::Routes::long`) the handler's first checkout
/// starts its long work: from then on only its `bounded` batches are bounded.
pub async fn conn(pool: &DbPool) -> Result<DbConn, AppError> {
    crate::db::deadline::long_work_begins();
    Ok(pool.get().await?)
}

/// Renders a page with the given status.
pub fn render<T: Template>(status: StatusCode, page: &T) -> AppResult<HttpResponse> {
    let body = page.render().map_err(|e| AppError::Internal(e.into()))?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(body))
}

pub fn ok<T: Template>(page: &T) -> AppResult<HttpResponse> {
    render(StatusCode::OK, page)
}

/// 303 after a successful POST, so a reload does not resubmit.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish()
}

fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let app = match &err {
        JsonPayloadError::Overflow { .. } | JsonPayloadError::OverflowKnownLength { .. } => {
            AppError::PayloadTooLarge
        }
        JsonPayloadError::ContentType => {
            AppError::BadRequest("Send the body as application/json.".into())
        }
        JsonPayloadError::Deserialize(e) => AppError::Validation(
            crate::domain::FieldErrors::single("body", format!("Invalid JSON: {e}")),
        ),
        other => AppError::BadRequest(format!("Could not read the request body: {other}")),
    };
    ApiError(app).into()
}

/// A query string that does not parse (`?limit=lots`): 400, as JSON under `/api/`.
fn query_error(err: QueryPayloadError, req: &HttpRequest) -> actix_web::Error {
    let app = AppError::BadRequest(format!("Invalid query string: {err}"));
    if req.path().starts_with("/api/") {
        ApiError(app).into()
    } else {
        app.into()
    }
}

/// A path segment that does not parse as its id (`/claims/not-a-uuid`)
/// names nothing: 404, as JSON under `/api/`.
fn path_error(_err: PathError, req: &HttpRequest) -> actix_web::Error {
    if req.path().starts_with("/api/") {
        ApiError(AppError::NotFound).into()
    } else {
        AppError::NotFound.into()
    }
}

fn form_error(err: UrlencodedError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        UrlencodedError::Overflow { .. } => AppError::PayloadTooLarge.into(),
        other => AppError::BadRequest(format!("Could not read the form: {other}")).into(),
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        web::JsonConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(json_error),
    )
    .app_data(
        web::FormConfig::default()
            .limit(BODY_LIMIT)
            .error_handler(form_error),
    )
    .app_data(web::QueryConfig::default().error_handler(query_error))
    .app_data(web::PathConfig::default().error_handler(path_error))
    .app_data(web::PayloadConfig::default().limit(BODY_LIMIT))
    .default_service(web::to(pages::not_found));
    routes::register(cfg, self::routes);
}

/// Every route of the app with its access rule, in the order actix tries
/// them. A path no route matches answers 404 (as JSON under `/api/`).
pub fn routes(r: &mut routes::Routes) {
    pages::health::routes(r);
    r.scope("/api", api::routes, || web::to(api::not_found));
    pages::routes(r);
}
