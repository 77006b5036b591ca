//! One claim of a `claimdesk.export/1` or `/2` file, read and checked before any
//! write: the same drafts and rules as the forms, plus a replay of the
//! status history through the workflow. Pure: no SQL, no I/O.

use crate::domain::drafts::{
    ClaimDraft, ClaimInput, SourceDraft, SourceInput, StoryDraft, StoryInput,
};
use crate::domain::status::{self, ClaimStatus};
use crate::domain::validation as v;
use crate::domain::{Figure, HistoryAction, Role};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

/// Longest e-mail an account can have (RFC 5321 path limit).
const MAX_EMAIL: usize = 254;
/// An `edited` entry's `changes` object, serialised; far above any real edit
/// (a quote of 10,000 characters, before and after).
const MAX_CHANGES_BYTES: usize = 256 * 1024;
/// History entries per claim; a claim reopened daily for years stays below.
const MAX_HISTORY: usize = 10_000;

/// A claim as the export writes it. Fields the import recomputes (ids,
/// `status_reason`, `status_changed_at`, the flat `evidence` list) or does not
/// need are ignored, so later additions to the schema do not break it.
/// A claim as the export writes it: the API's input fields, read with the
/// same type, plus what an export adds. Fields the import recomputes (ids,
/// `status_reason`, `status_changed_at`, the flat `evidence` list) or does
/// not need are ignored, so later additions to the schema do not break it.
#[derive(Debug, Deserialize)]
pub struct RawClaim {
    #[serde(flatten)]
    pub input: ClaimInput,
    pub status: String,
    pub review_url: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub version: Option<i32>,
    pub source: RawSource,
    pub story: RawStory,
    pub history: Option<Vec<RawHistory>>,
}

#[derive(Debug, Deserialize)]
pub struct RawSource {
    #[serde(flatten)]
    pub input: SourceInput,
    /// Admiralty grade and its history (exports since the grade came in).
    pub grade: Option<String>,
    #[serde(default)]
    pub grade_history: Vec<RawGradeChange>,
    pub created_at: Option<DateTime<Utc>>,
    pub version: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct RawGradeChange {
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
    pub by: Option<String>,
    pub at: DateTime<Utc>,
}

/// A source's grade and its changes, checked.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SourceGrading {
    pub grade: Option<crate::domain::Grade>,
    /// Oldest first.
    pub history: Vec<GradeMove>,
}

/// (from, to, reason, by, at) of one imported grade change.
pub type GradeMove = (
    Option<crate::domain::Grade>,
    crate::domain::Grade,
    String,
    Option<String>,
    DateTime<Utc>,
);

fn check_grading(raw: &RawSource) -> Result<SourceGrading, String> {
    use crate::domain::Grade;
    let letter = |s: &str, f: &str| {
        Grade::parse(s).ok_or_else(|| format!("source.{f}: {s:?} is not a grade from A to F"))
    };
    let grade = raw
        .grade
        .as_deref()
        .map(|g| letter(g, "grade"))
        .transpose()?;
    let mut history = Vec::new();
    for h in &raw.grade_history {
        let from = h
            .from
            .as_deref()
            .map(|g| letter(g, "grade_history.from"))
            .transpose()?;
        let reason = v::required(&h.reason, v::MAX_TEXT)
            .map_err(|m| format!("source.grade_history.reason: {m}"))?;
        let by = v::optional(h.by.as_deref(), v::MAX_NAME)
            .map_err(|m| format!("source.grade_history.by: {m}"))?;
        history.push((from, letter(&h.to, "grade_history.to")?, reason, by, h.at));
    }
    Ok(SourceGrading { grade, history })
}

#[derive(Debug, Deserialize)]
pub struct RawStory {
    #[serde(flatten)]
    pub input: StoryInput,
    pub created_at: Option<DateTime<Utc>>,
    pub version: Option<i32>,
}

#[derive(Debug, Deserialize)]
pub struct RawHistory {
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: Option<String>,
    pub reason: Option<String>,
    pub changes: Option<serde_json::Value>,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub created_at: DateTime<Utc>,
    #[serde(default)]
    pub evidence: Vec<String>,
}

/// Who made a history entry, as the file names them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileActor {
    pub name: Option<String>,
    /// Matched case-insensitively, as accounts are unique by lower-cased e-mail.
    pub email: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct HistoryRecord {
    pub action: HistoryAction,
    pub from: Option<ClaimStatus>,
    pub to: Option<ClaimStatus>,
    pub reason: Option<String>,
    pub changes: Option<serde_json::Value>,
    /// `None`: made by the system (seeds, earlier imports without an actor).
    pub actor: Option<FileActor>,
    pub at: DateTime<Utc>,
    pub evidence: Vec<String>,
}

/// A checked claim, ready to be matched and written.
#[derive(Debug, Clone, PartialEq)]
pub struct ClaimRecord {
    pub story: StoryDraft,
    pub story_created_at: Option<DateTime<Utc>>,
    pub story_version: i32,
    pub source: SourceDraft,
    pub source_created_at: Option<DateTime<Utc>>,
    pub source_version: i32,
    pub source_grading: SourceGrading,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
    pub figures: Vec<Figure>,
    pub status: ClaimStatus,
    pub review_url: Option<String>,
    pub created_at: Option<DateTime<Utc>>,
    pub version: i32,
    /// Oldest first; when empty, the import writes the `created` entry.
    pub history: Vec<HistoryRecord>,
}

/// Reads one element of the file: its shape, then its content.
pub fn parse(value: serde_json::Value, role: Role) -> Result<ClaimRecord, String> {
    if let Some(path) = nul_byte(&value, String::new()) {
        return Err(format!(
            "{path}: contains a NUL byte, which text cannot hold"
        ));
    }
    let raw: RawClaim =
        serde_json::from_value(value).map_err(|e| format!("not a claim of the export: {e}"))?;
    check(raw, role)
}

/// Path of the first string (or key) holding U+0000, if any.
fn nul_byte(v: &serde_json::Value, path: String) -> Option<String> {
    use serde_json::Value;
    let here = || {
        if path.is_empty() {
            "record".into()
        } else {
            path.clone()
        }
    };
    match v {
        Value::String(s) if s.contains('\0') => Some(here()),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, x)| nul_byte(x, format!("{}[{i}]", here()))),
        Value::Object(m) => m.iter().find_map(|(k, x)| {
            let p = if path.is_empty() {
                k.clone()
            } else {
                format!("{path}.{k}")
            };
            if k.contains('\0') {
                Some(p)
            } else {
                nul_byte(x, p)
            }
        }),
        _ => None,
    }
}

fn first_error(prefix: &str, errs: crate::domain::FieldErrors) -> String {
    errs.iter()
        .next()
        .map(|(f, m)| format!("{prefix}{f}: {m}"))
        .unwrap_or_else(|| format!("{prefix}invalid"))
}

fn version(v: Option<i32>, what: &str) -> Result<i32, String> {
    match v {
        None => Ok(1),
        Some(n) if n >= 1 => Ok(n),
        Some(n) => Err(format!("{what}version: {n} is not a positive version")),
    }
}

fn check(raw: RawClaim, role: Role) -> Result<ClaimRecord, String> {
    let story = StoryDraft::parse(&raw.story.input).map_err(|e| first_error("story.", e))?;
    let source =
        SourceDraft::parse(&raw.source.input, "").map_err(|e| first_error("source.", e))?;
    // The claim form's own checks; story and source are resolved by the
    // import, so placeholders stand in for the ids of the exporting desk.
    let draft = ClaimDraft::parse(&ClaimInput {
        story_id: Uuid::nil().to_string(),
        source_id: Uuid::nil().to_string(),
        new_source: None,
        ..raw.input
    })
    .map_err(|e| first_error("", e))?;
    let status = ClaimStatus::parse(&raw.status)
        .ok_or_else(|| format!("status: unknown status {:?}", raw.status))?;
    let review_url =
        v::optional_url(raw.review_url.as_deref()).map_err(|m| format!("review_url: {m}"))?;
    let history = match raw.history {
        Some(h) => check_history(h, status, role)?,
        None if status == ClaimStatus::Unverified => Vec::new(),
        None => {
            return Err(format!(
                "history: a claim with status {} needs the status history that led to it",
                status.as_str()
            ))
        }
    };
    Ok(ClaimRecord {
        story,
        story_created_at: raw.story.created_at,
        story_version: version(raw.story.version, "story.")?,
        source,
        source_created_at: raw.source.created_at,
        source_version: version(raw.source.version, "source.")?,
        source_grading: check_grading(&raw.source)?,
        quote: draft.quote,
        is_paraphrase: draft.is_paraphrase,
        summary: draft.summary,
        claimed_at: draft.claimed_at,
        claimed_where: draft.claimed_where,
        figures: draft.figures,
        status,
        review_url,
        created_at: raw.created_at,
        version: version(raw.version, "")?,
        history,
    })
}

fn opt_status(s: Option<&str>, field: &str) -> Result<Option<ClaimStatus>, String> {
    match s {
        None => Ok(None),
        Some(s) => ClaimStatus::parse(s)
            .map(Some)
            .ok_or_else(|| format!("{field}: unknown status {s:?}")),
    }
}

fn actor(name: Option<String>, email: Option<String>) -> Result<Option<FileActor>, String> {
    let name = v::optional(name.as_deref(), v::MAX_NAME).map_err(|m| format!("actor_name: {m}"))?;
    let email =
        v::optional(email.as_deref(), MAX_EMAIL).map_err(|m| format!("actor_email: {m}"))?;
    Ok((name.is_some() || email.is_some()).then_some(FileActor { name, email }))
}

/// Replays the history through the workflow: every status change must be a
/// permitted move from the status before it, one the importer's role may
/// make, and the last one must end where the claim stands.
fn check_history(
    raw: Vec<RawHistory>,
    status: ClaimStatus,
    role: Role,
) -> Result<Vec<HistoryRecord>, String> {
    if raw.len() > MAX_HISTORY {
        return Err(format!("history: more than {MAX_HISTORY} entries"));
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut current = ClaimStatus::Unverified;
    for (i, h) in raw.into_iter().enumerate() {
        let at = format!("history[{i}].");
        let record = entry(h, current, role).map_err(|m| format!("{at}{m}"))?;
        if let Some(to) = record
            .to
            .filter(|_| record.action == HistoryAction::StatusChanged)
        {
            current = to;
        }
        if i == 0 && record.action != HistoryAction::Created {
            return Err(format!("{at}action: the first entry must be \"created\""));
        }
        if i > 0 && record.action == HistoryAction::Created {
            return Err(format!("{at}action: a claim is created only once"));
        }
        // The desk reads history back by time: a file out of time order
        // would replay one workflow and show another.
        if out.last().is_some_and(|p: &HistoryRecord| p.at > record.at) {
            return Err(format!(
                "{at}created_at: earlier than the entry before it (history is oldest first)"
            ));
        }
        out.push(record);
    }
    if current != status {
        return Err(format!(
            "status: the claim is {} but its history ends at {}",
            status.as_str(),
            current.as_str()
        ));
    }
    Ok(out)
}

fn entry(h: RawHistory, current: ClaimStatus, role: Role) -> Result<HistoryRecord, String> {
    let from = opt_status(h.from_status.as_deref(), "from_status")?;
    let to = opt_status(h.to_status.as_deref(), "to_status")?;
    let actor = actor(h.actor_name, h.actor_email)?;
    let evidence = h
        .evidence
        .iter()
        .enumerate()
        .map(|(i, l)| v::http_url(l).map_err(|m| format!("evidence[{i}]: {m}")))
        .collect::<Result<Vec<_>, _>>()?;
    let mut record = HistoryRecord {
        action: HistoryAction::Created,
        from: None,
        to: None,
        reason: None,
        changes: None,
        actor,
        at: h.created_at,
        evidence,
    };
    let action = h.action.parse::<HistoryAction>();
    match action.map_err(|_| format!("action: unknown action {:?}", h.action))? {
        HistoryAction::Created => {
            if to.is_some_and(|t| t != ClaimStatus::Unverified) || from.is_some() {
                return Err("to_status: a claim is created unverified".into());
            }
            record.to = Some(ClaimStatus::Unverified);
        }
        HistoryAction::Edited => {
            record.action = HistoryAction::Edited;
            record.changes = match h.changes {
                Some(c @ serde_json::Value::Object(_)) => {
                    if c.to_string().len() > MAX_CHANGES_BYTES {
                        return Err(format!("changes: larger than {MAX_CHANGES_BYTES} bytes"));
                    }
                    Some(c)
                }
                // Every edit has a diff (claim_history_edited_shape): an
                // empty one when the file does not say what changed.
                None => Some(serde_json::json!({})),
                Some(_) => return Err("changes: must be an object".into()),
            };
        }
        HistoryAction::StatusChanged => {
            let (Some(from), Some(to)) = (from, to) else {
                return Err("a status change needs from_status and to_status".into());
            };
            if from != current {
                return Err(format!(
                    "from_status: {} does not follow the previous status {}",
                    from.as_str(),
                    current.as_str()
                ));
            }
            let reason = h.reason.unwrap_or_default();
            if reason.chars().count() > v::MAX_TEXT {
                return Err(format!(
                    "reason: Must be at most {} characters.",
                    v::MAX_TEXT
                ));
            }
            let t = status::transition(from, to, &reason).map_err(|e| format!("status: {e}"))?;
            if !role.may_transition(t.kind) {
                return Err(format!(
                    "status: your role ({}) cannot import a move from {} to {}",
                    role.label(),
                    from.as_str(),
                    to.as_str()
                ));
            }
            record.action = HistoryAction::StatusChanged;
            record.from = Some(t.from);
            record.to = Some(t.to);
            record.reason = Some(t.reason);
        }
    }
    if record.action != HistoryAction::StatusChanged && !record.evidence.is_empty() {
        return Err("evidence: only a status change carries evidence".into());
    }
    Ok(record)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn claim(history: serde_json::Value, status: &str) -> serde_json::Value {
        json!({
            "quote": "Damascus awaits you",
            "status": status,
            "source": {"name": "Rania", "source_type": "witness"},
            "story": {"title": "Syria", "outlet": "AFP"},
            "history": history,
        })
    }

    fn change(from: &str, to: &str, reason: &str) -> serde_json::Value {
        json!({"action": "status_changed", "from_status": from, "to_status": to,
               "reason": reason, "created_at": "2024-12-08T10:00:00Z"})
    }

    fn created() -> serde_json::Value {
        json!({"action": "created", "to_status": "unverified", "created_at": "2024-12-08T09:00:00Z"})
    }

    #[test]
    fn history_replays_through_the_workflow() {
        let h = json!([
            created(),
            change("unverified", "in_review", "checking"),
            change("in_review", "false", "doctored"),
            change("false", "in_review", "new footage"),
            change("in_review", "verified", "confirmed"),
        ]);
        let r = parse(claim(h, "verified"), Role::Editor);
        let reasons: Vec<_> = r
            .map(|r| r.history.into_iter().filter_map(|h| h.reason).collect())
            .unwrap_or_default();
        assert_eq!(
            reasons,
            ["checking", "doctored", "new footage", "confirmed"]
        );
    }

    #[test]
    fn history_must_be_in_time_order() {
        let mut late = change("unverified", "in_review", "checking");
        late["created_at"] = json!("2024-12-08T08:00:00Z");
        let h = json!([created(), late]);
        assert!(parse(claim(h, "in_review"), Role::Editor)
            .is_err_and(|e| e.starts_with("history[1].created_at")));
    }

    #[test]
    fn final_status_must_match_the_history() {
        let h = json!([created(), change("unverified", "in_review", "checking")]);
        assert!(parse(claim(h, "false"), Role::Editor).is_err_and(|e| e.contains("ends at")));
    }

    #[test]
    fn skipped_steps_and_reporter_verdicts_are_refused() {
        let h = json!([created(), change("unverified", "false", "x")]);
        assert!(parse(claim(h, "false"), Role::Editor).is_err_and(|e| e.contains("history[1]")));
        let h = json!([
            created(),
            change("unverified", "in_review", "a"),
            change("in_review", "false", "b")
        ]);
        assert!(parse(claim(h, "false"), Role::Reporter).is_err_and(|e| e.contains("role")));
    }

    #[test]
    fn nul_bytes_and_bad_links_are_refused() {
        let mut c = claim(json!([created()]), "unverified");
        c["source"]["name"] = json!("Ra\u{0}nia");
        assert!(parse(c, Role::Editor).is_err_and(|e| e.starts_with("source.name")));
        let mut c = claim(json!([created()]), "unverified");
        c["review_url"] = json!("javascript:alert(1)");
        assert!(parse(c, Role::Editor).is_err_and(|e| e.starts_with("review_url")));
    }

    #[test]
    fn wrong_shapes_name_the_field() {
        let c = json!({"quote": 5});
        assert!(parse(c, Role::Editor).is_err_and(|e| e.contains("not a claim")));
    }
}
