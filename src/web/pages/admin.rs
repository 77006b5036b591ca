//! Admin pages: accounts (create, role, disable, password reset) and the
//! audit log with filters.

use crate::auth::{password, token};
use crate::db::DbPool;
use crate::domain::drafts::{UserDraft, UserInput};
use crate::domain::Access;
use crate::domain::{validation as v, FieldErrors, Role, UserId};
use crate::error::{AppError, AppResult};
use crate::models::audit::{self, AuditFilter, AuditRow};
use crate::models::user::{self, User, EMAIL_CONSTRAINT};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::routes::Routes;
use crate::web::{conn, ok, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/admin/users", Access::Admin, users)
        .post("/admin/users", Access::Admin, create_user)
        .post("/admin/users/{id}/role", Access::Admin, set_role)
        .post("/admin/users/{id}/disable", Access::Admin, disable)
        .post("/admin/users/{id}/enable", Access::Admin, enable)
        .post("/admin/users/{id}/password", Access::Admin, reset_password)
        .get("/admin/audit", Access::Admin, audit_log);
}

#[derive(Template)]
#[template(path = "admin/users.html")]
pub struct UsersPage {
    pub me: Option<CurrentUser>,
    pub users: Vec<User>,
    pub roles: Vec<Role>,
    pub form: UserInput,
    pub errors: FieldErrors,
    /// A generated password, shown once to hand to its owner.
    pub issued: Option<(String, String)>,
    pub notice: Option<String>,
}

async fn page(pool: &DbPool, me: CurrentUser) -> AppResult<UsersPage> {
    let mut c = conn(pool).await?;
    Ok(UsersPage {
        me: Some(me),
        users: user::list(&mut c).await?,
        roles: Role::ALL.to_vec(),
        form: UserInput {
            role: "reporter".into(),
            ..Default::default()
        },
        errors: FieldErrors::new(),
        issued: None,
        notice: None,
    })
}

async fn users(pool: web::Data<DbPool>, me: CurrentUser) -> AppResult<HttpResponse> {
    ok(&page(&pool, me).await?)
}

/// A random one-time password for a new or reset account.
pub fn one_time_password() -> String {
    token::generate()[..20].to_owned()
}

async fn create_user(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    form: crate::web::forms::Form<UserInput>,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let result = match UserDraft::parse(&form) {
        Ok(UserDraft { email, name, role }) => {
            let secret = one_time_password();
            let hash = password::hash(secret.clone()).await?;
            let mut c = conn(&pool).await?;
            user::create_by(&mut c, &email, &name, role, &hash, actor)
                .await
                .map(|u| (u.email, secret))
                .map_err(|e| {
                    AppError::on_constraint(
                        e,
                        EMAIL_CONSTRAINT,
                        "email",
                        "An account with this email exists.",
                    )
                })
        }
        Err(e) => Err(AppError::Validation(e)),
    };
    match result {
        Ok(issued) => render(
            StatusCode::CREATED,
            &UsersPage {
                issued: Some(issued),
                ..page(&pool, me).await?
            },
        ),
        Err(AppError::Validation(errors)) => render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UsersPage {
                form,
                errors,
                ..page(&pool, me).await?
            },
        ),
        Err(e) => Err(e),
    }
}

/// Admins cannot lock themselves out by demoting or disabling their own account.
fn not_self(me: &CurrentUser, id: UserId) -> AppResult<()> {
    if me.id == id {
        return Err(AppError::Forbidden(
            "You cannot demote or disable your own account; ask another admin.".into(),
        ));
    }
    Ok(())
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct RoleForm {
    role: String,
}

async fn set_role(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    id: web::Path<UserId>,
    form: crate::web::forms::Form<RoleForm>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    not_self(&me, id)?;
    let role = Role::parse(&form.role)
        .ok_or_else(|| AppError::Validation(FieldErrors::single("role", "Choose a role.")))?;
    let mut c = conn(&pool).await?;
    user::set_role(&mut c, id, role, Actor::user(me.id, me.role)).await?;
    Ok(see_other("/admin/users"))
}

async fn set_disabled(
    pool: &DbPool,
    me: CurrentUser,
    id: UserId,
    disabled: bool,
) -> AppResult<HttpResponse> {
    not_self(&me, id)?;
    let mut c = conn(pool).await?;
    user::set_disabled(&mut c, id, disabled, Actor::user(me.id, me.role)).await?;
    Ok(see_other("/admin/users"))
}

async fn disable(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    id: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    set_disabled(&pool, me, id.into_inner(), true).await
}

async fn enable(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    id: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    set_disabled(&pool, me, id.into_inner(), false).await
}

async fn reset_password(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    id: web::Path<UserId>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    // No connection held while hashing or while `page` takes its own.
    let target = user::find(&mut *conn(&pool).await?, id).await?;
    let secret = one_time_password();
    let hash = password::hash(secret.clone()).await?;
    user::set_password(
        &mut *conn(&pool).await?,
        id,
        &hash,
        Actor::user(me.id, me.role),
    )
    .await?;
    let notice = Some(format!(
        "Password reset for {}; their sessions were signed out.",
        target.name
    ));
    render(
        StatusCode::OK,
        &UsersPage {
            issued: Some((target.email, secret)),
            notice,
            ..page(&pool, me).await?
        },
    )
}

#[derive(Template)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    pub me: Option<CurrentUser>,
    pub rows: Vec<AuditRow>,
    pub users: Vec<User>,
    pub q: AuditQuery,
    pub next_url: Option<String>,
}

#[derive(serde::Deserialize, Default, Clone)]
#[serde(default)]
pub struct AuditQuery {
    pub user: String,
    pub object_type: String,
    pub object: String,
    pub action: String,
    pub from: String,
    pub to: String,
    pub before: String,
}

impl AuditQuery {
    fn to_filter(&self) -> AppResult<AuditFilter> {
        let bad = |what: &str| AppError::BadRequest(format!("Unknown {what} filter."));
        let opt = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        // Free-text filters go to PostgreSQL, which answers NUL with an error.
        for (what, value) in [("object type", &self.object_type), ("action", &self.action)] {
            v::plain_text(value)
                .map_err(|m| AppError::BadRequest(format!("The {what} filter: {m}")))?;
        }
        let date = |s: &str, what: &str| v::optional_datetime(Some(s)).map_err(|_| bad(what));
        Ok(AuditFilter {
            actor_id: opt(&self.user)
                .map(|u| u.parse::<UserId>().map_err(|_| bad("user")))
                .transpose()?,
            object_type: opt(&self.object_type)
                .map(|t| t.parse().map_err(|_| bad("object type")))
                .transpose()?,
            object_id: opt(&self.object)
                // Any kind of object: its type is the other filter.
                .map(|o| uuid::Uuid::parse_str(&o).map_err(|_| bad("object")))
                .transpose()?,
            action: opt(&self.action)
                .map(|a| a.parse().map_err(|_| bad("action")))
                .transpose()?,
            from: date(&self.from, "from")?,
            to: date(&self.to, "to")?.map(|t| t + chrono::Duration::days(1)),
            before_id: opt(&self.before)
                .map(|b| b.parse().map_err(|_| bad("page")))
                .transpose()?,
        })
    }

    fn next(&self, before: i64) -> String {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("user", &self.user),
            ("object_type", &self.object_type),
            ("object", &self.object),
            ("action", &self.action),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !v.is_empty() {
                s.append_pair(k, v);
            }
        }
        s.append_pair("before", &before.to_string());
        format!("/admin/audit?{}", s.finish())
    }
}

const AUDIT_PAGE: i64 = 100;

async fn audit_log(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    q: crate::web::forms::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = q.to_filter()?;
    let mut c = conn(&pool).await?;
    let rows = audit::list(&mut c, &filter, AUDIT_PAGE).await?;
    let next_url = (rows.len() as i64 == AUDIT_PAGE)
        .then(|| rows.last().map(|r| q.next(r.id)))
        .flatten();
    ok(&AuditPage {
        me: Some(me),
        users: user::list(&mut c).await?,
        rows,
        q,
        next_url,
    })
}
