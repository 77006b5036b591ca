//! A user's own page: password change and personal API tokens.

use super::auth::reopen;
use crate::auth::password;
use crate::config::AuthArgs;
use crate::db::DbPool;
use crate::domain::Access;
use crate::domain::{self, FieldErrors, TokenId};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, Entry};
use crate::models::session::{self, ApiToken};
use crate::models::{user, Actor};
use crate::web::access::CurrentUser;
use crate::web::routes::Routes;
use crate::web::{conn, ok, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/profile", Access::Read, show)
        .post("/profile/password", Access::Read, change_password)
        .post("/profile/tokens", Access::Read, create_token)
        .post("/profile/tokens/{id}/revoke", Access::Read, revoke_token);
}

#[derive(Template)]
#[template(path = "auth/profile.html")]
pub struct ProfilePage {
    pub me: Option<CurrentUser>,
    pub tokens: Vec<ApiToken>,
    /// Shown once, right after creation.
    pub new_token: Option<String>,
    pub errors: FieldErrors,
    pub notice: Option<String>,
}

async fn page(pool: &DbPool, me: CurrentUser) -> AppResult<ProfilePage> {
    let mut c = conn(pool).await?;
    let tokens = session::tokens_for(&mut c, me.id).await?;
    Ok(ProfilePage {
        me: Some(me),
        tokens,
        new_token: None,
        errors: FieldErrors::new(),
        notice: None,
    })
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct Saved {
    saved: String,
}

async fn show(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    q: crate::web::forms::Query<Saved>,
) -> AppResult<HttpResponse> {
    let mut p = page(&pool, me).await?;
    if q.saved == "password" {
        p.notice = Some("Password changed. Your other sessions were signed out.".into());
    }
    ok(&p)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct PasswordForm {
    current_password: String,
    new_password: String,
}

async fn change_password(
    pool: web::Data<DbPool>,
    auth: web::Data<AuthArgs>,
    me: CurrentUser,
    form: crate::web::forms::Form<PasswordForm>,
) -> AppResult<HttpResponse> {
    // One pooled connection at a time, and none held while hashing: a
    // second checkout while holding the first can starve a small pool.
    let stored = user::find(&mut *conn(&pool).await?, me.id)
        .await?
        .password_hash;
    let mut errors = FieldErrors::new();
    if !password::verify(form.current_password.clone(), stored).await? {
        errors.add("current_password", "That is not your current password.");
    }
    if let Err(m) = domain::password::check(&form.new_password) {
        errors.add("new_password", m);
    } else if form.new_password == form.current_password {
        errors.add(
            "new_password",
            "The new password is the same as the current one. Choose a different one.",
        );
    }
    if !errors.is_empty() {
        let p = ProfilePage {
            errors,
            ..page(&pool, me).await?
        };
        return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
    }
    let hash = password::hash(form.new_password.clone()).await?;
    user::set_password(
        &mut *conn(&pool).await?,
        me.id,
        &hash,
        Actor::user(me.id, me.role),
    )
    .await?;
    let mut res = see_other("/profile?saved=password");
    reopen(&pool, &auth, me.id, &mut res).await?;
    Ok(res)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct TokenForm {
    name: String,
}

async fn create_token(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    form: crate::web::forms::Form<TokenForm>,
) -> AppResult<HttpResponse> {
    let name = match domain::validation::required(&form.name, domain::validation::MAX_TOKEN_NAME) {
        Ok(n) => n,
        Err(m) => {
            let p = ProfilePage {
                errors: FieldErrors::single("name", m),
                ..page(&pool, me).await?
            };
            return render(StatusCode::UNPROCESSABLE_ENTITY, &p);
        }
    };
    let secret = {
        let mut c = conn(&pool).await?;
        let (token, secret) = session::create_token(&mut c, me.id, &name).await?;
        audit::record(
            &mut c,
            Entry::new(Some(me.id), "token_create", "api_token", Some(token.id)).after(&token),
        )
        .await?;
        secret
    };
    let p = ProfilePage {
        new_token: Some(secret),
        ..page(&pool, me).await?
    };
    render(StatusCode::CREATED, &p)
}

async fn revoke_token(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    id: web::Path<TokenId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let revoked = session::revoke_token(&mut c, me.id, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut c,
        Entry::new(Some(me.id), "token_revoke", "api_token", Some(id)).after(&revoked),
    )
    .await?;
    Ok(see_other("/profile"))
}
