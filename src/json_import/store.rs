//! Writes checked records: stories and sources matched as the CSV import
//! matches them (story by URL, else title and outlet; source by name),
//! claims skipped when already present, history replayed with its original
//! times, reasons, evidence and actors. Runs inside the caller's transaction.

use super::record::{ClaimRecord, FileActor, HistoryRecord};
use crate::db::schema::{audit_log, claim_figures, claim_history, claims, sources, stories};
use crate::domain::drafts::{SourceDraft, StoryDraft};
use crate::domain::{
    AuditAction, AuditObjectType, ClaimId, HistoryAction, HistoryId, ImportId, SourceId, StoryId,
    UserId,
};
use crate::models::audit::{self, Entry};
use crate::models::claim::NewFigure;
use crate::models::history::{self, NewHistory};
use crate::models::story::Story;
use crate::models::{source, story, user, Actor};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::{HashMap, HashSet};

/// Rows per multi-row INSERT: well below PostgreSQL's 65,535 bind
/// parameters for the widest row written here (13 columns).
const ROWS_PER_INSERT: usize = 2000;

/// What happened to one claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    /// The same quote from the same source is already in the same story.
    Skipped,
}

/// A story is the same story by URL, else by title and outlet.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum StoryKey {
    Url(String),
    TitleOutlet(String, String),
}

impl StoryKey {
    fn of(d: &StoryDraft) -> Self {
        match &d.url {
            Some(u) => StoryKey::Url(u.clone()),
            None => StoryKey::TitleOutlet(d.title.clone(), d.outlet.clone()),
        }
    }
}

/// Lookups made once per file, not once per claim.
pub struct Store {
    importer: Actor,
    import_id: ImportId,
    stories: HashMap<StoryKey, StoryId>,
    /// By lower-cased name, as the unique index on sources has it.
    sources: HashMap<String, SourceId>,
    /// By lower-cased e-mail: the account, if one exists here.
    accounts: HashMap<String, Option<UserId>>,
    pub stories_created: u64,
    pub sources_created: u64,
    pub history_entries: u64,
}

impl Store {
    pub fn new(importer: Actor, import_id: ImportId) -> Self {
        Store {
            importer,
            import_id,
            stories: HashMap::new(),
            sources: HashMap::new(),
            accounts: HashMap::new(),
            stories_created: 0,
            sources_created: 0,
            history_entries: 0,
        }
    }

    /// Distinct e-mails that matched an account here, and those that did not.
    pub fn actor_counts(&self) -> (u64, u64) {
        let matched = self.accounts.values().filter(|a| a.is_some()).count() as u64;
        (matched, self.accounts.len() as u64 - matched)
    }

    /// Writes one batch of records: stories and sources first (matched or
    /// created), then the claims in one statement, then their figures,
    /// history and audit rows. Returns one outcome per record, in order.
    pub async fn write_batch(
        &mut self,
        conn: &mut AsyncPgConnection,
        batch: &[ClaimRecord],
    ) -> QueryResult<Vec<Outcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut rows = Vec::with_capacity(batch.len());
        for rec in batch {
            let story_id = self.story(conn, rec).await?;
            let source_id = self.source(conn, rec).await?;
            rows.push((ClaimId::new_v4(), story_id, source_id));
        }
        let values: Vec<_> = batch
            .iter()
            .zip(&rows)
            .map(|(rec, &(id, story_id, source_id))| {
                (
                    claims::id.eq(id),
                    claims::story_id.eq(story_id),
                    claims::source_id.eq(source_id),
                    claims::quote.eq(&rec.quote),
                    claims::is_paraphrase.eq(rec.is_paraphrase),
                    claims::summary.eq(&rec.summary),
                    claims::claimed_at.eq(rec.claimed_at),
                    claims::claimed_where.eq(&rec.claimed_where),
                    claims::status.eq(rec.status),
                    claims::review_url.eq(&rec.review_url),
                    // Without a time in the file: now, by the database's clock.
                    rec.created_at.map(|t| claims::created_at.eq(t)),
                    claims::version.eq(rec.version),
                )
            })
            .collect();
        // ON CONFLICT on the (story, source, quote) index: a claim already
        // there, written meanwhile by someone else, or repeated within the
        // batch is skipped, not doubled.
        let inserted: HashSet<ClaimId> = diesel::insert_into(claims::table)
            .values(values)
            .on_conflict_do_nothing()
            .returning(claims::id)
            .get_results::<ClaimId>(conn)
            .await?
            .into_iter()
            .collect();
        let new: Vec<(&ClaimRecord, (ClaimId, StoryId, SourceId))> = batch
            .iter()
            .zip(rows.iter().copied())
            .filter(|(_, (id, _, _))| inserted.contains(id))
            .collect();
        self.figures(conn, &new).await?;
        self.history(conn, &new).await?;
        let audits: Vec<Entry> = new
            .iter()
            .map(|(rec, (id, story_id, source_id))| {
                let after = serde_json::json!({
                    "import": self.import_id,
                    "quote": rec.quote,
                    "status": rec.status,
                    "story_id": story_id,
                    "source_id": source_id,
                });
                Entry::new(
                    self.importer.id,
                    AuditAction::Create,
                    AuditObjectType::Claim,
                    Some(*id),
                )
                .after(&after)
            })
            .collect();
        for chunk in audits.chunks(ROWS_PER_INSERT) {
            diesel::insert_into(audit_log::table)
                .values(chunk.to_vec())
                .execute(conn)
                .await?;
        }
        Ok(rows
            .iter()
            .map(|(id, _, _)| {
                if inserted.contains(id) {
                    Outcome::Created
                } else {
                    Outcome::Skipped
                }
            })
            .collect())
    }

    async fn story(
        &mut self,
        conn: &mut AsyncPgConnection,
        rec: &ClaimRecord,
    ) -> QueryResult<StoryId> {
        let key = StoryKey::of(&rec.story);
        if let Some(id) = self.stories.get(&key) {
            return Ok(*id);
        }
        let id = match story::find_matching(conn, &rec.story).await? {
            Some(s) => s.id,
            None => {
                self.stories_created += 1;
                self.create_story(conn, rec).await?
            }
        };
        self.stories.insert(key, id);
        Ok(id)
    }

    async fn create_story(
        &self,
        conn: &mut AsyncPgConnection,
        rec: &ClaimRecord,
    ) -> QueryResult<StoryId> {
        let d = &rec.story;
        let s: Story = diesel::insert_into(stories::table)
            .values((
                stories::id.eq(StoryId::new_v4()),
                stories::title.eq(&d.title),
                stories::outlet.eq(&d.outlet),
                stories::url.eq(&d.url),
                stories::published_at.eq(d.published_at),
                stories::dateline.eq(&d.dateline),
                stories::notes.eq(&d.notes),
                rec.story_created_at.map(|t| stories::created_at.eq(t)),
                stories::version.eq(rec.story_version),
            ))
            .returning(Story::as_returning())
            .get_result(conn)
            .await?;
        let entry = Entry::new(
            self.importer.id,
            AuditAction::Create,
            AuditObjectType::Story,
            Some(s.id),
        )
        .after(&s);
        audit::record(conn, entry).await?;
        Ok(s.id)
    }

    async fn source(
        &mut self,
        conn: &mut AsyncPgConnection,
        rec: &ClaimRecord,
    ) -> QueryResult<SourceId> {
        let key = rec.source.name.to_lowercase();
        if let Some(id) = self.sources.get(&key) {
            return Ok(*id);
        }
        let id = match source::find_by_name(conn, &rec.source.name).await? {
            Some(s) => s.id,
            None => {
                self.sources_created += 1;
                self.create_source(conn, &rec.source, rec).await?
            }
        };
        // Aliases another source holds here are left to it.
        let aliases = rec.source.aliases.as_deref().unwrap_or_default();
        source::names::add_aliases(conn, id, aliases).await?;
        self.sources.insert(key, id);
        Ok(id)
    }

    async fn create_source(
        &self,
        conn: &mut AsyncPgConnection,
        d: &SourceDraft,
        rec: &ClaimRecord,
    ) -> QueryResult<SourceId> {
        let s: source::Source = diesel::insert_into(sources::table)
            .values((
                sources::id.eq(SourceId::new_v4()),
                sources::name.eq(&d.name),
                sources::source_type.eq(d.source_type),
                sources::affiliation.eq(&d.affiliation),
                sources::description.eq(&d.description),
                rec.source_created_at.map(|t| sources::created_at.eq(t)),
                sources::version.eq(rec.source_version),
                sources::grade.eq(rec.source_grading.grade),
            ))
            .returning(source::Source::as_returning())
            .get_result(conn)
            .await?;
        restore_grading(conn, s.id, &rec.source_grading).await?;
        let entry = Entry::new(
            self.importer.id,
            AuditAction::Create,
            AuditObjectType::Source,
            Some(s.id),
        )
        .after(&s);
        audit::record(conn, entry).await?;
        Ok(s.id)
    }

    async fn figures(
        &self,
        conn: &mut AsyncPgConnection,
        new: &[(&ClaimRecord, (ClaimId, StoryId, SourceId))],
    ) -> QueryResult<()> {
        let rows: Vec<NewFigure> = new
            .iter()
            .flat_map(|(rec, (claim_id, _, _))| NewFigure::for_claim(*claim_id, &rec.figures))
            .collect();
        for chunk in rows.chunks(ROWS_PER_INSERT) {
            diesel::insert_into(claim_figures::table)
                .values(chunk.to_vec())
                .execute(conn)
                .await?;
        }
        Ok(())
    }

    /// The account with this e-mail, looked up once per file.
    async fn account(
        &mut self,
        conn: &mut AsyncPgConnection,
        email: &str,
    ) -> QueryResult<Option<UserId>> {
        let key = email.to_lowercase();
        if let Some(found) = self.accounts.get(&key) {
            return Ok(*found);
        }
        let found = user::find_by_email(conn, email).await?.map(|u| u.id);
        self.accounts.insert(key, found);
        Ok(found)
    }

    /// Entries with evidence go through [`history::append`], which stores a
    /// change with its links in order; the rest are inserted together.
    async fn history(
        &mut self,
        conn: &mut AsyncPgConnection,
        new: &[(&ClaimRecord, (ClaimId, StoryId, SourceId))],
    ) -> QueryResult<()> {
        let mut plain = Vec::new();
        for (rec, (claim_id, _, _)) in new {
            if rec.history.is_empty() {
                let mut entry = NewHistory::new(*claim_id, HistoryAction::Created);
                entry.to_status = Some(crate::domain::ClaimStatus::Unverified);
                entry.actor_id = self.importer.id;
                entry.created_at = rec.created_at;
                plain.push(entry);
                continue;
            }
            // History is read back by (created_at, id): ids ascending in
            // file order keep entries of the same microsecond in order.
            let mut ids: Vec<HistoryId> = rec.history.iter().map(|_| HistoryId::new_v4()).collect();
            ids.sort();
            for (h, id) in rec.history.iter().zip(ids) {
                let entry = self.entry(conn, *claim_id, id, h).await?;
                if h.evidence.is_empty() {
                    plain.push(entry);
                } else {
                    history::append(conn, entry, &h.evidence).await?;
                    self.history_entries += 1;
                }
            }
        }
        self.history_entries += plain.len() as u64;
        let mut rest = plain;
        while !rest.is_empty() {
            let tail = rest.split_off(rest.len().min(ROWS_PER_INSERT));
            diesel::insert_into(claim_history::table)
                .values(rest)
                .execute(conn)
                .await?;
            rest = tail;
        }
        Ok(())
    }

    async fn entry(
        &mut self,
        conn: &mut AsyncPgConnection,
        claim_id: ClaimId,
        id: HistoryId,
        h: &HistoryRecord,
    ) -> QueryResult<NewHistory> {
        let mut entry = NewHistory::new(claim_id, h.action);
        entry.id = id;
        entry.from_status = h.from;
        entry.to_status = h.to;
        entry.reason = h.reason.clone();
        entry.changes = h.changes.clone();
        entry.created_at = Some(h.at);
        if let Some(FileActor { name, email }) = &h.actor {
            let account = match email {
                Some(e) => self.account(conn, e).await?,
                None => None,
            };
            match account {
                Some(id) => entry.actor_id = Some(id),
                None => {
                    entry.imported_actor_name = name.clone();
                    entry.imported_actor_email = email.clone();
                }
            }
        }
        Ok(entry)
    }
}

/// The grade changes of a source the import created, as the
/// exporting desk had them (graders named, not linked to accounts here).
async fn restore_grading(
    conn: &mut AsyncPgConnection,
    id: SourceId,
    g: &super::record::SourceGrading,
) -> QueryResult<()> {
    for (from, to, reason, by, at) in &g.history {
        source::grade::record(conn, id, *from, *to, reason, None, by.as_deref(), Some(*at)).await?;
    }
    Ok(())
}
