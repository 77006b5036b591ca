//! Imports: the stored upload, its preview against the database, and the
//! all-or-nothing confirm.

use super::audit::{self, Entry};
use super::{claim, source, story, Actor, WriteError};
use crate::db::schema::{claims, imports};
use crate::domain::drafts::{ClaimDraft, SourceRef};
use crate::domain::import::{self, ImportRow, RowError};
use crate::domain::Role;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use uuid::Uuid;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: Uuid,
    pub user_id: Option<Uuid>,
    pub filename: String,
    pub content: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created: Option<i32>,
    pub skipped: Option<i32>,
}

pub async fn save(
    conn: &mut AsyncPgConnection,
    user: Option<Uuid>,
    filename: &str,
    content: &str,
) -> QueryResult<Import> {
    diesel::insert_into(imports::table)
        .values((
            imports::id.eq(Uuid::new_v4()),
            imports::user_id.eq(user),
            imports::filename.eq(filename),
            imports::content.eq(content),
        ))
        .returning(Import::as_returning())
        .get_result(conn)
        .await
}

pub async fn find(conn: &mut AsyncPgConnection, id: Uuid) -> QueryResult<Import> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .await
}

/// Replaces the content of an unconfirmed import (a corrected preview).
pub async fn revise(conn: &mut AsyncPgConnection, id: Uuid, content: &str) -> QueryResult<Import> {
    diesel::update(
        imports::table
            .find(id)
            .filter(imports::confirmed_at.is_null()),
    )
    .set((
        imports::content.eq(content),
        imports::updated_at.eq(Utc::now()),
    ))
    .returning(Import::as_returning())
    .get_result(conn)
    .await
}

/// What confirming would do.
#[derive(Debug, Default)]
pub struct Preview {
    pub create: Vec<ImportRow>,
    pub duplicates: Vec<ImportRow>,
    pub invalid: Vec<RowError>,
    /// A problem with the whole file (not CSV, missing columns).
    pub file_error: Option<String>,
}

impl Preview {
    pub fn can_confirm(&self) -> bool {
        self.file_error.is_none() && !self.create.is_empty()
    }
}

async fn existing_claim(conn: &mut AsyncPgConnection, row: &ImportRow) -> QueryResult<bool> {
    let Some(st) = story::find_matching(conn, &row.story).await? else {
        return Ok(false);
    };
    let Some(src) = source::find_by_name(conn, &row.source.name).await? else {
        return Ok(false);
    };
    let n: i64 = claims::table
        .filter(claims::story_id.eq(st.id))
        .filter(claims::source_id.eq(src.id))
        .filter(claims::quote.eq(&row.quote))
        .count()
        .get_result(conn)
        .await?;
    Ok(n > 0)
}

/// What confirming `content` would do for someone with `role`.
pub async fn preview(
    conn: &mut AsyncPgConnection,
    content: &str,
    role: Role,
) -> QueryResult<Preview> {
    let parsed = match import::parse(content) {
        Ok(p) => p,
        Err(e) => {
            return Ok(Preview {
                file_error: Some(e),
                ..Default::default()
            })
        }
    };
    let mut p = Preview {
        invalid: parsed.errors,
        ..Default::default()
    };
    let mut seen = std::collections::HashSet::new();
    for row in parsed.rows {
        // Verdicts need an editor; better said per row now than refused at confirm.
        if row.status.is_final() && !role.allows(crate::domain::Access::Edit) {
            let reason = format!(
                "status: your role ({}) cannot import a verdict ({})",
                role.label(),
                row.status.as_str()
            );
            p.invalid.push(RowError {
                line: row.line,
                reason,
            });
            continue;
        }
        // A row repeated inside the file is a duplicate too; a story is the
        // same story by URL when it has one, as `story::find_matching` decides.
        let story_key = match &row.story.url {
            Some(u) => (u.clone(), String::new()),
            None => (row.story.title.clone(), row.story.outlet.clone()),
        };
        let key = (story_key, row.source.name.to_lowercase(), row.quote.clone());
        if !seen.insert(key) || existing_claim(conn, &row).await? {
            p.duplicates.push(row);
        } else {
            p.create.push(row);
        }
    }
    Ok(p)
}

/// Imports every new row in one transaction; returns (created, skipped).
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    id: Uuid,
    actor: Actor,
) -> Result<(usize, usize), WriteError> {
    conn.transaction::<_, WriteError, _>(async move |conn| {
        let imp: Import = imports::table
            .find(id)
            .select(Import::as_select())
            .for_update()
            .first(conn)
            .await?;
        if imp.confirmed_at.is_some() {
            return Err(WriteError::Invalid(crate::domain::FieldErrors::single(
                "import",
                "This import was already confirmed.",
            )));
        }
        let p = preview(conn, &imp.content, actor.role).await?;
        if let Some(e) = p.file_error {
            return Err(WriteError::Invalid(crate::domain::FieldErrors::single(
                "content", e,
            )));
        }
        for row in &p.create {
            create_row(conn, row, actor).await?;
        }
        let (created, skipped) = (p.create.len(), p.duplicates.len() + p.invalid.len());
        diesel::update(imports::table.find(id))
            .set((
                imports::confirmed_at.eq(Some(Utc::now())),
                imports::created.eq(Some(created as i32)),
                imports::skipped.eq(Some(skipped as i32)),
            ))
            .execute(conn)
            .await?;
        let after =
            serde_json::json!({ "file": imp.filename, "created": created, "skipped": skipped });
        audit::record(
            conn,
            Entry::new(actor.id, "import", "import", Some(id)).after(&after),
        )
        .await?;
        Ok((created, skipped))
    })
    .await
}

async fn create_row(
    conn: &mut AsyncPgConnection,
    row: &ImportRow,
    actor: Actor,
) -> Result<(), WriteError> {
    let st = match story::find_matching(conn, &row.story).await? {
        Some(s) => s,
        None => story::create(conn, &row.story, actor).await?,
    };
    let draft = ClaimDraft {
        story_id: st.id,
        source: SourceRef::New(row.source.clone()),
        quote: row.quote.clone(),
        is_paraphrase: row.is_paraphrase,
        summary: row.summary.clone(),
        claimed_at: row.claimed_at,
        claimed_where: row.claimed_where.clone(),
        figures: Vec::new(),
    };
    let created = claim::create(conn, &draft, actor).await?;
    let reason = row.status_reason.clone().unwrap_or_default();
    claim::walk_to(conn, created.id, row.status, &reason, actor).await?;
    Ok(())
}
