//! Merging source X into source Y: one transaction moves X's claims, chain
//! rows, grade history and names to Y and leaves X as a tombstone.

use super::{find, Source, WriteError};
use crate::db::schema::{claim_chain, claims, source_grade_history, source_names, sources};
use crate::domain::{AuditAction, AuditObjectType, FieldErrors, SourceId};
use crate::models::audit::{self, Entry};
use crate::models::Actor;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

fn refused(field: &str, message: impl Into<String>) -> WriteError {
    WriteError::Invalid(FieldErrors::single(field, message))
}

/// Both rows locked in id order, so two merges of the same pair in
/// opposite directions queue instead of deadlocking. A claim written
/// against X meanwhile waits on X's lock and then follows it to Y (trigger
/// `claimdesk_follow_merged_source`).
async fn lock_pair(
    conn: &mut AsyncPgConnection,
    from: SourceId,
    into: SourceId,
) -> Result<(Source, Source), WriteError> {
    let mut rows: Vec<Source> = sources::table
        .filter(sources::id.eq_any([from, into]))
        .order(sources::id.asc())
        .select(Source::as_select())
        .for_update()
        .load(conn)
        .await?;
    let take = |rows: &mut Vec<Source>, id| {
        rows.iter()
            .position(|s| s.id == id)
            .map(|i| rows.swap_remove(i))
    };
    let x = take(&mut rows, from).ok_or(WriteError::Db(diesel::result::Error::NotFound))?;
    let y = take(&mut rows, into).ok_or_else(|| refused("into", "No source with this id."))?;
    Ok((x, y))
}

pub async fn merge(
    conn: &mut AsyncPgConnection,
    from: SourceId,
    into: SourceId,
    reason: &str,
    actor: Actor,
) -> Result<Source, WriteError> {
    if from == into {
        // Still a 404 when the source does not exist at all.
        find(conn, from).await?;
        return Err(refused("into", "A source cannot be merged into itself."));
    }
    conn.transaction(async move |conn| {
        let (x, y) = lock_pair(conn, from, into).await?;
        if let Some(to) = x.merged_into {
            return Err(refused(
                "into",
                format!("This source was already merged into source {to}."),
            ));
        }
        if y.merged_into.is_some() {
            return Err(refused(
                "into",
                "That source was itself merged into another; merge into the one it became.",
            ));
        }
        let moved = move_claims(conn, &x, &y, actor).await?;
        let chains = diesel::update(claim_chain::table.filter(claim_chain::source_id.eq(x.id)))
            .set(claim_chain::source_id.eq(y.id))
            .execute(conn)
            .await?;
        let grades = diesel::update(
            source_grade_history::table.filter(source_grade_history::source_id.eq(x.id)),
        )
        .set(source_grade_history::source_id.eq(y.id))
        .execute(conn)
        .await?;
        // X's name and aliases become Y's aliases (the keys are unique
        // already, so nothing can clash).
        diesel::update(source_names::table.filter(source_names::source_id.eq(x.id)))
            .set((
                source_names::source_id.eq(y.id),
                source_names::is_alias.eq(true),
            ))
            .execute(conn)
            .await?;
        // Sources merged into X earlier now point at Y directly.
        diesel::update(sources::table.filter(sources::merged_into.eq(x.id)))
            .set(sources::merged_into.eq(y.id))
            .execute(conn)
            .await?;
        diesel::update(sources::table.find(x.id))
            .set((
                sources::merged_into.eq(y.id),
                sources::merged_at.eq(diesel::dsl::now),
            ))
            .execute(conn)
            .await?;
        let y_after: Source = diesel::update(sources::table.find(y.id))
            .set(sources::version.eq(sources::version + 1))
            .returning(Source::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::SourceMerge,
                AuditObjectType::Source,
                Some(x.id),
            )
            .before(&serde_json::json!({ "source": &x, "into": &y }))
            .after(&serde_json::json!({
                "merged": { "id": x.id, "name": &x.name },
                "into": { "id": y.id, "name": &y.name },
                "reason": reason,
                "claims_moved": moved,
                "chain_rows_moved": chains,
                "grade_changes_moved": grades,
            })),
        )
        .await?;
        Ok(y_after)
    })
    .await
}

/// Moves X's claims to Y, each with a history entry naming both sources.
/// Returns how many moved; a claim Y already has word for word in the same
/// story is refused (the unique index), so nothing is merged away silently.
async fn move_claims(
    conn: &mut AsyncPgConnection,
    x: &Source,
    y: &Source,
    actor: Actor,
) -> Result<usize, WriteError> {
    let ids: Vec<crate::domain::ClaimId> =
        diesel::update(claims::table.filter(claims::source_id.eq(x.id)))
            .set(claims::source_id.eq(y.id))
            .returning(claims::id)
            .get_results(conn)
            .await
            .map_err(|e| duplicate_claim(e, &x.name, &y.name))?;
    if ids.is_empty() {
        return Ok(0);
    }
    let changes = serde_json::json!({
        "source_id": { "from": x.id, "to": y.id },
        "source": { "from": &x.name, "to": &y.name },
    });
    diesel::sql_query(
        "INSERT INTO claim_history (id, claim_id, action, changes, actor_id) \
         SELECT gen_random_uuid(), c, 'edited', $2, $3 FROM unnest($1) AS c",
    )
    .bind::<diesel::sql_types::Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<diesel::sql_types::Jsonb, _>(&changes)
    .bind::<diesel::sql_types::Nullable<diesel::sql_types::Uuid>, _>(actor.id.map(uuid::Uuid::from))
    .execute(conn)
    .await?;
    Ok(ids.len())
}

fn duplicate_claim(e: diesel::result::Error, x: &str, y: &str) -> WriteError {
    use diesel::result::{DatabaseErrorKind, Error};
    match &e {
        Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info)
            if info.constraint_name() == Some("claims_story_source_quote_key") =>
        {
            refused(
                "into",
                format!("{x} and {y} both have the same claim in one story; remove one of the two first."),
            )
        }
        _ => e.into(),
    }
}
