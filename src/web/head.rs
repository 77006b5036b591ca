//! `HEAD` answered like `GET` on every route: the request is routed as a
//! GET, and the HTTP/1 codec, which remembers that the client sent HEAD,
//! sends the same status and headers (Content-Length included) without
//! the body.

use actix_web::body::{self, BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

pub async fn as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let head = req.method() == Method::HEAD;
    if head {
        req.head_mut().method = Method::GET;
    }
    let res = next.call(req).await?;
    if !head {
        return Ok(res.map_into_boxed_body());
    }
    // A streamed body (an export) would still be produced in full only to be
    // thrown away: drop it unread. Its length is unknown anyway.
    Ok(res.map_body(|_, b| match b.size() {
        BodySize::Stream => BoxBody::new(body::None::new()),
        _ => b.boxed(),
    }))
}
