//! Periodic purge of what is no use once expired: sessions past their idle
//! or absolute lifetime, login failures older than the lock window, and
//! import uploads never confirmed within a day (their preview rows go with
//! them, by cascade). Each DELETE is indexed and bounded in size, so a run
//! stays cheap however much has piled up; a backlog drains over runs.

use super::session::Lifetimes;
use super::user::LOCK_WINDOW_MINUTES;
use chrono::{DateTime, Duration, Utc};
use diesel::sql_types::{BigInt, Timestamptz};
use diesel::QueryResult;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Most rows one run deletes from each table.
pub const BATCH: i64 = 5_000;
/// Imports hold whole files: fewer per run.
pub const IMPORT_BATCH: i64 = 500;
/// How long an unconfirmed import (and its preview) is kept.
pub const IMPORT_RETENTION_HOURS: i64 = 24;

/// Rows deleted by one run.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Purged {
    pub sessions: usize,
    pub login_failures: usize,
    pub imports: usize,
}

impl Purged {
    pub fn total(&self) -> usize {
        self.sessions + self.login_failures + self.imports
    }
}

/// One purge, as of `now`.
pub async fn run(
    conn: &mut AsyncPgConnection,
    life: Lifetimes,
    now: DateTime<Utc>,
) -> QueryResult<Purged> {
    Ok(Purged {
        sessions: expired_sessions(conn, life, now).await?,
        login_failures: old_login_failures(conn, now).await?,
        imports: stale_imports(conn, now).await?,
    })
}

/// Sessions that `session::lookup` would refuse: idle too long or too old.
pub async fn expired_sessions(
    conn: &mut AsyncPgConnection,
    life: Lifetimes,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM sessions WHERE token_hash IN ( \
             SELECT token_hash FROM sessions \
             WHERE last_seen_at <= $1 OR created_at <= $2 LIMIT $3)",
    )
    .bind::<Timestamptz, _>(now - life.idle)
    .bind::<Timestamptz, _>(now - life.absolute)
    .bind::<BigInt, _>(BATCH)
    .execute(conn)
    .await
}

/// Failures older than the window in which they lock an account or limit
/// an address: they no longer count for anything.
pub async fn old_login_failures(
    conn: &mut AsyncPgConnection,
    now: DateTime<Utc>,
) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM login_failures WHERE id IN ( \
             SELECT id FROM login_failures WHERE at < $1 LIMIT $2)",
    )
    .bind::<Timestamptz, _>(now - Duration::minutes(LOCK_WINDOW_MINUTES))
    .bind::<BigInt, _>(BATCH)
    .execute(conn)
    .await
}

/// Uploads left unconfirmed for a day, with their previews.
pub async fn stale_imports(conn: &mut AsyncPgConnection, now: DateTime<Utc>) -> QueryResult<usize> {
    diesel::sql_query(
        "DELETE FROM imports WHERE id IN ( \
             SELECT id FROM imports \
             WHERE confirmed_at IS NULL AND created_at < $1 LIMIT $2)",
    )
    .bind::<Timestamptz, _>(now - Duration::hours(IMPORT_RETENTION_HOURS))
    .bind::<BigInt, _>(IMPORT_BATCH)
    .execute(conn)
    .await
}
