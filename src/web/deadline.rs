//! The request deadline: every request runs under a database-time budget
//! of `CLAIMDESK_QUERY_TIMEOUT_MS` (see [`crate::db::deadline`]). When it is
//! spent the request answers 503 with `Retry-After` (an HTML page, or JSON
//! under `/api/`) and the connections it held are discarded.
//!
//! Long routes are bounded until their handler starts its work (its first
//! `web::conn` checkout or `bounded` batch: authentication before it stays
//! bounded), and from then on batch by batch with
//! [`crate::db::deadline::bounded`]. The export route needs no
//! exemption: its handler only builds the stream, and each batch of the
//! stream runs after the response started, bounded on its own.

use crate::db::deadline::{self, Budget, DEFAULT_QUERY_TIMEOUT};
use crate::db::DbPool;
use crate::error::ApiError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::error::InternalError;
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{web, ResponseError};

/// The middleware: see the module docs.
pub async fn enforce(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let limit = req
        .app_data::<web::Data<DbPool>>()
        .map_or(DEFAULT_QUERY_TIMEOUT, |p| p.query_timeout());
    let long = req
        .match_pattern()
        .is_some_and(|p| super::routes::is_long(req.method(), &p));
    let budget = if long {
        Budget::long(limit)
    } else {
        Budget::enforced(limit)
    };
    // The request cannot be kept for the 503: a clone taken before routing
    // makes routing panic. The 503 goes out as an error response instead,
    // so it carries the site's headers itself.
    let api = req.path().starts_with("/api/");
    let path = req.path().to_owned();
    match deadline::run_request(budget.clone(), next.call(req)).await {
        Some(res) => Ok(res?.map_into_boxed_body()),
        None => {
            let err = deadline::expired(&budget);
            tracing::warn!(%path, "request deadline passed; answering 503");
            let mut res = if api {
                ApiError(err).error_response()
            } else {
                // Outside the error-page middleware, and before the user
                // is known: a page without navigation.
                super::error_page::response(&err, None)
            };
            for (name, value) in super::SECURITY_HEADERS {
                res.headers_mut().insert(
                    HeaderName::from_static(name),
                    HeaderValue::from_static(value),
                );
            }
            Err(InternalError::from_response("request deadline passed", res).into())
        }
    }
}
