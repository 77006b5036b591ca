//! Stories: the pieces in which claims appear.

use super::audit::{self, Entry};
use super::{Actor, WriteError};
use crate::db::schema::{claims, stories};
use crate::domain::drafts::StoryDraft;
use crate::domain::{AuditAction, AuditObjectType, ClaimStatus, StoryId, Version};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable, Serialize)]
#[diesel(table_name = stories)]
pub struct Story {
    pub id: StoryId,
    pub title: String,
    pub outlet: String,
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub dateline: Option<String>,
    pub notes: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: i32,
}

#[derive(Debug, Insertable, AsChangeset)]
#[diesel(table_name = stories, treat_none_as_null = true)]
struct StoryValues<'a> {
    title: &'a str,
    outlet: &'a str,
    url: Option<&'a str>,
    published_at: Option<DateTime<Utc>>,
    dateline: Option<&'a str>,
    notes: Option<&'a str>,
}

impl<'a> From<&'a StoryDraft> for StoryValues<'a> {
    fn from(d: &'a StoryDraft) -> Self {
        StoryValues {
            title: &d.title,
            outlet: &d.outlet,
            url: d.url.as_deref(),
            published_at: d.published_at,
            dateline: d.dateline.as_deref(),
            notes: d.notes.as_deref(),
        }
    }
}

/// The unique index behind "one story per URL", for field errors.
pub const URL_CONSTRAINT: &str = "stories_url_key";

pub async fn create(
    conn: &mut AsyncPgConnection,
    d: &StoryDraft,
    actor: Actor,
) -> QueryResult<Story> {
    conn.transaction(async move |conn| {
        let story = diesel::insert_into(stories::table)
            .values((stories::id.eq(StoryId::new_v4()), StoryValues::from(d)))
            .returning(Story::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Create,
                AuditObjectType::Story,
                Some(story.id),
            )
            .after(&story),
        )
        .await?;
        Ok(story)
    })
    .await
}

/// Edits a story if it is still at the version the edit was based on.
pub async fn update(
    conn: &mut AsyncPgConnection,
    id: StoryId,
    d: &StoryDraft,
    expected: Version,
    actor: Actor,
) -> Result<Story, WriteError> {
    conn.transaction(async move |conn| {
        let before: Story = stories::table
            .find(id)
            .select(Story::as_select())
            .for_update()
            .first(conn)
            .await?;
        if expected != before.version {
            return Err(WriteError::Stale {
                current: before.version,
            });
        }
        let after = diesel::update(stories::table.find(id))
            .set(StoryValues::from(d))
            .returning(Story::as_returning())
            .get_result(conn)
            .await?;
        audit::record(
            conn,
            Entry::new(
                actor.id,
                AuditAction::Update,
                AuditObjectType::Story,
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

pub async fn find(conn: &mut AsyncPgConnection, id: StoryId) -> QueryResult<Story> {
    stories::table
        .find(id)
        .select(Story::as_select())
        .first(conn)
        .await
}

/// A story is the same story when its URL matches, or, without a URL, its
/// title and outlet do; used by the seed loader and imports.
pub async fn find_matching(
    conn: &mut AsyncPgConnection,
    d: &StoryDraft,
) -> QueryResult<Option<Story>> {
    let query = stories::table.select(Story::as_select()).into_boxed();
    let query = match &d.url {
        Some(url) => query.filter(stories::url.eq(url.clone())),
        None => query
            .filter(stories::title.eq(d.title.clone()))
            .filter(stories::outlet.eq(d.outlet.clone())),
    };
    query.first(conn).await.optional()
}

pub async fn list_with_counts(conn: &mut AsyncPgConnection) -> QueryResult<Vec<(Story, i64)>> {
    stories::table
        .left_join(claims::table)
        .group_by(stories::id)
        .order((stories::created_at.desc(), stories::id.desc()))
        .select((
            Story::as_select(),
            diesel::dsl::count(claims::id.nullable()),
        ))
        .load(conn)
        .await
}

/// Every story's id and title, newest first: cheap enough for a filter menu.
/// Takes a shared connection so it can be pipelined with the board's reads.
pub async fn list_titles(mut conn: &AsyncPgConnection) -> QueryResult<Vec<(StoryId, String)>> {
    stories::table
        .order((stories::created_at.desc(), stories::id.desc()))
        .select((stories::id, stories::title))
        .load(&mut conn)
        .await
}

pub async fn count(conn: &mut AsyncPgConnection) -> QueryResult<i64> {
    stories::table.count().get_result(conn).await
}

pub async fn status_counts(
    conn: &mut AsyncPgConnection,
    id: StoryId,
) -> QueryResult<Vec<(ClaimStatus, i64)>> {
    claims::table
        .filter(claims::story_id.eq(id))
        .group_by(claims::status)
        .select((claims::status, diesel::dsl::count_star()))
        .load(conn)
        .await
}
