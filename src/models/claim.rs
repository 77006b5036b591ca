//! Claims: the board query (keyset pagination), detail, create, edit and
//! status changes. Every write runs in one transaction with its history.

use super::audit::{self, Entry};
use super::history::{self, HistoryEntry, NewHistory};
use super::source::{self, Source};
use super::story::{self, Story};
use super::{Actor, WriteError};
use crate::db::schema::{claim_figures, claims, sources, stories};
use crate::domain::drafts::{ClaimDraft, SourceRef, StatusChange, StatusChangeInput};
use crate::domain::{ClaimStatus, FieldErrors, Figure, SourceType, Version};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::result::{DatabaseErrorKind, Error as DieselError};
use diesel::sql_types::{Bool, Timestamptz};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = claims)]
pub struct Claim {
    pub id: Uuid,
    pub story_id: Uuid,
    pub source_id: Uuid,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
    pub status: ClaimStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
    /// Where the newsroom published its fact-check of this claim.
    pub review_url: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = sources)]
pub struct SourceBrief {
    pub id: Uuid,
    pub name: String,
    pub source_type: SourceType,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = stories)]
pub struct StoryBrief {
    pub id: Uuid,
    pub title: String,
}

/// One line of the claim board.
#[derive(Debug, Clone, Queryable, Serialize)]
pub struct ClaimRow {
    #[serde(flatten)]
    pub claim: Claim,
    pub source: SourceBrief,
    pub story: StoryBrief,
}

/// Position after the last row of a page: (created_at, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    /// Opaque but readable: microseconds since the epoch and the id.
    pub fn encode(&self) -> String {
        format!("{}_{}", self.created_at.timestamp_micros(), self.id)
    }

    pub fn decode(s: &str) -> Option<Cursor> {
        let (micros, id) = s.split_once('_')?;
        Some(Cursor {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimFilter {
    pub status: Option<ClaimStatus>,
    pub source_type: Option<SourceType>,
    pub source_id: Option<Uuid>,
    pub story_id: Option<Uuid>,
    /// Words that must appear in the quote or summary (case-insensitive).
    pub text: Option<String>,
    /// Claimed on or after this day (UTC).
    pub from: Option<DateTime<Utc>>,
    /// Claimed before this instant (the day after the chosen end date).
    pub until: Option<DateTime<Utc>>,
    pub after: Option<Cursor>,
}

pub struct ClaimPage {
    pub rows: Vec<ClaimRow>,
    pub next: Option<Cursor>,
}

pub const MAX_PAGE: i64 = 200;

/// The tables the board and the exports read from.
pub type Joined = diesel::helper_types::InnerJoinQuerySource<
    diesel::helper_types::InnerJoinQuerySource<claims::table, sources::table>,
    stories::table,
>;
type Predicate = Box<dyn BoxableExpression<Joined, diesel::pg::Pg, SqlType = Bool>>;

/// The filter as one SQL predicate, shared by the board and the exports.
pub fn matches(f: &ClaimFilter) -> Predicate {
    let mut p: Predicate = Box::new(diesel::dsl::sql::<Bool>("TRUE"));
    if let Some(s) = f.status {
        p = Box::new(p.and(claims::status.eq(s)));
    }
    if let Some(t) = f.source_type {
        p = Box::new(p.and(sources::source_type.eq(t)));
    }
    if let Some(id) = f.source_id {
        p = Box::new(p.and(claims::source_id.eq(id)));
    }
    if let Some(id) = f.story_id {
        p = Box::new(p.and(claims::story_id.eq(id)));
    }
    if let Some(text) = &f.text {
        let pattern = format!("%{}%", escape_like(text));
        let in_summary = claims::summary.ilike(pattern.clone()).assume_not_null();
        p = Box::new(p.and(claims::quote.ilike(pattern).or(in_summary)));
    }
    if let Some(from) = f.from {
        p = Box::new(p.and(claims::claimed_at.ge(from).assume_not_null()));
    }
    if let Some(until) = f.until {
        p = Box::new(p.and(claims::claimed_at.lt(until).assume_not_null()));
    }
    p
}

/// Searched words are literal: `%` and `_` match themselves.
fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// `(created_at, id) <op> cursor`: a row comparison lets PostgreSQL start
/// the index scan at the cursor instead of skipping rows.
pub fn cursor_cmp(
    c: Cursor,
    op: &'static str,
) -> diesel::expression::SqlLiteral<
    Bool,
    impl diesel::query_builder::QueryFragment<diesel::pg::Pg> + Send,
> {
    diesel::dsl::sql::<Bool>("(claims.created_at, claims.id) ")
        .sql(op)
        .sql(" (")
        .bind::<Timestamptz, _>(c.created_at)
        .sql(", ")
        .bind::<diesel::sql_types::Uuid, _>(c.id)
        .sql(")")
}

impl ClaimFilter {
    /// No filter and no cursor: the board's default view, the hot path.
    fn is_plain(&self) -> bool {
        *self == ClaimFilter::default()
    }
}

/// The board: filtered, newest first, keyset-paginated so deep pages cost
/// the same as the first. Takes a shared connection so it can be pipelined
/// with other reads.
pub async fn list(
    mut conn: &AsyncPgConnection,
    f: &ClaimFilter,
    limit: i64,
) -> QueryResult<ClaimPage> {
    let limit = limit.clamp(1, MAX_PAGE);
    let base = claims::table
        .inner_join(sources::table)
        .inner_join(stories::table)
        .select((
            Claim::as_select(),
            SourceBrief::as_select(),
            StoryBrief::as_select(),
        ))
        .order((claims::created_at.desc(), claims::id.desc()))
        .limit(limit + 1);
    let mut rows: Vec<ClaimRow> = if f.is_plain() {
        // A fixed query is prepared once per connection; a boxed one is
        // planned again on every request.
        base.load(&mut conn).await?
    } else {
        let mut q = base.into_boxed().filter(matches(f));
        if let Some(c) = f.after {
            q = q.filter(cursor_cmp(c, "<"));
        }
        q.load(&mut conn).await?
    };
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            created_at: r.claim.created_at,
            id: r.claim.id,
        })
    } else {
        None
    };
    Ok(ClaimPage { rows, next })
}

/// A claim with everything its page shows.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimDetail {
    #[serde(flatten)]
    pub claim: Claim,
    pub source: Source,
    pub story: Story,
    pub figures: Vec<Figure>,
    pub history: Vec<HistoryEntry>,
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Claim> {
    claims::table
        .find(id)
        .select(Claim::as_select())
        .first(conn)
        .await
}

pub async fn find_detail(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<ClaimDetail> {
    let claim = find(conn, id).await?;
    let source = source::find(conn, claim.source_id).await?;
    let story = story::find(conn, claim.story_id).await?;
    let figures = figures_for(conn, id).await?;
    let history = history::for_claim(conn, id).await?;
    Ok(ClaimDetail {
        claim,
        source,
        story,
        figures,
        history,
    })
}

type FigureRow = (String, i64, Option<i64>, Option<chrono::NaiveDate>);

pub async fn figures_for(conn: &mut AsyncPgConnection, claim_id: Uuid) -> QueryResult<Vec<Figure>> {
    let rows: Vec<FigureRow> = claim_figures::table
        .filter(claim_figures::claim_id.eq(claim_id))
        .order(claim_figures::position.asc())
        .select((
            claim_figures::label,
            claim_figures::value_min,
            claim_figures::value_max,
            claim_figures::as_of,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(label, min, max, as_of)| Figure {
            label,
            min,
            max,
            as_of,
        })
        .collect())
}

/// A `claim_figures` row: one figure of a claim, at its position.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = claim_figures)]
pub struct NewFigure<'a> {
    id: Uuid,
    claim_id: Uuid,
    label: &'a str,
    value_min: i64,
    value_max: Option<i64>,
    as_of: Option<chrono::NaiveDate>,
    position: i32,
}

impl NewFigure<'_> {
    /// The rows of one claim's figures, in the order given.
    pub fn for_claim(claim_id: Uuid, figures: &[Figure]) -> impl Iterator<Item = NewFigure<'_>> {
        figures.iter().enumerate().map(move |(i, f)| NewFigure {
            id: Uuid::new_v4(),
            claim_id,
            label: &f.label,
            value_min: f.min,
            value_max: f.max,
            as_of: f.as_of,
            position: i as i32,
        })
    }
}

async fn replace_figures(
    conn: &mut AsyncPgConnection,
    claim_id: Uuid,
    figures: &[Figure],
) -> QueryResult<()> {
    diesel::delete(claim_figures::table.filter(claim_figures::claim_id.eq(claim_id)))
        .execute(conn)
        .await?;
    let rows: Vec<NewFigure> = NewFigure::for_claim(claim_id, figures).collect();
    diesel::insert_into(claim_figures::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

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
) -> QueryResult<Uuid> {
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
    story_id: Uuid,
    source_id: Uuid,
    quote: &'a str,
    is_paraphrase: bool,
    summary: Option<&'a str>,
    claimed_at: Option<DateTime<Utc>>,
    claimed_where: Option<&'a str>,
    updated_at: DateTime<Utc>,
}

fn values(d: &ClaimDraft, source_id: Uuid, now: DateTime<Utc>) -> ClaimValues<'_> {
    ClaimValues {
        story_id: d.story_id,
        source_id,
        quote: &d.quote,
        is_paraphrase: d.is_paraphrase,
        summary: d.summary.as_deref(),
        claimed_at: d.claimed_at,
        claimed_where: d.claimed_where.as_deref(),
        updated_at: now,
    }
}

pub async fn create(
    conn: &mut AsyncPgConnection,
    draft: &ClaimDraft,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let source_id = resolve_source(conn, &draft.source, actor).await?;
        let now = Utc::now();
        let id = Uuid::new_v4();
        let claim = diesel::insert_into(claims::table)
            .values((
                claims::id.eq(id),
                claims::created_at.eq(now),
                values(draft, source_id, now),
            ))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await
            .map_err(claim_write_error)?;
        replace_figures(conn, id, &draft.figures).await?;
        let mut entry = NewHistory::new(id, "created");
        entry.to_status = Some(claim.status);
        entry.actor_id = actor.id;
        history::append(conn, entry, &[]).await?;
        let after = serde_json::json!({ "claim": &claim, "figures": &draft.figures });
        audit::record(
            conn,
            Entry::new(actor.id, "create", "claim", Some(id)).after(&after),
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
    id: Uuid,
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

/// Before/after of every field an edit changed, for the history.
fn diff(
    before: &Claim,
    before_figures: &[Figure],
    after: &Claim,
    after_figures: &[Figure],
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let (b, a) = (serde_json::to_value(before), serde_json::to_value(after));
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) = (b, a) else {
        return out;
    };
    for key in [
        "story_id",
        "source_id",
        "quote",
        "is_paraphrase",
        "summary",
        "claimed_at",
        "claimed_where",
    ] {
        if b.get(key) != a.get(key) {
            out.insert(
                key.into(),
                serde_json::json!({ "from": b.get(key), "to": a.get(key) }),
            );
        }
    }
    if before_figures != after_figures {
        out.insert(
            "figures".into(),
            serde_json::json!({ "from": before_figures, "to": after_figures }),
        );
    }
    out
}

/// Edits a claim; an edit that changes nothing writes nothing.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: Uuid,
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
        let after = diesel::update(claims::table.find(id))
            .set((
                values(draft, source_id, Utc::now()),
                claims::version.eq(claims::version + 1),
            ))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await
            .map_err(claim_write_error)?;
        replace_figures(conn, id, &draft.figures).await?;
        let mut entry = NewHistory::new(id, "edited");
        entry.actor_id = actor.id;
        entry.changes = Some(serde_json::Value::Object(changes));
        history::append(conn, entry, &[]).await?;
        let before_json = serde_json::json!({ "claim": &before, "figures": &before_figures });
        let after_json = serde_json::json!({ "claim": &after, "figures": &draft.figures });
        let entry = Entry::new(actor.id, "update", "claim", Some(id))
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
    id: Uuid,
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
            .set((
                claims::status.eq(transition.to),
                claims::updated_at.eq(Utc::now()),
                claims::version.eq(claims::version + 1),
            ))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await?;
        let mut entry = NewHistory::new(id, "status_changed");
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
        let entry = Entry::new(actor.id, "status_change", "claim", Some(id)).before(&before).after(&after);
        audit::record(conn, entry).await?;
        Ok(claim)
    })
    .await
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    claims::table.count().get_result(conn).await
}

/// Records where the newsroom published its fact-check of the claim.
pub async fn set_review_url(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    url: Option<&str>,
    expected: Version,
    actor: Actor,
) -> Result<Claim, WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let before = lock(conn, id, expected).await?;
        let after = diesel::update(claims::table.find(id))
            .set((
                claims::review_url.eq(url),
                claims::updated_at.eq(Utc::now()),
            ))
            .returning(Claim::as_returning())
            .get_result(conn)
            .await?;
        let entry = Entry::new(actor.id, "review_url", "claim", Some(id))
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
    id: Uuid,
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
