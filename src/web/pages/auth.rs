//! Login and logout. Failures look the same whether or not the account
//! exists, and take the same time (a dummy hash is verified).

use crate::auth::password;
use crate::config::AuthArgs;
use crate::db::DbPool;
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, Entry};
use crate::models::session;
use crate::models::user::{self, User, LOCK_WINDOW_MINUTES};
use crate::web::access::{CurrentUser, SESSION_COOKIE};
use crate::web::{conn, ok, render, see_other};
use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use chrono::Utc;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/login", web::get().to(login_form))
        .route("/login", web::post().to(login))
        .route("/logout", web::post().to(logout));
}

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub me: Option<CurrentUser>,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub next: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

async fn login_form(q: web::Query<NextQuery>) -> AppResult<HttpResponse> {
    ok(&LoginPage {
        me: None,
        email: String::new(),
        next: q.into_inner().next,
        error: None,
    })
}

/// Only same-site paths, so the login form cannot bounce a user elsewhere.
fn safe_next(next: &str) -> &str {
    if next.starts_with('/') && !next.starts_with("//") && !next.starts_with("/\\") {
        next
    } else {
        "/"
    }
}

pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

const FAILED: &str =
    "Wrong email or password. After 10 failed attempts an account is locked for 15 minutes.";

fn session_cookie(value: String, auth: &AuthArgs) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(auth.secure_cookies)
        .finish()
}

/// The account a login may open, if the password is right.
async fn check(found: Option<&User>, password_given: String) -> AppResult<bool> {
    let now = Utc::now();
    let usable = found.filter(|u| !u.is_disabled() && !u.is_locked(now));
    let hash = usable
        .map(|u| u.password_hash.clone())
        .unwrap_or_else(|| password::dummy_hash().to_owned());
    let matches = password::verify(password_given, hash).await?;
    Ok(usable.is_some() && matches)
}

async fn login(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    auth: web::Data<AuthArgs>,
    form: web::Form<LoginForm>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let client = client_addr(&req);
    let window = chrono::Duration::minutes(LOCK_WINDOW_MINUTES);
    let found = {
        let mut c = conn(&pool).await?;
        let (failures, oldest) = user::client_failures(&mut c, &client, window).await?;
        if failures >= auth.login_limit_per_client {
            let wait = oldest
                .map(|t| (t + window - Utc::now()).num_seconds().max(1))
                .unwrap_or(60);
            return Err(AppError::TooManyRequests(
                "Too many failed logins from your address. Wait a few minutes and try again."
                    .into(),
                wait as u64,
            ));
        }
        user::find_by_email(&mut c, &form.email).await?
    };
    // No pooled connection is held while the hash is checked: a login storm
    // waits for hashing permits, not for database connections.
    let ok = check(found.as_ref(), form.password).await?;
    let mut c = conn(&pool).await?;
    if !ok {
        // A locked account's failures do not extend its lock.
        let counted = found
            .as_ref()
            .filter(|u| !u.is_locked(Utc::now()))
            .map(|u| u.id);
        user::record_failure(&mut c, &client, counted).await?;
        let entry = Entry::new(None, "login_failed", "user", found.as_ref().map(|u| u.id))
            .after(&serde_json::json!({ "email": form.email, "client": client }));
        audit::record(&mut c, entry).await?;
        let page = LoginPage {
            me: None,
            email: form.email,
            next: form.next,
            error: Some(FAILED.into()),
        };
        return render(StatusCode::UNAUTHORIZED, &page);
    }
    let Some(u) = found else {
        return Err(AppError::Unauthorized);
    };
    user::clear_failures(&mut c, u.id).await?;
    if let Some(old) = req.cookie(SESSION_COOKIE) {
        session::close(&mut c, old.value()).await?;
    }
    let opened = session::open(&mut c, u.id).await?;
    audit::record(
        &mut c,
        Entry::new(Some(u.id), "login", "user", Some(u.id))
            .after(&serde_json::json!({ "client": client })),
    )
    .await?;
    let mut res = see_other(safe_next(&form.next));
    res.add_cookie(&session_cookie(opened.token, &auth))
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

async fn logout(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    auth: web::Data<AuthArgs>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    if let Some(cookie) = req.cookie(SESSION_COOKIE) {
        session::close(&mut c, cookie.value()).await?;
    }
    audit::record(
        &mut c,
        Entry::new(Some(me.id), "logout", "user", Some(me.id)),
    )
    .await?;
    let mut res = see_other("/login");
    let mut gone = session_cookie(String::new(), &auth);
    gone.make_removal();
    res.add_cookie(&gone)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

/// Sets a fresh session cookie after a password change ended the old one.
pub async fn reopen(
    pool: &DbPool,
    auth: &AuthArgs,
    user_id: uuid::Uuid,
    res: &mut HttpResponse,
) -> AppResult<()> {
    let mut c = conn(pool).await?;
    let opened = session::open(&mut c, user_id).await?;
    res.add_cookie(&session_cookie(opened.token, auth))
        .map_err(|e| AppError::Internal(e.into()))
}
