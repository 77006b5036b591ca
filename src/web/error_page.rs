//! Error pages. [`AppError`] decides an error's status and headers; this
//! middleware shows it inside the site layout, with the signed-in user's
//! navigation when the request got as far as the access check (which keeps
//! the user in the request's extensions), so a 404 or a 403 does not look
//! like the user was signed out.

use super::access::CurrentUser;
use crate::error::AppError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderValue, CONTENT_TYPE};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use askama::Template;

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    me: Option<CurrentUser>,
    status: u16,
    title: &'a str,
    message: String,
}

/// The HTML page for `err`, as `me` sees it.
pub fn render(err: &AppError, me: Option<CurrentUser>) -> String {
    let status = err.status();
    let page = ErrorPage {
        me,
        status: status.as_u16(),
        title: status.canonical_reason().unwrap_or("Error"),
        message: err.to_string(),
    };
    page.render().unwrap_or_else(|_| err.to_string())
}

/// `err`'s own response (status, headers) with its page, for an error
/// answered outside the middleware below (the request deadline's 503).
pub fn response(err: &AppError, me: Option<CurrentUser>) -> HttpResponse {
    let page = render(err, me);
    let mut res = err.error_response();
    html(res.headers_mut());
    res.set_body(BoxBody::new(page))
}

fn html(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
}

/// The middleware: replaces the body of every response made from an
/// [`AppError`] (API errors are another type, answered as JSON) with its
/// page. Status and headers stay as the error set them.
pub async fn dress(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let res = next.call(req).await?;
    let page = res
        .response()
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|err| {
            let me = res.request().extensions().get::<CurrentUser>().cloned();
            render(err, me)
        });
    let Some(page) = page else {
        return Ok(res.map_into_boxed_body());
    };
    Ok(res.map_body(|head, _| {
        html(&mut head.headers);
        BoxBody::new(page)
    }))
}
