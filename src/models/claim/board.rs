//! The claim board: filters as one SQL predicate (shared with the exports)
//! and keyset pagination on `(created_at, id)`.

use super::{Claim, ClaimRow, SourceBrief, StoryBrief};
use crate::db::schema::{claims, sources, stories};
use crate::domain::{ClaimId, ClaimStatus, SourceId, SourceType, StoryId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Bool, Timestamptz};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// Position after the last row of a page: (created_at, id), newest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub created_at: DateTime<Utc>,
    pub id: ClaimId,
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
            id: id.parse().ok()?,
        })
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimFilter {
    pub status: Option<ClaimStatus>,
    pub source_type: Option<SourceType>,
    pub source_id: Option<SourceId>,
    pub story_id: Option<StoryId>,
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
