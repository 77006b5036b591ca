//! The append-only history of a claim and the evidence attached to it.

use crate::db::schema::{claim_history, evidence, users};
use crate::domain::{ClaimId, ClaimStatus, EvidenceId, HistoryId, UserId};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = claim_history)]
pub struct HistoryRow {
    pub id: HistoryId,
    pub claim_id: ClaimId,
    pub action: String,
    pub from_status: Option<ClaimStatus>,
    pub to_status: Option<ClaimStatus>,
    pub reason: Option<String>,
    pub changes: Option<serde_json::Value>,
    pub actor_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    /// Who made a change replayed by an import when no account here has
    /// their e-mail; shown through [`HistoryEntry`]'s actor fields.
    #[serde(skip)]
    pub imported_actor_name: Option<String>,
    #[serde(skip)]
    pub imported_actor_email: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = evidence)]
pub struct Evidence {
    pub id: EvidenceId,
    pub claim_id: ClaimId,
    pub history_id: Option<HistoryId>,
    pub url: String,
    pub created_at: DateTime<Utc>,
    /// Index of the link in the list it was given in; links are always read
    /// in this order.
    pub position: i32,
}

/// A history entry with the evidence given for it.
#[derive(Debug, Clone, Serialize)]
pub struct HistoryEntry {
    #[serde(flatten)]
    pub row: HistoryRow,
    /// Who made the change: the account, else the person a JSON import
    /// recorded (see [`HistoryEntry::is_imported`]); `None` for the system.
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub evidence: Vec<String>,
}

impl HistoryEntry {
    /// The account's name and e-mail, else those recorded by an import.
    fn new(row: HistoryRow, account: Option<(String, String)>, evidence: Vec<String>) -> Self {
        let (actor_name, actor_email) = match account {
            Some((name, email)) => (Some(name), Some(email)),
            None => (
                row.imported_actor_name.clone(),
                row.imported_actor_email.clone(),
            ),
        };
        HistoryEntry {
            row,
            actor_name,
            actor_email,
            evidence,
        }
    }

    /// Made by someone known only from an imported file, not an account here.
    pub fn is_imported(&self) -> bool {
        self.row.actor_id.is_none()
            && (self.row.imported_actor_name.is_some() || self.row.imported_actor_email.is_some())
    }
}

#[derive(Debug, Insertable)]
#[diesel(table_name = claim_history)]
pub struct NewHistory {
    pub id: HistoryId,
    pub claim_id: ClaimId,
    pub action: &'static str,
    pub from_status: Option<ClaimStatus>,
    pub to_status: Option<ClaimStatus>,
    pub reason: Option<String>,
    pub changes: Option<serde_json::Value>,
    pub actor_id: Option<UserId>,
    pub created_at: DateTime<Utc>,
    pub imported_actor_name: Option<String>,
    pub imported_actor_email: Option<String>,
}

impl NewHistory {
    pub fn new(claim_id: ClaimId, action: &'static str) -> Self {
        NewHistory {
            id: HistoryId::new_v4(),
            claim_id,
            action,
            from_status: None,
            to_status: None,
            reason: None,
            changes: None,
            actor_id: None,
            created_at: Utc::now(),
            imported_actor_name: None,
            imported_actor_email: None,
        }
    }
}

/// Records one history entry and its evidence links, in the order given
/// (`links[i]` gets position `i`). The one way evidence is written: status
/// changes, seeds and imports all come through here. Links must come from
/// `domain::validation::http_url` (or `url_lines`), which also normalises them.
pub async fn append(
    conn: &mut AsyncPgConnection,
    entry: NewHistory,
    links: &[String],
) -> QueryResult<()> {
    let (history_id, claim_id, at) = (entry.id, entry.claim_id, entry.created_at);
    diesel::insert_into(claim_history::table)
        .values(entry)
        .execute(conn)
        .await?;
    if links.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = links
        .iter()
        .enumerate()
        .map(|(i, url)| {
            (
                evidence::id.eq(EvidenceId::new_v4()),
                evidence::claim_id.eq(claim_id),
                evidence::history_id.eq(Some(history_id)),
                evidence::url.eq(url),
                evidence::created_at.eq(at),
                evidence::position.eq(i as i32),
            )
        })
        .collect();
    diesel::insert_into(evidence::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// Full history of a claim, newest first, with evidence per entry.
pub async fn for_claim(
    conn: &mut AsyncPgConnection,
    claim_id: ClaimId,
) -> QueryResult<Vec<HistoryEntry>> {
    let rows: Vec<(HistoryRow, Option<(String, String)>)> = claim_history::table
        .left_join(users::table)
        .filter(claim_history::claim_id.eq(claim_id))
        .order((claim_history::created_at.desc(), claim_history::id.desc()))
        .select((
            HistoryRow::as_select(),
            (users::name, users::email).nullable(),
        ))
        .load(conn)
        .await?;
    let links: Vec<Evidence> = evidence::table
        .filter(evidence::claim_id.eq(claim_id))
        .order((evidence::history_id, evidence::position))
        .select(Evidence::as_select())
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(row, account)| {
            let evidence = links
                .iter()
                .filter(|e| e.history_id == Some(row.id))
                .map(|e| e.url.clone())
                .collect();
            HistoryEntry::new(row, account, evidence)
        })
        .collect())
}

/// Histories of many claims at once (exports), newest first per claim.
pub async fn for_claims(
    conn: &mut AsyncPgConnection,
    ids: &[ClaimId],
) -> QueryResult<std::collections::HashMap<ClaimId, Vec<HistoryEntry>>> {
    let rows: Vec<(HistoryRow, Option<(String, String)>)> = claim_history::table
        .left_join(users::table)
        .filter(claim_history::claim_id.eq_any(ids))
        .order((claim_history::created_at.desc(), claim_history::id.desc()))
        .select((
            HistoryRow::as_select(),
            (users::name, users::email).nullable(),
        ))
        .load(conn)
        .await?;
    let links: Vec<Evidence> = evidence::table
        .filter(evidence::claim_id.eq_any(ids))
        .order((evidence::history_id, evidence::position))
        .select(Evidence::as_select())
        .load(conn)
        .await?;
    let mut by_history: std::collections::HashMap<HistoryId, Vec<String>> =
        std::collections::HashMap::new();
    for e in links {
        if let Some(h) = e.history_id {
            by_history.entry(h).or_default().push(e.url);
        }
    }
    let mut out: std::collections::HashMap<ClaimId, Vec<HistoryEntry>> =
        std::collections::HashMap::new();
    for (row, account) in rows {
        let evidence = by_history.remove(&row.id).unwrap_or_default();
        out.entry(row.claim_id)
            .or_default()
            .push(HistoryEntry::new(row, account, evidence));
    }
    Ok(out)
}
