//! Sources (claimants).

use super::audit::{self, Entry};
use super::{Actor, WriteError};
use crate::db::schema::{claims, sources};
use crate::domain::drafts::SourceDraft;
use crate::domain::{AuditAction, AuditObjectType, ClaimStatus, SourceId, SourceType, Version};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = sources)]
pub struct Source {
    pub id: SourceId,
    pub name: String,
    pub source_type: SourceType,
    pub affiliation: Option<String>,
    pub description: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Insertable)]
#[diesel(table_name = sources)]
struct NewSource<'a> {
    id: SourceId,
    name: &'a str,
    source_type: SourceType,
    affiliation: Option<&'a str>,
    description: Option<&'a str>,
}

#[derive(Debug, AsChangeset)]
#[diesel(table_name = sources, treat_none_as_null = true)]
struct SourceChanges<'a> {
    name: &'a str,
    source_type: SourceType,
    affiliation: Option<&'a str>,
    description: Option<&'a str>,
}

/// The unique index behind "one source per name", for field errors.
pub const NAME_CONSTRAINT: &str = "sources_name_key";

pub async fn create(
    conn: &mut AsyncPgConnection,
    d: &SourceDraft,
    actor: Actor,
) -> QueryResult<Source> {
    conn.transaction(async move |conn| {
        let source = diesel::insert_into(sources::table)
            .values(NewSource {
                id: SourceId::new_v4(),
                name: &d.name,
                source_type: d.source_type,
                affiliation: d.affiliation.as_deref(),
                description: d.description.as_deref(),
            })
            .returning(Source::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Create,
                AuditObjectType::Source,
                Some(source.id),
            )
            .after(&source),
        )
        .await?;
        Ok(source)
    })
    .await
}

/// Edits a source if it is still at the version the edit was based on.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: SourceId,
    d: &SourceDraft,
    expected: Version,
    actor: Actor,
) -> Result<Source, WriteError> {
    conn.transaction(async move |conn| {
        let before: Source = sources::table
            .find(id)
            .select(Source::as_select())
            .for_update()
            .first(conn)
            .await?;
        if expected != before.version {
            return Err(WriteError::Stale {
                current: before.version,
            });
        }
        let after = diesel::update(sources::table.find(id))
            .set(SourceChanges {
                name: &d.name,
                source_type: d.source_type,
                affiliation: d.affiliation.as_deref(),
                description: d.description.as_deref(),
            })
            .returning(Source::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Update,
                AuditObjectType::Source,
                Some(id),
            )
            .before(&before)
            .after(&after),
        )
        .await?;
        Ok(after)
    })
    .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: SourceId) -> QueryResult<Source> {
    sources::table
        .find(id)
        .select(Source::as_select())
        .first(conn)
        .await
}

pub async fn find_by_name(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<Option<Source>> {
    sources::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(sources.name) = lower(")
                .bind::<diesel::sql_types::Text, _>(name.to_owned())
                .sql(")"),
        )
        .select(Source::as_select())
        .first(conn)
        .await
        .optional()
}

/// Every source, by name; small enough to list in full (hundreds, not millions).
/// Takes a shared connection so it can be pipelined with other reads.
pub async fn list(mut conn: &AsyncPgConnection) -> QueryResult<Vec<Source>> {
    sources::table
        .order(sources::name.asc())
        .select(Source::as_select())
        .load(&mut conn)
        .await
}

/// Sources with how many claims each has made.
pub async fn list_with_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(Source, i64)>> {
    sources::table
        .left_join(claims::table)
        .group_by(sources::id)
        .order(sources::name.asc())
        .select((
            Source::as_select(),
            diesel::dsl::count(claims::id.nullable()),
        ))
        .load(conn)
        .await
}

/// How this source's claims stand, per status.
pub async fn status_counts(
    conn: &mut AsyncPgConnection,
    id: SourceId,
) -> QueryResult<Vec<(ClaimStatus, i64)>> {
    claims::table
        .filter(claims::source_id.eq(id))
        .group_by(claims::status)
        .select((claims::status, diesel::dsl::count_star()))
        .load(conn)
        .await
}
