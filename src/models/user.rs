//! Accounts and the per-account soft lock.

use super::audit::{self, Entry};
use super::Actor;
use crate::db::schema::{login_failures, sessions, users};
use crate::domain::Role;
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
    #[serde(skip)]
    pub password_hash: String,
    pub disabled_at: Option<DateTime<Utc>>,
    pub locked_until: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

impl User {
    pub fn is_disabled(&self) -> bool {
        self.disabled_at.is_some()
    }

    pub fn is_locked(&self, now: DateTime<Utc>) -> bool {
        self.locked_until.is_some_and(|t| t > now)
    }
}

pub const EMAIL_CONSTRAINT: &str = "users_email_key";
/// Failed attempts within the window that soft-lock an account.
pub const LOCK_AFTER: i64 = 10;
pub const LOCK_WINDOW_MINUTES: i64 = 15;

pub async fn create(
    conn: &mut AsyncPgConnection,
    email: &str,
    name: &str,
    role: Role,
    hash: &str,
) -> QueryResult<User> {
    create_by(conn, email, name, role, hash, Actor::SYSTEM).await
}

/// Creates an account, audited as done by `actor`.
pub async fn create_by(
    conn: &mut AsyncPgConnection,
    email: &str,
    name: &str,
    role: Role,
    hash: &str,
    actor: Actor,
) -> QueryResult<User> {
    conn.transaction(async move |conn| {
        let user: User = diesel::insert_into(users::table)
            .values((
                users::id.eq(Uuid::new_v4()),
                users::email.eq(email.trim()),
                users::name.eq(name.trim()),
                users::role.eq(role),
                users::password_hash.eq(hash),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(actor.id, "user_create", "user", Some(user.id)).after(&user),
        )
        .await?;
        Ok(user)
    })
    .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<User> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .await
}

pub async fn find_by_email(conn: &mut AsyncPgConnection, email: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(users.email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email.trim().to_owned())
                .sql(")"),
        )
        .select(User::as_select())
        .first(conn)
        .await
        .optional()
}

pub async fn list(conn: &mut AsyncPgConnection) -> QueryResult<Vec<User>> {
    users::table
        .order(users::name.asc())
        .select(User::as_select())
        .load(conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    users::table.count().get_result(conn).await
}

/// Every account change refreshes `updated_at` and bumps the version.
type Bump = (
    diesel::dsl::Eq<users::updated_at, DateTime<Utc>>,
    diesel::dsl::Eq<users::version, diesel::dsl::Add<users::version, i32>>,
);

fn bump() -> Bump {
    (
        users::updated_at.eq(Utc::now()),
        users::version.eq(users::version + 1),
    )
}

/// Changes a role; it takes effect on the user's next request.
pub async fn set_role(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    role: Role,
    actor: Actor,
) -> QueryResult<User> {
    conn.transaction(async move |conn| {
        let before = find(conn, id).await?;
        let after: User = diesel::update(users::table.find(id))
            .set((users::role.eq(role), bump()))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        let entry = Entry::new(actor.id, "role_change", "user", Some(id))
            .before(&serde_json::json!({ "role": before.role }))
            .after(&serde_json::json!({ "role": after.role }));
        audit::record(conn, entry).await?;
        Ok(after)
    })
    .await
}

/// Disabling also ends every session of the account at once.
pub async fn set_disabled(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    disabled: bool,
    actor: Actor,
) -> QueryResult<User> {
    conn.transaction(async move |conn| {
        let before = find(conn, id).await?;
        let at = disabled.then(Utc::now);
        let after: User = diesel::update(users::table.find(id))
            .set((users::disabled_at.eq(at), bump()))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        if disabled {
            diesel::delete(sessions::table.filter(sessions::user_id.eq(id)))
                .execute(conn)
                .await?;
        }
        let action = if disabled {
            "user_disable"
        } else {
            "user_enable"
        };
        let entry = Entry::new(actor.id, action, "user", Some(id))
            .before(&serde_json::json!({ "disabled_at": before.disabled_at }))
            .after(&serde_json::json!({ "disabled_at": after.disabled_at }));
        audit::record(conn, entry).await?;
        Ok(after)
    })
    .await
}

/// A new password ends every existing session of the account.
pub async fn set_password(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    hash: &str,
    actor: Actor,
) -> QueryResult<User> {
    conn.transaction(async move |conn| {
        let user: User = diesel::update(users::table.find(id))
            .set((
                users::password_hash.eq(hash),
                users::locked_until.eq(None::<DateTime<Utc>>),
                bump(),
            ))
            .returning(User::as_returning())
            .get_result(conn)
            .await?;
        diesel::delete(sessions::table.filter(sessions::user_id.eq(id)))
            .execute(conn)
            .await?;
        let action = if actor.id == Some(id) {
            "password_change"
        } else {
            "password_reset"
        };
        audit::record(conn, Entry::new(actor.id, action, "user", Some(id))).await?;
        Ok(user)
    })
    .await
}

/// Records a failed login; returns true when it just locked the account.
pub async fn record_failure(
    conn: &mut AsyncPgConnection,
    client: &str,
    user_id: Option<Uuid>,
) -> QueryResult<bool> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::client.eq(client),
            login_failures::user_id.eq(user_id),
        ))
        .execute(conn)
        .await?;
    let Some(id) = user_id else { return Ok(false) };
    let since = Utc::now() - Duration::minutes(LOCK_WINDOW_MINUTES);
    let recent: i64 = login_failures::table
        .filter(login_failures::user_id.eq(id))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)
        .await?;
    if recent < LOCK_AFTER {
        return Ok(false);
    }
    let until = Utc::now() + Duration::minutes(LOCK_WINDOW_MINUTES);
    diesel::update(users::table.find(id))
        .set(users::locked_until.eq(until))
        .execute(conn)
        .await?;
    // The lock is the penalty; the counter starts afresh when it ends.
    diesel::delete(login_failures::table.filter(login_failures::user_id.eq(id)))
        .execute(conn)
        .await?;
    Ok(true)
}

pub async fn clear_failures(conn: &mut AsyncPgConnection, user_id: Uuid) -> QueryResult<()> {
    diesel::delete(login_failures::table.filter(login_failures::user_id.eq(user_id)))
        .execute(conn)
        .await?;
    Ok(())
}

/// Failures from one client address within the window, and when the oldest expires.
pub async fn client_failures(
    conn: &mut AsyncPgConnection,
    client: &str,
    window: Duration,
) -> QueryResult<(i64, Option<DateTime<Utc>>)> {
    let since = Utc::now() - window;
    login_failures::table
        .filter(login_failures::client.eq(client))
        .filter(login_failures::at.gt(since))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(login_failures::at),
        ))
        .first(conn)
        .await
}
