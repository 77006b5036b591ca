//! Who may do what, enforced in one place for every route: a middleware
//! looks the route's rule up in the table its declaration made (see
//! [`crate::web::routes`]), authenticates the request (session cookie or
//! bearer token), checks the role and, for cookie-authenticated writes, the
//! `Origin` and the CSRF token. A route without a rule (a method nobody
//! declared on a known path) is refused.

use crate::auth::token;
use crate::config::AuthArgs;
use crate::db::DbPool;
use crate::domain::{Access, Role, UserId};
use crate::error::{ApiError, AppError};
use crate::models::{session, user::User};
use crate::web::routes;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse};
use std::future::{ready, Ready};

pub const SESSION_COOKIE: &str = "claimdesk_session";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Token,
}

/// The signed-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub role: Role,
    pub csrf: String,
    pub via: Via,
}

impl CurrentUser {
    fn new(u: User, csrf: String, via: Via) -> Self {
        CurrentUser {
            id: u.id,
            name: u.name,
            email: u.email,
            role: u.role,
            csrf,
            via,
        }
    }

    /// Whether this user may call a route, asked the way the middleware
    /// asks it: `me.can("POST", "/claims/{id}/status")` in a template.
    pub fn can(&self, method: &str, pattern: &str) -> bool {
        routes::allows(self.role, method, pattern)
    }
}

impl FromRequest for CurrentUser {
    type Error = actix_web::Error;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let found = req.extensions().get::<CurrentUser>().cloned();
        ready(found.ok_or_else(|| error_for(req.path(), AppError::Unauthorized)))
    }
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

fn error_for(path: &str, err: AppError) -> actix_web::Error {
    if is_api(path) {
        ApiError(err).into()
    } else {
        err.into()
    }
}

/// The refusal keeps its error, so that an HTML one becomes a page
/// (`web::error_page`).
fn deny(req: ServiceRequest, err: AppError) -> ServiceResponse<BoxBody> {
    if is_api(req.path()) {
        req.error_response(ApiError(err))
    } else {
        req.error_response(err)
    }
}

fn to_login(req: ServiceRequest) -> ServiceResponse<BoxBody> {
    let next = req
        .uri()
        .path_and_query()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_default();
    let location = format!(
        "/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    );
    let res = HttpResponse::SeeOther()
        .insert_header(("Location", location))
        .finish();
    req.into_response(res)
}

async fn authenticate(req: &ServiceRequest) -> Result<Option<CurrentUser>, AppError> {
    let (Some(pool), Some(auth)) = (
        req.app_data::<web::Data<DbPool>>(),
        req.app_data::<web::Data<AuthArgs>>(),
    ) else {
        return Err(AppError::Internal(anyhow::anyhow!(
            "access middleware needs the pool and auth settings"
        )));
    };
    let bearer = req
        .headers()
        .get("Authorization")
        .and_then(|h| h.to_str().ok())
        .and_then(|h| h.strip_prefix("Bearer "))
        .map(str::trim);
    if let Some(secret) = bearer {
        let mut conn = pool.get().await?;
        let user = session::user_for_token(&mut conn, secret).await?;
        return Ok(user.map(|u| CurrentUser::new(u, String::new(), Via::Token)));
    }
    let Some(cookie) = req.cookie(SESSION_COOKIE) else {
        return Ok(None);
    };
    let mut conn = pool.get().await?;
    let found = session::lookup(&mut conn, cookie.value(), auth.lifetimes()).await?;
    Ok(found.map(|(u, csrf)| CurrentUser::new(u, csrf, Via::Cookie)))
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// How much of a body is read, at most, to find the CSRF token in it. The
/// forms put the token first, so it is found in the first few hundred bytes.
const CSRF_SCAN_LIMIT: usize = 64 * 1024;
/// Without the token up front, an urlencoded form is still read up to the
/// usual body limit (the rest is refused, as before).
const CSRF_FORM_LIMIT: usize = crate::web::BODY_LIMIT;

/// The CSRF token sent with a write: the `X-CSRF-Token` header, or a
/// `csrf_token` field of an urlencoded or multipart body. Never the query
/// string (it lands in logs and Referer headers). The body is read only as
/// far as the token and handed on to the handler untouched.
async fn sent_csrf(req: &mut ServiceRequest) -> Option<String> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|h| h.to_str().ok()) {
        return Some(h.to_owned());
    }
    match req.content_type().to_owned().as_str() {
        "application/x-www-form-urlencoded" => csrf_in_form(req).await,
        "multipart/form-data" => csrf_in_multipart(req).await,
        _ => None,
    }
}

/// The payload with the chunks already read put back in front of the rest.
fn put_back(req: &mut ServiceRequest, read: Vec<web::Bytes>, rest: Payload) {
    use futures_util::StreamExt;
    let stream = futures_util::stream::iter(read.into_iter().map(Ok)).chain(rest);
    let boxed: std::pin::Pin<
        Box<dyn futures_util::Stream<Item = Result<web::Bytes, actix_web::error::PayloadError>>>,
    > = Box::pin(stream);
    req.set_payload(Payload::from(boxed));
}

/// The `csrf_token` of an urlencoded body: read chunk by chunk until the
/// field is complete (followed by `&` or the end of the body).
async fn csrf_in_form(req: &mut ServiceRequest) -> Option<String> {
    use futures_util::StreamExt;
    let mut payload = req.take_payload();
    let (mut read, mut buf, mut found) = (Vec::new(), Vec::new(), None);
    let mut ended = false;
    while found.is_none() && buf.len() <= CSRF_FORM_LIMIT {
        match payload.next().await {
            Some(Ok(chunk)) => {
                buf.extend_from_slice(&chunk);
                read.push(chunk);
            }
            None => ended = true,
            Some(Err(_)) => {
                // A broken body: the handler sees the same error.
                put_back(req, read, payload);
                return None;
            }
        }
        let complete = if ended {
            &buf[..]
        } else {
            match buf.iter().rposition(|b| *b == b'&') {
                Some(i) => &buf[..i],
                None => &[][..],
            }
        };
        found = url::form_urlencoded::parse(complete)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
        if ended {
            break;
        }
    }
    put_back(req, read, payload);
    found
}

/// Reads the underlying payload for the multipart parser, keeps a copy of
/// every chunk it hands over, and ends the stream once the scan limit is
/// reached (so a token missing from the first fields reads no further).
struct Recorder {
    inner: Option<Payload>,
    read: Vec<web::Bytes>,
    len: usize,
}

struct Recording(std::rc::Rc<std::cell::RefCell<Recorder>>);

impl futures_util::Stream for Recording {
    type Item = Result<web::Bytes, actix_web::error::PayloadError>;

    fn poll_next(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use std::task::Poll;
        let mut r = self.0.borrow_mut();
        if r.len >= CSRF_SCAN_LIMIT {
            return Poll::Ready(None);
        }
        let Some(inner) = r.inner.as_mut() else {
            return Poll::Ready(None);
        };
        match std::pin::Pin::new(inner).poll_next(cx) {
            Poll::Ready(Some(Ok(chunk))) => {
                r.len += chunk.len();
                r.read.push(chunk.clone());
                Poll::Ready(Some(Ok(chunk)))
            }
            other => other,
        }
    }
}

/// The `csrf_token` field of a multipart body, which must come before the
/// file: the body is parsed only until that first field is complete.
async fn csrf_in_multipart(req: &mut ServiceRequest) -> Option<String> {
    use futures_util::StreamExt;
    let shared = std::rc::Rc::new(std::cell::RefCell::new(Recorder {
        inner: Some(req.take_payload()),
        read: Vec::new(),
        len: 0,
    }));
    let found = {
        let mut parts = actix_multipart::Multipart::new(req.headers(), Recording(shared.clone()));
        match parts.next().await {
            Some(Ok(mut field)) if field.name() == Some(CSRF_FIELD) => {
                let mut value = Vec::new();
                let mut complete = true;
                while let Some(chunk) = field.next().await {
                    match chunk {
                        Ok(c) if value.len() + c.len() <= 1024 => value.extend_from_slice(&c),
                        _ => {
                            complete = false;
                            break;
                        }
                    }
                }
                complete.then(|| String::from_utf8(value).ok()).flatten()
            }
            _ => None,
        }
    };
    let mut r = shared.borrow_mut();
    let rest = r.inner.take().unwrap_or(Payload::None);
    let read = std::mem::take(&mut r.read);
    drop(r);
    put_back(req, read, rest);
    found
}

/// The origin (`scheme://host[:port]`) of a URL, in its normalised form.
fn origin_of(url: &str) -> Option<String> {
    let parsed = url::Url::parse(url.trim()).ok()?;
    match parsed.origin() {
        o @ url::Origin::Tuple(..) => Some(o.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

const CROSS_SITE_MESSAGE: &str =
    "This request came from another site, so nothing was saved. Use the desk's own pages.";

/// Refuses a write sent from another site: its `Origin` names another origin
/// than the desk's public address (or is `null`), or, without `Origin`,
/// `Sec-Fetch-Site` says `cross-site`. A request with neither header is
/// judged by its CSRF token alone.
pub fn cross_site_refusal(req: &HttpRequest) -> Option<AppError> {
    let Some(publisher) = req.app_data::<web::Data<crate::export::Publisher>>() else {
        return Some(AppError::Internal(anyhow::anyhow!(
            "the origin check needs the public base URL"
        )));
    };
    let refuse = || Some(AppError::Forbidden(CROSS_SITE_MESSAGE.into()));
    if let Some(origin) = req.headers().get("Origin") {
        let ours = origin_of(&publisher.base_url);
        let theirs = origin.to_str().ok().and_then(origin_of);
        return match (ours, theirs) {
            (Some(a), Some(b)) if a == b => None,
            (ours, _) => {
                // Names the expected origin, so that a desk reached at another
                // address than CLAIMDESK_PUBLIC_BASE_URL is easy to diagnose.
                tracing::info!(origin = ?origin, expected = ?ours, "refused a write from another origin");
                refuse()
            }
        };
    }
    let fetch_site = req
        .headers()
        .get("Sec-Fetch-Site")
        .and_then(|h| h.to_str().ok());
    if fetch_site.is_some_and(|s| s.trim().eq_ignore_ascii_case("cross-site")) {
        return refuse();
    }
    None
}

const CSRF_MESSAGE: &str =
    "This form's security token is missing or out of date, so nothing was saved. \
Go back (your input is still in the form), reload the page, and submit again.";

/// The middleware itself: see the module docs.
pub async fn enforce(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let Some(pattern) = req.match_pattern() else {
        // No route matched: the handler answers 404 for anyone, on a page
        // with the user's navigation if they are signed in.
        if !is_api(req.path()) {
            if let Ok(Some(user)) = authenticate(&req).await {
                req.extensions_mut().insert(user);
            }
        }
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(access) = routes::rule(req.method(), &pattern) else {
        tracing::error!(method = %req.method(), %pattern, "route has no access rule; refusing");
        return Ok(deny(
            req,
            AppError::Forbidden("This route has no access rule.".into()),
        ));
    };
    if access == Access::Public {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let user = match authenticate(&req).await {
        Ok(Some(u)) => u,
        Ok(None) if is_api(req.path()) => return Ok(deny(req, AppError::Unauthorized)),
        Ok(None) => return Ok(to_login(req)),
        Err(e) => return Ok(deny(req, e)),
    };
    // Known from here on, also to a refusal's error page.
    req.extensions_mut().insert(user.clone());
    if !user.role.allows(access) {
        let msg = format!("Your role ({}) does not allow this.", user.role.label());
        return Ok(deny(req, AppError::Forbidden(msg)));
    }
    if user.via == Via::Cookie && !is_safe(req.method()) {
        if let Some(refused) = cross_site_refusal(req.request()) {
            return Ok(deny(req, refused));
        }
        let sent = sent_csrf(&mut req).await;
        if !sent.is_some_and(|s| token::same(&s, &user.csrf)) {
            return Ok(deny(req, AppError::Forbidden(CSRF_MESSAGE.into())));
        }
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_are_compared_in_normal_form() {
        let ours = origin_of("http://127.0.0.1:8080/desk/");
        assert_eq!(ours.as_deref(), Some("http://127.0.0.1:8080"));
        assert_eq!(origin_of("HTTP://127.0.0.1:8080"), ours);
        assert_eq!(
            origin_of("https://Desk.Example.org:443").as_deref(),
            Some("https://desk.example.org")
        );
        for other in [
            "http://127.0.0.1:8081",
            "https://127.0.0.1:8080",
            "http://localhost:8080",
        ] {
            assert_ne!(origin_of(other), ours, "{other}");
        }
        for opaque in ["null", "", "data:text/html,x", "file:///etc/passwd"] {
            assert_eq!(origin_of(opaque), None, "{opaque}");
        }
    }
}
