//! The Admiralty grade an editor gives a source, with every change kept.

use super::{refuse_tombstone, Source, WriteError};
use crate::db::schema::{source_grade_history, sources, users};
use crate::domain::{AuditAction, AuditObjectType, Grade, SourceId, UserId};
use crate::models::audit::{self, Entry};
use crate::models::Actor;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

/// One change of grade: from, to, who, when, why.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct GradeChange {
    pub from: Option<Grade>,
    pub to: Grade,
    pub reason: String,
    pub by_id: Option<UserId>,
    /// The account's name, else the name an import recorded.
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// Sets the grade; the same grade again changes (and records) nothing.
pub async fn set_grade(
    conn: &mut AsyncPgConnection,
    id: SourceId,
    grade: Grade,
    reason: &str,
    actor: Actor,
) -> Result<Source, WriteError> {
    conn.transaction(async move |conn| {
        let before: Source = sources::table
            .find(id)
            .select(Source::as_select())
            .for_update()
            .first(conn)
            .await?;
        refuse_tombstone(&before)?;
        if before.grade == Some(grade) {
            return Ok(before);
        }
        let after: Source = diesel::update(sources::table.find(id))
            .set(sources::grade.eq(grade))
            .returning(Source::as_returning())
            .get_result(conn)
            .await?;
        record(conn, id, before.grade, grade, reason, actor.id, None, None).await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::GradeChange,
                AuditObjectType::Source,
                Some(id),
            )
            .before(&serde_json::json!({ "grade": before.grade }))
            .after(&serde_json::json!({ "grade": grade, "reason": reason })),
        )
        .await?;
        Ok(after)
    })
    .await
}

/// One history row; an import passes the original time and grader's name.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn record(
    conn: &mut AsyncPgConnection,
    id: SourceId,
    from: Option<Grade>,
    to: Grade,
    reason: &str,
    actor_id: Option<UserId>,
    actor_name: Option<&str>,
    at: Option<DateTime<Utc>>,
) -> QueryResult<()> {
    diesel::insert_into(source_grade_history::table)
        .values((
            source_grade_history::id.eq(uuid::Uuid::new_v4()),
            source_grade_history::source_id.eq(id),
            source_grade_history::from_grade.eq(from),
            source_grade_history::to_grade.eq(to),
            source_grade_history::reason.eq(reason),
            source_grade_history::actor_id.eq(actor_id),
            source_grade_history::actor_name.eq(actor_name),
            source_grade_history::created_at.eq(at.unwrap_or_else(Utc::now)),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// Oldest first, so the list reads as the grade's story.
pub async fn history(conn: &mut AsyncPgConnection, id: SourceId) -> QueryResult<Vec<GradeChange>> {
    source_grade_history::table
        .left_join(users::table)
        .filter(source_grade_history::source_id.eq(id))
        .order((
            source_grade_history::created_at.asc(),
            source_grade_history::id.asc(),
        ))
        .select((
            source_grade_history::from_grade,
            source_grade_history::to_grade,
            source_grade_history::reason,
            source_grade_history::actor_id,
            diesel::dsl::sql::<diesel::sql_types::Nullable<diesel::sql_types::Text>>(
                "coalesce(users.name, source_grade_history.actor_name)",
            ),
            source_grade_history::created_at,
        ))
        .load(conn)
        .await
}
