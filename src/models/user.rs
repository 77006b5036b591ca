//! Accounts and the per-account soft lock.

use super::audit::{self, Entry};
use super::Actor;
use crate::db::schema::{login_failures, sessions, users};
use crate::domain::{Role, UserId};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = users)]
pub struct User {
    pub id: UserId,
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
                users::id.eq(UserId::new_v4()),
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

pub async fn find(conn: &mut AsyncPgConnection, id: UserId) -> QueryResult<User> {
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
    id: UserId,
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

/// Disabling also ends every session of the account at once and revokes
/// its API tokens.
pub async fn set_disabled(
    conn: &mut AsyncPgConnection,
    id: UserId,
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
            // Revoked for good: enabling the account again must not revive them.
            super::session::revoke_all_tokens(conn, id).await?;
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
    id: UserId,
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
        // A reset also lifts the lock: its failures no longer count.
        clear_failures(conn, id).await?;
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

/// What the sign-in gate decided for one attempt, before any hash is checked.
#[derive(Debug)]
pub enum Admission {
    /// The address has used up its failures for the window: answer 429.
    ClientLimited { retry_after_seconds: i64 },
    /// The account is locked, or its window's guesses are all taken (some
    /// may still be in flight): refused without checking the password.
    AccountLimited { user: User },
    /// Counted as a failure (row `attempt`) until the password proves right.
    Admitted { attempt: i64, user: Option<User> },
}

/// Serialises sign-in attempts on one key for the rest of the transaction.
async fn advisory_lock(conn: &mut AsyncPgConnection, key: &str) -> QueryResult<()> {
    diesel::sql_query("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))")
        .bind::<diesel::sql_types::Text, _>(key)
        .execute(conn)
        .await
        .map(|_| ())
}

/// Failures that count against an account: those in the window that are
/// still attached to it. A success or a lock detaches them (`user_id` set to
/// NULL) instead of deleting them, so they stay counted for the address that
/// sent them.
async fn account_failures(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<i64> {
    let since = Utc::now() - Duration::minutes(LOCK_WINDOW_MINUTES);
    login_failures::table
        .filter(login_failures::user_id.eq(user_id))
        .filter(login_failures::at.gt(since))
        .count()
        .get_result(conn)
        .await
}

async fn insert_attempt(
    conn: &mut AsyncPgConnection,
    client: &str,
    user_id: Option<UserId>,
) -> QueryResult<i64> {
    diesel::insert_into(login_failures::table)
        .values((
            login_failures::client.eq(client),
            login_failures::user_id.eq(user_id),
        ))
        .returning(login_failures::id)
        .get_result(conn)
        .await
}

/// Counts a sign-in attempt and decides on it, before the password is
/// checked, in one short transaction: the address's advisory lock, then the
/// account's row lock (always in that order), so that however many attempts
/// arrive at once, at most `client_limit` per address and [`LOCK_AFTER`] per
/// account are ever let through to the hash in a window. The attempt is
/// recorded as a failure; [`login_succeeded`] takes it back.
pub async fn admit_login(
    conn: &mut AsyncPgConnection,
    client: &str,
    email: &str,
    client_limit: i64,
) -> QueryResult<Admission> {
    let client = client.to_owned();
    let email = email.trim().to_owned();
    conn.transaction(async move |conn| {
        advisory_lock(conn, &format!("claimdesk.login.client:{client}")).await?;
        let window = Duration::minutes(LOCK_WINDOW_MINUTES);
        let (failures, oldest) = client_failures(conn, &client, window).await?;
        if failures >= client_limit {
            let retry_after_seconds = oldest
                .map(|t| (t + window - Utc::now()).num_seconds().max(1))
                .unwrap_or(60);
            return Ok(Admission::ClientLimited {
                retry_after_seconds,
            });
        }
        let user: Option<User> = users::table
            .filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(users.email) = lower(")
                    .bind::<diesel::sql_types::Text, _>(email)
                    .sql(")"),
            )
            .select(User::as_select())
            .for_update()
            .first(conn)
            .await
            .optional()?;
        let Some(user) = user else {
            let attempt = insert_attempt(conn, &client, None).await?;
            return Ok(Admission::Admitted {
                attempt,
                user: None,
            });
        };
        if user.is_locked(Utc::now()) || account_failures(conn, user.id).await? >= LOCK_AFTER {
            // Counted for the address only: it neither extends nor feeds the lock.
            insert_attempt(conn, &client, None).await?;
            return Ok(Admission::AccountLimited { user });
        }
        let attempt = insert_attempt(conn, &client, Some(user.id)).await?;
        Ok(Admission::Admitted {
            attempt,
            user: Some(user),
        })
    })
    .await
}

/// The password was wrong: the attempt stays counted, and the account is
/// locked once its failures reach [`LOCK_AFTER`]. A lock in force is never
/// extended. Returns true when this call locked the account.
pub async fn login_failed(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<bool> {
    conn.transaction(async move |conn| {
        let user: User = users::table
            .find(user_id)
            .select(User::as_select())
            .for_update()
            .first(conn)
            .await?;
        let now = Utc::now();
        if user.is_locked(now) || account_failures(conn, user.id).await? < LOCK_AFTER {
            return Ok(false);
        }
        diesel::update(users::table.find(user_id))
            .set(users::locked_until.eq(now + Duration::minutes(LOCK_WINDOW_MINUTES)))
            .execute(conn)
            .await?;
        // The lock is the penalty: the account's count starts afresh when it
        // ends. Its failures stay counted for the addresses that sent them.
        clear_failures(conn, user_id).await?;
        Ok(true)
    })
    .await
}

/// The password was right: the attempt was not a failure after all, and the
/// account's count starts afresh (its earlier failures still count for the
/// addresses that sent them). A lock set while this attempt was being
/// checked is lifted: it was one of the guesses the limit allowed.
pub async fn login_succeeded(
    conn: &mut AsyncPgConnection,
    attempt: i64,
    user_id: UserId,
) -> QueryResult<()> {
    conn.transaction(async move |conn| {
        diesel::delete(login_failures::table.find(attempt))
            .execute(conn)
            .await?;
        diesel::update(
            users::table
                .find(user_id)
                .filter(users::locked_until.is_not_null()),
        )
        .set(users::locked_until.eq(None::<DateTime<Utc>>))
        .execute(conn)
        .await?;
        clear_failures(conn, user_id).await
    })
    .await
}

/// Detaches the account's failures from it without deleting them: the
/// per-address limit still counts them.
pub async fn clear_failures(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<()> {
    diesel::update(login_failures::table.filter(login_failures::user_id.eq(user_id)))
        .set(login_failures::user_id.eq(None::<UserId>))
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
