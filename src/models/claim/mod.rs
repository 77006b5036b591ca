//! Claims: the row types and reads of one claim. The board query lives in
//! [`board`], every write (each in one transaction with its history and
//! audit entry) in [`write`], an edit's before/after in [`diff`].

mod board;
mod diff;
mod figures;
mod write;

pub use board::{cursor_cmp, list, matches, ClaimFilter, ClaimPage, Cursor, Joined, MAX_PAGE};
pub use figures::{figures_for, FigureRow, NewFigure};
pub use write::{change_status, create, set_review_url, update, walk_to};

use super::history::{self, HistoryEntry};
use super::source::{self, Source};
use super::story::{self, Story};
use crate::db::schema::{claims, sources, stories};
use crate::domain::{ClaimId, ClaimStatus, Figure, SourceId, SourceType, StoryId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = claims)]
pub struct Claim {
    pub id: ClaimId,
    pub story_id: StoryId,
    pub source_id: SourceId,
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
    pub id: SourceId,
    pub name: String,
    pub source_type: SourceType,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = stories)]
pub struct StoryBrief {
    pub id: StoryId,
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

pub async fn find(conn: &mut AsyncPgConnection, id: ClaimId) -> QueryResult<Claim> {
    claims::table
        .find(id)
        .select(Claim::as_select())
        .first(conn)
        .await
}

pub async fn find_detail(conn: &mut AsyncPgConnection, id: ClaimId) -> QueryResult<ClaimDetail> {
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

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    claims::table.count().get_result(conn).await
}
