//! Who may do what, enforced in one place for every route: a middleware
//! looks the route up in [`POLICY`], authenticates the request (session
//! cookie or bearer token), checks the role and, for cookie-authenticated
//! writes, the CSRF token. A route missing from the policy is refused.

use crate::auth::token;
use crate::config::AuthArgs;
use crate::db::DbPool;
use crate::domain::{Access, Role};
use crate::error::{ApiError, AppError};
use crate::models::{session, user::User};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest, HttpResponse, ResponseError};
use std::future::{ready, Ready};
use uuid::Uuid;

pub const SESSION_COOKIE: &str = "claimdesk_session";
pub const CSRF_FIELD: &str = "csrf_token";
pub const CSRF_HEADER: &str = "X-CSRF-Token";

use Access::*;

/// Every route, its method and what it needs. Keep in step with the routes;
/// the permission-matrix test walks this table.
pub const POLICY: &[(&str, &str, Access)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/static/style.css", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", Read),
    ("GET", "/", Read),
    ("GET", "/claims/{id}", Read),
    ("POST", "/claims/{id}/status", Contribute),
    ("POST", "/claims/{id}/review-url", Edit),
    ("GET", "/claims/{id}/edit", Contribute),
    ("POST", "/claims/{id}/edit", Contribute),
    ("GET", "/stories", Read),
    ("POST", "/stories", Contribute),
    ("GET", "/stories/new", Contribute),
    ("GET", "/stories/{id}", Read),
    ("POST", "/stories/{id}/claims", Contribute),
    ("GET", "/stories/{id}/edit", Contribute),
    ("POST", "/stories/{id}/edit", Contribute),
    ("GET", "/sources", Read),
    ("POST", "/sources", Contribute),
    ("GET", "/sources/new", Contribute),
    ("GET", "/sources/{id}", Read),
    ("GET", "/sources/{id}/edit", Contribute),
    ("POST", "/sources/{id}/edit", Contribute),
    ("GET", "/profile", Read),
    ("POST", "/profile/password", Read),
    ("POST", "/profile/tokens", Read),
    ("POST", "/profile/tokens/{id}/revoke", Read),
    ("GET", "/admin/users", Admin),
    ("POST", "/admin/users", Admin),
    ("POST", "/admin/users/{id}/role", Admin),
    ("POST", "/admin/users/{id}/disable", Admin),
    ("POST", "/admin/users/{id}/enable", Admin),
    ("POST", "/admin/users/{id}/password", Admin),
    ("GET", "/admin/audit", Admin),
    ("GET", "/export", Read),
    ("GET", "/stories/{id}/report", Read),
    ("GET", "/sources/{id}/report", Read),
    ("GET", "/import", Contribute),
    ("POST", "/import", Contribute),
    ("GET", "/imports/{id}", Contribute),
    ("POST", "/imports/{id}", Contribute),
    ("POST", "/imports/{id}/confirm", Contribute),
    ("GET", "/api/claims", Read),
    ("POST", "/api/claims", Contribute),
    ("GET", "/api/claims/{id}", Read),
    ("PUT", "/api/claims/{id}", Contribute),
    ("POST", "/api/claims/{id}/status", Contribute),
    ("GET", "/api/sources", Read),
    ("POST", "/api/sources", Contribute),
    ("GET", "/api/sources/{id}", Read),
    ("PUT", "/api/sources/{id}", Contribute),
    ("GET", "/api/stories", Read),
    ("POST", "/api/stories", Contribute),
    ("GET", "/api/stories/{id}", Read),
    ("PUT", "/api/stories/{id}", Contribute),
];

/// The rule for a request; HEAD is answered like GET.
pub fn rule(method: &Method, pattern: &str) -> Option<Access> {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    POLICY
        .iter()
        .find(|(m, p, _)| *m == method && *p == pattern)
        .map(|(_, _, a)| *a)
}

/// How the request proved who it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    Cookie,
    Token,
}

/// The signed-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: Uuid,
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

    pub fn can(&self, access: Access) -> bool {
        self.role.allows(access)
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

fn deny(req: ServiceRequest, err: AppError) -> ServiceResponse<BoxBody> {
    let res = if is_api(req.path()) {
        ApiError(err).error_response()
    } else {
        err.error_response()
    };
    req.into_response(res)
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

/// The CSRF token sent with a write: header, query string, or a field of an
/// urlencoded form (the body is read and put back for the handler).
async fn sent_csrf(req: &mut ServiceRequest) -> Result<Option<String>, actix_web::Error> {
    if let Some(h) = req.headers().get(CSRF_HEADER).and_then(|h| h.to_str().ok()) {
        return Ok(Some(h.to_owned()));
    }
    let from_query = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    if from_query.is_some() {
        return Ok(from_query);
    }
    if req.content_type() != "application/x-www-form-urlencoded" {
        return Ok(None);
    }
    let body = req.extract::<web::Bytes>().await?;
    let token = url::form_urlencoded::parse(&body)
        .find(|(k, _)| k == CSRF_FIELD)
        .map(|(_, v)| v.into_owned());
    req.set_payload(Payload::from(body));
    Ok(token)
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
        // No route matched: the handler answers 404 for anyone.
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let Some(access) = rule(req.method(), &pattern) else {
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
    if !user.can(access) {
        let msg = format!("Your role ({}) does not allow this.", user.role.label());
        return Ok(deny(req, AppError::Forbidden(msg)));
    }
    if user.via == Via::Cookie && !is_safe(req.method()) {
        let sent = sent_csrf(&mut req).await?;
        if !sent.is_some_and(|s| token::same(&s, &user.csrf)) {
            return Ok(deny(req, AppError::Forbidden(CSRF_MESSAGE.into())));
        }
    }
    req.extensions_mut().insert(user);
    Ok(next.call(req).await?.map_into_boxed_body())
}
