//! Importing the desk's own JSON and NDJSON exports (`claimdesk.export/1` and `/2`),
//! so that export → import → export keeps everything the export holds.
//!
//! The file is streamed: a blocking thread reads it one claim at a time
//! (serde's `SeqAccess` over the `claims` array, or one NDJSON line) and
//! hands checked records over a bounded channel to the writer, which runs
//! the whole file in one transaction. A preview is the same run, rolled back.

pub mod record;
mod store;

use crate::domain::Role;
use crate::domain::{AuditAction, AuditObjectType};
use crate::models::audit::{self, Entry};
use crate::models::Actor;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use record::ClaimRecord;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Serialize;
use std::cell::Cell;
use std::io::{BufRead, BufReader, Read};
use std::rc::Rc;
use store::{Outcome, Store};
use tokio::sync::mpsc;

/// The largest single claim the reader accepts (its JSON text): far above a
/// real one, small enough that a hostile file cannot exhaust memory.
pub const MAX_RECORD_BYTES: u64 = 16 * 1024 * 1024;
/// Claims written per batch (one INSERT of claims, of figures, of history).
const BATCH: usize = 500;
/// Invalid records listed one by one in a report; all are counted.
pub const MAX_LISTED: usize = 1000;
/// Serialises JSON imports with each other (story matching by title and
/// outlet has no unique index to lean on).
const IMPORT_LOCK: i64 = 727_275;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum JsonFormat {
    /// `{"schema": "claimdesk.export/2", "claims": [ … ]}` (or `/1`) (or a bare array).
    Json,
    /// One claim per line.
    Ndjson,
}

impl JsonFormat {
    /// From a file name: `.json`, `.ndjson` or `.jsonl`.
    pub fn from_name(name: &str) -> Option<JsonFormat> {
        let lower = name.to_lowercase();
        if lower.ends_with(".ndjson") || lower.ends_with(".jsonl") {
            Some(JsonFormat::Ndjson)
        } else if lower.ends_with(".json") {
            Some(JsonFormat::Json)
        } else {
            None
        }
    }

    /// From the first bytes: `[`, or `{` opening the document's `schema` or
    /// `claims` key, is a document; any other `{` starts an NDJSON claim.
    /// `None`: not JSON (a CSV, say).
    pub fn sniff(head: &[u8]) -> Option<JsonFormat> {
        let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
        let mut rest = head.trim_ascii_start();
        match rest.first()? {
            b'[' => return Some(JsonFormat::Json),
            b'{' => rest = rest[1..].trim_ascii_start(),
            _ => return None,
        }
        if rest.starts_with(b"\"schema\"") || rest.starts_with(b"\"claims\"") {
            Some(JsonFormat::Json)
        } else {
            Some(JsonFormat::Ndjson)
        }
    }
}

/// Where a record is in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Position {
    /// Index in the JSON document's `claims` array, from 0.
    Index(u64),
    /// Physical line of an NDJSON file, from 1.
    Line(u64),
}

impl std::fmt::Display for Position {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Position::Index(i) => write!(f, "claims[{i}]"),
            Position::Line(l) => write!(f, "line {l}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordError {
    pub position: Position,
    pub message: String,
}

/// What an import did (or, for a preview or a file with invalid records,
/// would do: then nothing was written and `committed` is false).
#[derive(Debug, Clone, Default, Serialize)]
pub struct JsonImportReport {
    pub format: Option<JsonFormat>,
    /// Claims read, valid or not.
    pub records: u64,
    /// New claims (written, or to write).
    pub created: u64,
    /// Claims already present (same story, source and quote).
    pub skipped: u64,
    pub invalid: u64,
    /// The first [`MAX_LISTED`] invalid records.
    pub errors: Vec<RecordError>,
    pub stories_created: u64,
    pub sources_created: u64,
    pub history_entries: u64,
    /// Distinct actor e-mails that matched an account here.
    pub actors_matched: u64,
    /// Distinct actor e-mails recorded as imported (no such account here).
    pub actors_imported: u64,
    pub committed: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum JsonImportError {
    /// The file as a whole is unusable (not JSON, wrong schema, unreadable);
    /// nothing was written.
    #[error("{0}")]
    File(String),
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
}

/// Imports (`commit`) or previews a JSON or NDJSON export read from
/// `reader`, the format told by its first bytes. See [`import_json_as`].
pub async fn import_json<R: Read + Send + 'static>(
    conn: &mut AsyncPgConnection,
    reader: R,
    actor: Actor,
    commit: bool,
) -> Result<JsonImportReport, JsonImportError> {
    import_json_as(conn, reader, None, actor, commit).await
}

/// Imports or previews a JSON (`format` given, else sniffed) export, all or
/// nothing: with any invalid record, or without `commit`, the transaction is
/// rolled back and the report tells what would have happened.
pub async fn import_json_as<R: Read + Send + 'static>(
    conn: &mut AsyncPgConnection,
    reader: R,
    format: Option<JsonFormat>,
    actor: Actor,
    commit: bool,
) -> Result<JsonImportReport, JsonImportError> {
    import_json_with_progress(conn, reader, format, actor, commit, &|| {}).await
}

/// [`import_json_as`], calling `progress` after each batch written, so a
/// caller can bound each batch rather than the whole (the web upload).
pub async fn import_json_with_progress<R: Read + Send + 'static>(
    conn: &mut AsyncPgConnection,
    reader: R,
    format: Option<JsonFormat>,
    actor: Actor,
    commit: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<JsonImportReport, JsonImportError> {
    let (tx, rx) = mpsc::channel::<Item>(BATCH);
    let role = actor.role;
    let reading = tokio::task::spawn_blocking(move || read_all(reader, format, role, &tx));
    let outcome = conn
        .transaction::<_, Abort, _>(async move |conn| {
            write_all(conn, rx, reading, actor, commit, progress).await
        })
        .await;
    match outcome {
        Ok(report) => Ok(report),
        Err(Abort::Rollback(report)) => Ok(*report),
        Err(Abort::File(m)) => Err(JsonImportError::File(m)),
        Err(Abort::Db(e)) => Err(JsonImportError::Db(e)),
    }
}

/// Why the transaction ended without committing.
enum Abort {
    Rollback(Box<JsonImportReport>),
    File(String),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for Abort {
    fn from(e: diesel::result::Error) -> Self {
        Abort::Db(e)
    }
}

async fn write_all(
    conn: &mut AsyncPgConnection,
    mut rx: mpsc::Receiver<Item>,
    reading: tokio::task::JoinHandle<Result<JsonFormat, String>>,
    actor: Actor,
    commit: bool,
    progress: &(dyn Fn() + Sync),
) -> Result<JsonImportReport, Abort> {
    use diesel_async::RunQueryDsl;
    diesel::sql_query(format!("SELECT pg_advisory_xact_lock({IMPORT_LOCK})"))
        .execute(conn)
        .await?;
    let import_id = crate::domain::ImportId::new_v4();
    let mut store = Store::new(actor, import_id);
    let mut report = JsonImportReport::default();
    let mut items = Vec::with_capacity(BATCH);
    while rx.recv_many(&mut items, BATCH).await > 0 {
        let mut valid = Vec::with_capacity(items.len());
        for Item { position, record } in items.drain(..) {
            report.records += 1;
            match record {
                Ok(rec) => valid.push(rec),
                Err(message) => {
                    report.invalid += 1;
                    if report.errors.len() < MAX_LISTED {
                        report.errors.push(RecordError { position, message });
                    }
                }
            }
        }
        for outcome in store.write_batch(conn, &valid).await? {
            match outcome {
                Outcome::Created => report.created += 1,
                Outcome::Skipped => report.skipped += 1,
            }
        }
        progress();
    }
    let format = reading
        .await
        .map_err(|e| Abort::File(format!("reading the file failed: {e}")))?
        .map_err(Abort::File)?;
    report.format = Some(format);
    report.stories_created = store.stories_created;
    report.sources_created = store.sources_created;
    report.history_entries = store.history_entries;
    (report.actors_matched, report.actors_imported) = store.actor_counts();
    if !commit || report.invalid > 0 {
        return Err(Abort::Rollback(Box::new(report)));
    }
    report.committed = true;
    let after = serde_json::json!({
        "format": format,
        "created": report.created,
        "skipped": report.skipped,
        "stories_created": report.stories_created,
        "sources_created": report.sources_created,
        "history_entries": report.history_entries,
    });
    audit::record(
        conn,
        Entry::new(
            actor.id,
            AuditAction::Import,
            AuditObjectType::Import,
            Some(import_id),
        )
        .after(&after),
    )
    .await?;
    Ok(report)
}

/// One claim read from the file, checked or refused.
struct Item {
    position: Position,
    record: Result<ClaimRecord, String>,
}

/// Set when the writer has gone away: reading stops.
const STOPPED: &str = "import stopped";

/// Reads the whole file on a blocking thread, sending each claim as it
/// comes. Returns the format read, or why the file as a whole is unusable.
fn read_all<R: Read>(
    reader: R,
    format: Option<JsonFormat>,
    role: Role,
    tx: &mpsc::Sender<Item>,
) -> Result<JsonFormat, String> {
    let mut reader = BufReader::with_capacity(64 * 1024, reader);
    let head = reader
        .fill_buf()
        .map_err(|e| format!("reading the file: {e}"))?;
    if head.starts_with(b"\xEF\xBB\xBF") {
        reader.consume(3);
    }
    let head = reader
        .fill_buf()
        .map_err(|e| format!("reading the file: {e}"))?;
    let format = match format.or_else(|| JsonFormat::sniff(head)) {
        Some(f) => f,
        None if head.trim_ascii().is_empty() => return Err("The file is empty.".into()),
        None => return Err("This is not a JSON or NDJSON export.".into()),
    };
    match format {
        JsonFormat::Json => read_document(reader, role, tx)?,
        JsonFormat::Ndjson => read_lines(reader, role, tx)?,
    }
    Ok(format)
}

fn read_lines<R: BufRead>(
    mut reader: R,
    role: Role,
    tx: &mpsc::Sender<Item>,
) -> Result<(), String> {
    let mut line_no = 0u64;
    let mut buf = Vec::new();
    loop {
        buf.clear();
        let n = (&mut reader)
            .take(MAX_RECORD_BYTES + 1)
            .read_until(b'\n', &mut buf)
            .map_err(|e| format!("reading line {}: {e}", line_no + 1))?;
        if n == 0 {
            return Ok(());
        }
        line_no += 1;
        if buf.len() as u64 > MAX_RECORD_BYTES {
            return Err(format!(
                "Line {line_no} is longer than {MAX_RECORD_BYTES} bytes."
            ));
        }
        if buf.trim_ascii().is_empty() {
            continue;
        }
        let record = serde_json::from_slice::<serde_json::Value>(&buf)
            .map_err(|e| format!("not JSON: {e}"))
            .and_then(|v| record::parse(v, role));
        let item = Item {
            position: Position::Line(line_no),
            record,
        };
        if tx.blocking_send(item).is_err() {
            return Err(STOPPED.into());
        }
    }
}

/// Counts the bytes the parser takes, so one oversized claim is refused
/// before it is held in memory.
struct Budgeted<R> {
    inner: R,
    used: Rc<Cell<u64>>,
}

impl<R: Read> Read for Budgeted<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.used.get() > MAX_RECORD_BYTES {
            return Err(std::io::Error::other(format!(
                "a claim is larger than {MAX_RECORD_BYTES} bytes"
            )));
        }
        let n = self.inner.read(buf)?;
        self.used.set(self.used.get() + n as u64);
        Ok(n)
    }
}

fn read_document<R: Read>(reader: R, role: Role, tx: &mpsc::Sender<Item>) -> Result<(), String> {
    let used = Rc::new(Cell::new(0));
    let budgeted = Budgeted {
        inner: reader,
        used: used.clone(),
    };
    let mut de = serde_json::Deserializer::from_reader(budgeted);
    let claims = Claims {
        tx,
        role,
        used: &used,
    };
    let found = Document(claims)
        .deserialize(&mut de)
        .and_then(|found| de.end().map(|_| found))
        .map_err(|e| {
            if e.to_string().starts_with(STOPPED) {
                STOPPED.to_owned()
            } else {
                format!("The file is not a readable JSON export: {e}")
            }
        })?;
    if !found {
        return Err("The JSON document has no \"claims\" array.".into());
    }
    Ok(())
}

/// The top level: the export's object (schema checked, `claims` streamed,
/// other keys skipped) or a bare array of claims. Yields whether claims
/// were found.
struct Document<'a>(Claims<'a>);

impl<'de> DeserializeSeed<'de> for Document<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Document<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("the export's object with a \"claims\" array")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let mut found = false;
        while let Some(key) = map.next_key::<String>()? {
            match key.as_str() {
                "schema" => {
                    let schema: String = map.next_value()?;
                    if !crate::export::json::READABLE.contains(&schema.as_str()) {
                        return Err(de::Error::custom(format!(
                            "schema {schema:?} is not one of {:?}",
                            crate::export::json::READABLE
                        )));
                    }
                }
                "claims" if !found => {
                    map.next_value_seed(self.0)?;
                    found = true;
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(found)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<bool, A::Error> {
        self.0.visit_seq(seq)
    }
}

/// The `claims` array, one element at a time.
#[derive(Clone, Copy)]
struct Claims<'a> {
    tx: &'a mpsc::Sender<Item>,
    role: Role,
    used: &'a Rc<Cell<u64>>,
}

impl<'de> DeserializeSeed<'de> for Claims<'_> {
    type Value = bool;

    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<bool, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for Claims<'_> {
    type Value = bool;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("an array of claims")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<bool, A::Error> {
        let mut index = 0u64;
        loop {
            self.used.set(0);
            let Some(value) = seq.next_element::<serde_json::Value>()? else {
                return Ok(true);
            };
            let item = Item {
                position: Position::Index(index),
                record: record::parse(value, self.role),
            };
            if self.tx.blocking_send(item).is_err() {
                return Err(de::Error::custom(STOPPED));
            }
            index += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_documents_lines_and_other_files() {
        assert_eq!(
            JsonFormat::sniff(b"\xEF\xBB\xBF {\"schema\":\"x\"}"),
            Some(JsonFormat::Json)
        );
        assert_eq!(
            JsonFormat::sniff(b"{\n  \"claims\": []}"),
            Some(JsonFormat::Json)
        );
        assert_eq!(JsonFormat::sniff(b" [ ]"), Some(JsonFormat::Json));
        assert_eq!(
            JsonFormat::sniff(b"{\"id\":\"x\"}\n"),
            Some(JsonFormat::Ndjson)
        );
        assert_eq!(JsonFormat::sniff(b"id,story_title\n"), None);
        assert_eq!(
            JsonFormat::from_name("Claims.NDJSON"),
            Some(JsonFormat::Ndjson)
        );
        assert_eq!(JsonFormat::from_name("claims.csv"), None);
    }
}
