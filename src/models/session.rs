//! Server-side sessions and personal API tokens.

use super::user::User;
use crate::auth::token;
use crate::db::schema::{api_tokens, sessions, users};
use crate::domain::{TokenId, UserId};
use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

/// Idle and absolute lifetimes, enforced here on every lookup.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    pub idle: Duration,
    pub absolute: Duration,
}

/// A freshly opened session: the cookie value and the CSRF token.
pub struct NewSession {
    pub token: String,
    pub csrf: String,
}

pub async fn open(conn: &mut AsyncPgConnection, user_id: UserId) -> QueryResult<NewSession> {
    let (tok, csrf) = (token::generate(), token::generate());
    diesel::insert_into(sessions::table)
        .values((
            sessions::token_hash.eq(token::digest(&tok)),
            sessions::user_id.eq(user_id),
            sessions::csrf_token.eq(&csrf),
        ))
        .execute(conn)
        .await?;
    Ok(NewSession { token: tok, csrf })
}

/// The live session for a cookie value: not idle too long, not too old, and
/// its user not disabled. Refreshes the idle clock (at most every 15 s, to
/// spare a write per request, or every half idle period if that is shorter).
pub async fn lookup(
    conn: &mut AsyncPgConnection,
    tok: &str,
    life: Lifetimes,
) -> QueryResult<Option<(User, String)>> {
    let now = Utc::now();
    let hash = token::digest(tok);
    let found: Option<(User, String, DateTime<Utc>)> = sessions::table
        .inner_join(users::table)
        .filter(sessions::token_hash.eq(&hash))
        .filter(sessions::last_seen_at.gt(now - life.idle))
        .filter(sessions::created_at.gt(now - life.absolute))
        .filter(users::disabled_at.is_null())
        .select((
            User::as_select(),
            sessions::csrf_token,
            sessions::last_seen_at,
        ))
        .first(conn)
        .await
        .optional()?;
    let Some((user, csrf, seen)) = found else {
        return Ok(None);
    };
    if now - seen > Duration::seconds(15).min(life.idle / 2) {
        diesel::update(sessions::table.find(&hash))
            .set(sessions::last_seen_at.eq(now))
            .execute(conn)
            .await?;
    }
    Ok(Some((user, csrf)))
}

pub async fn close(conn: &mut AsyncPgConnection, tok: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(token::digest(tok)))
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = api_tokens)]
pub struct ApiToken {
    pub id: TokenId,
    pub user_id: UserId,
    pub name: String,
    pub created_at: DateTime<Utc>,
    pub last_used_at: Option<DateTime<Utc>>,
    pub revoked_at: Option<DateTime<Utc>>,
}

/// Creates a token; the secret is returned once and only its hash is kept.
pub async fn create_token(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    name: &str,
) -> QueryResult<(ApiToken, String)> {
    let secret = format!("cd_{}", token::generate());
    let row = diesel::insert_into(api_tokens::table)
        .values((
            api_tokens::id.eq(TokenId::new_v4()),
            api_tokens::user_id.eq(user_id),
            api_tokens::name.eq(name),
            api_tokens::token_hash.eq(token::digest(&secret)),
        ))
        .returning(ApiToken::as_returning())
        .get_result(conn)
        .await?;
    Ok((row, secret))
}

pub async fn tokens_for(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<Vec<ApiToken>> {
    api_tokens::table
        .filter(api_tokens::user_id.eq(user_id))
        .order(api_tokens::created_at.desc())
        .select(ApiToken::as_select())
        .load(conn)
        .await
}

/// Revokes one of the user's own tokens; returns the token if it existed.
pub async fn revoke_token(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
    id: TokenId,
) -> QueryResult<Option<ApiToken>> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::id.eq(id))
            .filter(api_tokens::user_id.eq(user_id)),
    )
    .set(api_tokens::revoked_at.eq(Some(Utc::now())))
    .returning(ApiToken::as_returning())
    .get_result(conn)
    .await
    .optional()
}

/// Revokes every live token of an account (when it is disabled).
pub async fn revoke_all_tokens(
    conn: &mut AsyncPgConnection,
    user_id: UserId,
) -> QueryResult<usize> {
    diesel::update(
        api_tokens::table
            .filter(api_tokens::user_id.eq(user_id))
            .filter(api_tokens::revoked_at.is_null()),
    )
    .set(api_tokens::revoked_at.eq(Some(Utc::now())))
    .execute(conn)
    .await
}

pub async fn user_for_token(
    conn: &mut AsyncPgConnection,
    secret: &str,
) -> QueryResult<Option<User>> {
    let hash = token::digest(secret);
    let user: Option<(TokenId, User)> = api_tokens::table
        .inner_join(users::table)
        .filter(api_tokens::token_hash.eq(&hash))
        .filter(api_tokens::revoked_at.is_null())
        .filter(users::disabled_at.is_null())
        .select((api_tokens::id, User::as_select()))
        .first(conn)
        .await
        .optional()?;
    let Some((id, user)) = user else {
        return Ok(None);
    };
    diesel::update(api_tokens::table.find(id))
        .set(api_tokens::last_used_at.eq(Some(Utc::now())))
        .execute(conn)
        .await?;
    Ok(Some(user))
}
