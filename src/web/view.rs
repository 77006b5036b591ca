//! Small presentation helpers used by templates.

use crate::domain::{ClaimStatus, SourceType};
use chrono::{DateTime, Utc};

pub use crate::domain::text::excerpt;

pub fn when(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

pub fn when_opt(t: &Option<DateTime<Utc>>) -> String {
    t.as_ref().map(when).unwrap_or_default()
}

/// The value for an HTML `datetime-local` input.
pub fn input_datetime(t: &Option<DateTime<Utc>>) -> String {
    t.map(|t| t.format("%Y-%m-%dT%H:%M").to_string())
        .unwrap_or_default()
}

/// Shown when an edit was based on a version someone else has replaced.
pub fn stale_message(current: i32) -> String {
    format!(
        "Another editor changed this record while you were working (it is now at version {current}). \
         Their version is shown; your input is kept in the form — check it and submit again to apply it."
    )
}

/// An option in a `<select>`: value, label and whether it is chosen.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub selected: bool,
}

pub fn status_choices(selected: &str) -> Vec<Choice> {
    ClaimStatus::ALL
        .iter()
        .map(|s| Choice {
            value: s.as_str().into(),
            label: s.label().into(),
            selected: s.as_str() == selected,
        })
        .collect()
}

pub fn type_choices(selected: &str) -> Vec<Choice> {
    SourceType::ALL
        .iter()
        .map(|t| Choice {
            value: t.as_str().into(),
            label: t.label().into(),
            selected: t.as_str() == selected,
        })
        .collect()
}

/// Count per status for a summary bar, in workflow order, zeros included.
pub fn status_summary(counts: &[(ClaimStatus, i64)]) -> Vec<(ClaimStatus, i64)> {
    ClaimStatus::ALL
        .iter()
        .map(|s| {
            (
                *s,
                counts
                    .iter()
                    .find(|(c, _)| c == s)
                    .map(|(_, n)| *n)
                    .unwrap_or(0),
            )
        })
        .collect()
}

impl crate::models::claim::ClaimRow {
    pub fn excerpt(&self) -> String {
        excerpt(&self.claim.quote, 180)
    }

    pub fn updated(&self) -> String {
        when(&self.claim.updated_at)
    }
}

impl crate::models::claim::Claim {
    pub fn claimed_text(&self) -> String {
        when_opt(&self.claimed_at)
    }
}

impl crate::models::history::HistoryEntry {
    pub fn when(&self) -> String {
        when(&self.row.created_at)
    }

    /// "quote, summary": the fields an edit touched. A source merge names
    /// both sources ("source: Abu Mohammed al-Jolani → Ahmed al-Sharaa").
    pub fn changed_fields(&self) -> String {
        let Some(serde_json::Value::Object(m)) = &self.row.changes else {
            return String::new();
        };
        let named = |k: &str| {
            let c = m.get(k)?;
            Some(format!(
                "{k}: {} → {}",
                c["from"].as_str()?,
                c["to"].as_str()?
            ))
        };
        let merged = named("source");
        m.keys()
            .filter(|k| merged.is_none() || k.as_str() != "source_id")
            .map(|k| match (k.as_str(), &merged) {
                ("source", Some(text)) => text.clone(),
                _ => k.replace('_', " "),
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

impl crate::models::story::Story {
    pub fn published_text(&self) -> String {
        when_opt(&self.published_at)
    }
}
