//! Sources (claimants), their aliases, merges, grades and track record.

pub mod grade;
pub mod merge;
pub mod names;
pub mod record;

use super::audit::{self, Entry};
use super::{Actor, WriteError};
use crate::db::schema::{claims, source_names, sources};
use crate::domain::drafts::SourceDraft;
use crate::domain::{
    AuditAction, AuditObjectType, ClaimStatus, FieldErrors, Grade, SourceId, SourceType, Version,
};
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
    /// Admiralty reliability; null until an editor grades the source.
    pub grade: Option<Grade>,
    /// Set on a tombstone: the source this one was merged into.
    pub merged_into: Option<SourceId>,
    pub merged_at: Option<DateTime<Utc>>,
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
/// The one name space of names and aliases: a new source's name that is
/// already another source's alias fails here.
pub const NAMES_CONSTRAINT: &str = "source_names_pkey";

/// A taken name (by another source's name or alias) as a message on `field`.
pub fn name_taken(e: diesel::result::Error, field: &str) -> crate::error::AppError {
    use diesel::result::{DatabaseErrorKind, Error};
    let message = "A source with this name (or alias) already exists.";
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if matches!(
                info.constraint_name(),
                Some(NAME_CONSTRAINT | NAMES_CONSTRAINT)
            ) =>
        {
            crate::error::AppError::Validation(FieldErrors::single(field, message))
        }
        _ => e.into(),
    }
}

/// Creates a source; aliases another source already holds are skipped
/// (seeds and the claim form's "new source" never send any).
pub async fn create(
    conn: &mut AsyncPgConnection,
    d: &SourceDraft,
    actor: Actor,
) -> QueryResult<Source> {
    insert(conn, d, actor).await.map(|(s, _)| s)
}

/// Creates a source, refusing aliases that belong to another source.
pub async fn create_checked(
    conn: &mut AsyncPgConnection,
    d: &SourceDraft,
    actor: Actor,
) -> Result<Source, WriteError> {
    conn.transaction(async move |conn| {
        let (source, clashes) = insert(conn, d, actor).await?;
        names::refuse_clashes(&clashes)?;
        Ok(source)
    })
    .await
}

async fn insert(
    conn: &mut AsyncPgConnection,
    d: &SourceDraft,
    actor: Actor,
) -> QueryResult<(Source, Vec<String>)> {
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
        let wanted = d.aliases.clone().unwrap_or_default();
        let clashes = names::replace_aliases(conn, &source, &wanted).await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Create,
                AuditObjectType::Source,
                Some(source.id),
            )
            .after(&with_aliases(&source, &wanted)),
        )
        .await?;
        Ok((source, clashes))
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
        refuse_tombstone(&before)?;
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
        match &d.aliases {
            Some(wanted) => names::set_aliases(conn, &after, wanted, actor).await,
            None => Ok(after),
        }
    })
    .await
}

/// The source's JSON with its aliases beside its fields, for the audit.
fn with_aliases(source: &Source, aliases: &[String]) -> serde_json::Value {
    let mut v = serde_json::to_value(source).unwrap_or_default();
    if let Some(m) = v.as_object_mut() {
        m.insert("aliases".into(), serde_json::json!(aliases));
    }
    v
}

/// A merged source is kept only to point at its successor: no more edits.
pub(crate) fn refuse_tombstone(s: &Source) -> Result<(), WriteError> {
    match s.merged_into {
        Some(into) => Err(WriteError::Invalid(FieldErrors::single(
            "merged_into",
            format!("This source was merged into source {into}; change that one instead."),
        ))),
        None => Ok(()),
    }
}

pub async fn find(conn: &mut AsyncPgConnection, id: SourceId) -> QueryResult<Source> {
    sources::table
        .find(id)
        .select(Source::as_select())
        .first(conn)
        .await
}

/// The live source known by this name or alias (any case). A merged
/// source's name is an alias of the source it became, so this never
/// answers a tombstone.
pub async fn find_by_name(conn: &mut AsyncPgConnection, name: &str) -> QueryResult<Option<Source>> {
    sources::table
        .inner_join(source_names::table)
        .filter(source_names::name_key.eq(name.trim().to_lowercase()))
        .filter(sources::merged_into.is_null())
        .select(Source::as_select())
        .first(conn)
        .await
        .optional()
}

/// A source with its aliases, for pickers: reads as a [`Source`].
#[derive(Debug, Clone, Queryable)]
pub struct Listed {
    pub source: Source,
    pub aliases: Vec<String>,
}

impl std::ops::Deref for Listed {
    type Target = Source;
    fn deref(&self) -> &Source {
        &self.source
    }
}

impl Listed {
    /// "Ahmed al-Sharaa (Abu Mohammed al-Jolani)": a picker's label, so
    /// typing any of the names finds the source.
    pub fn names(&self) -> String {
        if self.aliases.is_empty() {
            self.source.name.clone()
        } else {
            format!("{} ({})", self.source.name, self.aliases.join(", "))
        }
    }
}

/// Every live source with its aliases, by name; small enough to list in
/// full (hundreds, not millions). Takes a shared connection so it can be
/// pipelined with other reads.
pub async fn list(mut conn: &AsyncPgConnection) -> QueryResult<Vec<Listed>> {
    sources::table
        .filter(sources::merged_into.is_null())
        .order(sources::name.asc())
        .select((
            Source::as_select(),
            diesel::dsl::sql::<diesel::sql_types::Array<diesel::sql_types::Text>>(
                "coalesce((SELECT array_agg(n.name ORDER BY n.name_key) FROM source_names n \
                  WHERE n.source_id = sources.id AND n.is_alias), '{}')",
            ),
        ))
        .load(&mut conn)
        .await
}

/// Live sources with how many claims each has made; `q` keeps those with a
/// name or alias containing it (any case).
pub async fn list_with_counts(
    conn: &mut AsyncPgConnection,
    q: Option<&str>,
) -> QueryResult<Vec<(Source, i64)>> {
    let mut query = sources::table
        .left_join(claims::table)
        .filter(sources::merged_into.is_null())
        .group_by(sources::id)
        .order(sources::name.asc())
        .select((
            Source::as_select(),
            diesel::dsl::count(claims::id.nullable()),
        ))
        .into_boxed();
    if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
        let pattern = format!("%{}%", names::escape_like(&q.to_lowercase()));
        query = query.filter(diesel::dsl::exists(
            source_names::table
                .filter(source_names::source_id.eq(sources::id))
                .filter(source_names::name_key.like(pattern)),
        ));
    }
    query.load(conn).await
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
