//! Login and logout. Failures look the same whether or not the account
//! exists, and take the same time (a dummy hash is verified).
//!
//! Every attempt is counted and decided on before its password is checked
//! ([`user::admit_login`]), so a burst of guesses cannot outrun the limits.
//! The form carries a pre-session CSRF token (login CSRF) and a cross-site
//! `Origin` is refused.

use crate::auth::{gate, password, token};
use crate::config::AuthArgs;
use crate::db::DbPool;
use crate::domain::Access;
use crate::domain::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, Entry};
use crate::models::session;
use crate::models::user::{self, Admission, User};
use crate::web::access::{self, CurrentUser, CSRF_FIELD, SESSION_COOKIE};
use crate::web::routes::Routes;
use crate::web::{conn, render, see_other};
use actix_web::cookie::{time, Cookie, SameSite};
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/login", Access::Public, login_form)
        .post("/login", Access::Public, login)
        .post("/logout", Access::Read, logout);
}

/// Longest e-mail address, in characters.
pub const EMAIL_MAX: usize = crate::domain::validation::MAX_EMAIL;
/// Longest password accepted at sign-in, in bytes (the policy allows 128
/// characters; anything longer is not a password of this desk).
pub const PASSWORD_MAX_BYTES: usize = 1024;
/// The pre-session CSRF cookie, sent only to /login.
pub const LOGIN_CSRF_COOKIE: &str = "claimdesk_login_csrf";
const LOGIN_CSRF_MINUTES: i64 = 60;

#[derive(Template)]
#[template(path = "auth/login.html")]
pub struct LoginPage {
    pub me: Option<CurrentUser>,
    pub email: String,
    pub next: String,
    pub error: Option<String>,
    pub errors: FieldErrors,
    pub csrf: String,
}

impl LoginPage {
    fn new(csrf: String, next: String) -> Self {
        LoginPage {
            me: None,
            email: String::new(),
            next,
            error: None,
            errors: FieldErrors::new(),
            csrf,
        }
    }
}

/// The sign-in form's fields, decoded strictly (no U+FFFD for bad UTF-8).
#[derive(Default)]
pub struct LoginForm {
    pub email: String,
    pub password: String,
    pub next: String,
    pub csrf_token: String,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct NextQuery {
    next: String,
}

/// The token of the login CSRF cookie, if the request carries a well-formed one.
fn login_csrf_cookie(req: &HttpRequest) -> Option<String> {
    req.cookie(LOGIN_CSRF_COOKIE)
        .map(|c| c.value().to_owned())
        .filter(|v| v.len() == 64 && v.bytes().all(|b| b.is_ascii_hexdigit()))
}

fn csrf_cookie(value: String, auth: &AuthArgs) -> Cookie<'static> {
    Cookie::build(LOGIN_CSRF_COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/login")
        .max_age(time::Duration::minutes(LOGIN_CSRF_MINUTES))
        .secure(auth.secure_cookies)
        .finish()
}

/// Renders the login page; a fresh pre-session token is set when the
/// browser has none.
fn login_page(
    req: &HttpRequest,
    auth: &AuthArgs,
    status: StatusCode,
    build: impl FnOnce(String) -> LoginPage,
) -> AppResult<HttpResponse> {
    let (csrf, fresh) = match login_csrf_cookie(req) {
        Some(t) => (t, false),
        None => (token::generate(), true),
    };
    let mut res = render(status, &build(csrf.clone()))?;
    if fresh {
        res.add_cookie(&csrf_cookie(csrf, auth))
            .map_err(|e| AppError::Internal(e.into()))?;
    }
    Ok(res)
}

async fn login_form(
    req: HttpRequest,
    auth: web::Data<AuthArgs>,
    q: web::Query<NextQuery>,
) -> AppResult<HttpResponse> {
    let next = safe_next(&q.next);
    login_page(&req, &auth, StatusCode::OK, |csrf| {
        LoginPage::new(csrf, next)
    })
}

/// Where to go after signing in: a path on this site, or `/`.
///
/// Browsers strip TAB, CR and LF anywhere in a URL, trim control characters
/// and spaces, read `\` as `/` and decode percent-escapes in places, so the
/// check is made on the value as a browser would see it: decoded, stripped,
/// backslashes turned. The value returned has its control characters and
/// whitespace removed and anything outside visible ASCII percent-encoded, so
/// it is always a valid `Location` header.
pub fn safe_next(next: &str) -> String {
    let cleaned: String = next
        .chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect();
    let mut seen = cleaned.clone();
    // Decode until stable (bounded), so %252F%252F is judged as //.
    for _ in 0..4 {
        let decoded = percent_encoding::percent_decode(seen.as_bytes())
            .decode_utf8_lossy()
            .into_owned();
        let decoded: String = decoded
            .chars()
            .filter(|c| !c.is_control() && !c.is_whitespace())
            .collect();
        if decoded == seen {
            break;
        }
        seen = decoded;
    }
    let seen = seen.replace('\\', "/");
    let on_site = |s: &str| s.starts_with('/') && !s.starts_with("//");
    if !on_site(&seen) || !on_site(&cleaned.replace('\\', "/")) {
        return "/".into();
    }
    let mut out = String::with_capacity(cleaned.len());
    for b in cleaned.bytes() {
        if b.is_ascii_graphic() {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decodes an `application/x-www-form-urlencoded` body, refusing invalid
/// UTF-8 instead of replacing it. Repeated fields keep their first value.
pub fn parse_form(body: &[u8]) -> Option<Vec<(String, String)>> {
    crate::web::forms::check_utf8(body).ok()?;
    Some(url::form_urlencoded::parse(body).into_owned().collect())
}

impl LoginForm {
    fn parse(body: &[u8]) -> Option<LoginForm> {
        let mut form = LoginForm::default();
        let mut seen = std::collections::HashSet::new();
        for (k, v) in parse_form(body)? {
            if !seen.insert(k.clone()) {
                continue;
            }
            match k.as_str() {
                "email" => form.email = v,
                "password" => form.password = v,
                "next" => form.next = v,
                CSRF_FIELD => form.csrf_token = v,
                _ => {}
            }
        }
        Some(form)
    }

    /// Bounds what a sign-in may carry, before anything is hashed or written.
    fn problems(&self) -> FieldErrors {
        let mut errors = FieldErrors::new();
        if self.email.chars().count() > EMAIL_MAX {
            errors.add(
                "email",
                format!("An email address has at most {EMAIL_MAX} characters."),
            );
        } else if self.email.contains('\0') {
            errors.add(
                "email",
                "The email contains a NUL character; type it again.",
            );
        } else if self.email.chars().any(char::is_control) {
            errors.add(
                "email",
                "The email contains control characters; type it again.",
            );
        }
        if self.password.len() > PASSWORD_MAX_BYTES {
            errors.add(
                "password",
                format!("A password has at most {PASSWORD_MAX_BYTES} bytes."),
            );
        }
        errors
    }
}

pub fn client_addr(req: &HttpRequest) -> String {
    req.peer_addr()
        .map(|a| a.ip().to_string())
        .unwrap_or_else(|| "unknown".into())
}

const FAILED: &str =
    "Wrong email or password. After 10 failed attempts an account is locked for 15 minutes.";
const NOT_UTF8: &str =
    "The form was not sent as UTF-8 text, so it was not read. Reload the page and sign in again.";
const LOGIN_CSRF_MESSAGE: &str = "This sign-in form has expired or did not come from this site, so nothing was checked. Sign in again with the form below.";

fn session_cookie(value: String, auth: &AuthArgs) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, value)
        .http_only(true)
        .same_site(SameSite::Lax)
        .path("/")
        .secure(auth.secure_cookies)
        .finish()
}

/// Whether the password opens `user` (None: no usable account). An unusable
/// account is checked against the dummy hash, so it takes the same time.
async fn check(user: Option<&User>, password_given: String) -> AppResult<bool> {
    let usable = user.filter(|u| !u.is_disabled());
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
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    if let Some(refused) = access::cross_site_refusal(&req) {
        return Err(refused);
    }
    let Some(form) = LoginForm::parse(&body) else {
        return login_page(&req, &auth, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            LoginPage {
                error: Some(NOT_UTF8.into()),
                ..LoginPage::new(csrf, "/".into())
            }
        });
    };
    let next = safe_next(&form.next);
    let expected = login_csrf_cookie(&req);
    if !expected.is_some_and(|t| token::same(&t, &form.csrf_token)) {
        return login_page(&req, &auth, StatusCode::FORBIDDEN, |csrf| LoginPage {
            error: Some(LOGIN_CSRF_MESSAGE.into()),
            ..LoginPage::new(csrf, next)
        });
    }
    let errors = form.problems();
    if !errors.is_empty() {
        let email = if errors.get("email").is_some() {
            String::new()
        } else {
            form.email
        };
        return login_page(&req, &auth, StatusCode::UNPROCESSABLE_ENTITY, |csrf| {
            LoginPage {
                email,
                errors,
                ..LoginPage::new(csrf, next)
            }
        });
    }
    let client = client_addr(&req);
    let admission = {
        // Queue here, in memory, in the same order as the database's locks
        // (address, then account), before taking a pooled connection. The
        // settings' address names this server (its workers share them), so
        // servers in one process (the tests) keep separate queues.
        let server = std::ptr::from_ref::<AuthArgs>(&auth) as usize;
        let _by_address = gate::turn(&format!("{server:x}:client:{client}")).await;
        let email_key = form.email.trim().to_lowercase();
        let _by_account = gate::turn(&format!("{server:x}:account:{email_key}")).await;
        let mut c = conn(&pool).await?;
        user::admit_login(&mut c, &client, &form.email, auth.login_limit_per_client).await?
    };
    // No pooled connection is held while the hash is checked: a login storm
    // waits for hashing permits, not for database connections.
    let (attempt, found, ok) = match admission {
        Admission::ClientLimited {
            retry_after_seconds,
        } => {
            return Err(AppError::TooManyRequests(
                "Too many failed logins from your address. Wait a few minutes and try again."
                    .into(),
                retry_after_seconds.max(1) as u64,
            ))
        }
        Admission::AccountLimited { user } => {
            // Same answer and same time as a wrong password: the dummy hash.
            check(None, form.password).await?;
            let entry = Entry::new(None, "login_refused", "user", Some(user.id)).after(
                &serde_json::json!({ "email": form.email, "client": client, "reason": "locked" }),
            );
            audit::record(&mut *conn(&pool).await?, entry).await?;
            return failed_page(&req, &auth, form.email, next);
        }
        Admission::Admitted { attempt, user } => {
            let ok = check(user.as_ref(), form.password).await?;
            (attempt, user, ok)
        }
    };
    let mut c = conn(&pool).await?;
    let user = match found {
        Some(u) if ok => u,
        found => {
            if let Some(u) = &found {
                user::login_failed(&mut c, u.id).await?;
            }
            let entry = Entry::new(None, "login_failed", "user", found.as_ref().map(|u| u.id))
                .after(&serde_json::json!({ "email": form.email, "client": client }));
            audit::record(&mut c, entry).await?;
            return failed_page(&req, &auth, form.email, next);
        }
    };
    user::login_succeeded(&mut c, attempt, user.id).await?;
    if let Some(old) = req.cookie(SESSION_COOKIE) {
        session::close(&mut c, old.value()).await?;
    }
    let opened = session::open(&mut c, user.id).await?;
    audit::record(
        &mut c,
        Entry::new(Some(user.id), "login", "user", Some(user.id))
            .after(&serde_json::json!({ "client": client })),
    )
    .await?;
    let mut res = see_other(&next);
    res.add_cookie(&session_cookie(opened.token, &auth))
        .map_err(|e| AppError::Internal(e.into()))?;
    let mut spent = csrf_cookie(String::new(), &auth);
    spent.make_removal();
    res.add_cookie(&spent)
        .map_err(|e| AppError::Internal(e.into()))?;
    Ok(res)
}

fn failed_page(
    req: &HttpRequest,
    auth: &AuthArgs,
    email: String,
    next: String,
) -> AppResult<HttpResponse> {
    login_page(req, auth, StatusCode::UNAUTHORIZED, |csrf| LoginPage {
        email,
        error: Some(FAILED.into()),
        ..LoginPage::new(csrf, next)
    })
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
    user_id: crate::domain::UserId,
    res: &mut HttpResponse,
) -> AppResult<()> {
    let mut c = conn(pool).await?;
    let opened = session::open(&mut c, user_id).await?;
    res.add_cookie(&session_cookie(opened.token, auth))
        .map_err(|e| AppError::Internal(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_stays_on_this_site() {
        let hostile = [
            "",
            "evil.example",
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "/\t/evil.example",
            "/\r\n/evil.example",
            "/\n/evil.example",
            "/\u{0b}/evil.example",
            "/\u{0c}/evil.example",
            " //evil.example",
            "\t//evil.example",
            "/%09/evil.example",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "%2F%2Fevil.example",
            "/%5Cevil.example",
            "/%5cevil.example",
            "/%255C/evil.example",
            "/%252F%252Fevil.example",
            "/\u{0}/evil.example",
            "/%00/evil.example",
            "/\u{a0}/evil.example",
            "/\u{2028}/evil.example",
            "javascript:alert(1)",
            "%2Fjavascript:alert(1)",
            "http:/evil.example",
            "data:text/html,<script>alert(1)</script>",
        ];
        for h in hostile {
            assert_eq!(safe_next(h), "/", "{h:?}");
        }
    }

    #[test]
    fn same_site_paths_are_kept_and_made_header_safe() {
        let cases = [
            ("/", "/"),
            (
                "/claims?status=disputed&q=a%26b",
                "/claims?status=disputed&q=a%26b",
            ),
            ("/stories/1#top", "/stories/1#top"),
            ("/claims?q=\r\nSet-Cookie:x=1", "/claims?q=Set-Cookie:x=1"),
            ("/claims?q=دمشق", "/claims?q=%D8%AF%D9%85%D8%B4%D9%82"),
            ("/a b", "/ab"),
        ];
        for (input, want) in cases {
            assert_eq!(safe_next(input), want, "{input:?}");
        }
        for (input, _) in cases {
            let out = safe_next(input);
            assert!(out.bytes().all(|b| b.is_ascii_graphic()), "{out:?}");
        }
    }

    #[test]
    fn forms_are_decoded_strictly() {
        let f = parse_form(b"email=a%40b.org&password=x+y%2B&next=%2F").unwrap_or_default();
        assert_eq!(
            f,
            vec![
                ("email".into(), "a@b.org".into()),
                ("password".into(), "x y+".into()),
                ("next".into(), "/".into())
            ]
        );
        assert!(parse_form(b"email=%FF%FE").is_none());
        assert!(parse_form(b"email=\xff").is_none());
        assert_eq!(
            parse_form(b"email=%00").unwrap_or_default(),
            vec![("email".into(), "\0".into())]
        );
    }
}
