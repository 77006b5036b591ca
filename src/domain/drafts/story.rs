//! A story as typed into its form or sent as JSON, and the draft it parses to.

use super::super::validation::{self as v, FieldErrors};
use super::super::version::Version;
use super::wire;
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Story fields as sent by the form or the JSON API (same field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StoryInput {
    pub title: String,
    pub outlet: String,
    #[serde(deserialize_with = "wire::text")]
    pub url: String,
    #[serde(deserialize_with = "wire::text")]
    pub published_at: String,
    #[serde(deserialize_with = "wire::text")]
    pub dateline: String,
    #[serde(deserialize_with = "wire::text")]
    pub notes: String,
    /// The version an edit is based on; ignored when creating.
    #[serde(deserialize_with = "wire::version")]
    pub version: Option<Version>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoryDraft {
    pub title: String,
    pub outlet: String,
    pub url: Option<String>,
    pub published_at: Option<DateTime<Utc>>,
    pub dateline: Option<String>,
    pub notes: Option<String>,
}

impl StoryDraft {
    pub fn parse(input: &StoryInput) -> Result<StoryDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let title = e.take("title", v::required(&input.title, v::MAX_TITLE));
        let outlet = e.take("outlet", v::required(&input.outlet, v::MAX_NAME));
        let url = e.take("url", v::optional_url(Some(&input.url)));
        let published_at = e.take(
            "published_at",
            v::optional_datetime(Some(&input.published_at)),
        );
        let dateline = e.take("dateline", v::optional(Some(&input.dateline), v::MAX_NAME));
        let notes = e.take("notes", v::optional(Some(&input.notes), v::MAX_QUOTE));
        match (title, outlet, url, published_at, dateline, notes) {
            (
                Some(title),
                Some(outlet),
                Some(url),
                Some(published_at),
                Some(dateline),
                Some(notes),
            ) if e.is_empty() => Ok(StoryDraft {
                title,
                outlet,
                url,
                published_at,
                dateline,
                notes,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_field_refuses_nul() {
        let nul = "a\u{0}b".to_owned();
        let story = StoryInput {
            title: nul.clone(),
            outlet: nul.clone(),
            dateline: nul.clone(),
            notes: nul,
            ..Default::default()
        };
        let errs = StoryDraft::parse(&story).err().unwrap_or_default();
        for f in ["title", "outlet", "dateline", "notes"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
    }

    #[test]
    fn story_url_must_be_http() {
        let input = StoryInput {
            title: "t".into(),
            outlet: "AFP".into(),
            url: "javascript:alert(1)".into(),
            ..Default::default()
        };
        assert!(StoryDraft::parse(&input)
            .err()
            .unwrap_or_default()
            .get("url")
            .is_some());
    }
}
