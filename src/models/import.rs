//! Imports: the stored upload, its preview and the all-or-nothing confirm.
//!
//! The preview is computed once, when the file is uploaded (or revised), and
//! stored as `import_rows` in the same transaction as the upload: opening the
//! preview page reads one page of stored rows. Rows are parsed and matched in
//! batches of [`BATCH`], one set-based query per batch, so a large file costs
//! a few hundred queries, not three per row, and the work stops at the next
//! batch when the request is dropped (the transaction then rolls back).

use super::audit::{self, Entry};
use super::{claim, story, Actor, WriteError};
use crate::db::schema::{import_rows, imports};
use crate::domain::drafts::{ClaimDraft, SourceDraft, SourceRef, StoryDraft};
use crate::domain::import::{ImportRow, Item, Reader, RowError};
use crate::domain::{
    Access, AuditAction, AuditObjectType, ClaimStatus, FieldErrors, ImportId, Role, SourceType,
    UserId,
};
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel::sql_types::{Array, Integer, Nullable, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::io::{BufRead, Read};

/// Rows parsed, matched and stored per round trip.
pub const BATCH: usize = 1000;
/// Rows per page of each preview section.
pub const PAGE: i64 = 100;
/// Largest file kept with its import, to be corrected in the page's form.
/// A larger one is not stored (its preview rows hold what the confirm
/// needs): storing tens of megabytes would cost the server three copies of
/// them in memory on the way to the database.
pub const KEEP_CONTENT_MAX: usize = 1024 * 1024;

/// An import without its content (which may be tens of megabytes).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct Import {
    pub id: ImportId,
    pub user_id: Option<UserId>,
    pub filename: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub confirmed_at: Option<DateTime<Utc>>,
    pub created: Option<i32>,
    pub skipped: Option<i32>,
    pub content_kept: bool,
    pub previewed_at: Option<DateTime<Utc>>,
    pub file_error: Option<String>,
    pub n_create: i32,
    pub n_duplicate: i32,
    pub n_invalid: i32,
}

impl Import {
    /// Its uploader, and editors (who review everyone's work), may see and
    /// act on an import; to anyone else it does not exist.
    pub fn is_open_to(&self, user: UserId, role: Role) -> bool {
        self.user_id == Some(user) || role.allows(Access::Edit)
    }

    pub fn can_confirm(&self) -> bool {
        self.confirmed_at.is_none()
            && self.previewed_at.is_some()
            && self.file_error.is_none()
            && self.n_create > 0
    }
}

/// The sections of a preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Create,
    Duplicate,
    Invalid,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Create => "create",
            Kind::Duplicate => "duplicate",
            Kind::Invalid => "invalid",
        }
    }
}

/// Why an upload, revision or confirm did not happen.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The same user already has an import running.
    #[error("another import of yours is still running")]
    Busy,
    #[error("the file has more than {0} rows")]
    TooManyRows(u64),
    /// The file as a whole cannot be imported (shell).
    #[error("{0}")]
    File(String),
    /// The client went away; the work stopped and was rolled back.
    #[error("the client went away")]
    Abandoned,
    #[error(transparent)]
    Write(#[from] WriteError),
}

impl From<diesel::result::Error> for ImportError {
    fn from(e: diesel::result::Error) -> Self {
        ImportError::Write(WriteError::Db(e))
    }
}

/// One running import per user, held until the transaction ends (commit,
/// rollback, or the connection dropped with a cancelled request). Taken
/// atomically by PostgreSQL: two concurrent uploads cannot both get it.
async fn lock_user(conn: &mut AsyncPgConnection, user: UserId) -> Result<(), ImportError> {
    #[derive(QueryableByName)]
    struct Got {
        #[diesel(sql_type = diesel::sql_types::Bool)]
        got: bool,
    }
    // Two-key form: its own key space, apart from single-key advisory locks.
    let got: Got =
        diesel::sql_query("SELECT pg_try_advisory_xact_lock(727275, hashtext($1)) AS got")
            .bind::<Text, _>(user.to_string())
            .get_result(conn)
            .await?;
    if got.got {
        Ok(())
    } else {
        Err(ImportError::Busy)
    }
}

pub async fn find(conn: &mut AsyncPgConnection, id: ImportId) -> QueryResult<Import> {
    imports::table
        .find(id)
        .select(Import::as_select())
        .first(conn)
        .await
}

/// The file, when it was small enough to keep.
pub async fn kept_content(
    conn: &mut AsyncPgConnection,
    id: ImportId,
) -> QueryResult<Option<String>> {
    imports::table
        .find(id)
        .filter(imports::content_kept)
        .select(imports::content)
        .first(conn)
        .await
        .optional()
}

/// What to store of `content`: itself when small, else nothing.
fn to_keep(content: &str) -> (&str, bool) {
    if content.len() <= KEEP_CONTENT_MAX {
        (content, true)
    } else {
        ("", false)
    }
}

/// Asked between batches: false once nobody waits for the result any more.
pub type StillWanted<'a> = &'a (dyn Fn() -> bool + Sync);

/// Stores an upload and its preview, in one transaction.
pub async fn upload(
    conn: &mut AsyncPgConnection,
    actor: Actor,
    filename: &str,
    content: &str,
    max_rows: Option<u64>,
    wanted: StillWanted<'_>,
) -> Result<Import, ImportError> {
    conn.transaction::<_, ImportError, _>(async move |conn| {
        if let Some(user) = actor.id {
            lock_user(conn, user).await?;
        }
        let id = ImportId::new_v4();
        let (kept, is_kept) = to_keep(content);
        diesel::insert_into(imports::table)
            .values((
                imports::id.eq(id),
                imports::user_id.eq(actor.id),
                imports::filename.eq(filename),
                imports::content.eq(kept),
                imports::content_kept.eq(is_kept),
            ))
            .execute(conn)
            .await?;
        store_preview(conn, id, content.as_bytes(), actor.role, max_rows, wanted).await?;
        Ok(find(conn, id).await?)
    })
    .await
}

/// Replaces the content of an unconfirmed import and its preview (a
/// corrected file), in one transaction.
pub async fn revise(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    actor: Actor,
    content: &str,
    max_rows: Option<u64>,
    wanted: StillWanted<'_>,
) -> Result<(), ImportError> {
    conn.transaction::<_, ImportError, _>(async move |conn| {
        if let Some(user) = actor.id {
            lock_user(conn, user).await?;
        }
        let confirmed: Option<DateTime<Utc>> = imports::table
            .find(id)
            .select(imports::confirmed_at)
            .for_update()
            .first(conn)
            .await?;
        if confirmed.is_some() {
            return Err(already_confirmed().into());
        }
        let (kept, is_kept) = to_keep(content);
        diesel::update(imports::table.find(id))
            .set((
                imports::content.eq(kept),
                imports::content_kept.eq(is_kept),
                imports::updated_at.eq(Utc::now()),
            ))
            .execute(conn)
            .await?;
        store_preview(conn, id, content.as_bytes(), actor.role, max_rows, wanted).await
    })
    .await
}

fn already_confirmed() -> WriteError {
    WriteError::Invalid(FieldErrors::single(
        "import",
        "This import was already confirmed.",
    ))
}

/// Totals of a preview.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Counts {
    pub create: i32,
    pub duplicate: i32,
    pub invalid: i32,
}

impl Counts {
    fn next(&mut self, kind: Kind) -> i32 {
        let n = match kind {
            Kind::Create => &mut self.create,
            Kind::Duplicate => &mut self.duplicate,
            Kind::Invalid => &mut self.invalid,
        };
        *n += 1;
        *n
    }

    fn rows(&self) -> u64 {
        (self.create + self.duplicate + self.invalid) as u64
    }
}

/// Parses `input`, classifies it batch by batch and stores the result as the
/// preview of import `id`, replacing an earlier one. Call inside a transaction.
async fn store_preview<R: BufRead>(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    input: R,
    role: Role,
    max_rows: Option<u64>,
    wanted: StillWanted<'_>,
) -> Result<(), ImportError> {
    diesel::delete(import_rows::table.filter(import_rows::import_id.eq(id)))
        .execute(conn)
        .await?;
    let mut counts = Counts::default();
    let mut result = Ok(());
    match Reader::new(input) {
        Err(e) => result = Err(e),
        Ok(mut reader) => {
            let mut matcher = Matcher::new(role);
            while let Some(batch) = next_batch(conn, &mut reader, &mut matcher).await? {
                if !wanted() {
                    return Err(ImportError::Abandoned);
                }
                let batch = match batch {
                    Ok(b) => b,
                    Err(e) => {
                        result = Err(e);
                        break;
                    }
                };
                if let Some(max) = max_rows {
                    if counts.rows() + batch.len() as u64 > max {
                        return Err(ImportError::TooManyRows(max));
                    }
                }
                store_batch(conn, id, batch, &mut counts).await?;
            }
        }
    }
    let file_error = match result {
        Ok(()) => None,
        Err(e) => {
            // A whole-file problem: no row of it is worth showing.
            diesel::delete(import_rows::table.filter(import_rows::import_id.eq(id)))
                .execute(conn)
                .await?;
            counts = Counts::default();
            Some(e)
        }
    };
    diesel::update(imports::table.find(id))
        .set((
            imports::previewed_at.eq(Some(Utc::now())),
            imports::file_error.eq(file_error),
            imports::n_create.eq(counts.create),
            imports::n_duplicate.eq(counts.duplicate),
            imports::n_invalid.eq(counts.invalid),
        ))
        .execute(conn)
        .await?;
    Ok(())
}

/// The next batch of `reader`, classified; `None` at the end. The inner
/// error is a problem with the file itself (it ends the reading).
async fn next_batch<R: Read>(
    conn: &mut AsyncPgConnection,
    reader: &mut Reader<R>,
    matcher: &mut Matcher,
) -> QueryResult<Option<Result<Vec<Classified>, String>>> {
    let mut items = Vec::with_capacity(BATCH);
    while items.len() < BATCH {
        match reader.next_item() {
            Ok(Some(item)) => items.push(item),
            Ok(None) => break,
            Err(e) => return Ok(Some(Err(e))),
        }
    }
    if items.is_empty() {
        return Ok(None);
    }
    Ok(Some(Ok(matcher.classify(conn, items).await?)))
}

/// Stores classified rows as the next part of import `id`'s preview.
async fn store_batch(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    batch: Vec<Classified>,
    counts: &mut Counts,
) -> QueryResult<()> {
    let rows: Vec<NewImportRow> = batch
        .into_iter()
        .map(|c| {
            let n = counts.next(c.kind);
            NewImportRow::new(id, n, c)
        })
        .collect();
    diesel::insert_into(import_rows::table)
        .values(&rows)
        .execute(conn)
        .await?;
    Ok(())
}

/// A row of the file and the section it belongs in.
#[derive(Debug)]
pub struct Classified {
    pub kind: Kind,
    pub line: u64,
    pub row: Option<ImportRow>,
    pub reason: Option<String>,
}

impl Classified {
    fn invalid(e: RowError) -> Self {
        Classified {
            kind: Kind::Invalid,
            line: e.line,
            row: None,
            reason: Some(e.reason),
        }
    }
}

/// Sorts rows into create / duplicate / invalid, remembering the rows seen
/// earlier in the file (by a digest of their key, not the quotes themselves).
struct Matcher {
    role: Role,
    seen: HashSet<[u8; 16]>,
}

impl Matcher {
    fn new(role: Role) -> Self {
        Matcher {
            role,
            seen: HashSet::new(),
        }
    }

    /// A story is the same story by URL when it has one, else by title and
    /// outlet (as `story::find_matching` decides); a source by its name in
    /// any case; a claim by story, source and exact quote.
    fn key(row: &ImportRow) -> [u8; 16] {
        let mut h = Sha256::new();
        // Each part length-prefixed, so no two keys run together alike.
        let mut part = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_le_bytes());
            h.update(bytes);
        };
        match &row.story.url {
            Some(u) => part(u.as_bytes()),
            None => {
                part(b"");
                part(row.story.title.as_bytes());
                part(row.story.outlet.as_bytes());
            }
        }
        part(row.source.name.to_lowercase().as_bytes());
        part(row.quote.as_bytes());
        let mut out = [0u8; 16];
        out.copy_from_slice(&h.finalize()[..16]);
        out
    }

    async fn classify(
        &mut self,
        conn: &mut AsyncPgConnection,
        items: Vec<Item>,
    ) -> QueryResult<Vec<Classified>> {
        let mut out = Vec::with_capacity(items.len());
        // Rows still to look up in the database: (index in `out`, row).
        let mut candidates: Vec<usize> = Vec::new();
        for item in items {
            let row = match item {
                Item::Invalid(e) => {
                    out.push(Classified::invalid(e));
                    continue;
                }
                Item::Row(row) => row,
            };
            // Verdicts need an editor; better said per row now than refused at confirm.
            if row.status.is_final() && !self.role.allows(Access::Edit) {
                let reason = format!(
                    "status: your role ({}) cannot import a verdict ({})",
                    self.role.label(),
                    row.status.as_str()
                );
                out.push(Classified::invalid(RowError {
                    line: row.line,
                    reason,
                }));
                continue;
            }
            let kind = if self.seen.insert(Self::key(&row)) {
                candidates.push(out.len());
                Kind::Create
            } else {
                Kind::Duplicate
            };
            out.push(Classified {
                kind,
                line: row.line,
                row: Some(row),
                reason: None,
            });
        }
        let rows: Vec<&ImportRow> = candidates
            .iter()
            .filter_map(|&i| out[i].row.as_ref())
            .collect();
        let recorded = already_recorded(conn, &rows).await?;
        for i in recorded {
            if let Some(&at) = candidates.get(i) {
                out[at].kind = Kind::Duplicate;
            }
        }
        Ok(out)
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = Integer)]
    i: i32,
}

/// Which of `rows` are already recorded claims (indexes into `rows`): one
/// query for the whole batch, using the indexes on story URL, source name
/// and (story, source, md5(quote)).
async fn already_recorded(
    conn: &mut AsyncPgConnection,
    rows: &[&ImportRow],
) -> QueryResult<Vec<usize>> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let idx: Vec<i32> = (0..rows.len() as i32).collect();
    let urls: Vec<Option<&str>> = rows.iter().map(|r| r.story.url.as_deref()).collect();
    let titles: Vec<&str> = rows.iter().map(|r| r.story.title.as_str()).collect();
    let outlets: Vec<&str> = rows.iter().map(|r| r.story.outlet.as_str()).collect();
    let names: Vec<&str> = rows.iter().map(|r| r.source.name.as_str()).collect();
    let quotes: Vec<&str> = rows.iter().map(|r| r.quote.as_str()).collect();
    let hits: Vec<Hit> = diesel::sql_query(
        "WITH b AS (
             SELECT * FROM unnest($1::int4[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])
                 AS b(i, url, title, outlet, source_name, quote)
         ), st AS (
             SELECT b.i, s.id FROM b JOIN stories s ON s.url = b.url
             UNION ALL
             SELECT b.i, s.id FROM b JOIN stories s
                 ON b.url IS NULL AND s.title = b.title AND s.outlet = b.outlet
         )
         SELECT DISTINCT b.i FROM b
         JOIN st ON st.i = b.i
         JOIN sources so ON lower(so.name) = lower(b.source_name)
         JOIN claims c ON c.story_id = st.id AND c.source_id = so.id
             AND md5(c.quote) = md5(b.quote) AND c.quote = b.quote",
    )
    .bind::<Array<Integer>, _>(idx)
    .bind::<Array<Nullable<Text>>, _>(urls)
    .bind::<Array<Text>, _>(titles)
    .bind::<Array<Text>, _>(outlets)
    .bind::<Array<Text>, _>(names)
    .bind::<Array<Text>, _>(quotes)
    .load(conn)
    .await?;
    Ok(hits.into_iter().map(|h| h.i as usize).collect())
}

/// The parts of a valid row the page does not show, kept for the confirm.
#[derive(Debug, Serialize, Deserialize)]
struct Details {
    story_outlet: String,
    story_url: Option<String>,
    source_type: SourceType,
    is_paraphrase: bool,
    summary: Option<String>,
    status_reason: Option<String>,
    claimed_at: Option<DateTime<Utc>>,
    claimed_where: Option<String>,
}

#[derive(Insertable)]
#[diesel(table_name = import_rows)]
struct NewImportRow {
    import_id: ImportId,
    kind: &'static str,
    n: i32,
    line: i64,
    reason: Option<String>,
    story_title: Option<String>,
    source_name: Option<String>,
    quote: Option<String>,
    status: Option<ClaimStatus>,
    details: Option<serde_json::Value>,
}

impl NewImportRow {
    fn new(import_id: ImportId, n: i32, c: Classified) -> Self {
        let mut out = NewImportRow {
            import_id,
            kind: c.kind.as_str(),
            n,
            line: c.line as i64,
            reason: c.reason,
            story_title: None,
            source_name: None,
            quote: None,
            status: None,
            details: None,
        };
        if let Some(r) = c.row {
            let details = Details {
                story_outlet: r.story.outlet,
                story_url: r.story.url,
                source_type: r.source.source_type,
                is_paraphrase: r.is_paraphrase,
                summary: r.summary,
                status_reason: r.status_reason,
                claimed_at: r.claimed_at,
                claimed_where: r.claimed_where,
            };
            out.story_title = Some(r.story.title);
            out.source_name = Some(r.source.name);
            out.quote = Some(r.quote);
            out.status = Some(r.status);
            out.details = serde_json::to_value(details).ok();
        }
        out
    }
}

/// A stored row as the preview page shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_rows)]
pub struct PreviewRow {
    pub line: i64,
    pub reason: Option<String>,
    pub story_title: Option<String>,
    pub source_name: Option<String>,
    pub quote: Option<String>,
    pub status: Option<ClaimStatus>,
}

/// Page `page` (from 1) of one section of a stored preview.
pub async fn page(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    kind: Kind,
    page: i64,
) -> QueryResult<Vec<PreviewRow>> {
    let first = (page.max(1) - 1) * PAGE;
    import_rows::table
        .filter(import_rows::import_id.eq(id))
        .filter(import_rows::kind.eq(kind.as_str()))
        .filter(import_rows::n.gt(first as i32))
        .filter(import_rows::n.le((first + PAGE) as i32))
        .order(import_rows::n.asc())
        .select(PreviewRow::as_select())
        .load(conn)
        .await
}

/// A stored "create" row, complete enough to create the claim.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = import_rows)]
struct StoredRow {
    n: i32,
    line: i64,
    story_title: Option<String>,
    source_name: Option<String>,
    quote: Option<String>,
    status: Option<ClaimStatus>,
    details: Option<serde_json::Value>,
}

impl StoredRow {
    /// `None` only if the stored details were damaged.
    fn into_row(self) -> Option<ImportRow> {
        let d: Details = serde_json::from_value(self.details?).ok()?;
        Some(ImportRow {
            line: self.line as u64,
            story: StoryDraft {
                title: self.story_title?,
                outlet: d.story_outlet,
                url: d.story_url,
                published_at: None,
                dateline: None,
                notes: None,
            },
            source: SourceDraft {
                name: self.source_name?,
                source_type: d.source_type,
                affiliation: None,
                description: None,
                aliases: None,
            },
            quote: self.quote?,
            is_paraphrase: d.is_paraphrase,
            summary: d.summary,
            status: self.status?,
            status_reason: d.status_reason,
            claimed_at: d.claimed_at,
            claimed_where: d.claimed_where,
        })
    }
}

/// Imports every "create" row of the stored preview, batch by batch, in one
/// transaction: all or nothing. A row recorded by someone else since the
/// preview is skipped. Returns (created, skipped).
pub async fn confirm(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    actor: Actor,
    wanted: StillWanted<'_>,
) -> Result<(usize, usize), ImportError> {
    conn.transaction::<_, ImportError, _>(async move |conn| {
        if let Some(user) = actor.id {
            lock_user(conn, user).await?;
        }
        confirm_locked(conn, id, actor, wanted).await
    })
    .await
}

async fn confirm_locked(
    conn: &mut AsyncPgConnection,
    id: ImportId,
    actor: Actor,
    wanted: StillWanted<'_>,
) -> Result<(usize, usize), ImportError> {
    let imp: Import = imports::table
        .find(id)
        .select(Import::as_select())
        .for_update()
        .first(conn)
        .await?;
    if imp.confirmed_at.is_some() {
        return Err(already_confirmed().into());
    }
    if let Some(e) = imp.file_error {
        return Err(WriteError::Invalid(FieldErrors::single("content", e)).into());
    }
    if imp.previewed_at.is_none() {
        let msg = "This import has no preview yet: preview it again first.";
        return Err(WriteError::Invalid(FieldErrors::single("import", msg)).into());
    }
    let (mut created, mut late_duplicates, mut after) = (0usize, 0usize, 0i32);
    loop {
        let batch: Vec<StoredRow> = import_rows::table
            .filter(import_rows::import_id.eq(id))
            .filter(import_rows::kind.eq(Kind::Create.as_str()))
            .filter(import_rows::n.gt(after))
            .order(import_rows::n.asc())
            .limit(BATCH as i64)
            .select(StoredRow::as_select())
            .load(conn)
            .await?;
        let Some(last) = batch.last() else { break };
        if !wanted() {
            return Err(ImportError::Abandoned);
        }
        after = last.n;
        let rows: Vec<ImportRow> = batch
            .into_iter()
            .map(StoredRow::into_row)
            .collect::<Option<_>>()
            .ok_or_else(|| {
                let msg = "This import's stored preview is damaged: preview it again.";
                WriteError::Invalid(FieldErrors::single("import", msg))
            })?;
        let refs: Vec<&ImportRow> = rows.iter().collect();
        let recorded: HashSet<usize> = already_recorded(conn, &refs).await?.into_iter().collect();
        for (i, row) in rows.iter().enumerate() {
            if recorded.contains(&i) {
                late_duplicates += 1;
            } else {
                // A row takes several queries: ask (and show progress) per row.
                if !wanted() {
                    return Err(ImportError::Abandoned);
                }
                create_row(conn, row, actor).await?;
                created += 1;
            }
        }
    }
    let skipped = imp.n_duplicate as usize + imp.n_invalid as usize + late_duplicates;
    diesel::update(imports::table.find(id))
        .set((
            imports::confirmed_at.eq(Some(Utc::now())),
            imports::created.eq(Some(created as i32)),
            imports::skipped.eq(Some(skipped as i32)),
        ))
        .execute(conn)
        .await?;
    let after = serde_json::json!({ "file": imp.filename, "created": created, "skipped": skipped });
    audit::record(
        conn,
        Entry::new(
            actor.id,
            AuditAction::Import,
            AuditObjectType::Import,
            Some(id),
        )
        .after(&after),
    )
    .await?;
    Ok((created, skipped))
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

// ------------------------------------------------------------------ shell

/// What the shell prints as it goes.
pub trait Report {
    fn invalid(&mut self, line: u64, reason: &str);
}

/// The shell's preview: streams the file, matches it batch by batch and
/// writes nothing. `Err(message)` is a problem with the file.
pub async fn preview_stream<R: BufRead>(
    conn: &mut AsyncPgConnection,
    input: R,
    role: Role,
    report: &mut impl Report,
) -> QueryResult<Result<Counts, String>> {
    let mut reader = match Reader::new(input) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let mut matcher = Matcher::new(role);
    let mut counts = Counts::default();
    while let Some(batch) = next_batch(conn, &mut reader, &mut matcher).await? {
        let batch = match batch {
            Ok(b) => b,
            Err(e) => return Ok(Err(e)),
        };
        for c in batch {
            counts.next(c.kind);
            if let (Kind::Invalid, Some(reason)) = (c.kind, &c.reason) {
                report.invalid(c.line, reason);
            }
        }
    }
    Ok(Ok(counts))
}

/// The shell's import: streams the file into a stored preview (no size
/// cap: the desk's own large exports must come back) and confirms it, all
/// in one transaction. A problem with the file ([`ImportError::File`])
/// writes nothing. Returns the preview's counts, then (created, skipped).
pub async fn import_stream<R: BufRead + Send>(
    conn: &mut AsyncPgConnection,
    filename: &str,
    input: R,
    actor: Actor,
    report: &mut (impl Report + Send),
) -> Result<(Counts, usize, usize), ImportError> {
    conn.transaction::<_, ImportError, _>(async move |conn| {
        let id = ImportId::new_v4();
        // The shell's file stays where it is: the stored content is empty.
        diesel::insert_into(imports::table)
            .values((
                imports::id.eq(id),
                imports::user_id.eq(actor.id),
                imports::filename.eq(filename),
                imports::content.eq(""),
            ))
            .execute(conn)
            .await?;
        store_preview(conn, id, input, actor.role, None, &|| true).await?;
        let imp = find(conn, id).await?;
        if let Some(e) = imp.file_error {
            // Roll back: a refused file leaves no trace.
            return Err(ImportError::File(e));
        }
        let invalid: Vec<(i64, Option<String>)> = import_rows::table
            .filter(import_rows::import_id.eq(id))
            .filter(import_rows::kind.eq(Kind::Invalid.as_str()))
            .order(import_rows::n.asc())
            .select((import_rows::line, import_rows::reason))
            .load(conn)
            .await?;
        for (line, reason) in invalid {
            report.invalid(line as u64, reason.as_deref().unwrap_or_default());
        }
        let counts = Counts {
            create: imp.n_create,
            duplicate: imp.n_duplicate,
            invalid: imp.n_invalid,
        };
        let (created, skipped) = confirm_locked(conn, id, actor, &|| true).await?;
        Ok((counts, created, skipped))
    })
    .await
}
