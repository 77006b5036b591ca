//! Reading claims for export in keyset batches: each batch is one short
//! query, so a download of any size holds little memory and no connection
//! between batches.

use super::claim::{Claim, ClaimFilter, Cursor, FigureRow};
use super::history::{self, HistoryEntry};
use super::source::Source;
use super::story::Story;
use crate::db::schema::{claim_figures, claim_history, claims, evidence, sources, stories};
use crate::domain::{ClaimId, Figure, HistoryAction};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use std::collections::HashMap;

/// Everything an export writes about one claim.
#[derive(Debug, Clone, Serialize)]
pub struct ExportClaim {
    #[serde(flatten)]
    pub claim: Claim,
    pub source: ExportSource,
    pub story: Story,
    pub figures: Vec<Figure>,
    /// Reason given for the latest status change, if any.
    pub status_reason: Option<String>,
    /// When the current status was set (the verdict date for final statuses).
    pub status_changed_at: Option<DateTime<Utc>>,
    pub evidence: Vec<String>,
    /// Full history, oldest first; only loaded for nested formats.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub history: Option<Vec<HistoryEntry>>,
}

/// The source of an exported claim: its row with its aliases and grade
/// history, so an import can restore both. Reads as a [`Source`].
#[derive(Debug, Clone, Serialize)]
pub struct ExportSource {
    #[serde(flatten)]
    pub source: Source,
    pub aliases: Vec<String>,
    pub grade_history: Vec<super::source::grade::GradeChange>,
}

impl std::ops::Deref for ExportSource {
    type Target = Source;
    fn deref(&self) -> &Source {
        &self.source
    }
}

impl From<Source> for ExportSource {
    fn from(source: Source) -> Self {
        ExportSource {
            source,
            aliases: Vec::new(),
            grade_history: Vec::new(),
        }
    }
}

/// Aliases and grade history of the batch's sources, looked up once each.
async fn export_sources(
    conn: &mut AsyncPgConnection,
    rows: &[(Claim, Source, Story)],
) -> QueryResult<HashMap<crate::domain::SourceId, ExportSource>> {
    let mut out: HashMap<crate::domain::SourceId, ExportSource> = HashMap::new();
    for (_, s, _) in rows {
        out.entry(s.id)
            .or_insert_with(|| ExportSource::from(s.clone()));
    }
    let ids: Vec<_> = out.keys().copied().collect();
    let mut aliases = super::source::names::aliases_for(conn, &ids).await?;
    for (id, e) in out.iter_mut() {
        e.aliases = aliases.remove(id).unwrap_or_default();
        if e.source.grade.is_some() {
            e.grade_history = super::source::grade::history(conn, *id).await?;
        }
    }
    Ok(out)
}

pub const BATCH: i64 = 1000;

/// One batch after `after`, oldest first so exports read naturally.
pub async fn batch(
    conn: &mut AsyncPgConnection,
    f: &ClaimFilter,
    after: Option<Cursor>,
    limit: i64,
    with_history: bool,
) -> QueryResult<Vec<ExportClaim>> {
    let mut q = claims::table
        .inner_join(sources::table)
        .inner_join(stories::table)
        .select((Claim::as_select(), Source::as_select(), Story::as_select()))
        .order((claims::created_at.asc(), claims::id.asc()))
        .limit(limit)
        .into_boxed();
    q = q.filter(super::claim::matches(f));
    if let Some(c) = after {
        q = q.filter(super::claim::cursor_cmp(c, ">"));
    }
    let rows: Vec<(Claim, Source, Story)> = q.load(conn).await?;
    let ids: Vec<ClaimId> = rows.iter().map(|(c, _, _)| c.id).collect();
    let mut figures = figures_for(conn, &ids).await?;
    let mut links = evidence_for(conn, &ids).await?;
    let latest = latest_status_changes(conn, &ids).await?;
    let sources = export_sources(conn, &rows).await?;
    let mut histories = if with_history {
        Some(history::for_claims(conn, &ids).await?)
    } else {
        None
    };
    let mut out = Vec::with_capacity(rows.len());
    for (claim, source, story) in rows {
        let id = claim.id;
        let history = histories
            .as_mut()
            .map(|h| oldest_first(h.remove(&id).unwrap_or_default()));
        let (status_reason, status_changed_at) = latest.get(&id).cloned().unzip();
        out.push(ExportClaim {
            claim,
            source: sources
                .get(&source.id)
                .cloned()
                .unwrap_or_else(|| source.into()),
            story,
            figures: figures.remove(&id).unwrap_or_default(),
            status_reason: status_reason.flatten(),
            status_changed_at,
            evidence: links.remove(&id).unwrap_or_default(),
            history,
        });
    }
    Ok(out)
}

fn oldest_first(mut h: Vec<HistoryEntry>) -> Vec<HistoryEntry> {
    h.reverse();
    h
}

async fn figures_for(
    conn: &mut AsyncPgConnection,
    ids: &[ClaimId],
) -> QueryResult<HashMap<ClaimId, Vec<Figure>>> {
    let rows: Vec<FigureRow> = claim_figures::table
        .filter(claim_figures::claim_id.eq_any(ids))
        .order((claim_figures::claim_id, claim_figures::position))
        .select(FigureRow::as_select())
        .load(conn)
        .await?;
    let mut map: HashMap<ClaimId, Vec<Figure>> = HashMap::new();
    for row in rows {
        let id = row.claim_id;
        map.entry(id).or_default().push(row.into_figure()?);
    }
    Ok(map)
}

async fn evidence_for(
    conn: &mut AsyncPgConnection,
    ids: &[ClaimId],
) -> QueryResult<HashMap<ClaimId, Vec<String>>> {
    let rows: Vec<(ClaimId, String)> = evidence::table
        .filter(evidence::claim_id.eq_any(ids))
        // Oldest status change first, each change's links in the order given.
        .order((
            evidence::claim_id,
            evidence::created_at,
            evidence::history_id,
            evidence::position,
        ))
        .select((evidence::claim_id, evidence::url))
        .load(conn)
        .await?;
    let mut map: HashMap<ClaimId, Vec<String>> = HashMap::new();
    for (id, url) in rows {
        map.entry(id).or_default().push(url);
    }
    Ok(map)
}

/// Latest status change per claim: its reason and time.
async fn latest_status_changes(
    conn: &mut AsyncPgConnection,
    ids: &[ClaimId],
) -> QueryResult<HashMap<ClaimId, (Option<String>, DateTime<Utc>)>> {
    let rows: Vec<(ClaimId, Option<String>, DateTime<Utc>)> = claim_history::table
        .filter(claim_history::claim_id.eq_any(ids))
        .filter(claim_history::action.eq(HistoryAction::StatusChanged))
        .order((
            claim_history::claim_id,
            claim_history::created_at.desc(),
            claim_history::id.desc(),
        ))
        .distinct_on(claim_history::claim_id)
        .select((
            claim_history::claim_id,
            claim_history::reason,
            claim_history::created_at,
        ))
        .load(conn)
        .await?;
    Ok(rows.into_iter().map(|(id, r, at)| (id, (r, at))).collect())
}

impl ExportClaim {
    /// The export view of a claim already loaded for its page.
    pub fn from_detail(d: &super::claim::ClaimDetail) -> Self {
        let latest = d
            .history
            .iter()
            .find(|h| h.row.action == HistoryAction::StatusChanged);
        ExportClaim {
            claim: d.claim.clone(),
            source: d.source.clone().into(),
            story: d.story.clone(),
            figures: d.figures.clone(),
            status_reason: latest.and_then(|h| h.row.reason.clone()),
            status_changed_at: latest.map(|h| h.row.created_at),
            evidence: d
                .history
                .iter()
                .rev()
                .flat_map(|h| h.evidence.iter().cloned())
                .collect(),
            history: None,
        }
    }
}
