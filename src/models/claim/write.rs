//! Claim writes: create, edit, status change and review URL. Each runs in
//! one transaction with its history entry and audit record; an edit or a
//! status change is refused when the claim moved past the version it was
//! based on.

use super::diff::diff;
use super::figures::{figures_for, replace_figures};
use super::{find, Claim};
use crate::db::schema::claims;
use crate::domain::drafts::{ClaimDraft, SourceRef, StatusChange, StatusChangeInput};
use crate::domain::{
    AuditAction, AuditObjectType, ClaimId, ClaimStatus, FieldErrors, HistoryAction, SourceId,
    StoryId, Version,
};
use crate::models::audit::{self, Entry};
use crate::models::history::{self, NewHistory};
use crate::models::source;
use crate::models::{Actor, WriteError};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

/// Maps constraint violations on claims to the form field they concern.
fn claim_write_error(err: DieselError) -> WriteError {
    let field = match &err {
        DieselError::DatabaseError(kind, info) => match (kind, info.constraint_name()) {
            (DatabaseErrorKind::UniqueViolation, Some("claims_story_source_quote_key")) => Some((
                "quote",
                "This exact quote from this source is already recorded in this story.",
            )),
            (DatabaseErrorKind::ForeignKeyViolation, Some("claims_story_id_fkey")) => {
                Some(("story_id", "That story does not exist."))
            }
            (DatabaseErrorKind::ForeignKeyViolation, Some("claims_source_id_fkey")) => {
                Some(("source_id", "That source does not exist."))
            }
            _ => None,
        },
        _ => None,
    };
    match field {
        Some((f, m)) => WriteError::Invalid(FieldErrors::single(f, m)),
        None => WriteError::Db(err),
    }
}

/// An existing source, or the new one named in the form (reusing a source
/// of the same name so a repeated "Rania" does not become two people).
async fn resolve_source(
    conn: &mut AsyncPgConnection,
    source: &SourceRef,
    actor: Actor,
) -> QueryResult<SourceId> {
    match source {
        SourceRef::Existing(id) => Ok(*id),
        SourceRef::New(d) => match source::find_by_name(conn, &d.name).await? {
            Some(existing) => Ok(existing.id),
            None => Ok(source::create(conn, d, actor).await?.id),
        },
    }
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = claims, treat_none_as_null = true)]
struct ClaimValues<'a> {
    story_id: StoryId,
    source_id: SourceId,
    quote: &'a str,
    is_paraphrase: bool,
    summary: Option<&'a str>,
    claimed_at: Option<DateTime<Utc>>,
    claimed_where: Option<&'a str>,
}

fn values(d: &ClaimDraft, source_id: SourceId) -> ClaimValues<'_> {
    ClaimValues {
        story_id: d.story_id,
        source_id,
        quote: &d.quote,
        is_paraphrase: d.is_paraphrase,
        summary: d.summary.as_deref(),
        claimed_at: d.claimed_at,
        claimed_where: d.claimed_where.as_deref(),
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    draft: &ClaimDraft,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let source_id = resolve_source(conn, &draft.source, actor).await?;
        let id = ClaimId::new_v4();
        let claim = diesel::insert_into(claims::table)
            .values((claims::id.eq(id), values(draft, source_id)))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await
            .map_err(claim_write_error)?;
        replace_figures(conn, id, &draft.figures).await?;
        let mut entry = NewHistory::new(id, HistoryAction::Created);
        entry.to_status = Some(claim.status);
        entry.actor_id = actor.id;
        history::append(conn, entry, &[]).await?;
        let after = serde_json::json!({ "claim": &claim, "figures": &draft.figures });
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Create,
                AuditObjectType::Claim,
                Some(id),
            )
            .after(&after),
        )
        .await?;
        Ok(claim)
    })
    .await
}

/// The claim, locked for the rest of the transaction, if it is still at
/// the version the edit was based on.
async fn lock(
    conn: &mut AsyncPgConnection,
    id: ClaimId,
    expected: Version,
) -> Result<Claim, WriteError> {
    let current: Claim = claims::table
        .find(id)
        .select(Claim::as_select())
        .for_update()
        .first(conn)
        .await?;
    if expected != current.version {
        return Err(WriteError::Stale {
            current: current.version,
        });
    }
    Ok(current)
}

/// Edits a claim; an edit that changes nothing writes nothing.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: ClaimId,
    draft: &ClaimDraft,
    expected: Version,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let before = lock(conn, id, expected).await?;
        let before_figures = figures_for(conn, id).await?;
        let source_id = resolve_source(conn, &draft.source, actor).await?;
        let proposed = Claim {
            story_id: draft.story_id,
            source_id,
            quote: draft.quote.clone(),
            is_paraphrase: draft.is_paraphrase,
            summary: draft.summary.clone(),
            claimed_at: draft.claimed_at,
            claimed_where: draft.claimed_where.clone(),
            ..before.clone()
        };
        let changes = diff(&before, &before_figures, &proposed, &draft.figures);
        if changes.is_empty() {
            return Ok(before);
        }
        // The claims trigger bumps the version for the wording, the
        // claim_figures triggers for the figures: once for both.
        if changes.keys().any(|k| k != "figures") {
            diesel::update(claims::table.find(id))
                .set(values(draft, source_id))
                .execute(conn)
                .await
                .map_err(claim_write_error)?;
        }
        if before_figures != draft.figures {
            replace_figures(conn, id, &draft.figures).await?;
        }
        let after = find(conn, id).await?;
        let mut entry = NewHistory::new(id, HistoryAction::Edited);
        entry.actor_id = actor.id;
        entry.changes = Some(serde_json::Value::Object(changes));
        history::append(conn, entry, &[]).await?;
        let before_json = serde_json::json!({ "claim": &before, "figures": &before_figures });
        let after_json = serde_json::json!({ "claim": &after, "figures": &draft.figures });
        let entry = Entry::new(
            actor.id,
            AuditAction::Update,
            AuditObjectType::Claim,
            Some(id),
        )
        .before(&before_json)
        .after(&after_json);
        audit::record(conn, entry).await?;
        Ok(after)
    })
    .await
}

/// Applies a status change checked against the locked, current status, so
/// two editors racing on one claim cannot both move it.
pub async fn change_status(
    conn: &mut AsyncPgConnection,
    id: ClaimId,
    input: &StatusChangeInput,
    expected: Version,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let current = lock(conn, id, expected).await?;
        let StatusChange {
            transition,
            evidence,
        } = input.parse(current.status).map_err(WriteError::Invalid)?;
        if !actor.role.may_transition(transition.kind) {
            return Err(WriteError::Forbidden(format!(
                "Your role ({}) cannot move a claim from {} to {}: giving or reopening a verdict is for editors.",
                actor.role.label(),
                transition.from.label(),
                transition.to.label()
            )));
        }
        let claim = diesel::update(claims::table.find(id))
            .set(claims::status.eq(transition.to))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await?;
        let mut entry = NewHistory::new(id, HistoryAction::StatusChanged);
        entry.from_status = Some(transition.from);
        entry.to_status = Some(transition.to);
        entry.reason = Some(transition.reason.clone());
        entry.actor_id = actor.id;
        history::append(conn, entry, &evidence).await?;
        let before = serde_json::json!({ "status": current.status, "version": current.version });
        let after = serde_json::json!({
            "status": claim.status,
            "version": claim.version,
            "reason": transition.reason,
            "evidence": evidence,
        });
        let entry = Entry::new(actor.id, AuditAction::StatusChange, AuditObjectType::Claim, Some(id)).before(&before).after(&after);
        audit::record(conn, entry).await?;
        Ok(claim)
    })
    .await
}

/// Records where the newsroom published its fact-check of the claim.
pub async fn set_review_url(
    conn: &mut AsyncPgConnection,
    id: ClaimId,
    url: Option<&str>,
    expected: Version,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let before = lock(conn, id, expected).await?;
        let after = diesel::update(claims::table.find(id))
            .set(claims::review_url.eq(url))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await?;
        let entry = Entry::new(
            actor.id,
            AuditAction::ReviewUrl,
            AuditObjectType::Claim,
            Some(id),
        )
        .before(&serde_json::json!({ "review_url": before.review_url }))
        .after(&serde_json::json!({ "review_url": after.review_url }));
        audit::record(conn, entry).await?;
        Ok(after)
    })
    .await
}

/// Moves a new claim to `target` the way an editor would: through review
/// first for a verdict, every step with `reason` (used by seeds and imports).
pub async fn walk_to(
    conn: &mut AsyncPgConnection,
    id: ClaimId,
    target: ClaimStatus,
    reason: &str,
    actor: Actor,
) -> Result<(), WriteError> {
    let mut path = Vec::new();
    if target != ClaimStatus::Unverified {
        path.push(ClaimStatus::InReview);
    }
    if target.is_final() {
        path.push(target);
    }
    // Each step is based on the version the previous one left.
    let mut version = Version::from(find(conn, id).await?.version);
    for to in path {
        let input = StatusChangeInput {
            status: to.as_str().into(),
            reason: reason.to_owned(),
            ..Default::default()
        };
        version = change_status(conn, id, &input, version, actor)
            .await?
            .version
            .into();
    }
    Ok(())
}
