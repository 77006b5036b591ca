//! A claim as typed into its form or sent as JSON, the draft it parses to,
//! and the review URL set on a claim page.

use super::super::figures::{self, Figure};
use super::super::ids::{SourceId, StoryId};
use super::super::validation::{self as v, FieldErrors};
use super::super::version::Version;
use super::source::{SourceDraft, SourceInput};
use super::wire::{self, FiguresInput};
use chrono::{DateTime, Utc};
use serde::Deserialize;

/// Claim fields as sent by the form or the JSON API (same field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimInput {
    pub story_id: String,
    /// An existing source; when blank, the new source is used instead.
    #[serde(deserialize_with = "wire::text")]
    pub source_id: String,
    /// A source to create with the claim (JSON).
    pub new_source: Option<SourceInput>,
    /// The same for the HTML form, which cannot nest fields.
    pub new_source_name: String,
    pub new_source_type: String,
    pub new_source_affiliation: String,
    pub quote: String,
    #[serde(deserialize_with = "wire::flag")]
    pub is_paraphrase: bool,
    #[serde(deserialize_with = "wire::text")]
    pub summary: String,
    #[serde(deserialize_with = "wire::text")]
    pub claimed_at: String,
    #[serde(deserialize_with = "wire::text")]
    pub claimed_where: String,
    pub figures: FiguresInput,
    /// The version an edit is based on; ignored when creating.
    #[serde(deserialize_with = "wire::version")]
    pub version: Option<Version>,
}

/// Who made the claim: someone already known, or a source to create with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRef {
    Existing(SourceId),
    New(SourceDraft),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimDraft {
    pub story_id: StoryId,
    pub source: SourceRef,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
    pub figures: Vec<Figure>,
}

fn parse_id<Id: std::str::FromStr>(value: &str, what: &str) -> Result<Id, String> {
    value
        .trim()
        .parse()
        .map_err(|_| format!("Choose a {what}."))
}

impl ClaimInput {
    /// The new source as sent: nested (JSON) or from the form's flat fields.
    fn new_source(&self) -> SourceInput {
        self.new_source.clone().unwrap_or_else(|| SourceInput {
            name: self.new_source_name.clone(),
            source_type: self.new_source_type.clone(),
            affiliation: self.new_source_affiliation.clone(),
            ..Default::default()
        })
    }

    fn parse_source(&self, e: &mut FieldErrors) -> Option<SourceRef> {
        if !self.source_id.trim().is_empty() {
            return e.take(
                "source_id",
                parse_id(&self.source_id, "source").map(SourceRef::Existing),
            );
        }
        let s = self.new_source();
        if s.name.trim().is_empty() && s.source_type.trim().is_empty() {
            e.add("source_id", "Pick a source, or enter a new one below.");
            return None;
        }
        match SourceDraft::parse(&s, "new_source_") {
            Ok(d) => Some(SourceRef::New(d)),
            Err(errs) => {
                for (k, m) in errs.iter() {
                    e.add(k, m.clone());
                }
                None
            }
        }
    }
}

fn parse_figures(input: &FiguresInput) -> Result<Vec<Figure>, String> {
    match input {
        FiguresInput::Lines(text) => figures::parse_lines(text),
        FiguresInput::List(list) => list
            .iter()
            .enumerate()
            .map(|(i, j)| Figure::try_from(j.clone()).map_err(|e| format!("Figure {}: {e}", i + 1)))
            .collect(),
    }
}

impl ClaimDraft {
    pub fn parse(input: &ClaimInput) -> Result<ClaimDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let story_id = e.take("story_id", parse_id(&input.story_id, "story"));
        let source = input.parse_source(&mut e);
        let quote = e.take("quote", v::required(&input.quote, v::MAX_QUOTE));
        let summary = e.take("summary", v::optional(Some(&input.summary), v::MAX_TEXT));
        let claimed_at = e.take("claimed_at", v::optional_datetime(Some(&input.claimed_at)));
        let claimed_where = e.take(
            "claimed_where",
            v::optional(Some(&input.claimed_where), v::MAX_NAME),
        );
        let figures = e.take("figures", parse_figures(&input.figures));
        match (
            story_id,
            source,
            quote,
            summary,
            claimed_at,
            claimed_where,
            figures,
        ) {
            (
                Some(story_id),
                Some(source),
                Some(quote),
                Some(summary),
                Some(claimed_at),
                Some(claimed_where),
                Some(figures),
            ) if e.is_empty() => Ok(ClaimDraft {
                story_id,
                source,
                quote,
                is_paraphrase: input.is_paraphrase,
                summary,
                claimed_at,
                claimed_where,
                figures,
            }),
            _ => Err(e),
        }
    }
}

/// Where the newsroom published its fact-check, as sent by the claim page.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ReviewUrlInput {
    pub review_url: String,
    #[serde(deserialize_with = "wire::version")]
    pub version: Option<Version>,
}

impl ReviewUrlInput {
    /// The URL to store; blank clears it.
    pub fn parse(&self) -> Result<Option<String>, FieldErrors> {
        v::optional_url(Some(&self.review_url)).map_err(|m| FieldErrors::single("review_url", m))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SourceType;

    fn claim_input() -> ClaimInput {
        ClaimInput {
            story_id: StoryId::new_v4().to_string(),
            source_id: SourceId::new_v4().to_string(),
            quote: "Damascus awaits you".into(),
            ..Default::default()
        }
    }

    #[test]
    fn claim_with_all_errors_reports_each_field() {
        let input = ClaimInput {
            story_id: "x".into(),
            quote: " ".into(),
            claimed_at: "soon".into(),
            figures: FiguresInput::Lines("many dead".into()),
            ..Default::default()
        };
        let errs = ClaimDraft::parse(&input).err().unwrap_or_default();
        for f in ["story_id", "source_id", "quote", "claimed_at", "figures"] {
            assert!(errs.get(f).is_some(), "missing error for {f}");
        }
    }

    #[test]
    fn claim_with_new_source_parses_the_embedded_source() {
        let nested = ClaimInput {
            source_id: String::new(),
            new_source: Some(SourceInput {
                name: "Rania".into(),
                source_type: "witness".into(),
                ..Default::default()
            }),
            ..claim_input()
        };
        let flat = ClaimInput {
            source_id: String::new(),
            new_source_name: "Rania".into(),
            new_source_type: "witness".into(),
            ..claim_input()
        };
        for input in [nested, flat] {
            let draft = ClaimDraft::parse(&input).ok();
            assert!(
                matches!(draft.map(|d| d.source), Some(SourceRef::New(s)) if s.source_type == SourceType::Witness)
            );
        }
    }

    #[test]
    fn new_source_errors_use_prefixed_fields() {
        let input = ClaimInput {
            source_id: String::new(),
            new_source_name: "X".into(),
            new_source_type: "bogus".into(),
            ..claim_input()
        };
        let errs = ClaimDraft::parse(&input).err().unwrap_or_default();
        assert!(errs.get("new_source_source_type").is_some());
    }

    #[test]
    fn every_text_field_refuses_nul() {
        let nul = "a\u{0}b".to_owned();
        let claim = ClaimInput {
            quote: nul.clone(),
            summary: nul.clone(),
            claimed_where: nul.clone(),
            figures: FiguresInput::Lines(format!("3 {nul}")),
            ..claim_input()
        };
        let errs = ClaimDraft::parse(&claim).err().unwrap_or_default();
        for f in ["quote", "summary", "claimed_where", "figures"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
    }

    #[test]
    fn the_form_and_the_json_give_the_same_draft() {
        let (story, source) = (StoryId::new_v4(), SourceId::new_v4());
        let form: ClaimInput = serde_urlencoded::from_str(&format!(
            "story_id={story}&source_id={source}&quote=Q&is_paraphrase=on\
             &summary=&claimed_at=2024-12-07T10%3A00&figures=826+killed&version=2"
        ))
        .unwrap_or_default();
        let json: ClaimInput = serde_json::from_value(serde_json::json!({
            "story_id": story, "source_id": source, "quote": "Q", "is_paraphrase": true,
            "summary": null, "claimed_at": "2024-12-07T10:00:00Z",
            "figures": [{ "label": "killed", "min": 826 }], "version": 2
        }))
        .unwrap_or_default();
        assert_eq!(form.version, Some(Version::new(2)));
        assert_eq!(form.version, json.version);
        let (f, j) = (ClaimDraft::parse(&form), ClaimDraft::parse(&json));
        assert!(f.is_ok() && f == j, "{f:?} / {j:?}");
    }

    #[test]
    fn a_review_url_must_be_http() {
        let input = ReviewUrlInput {
            review_url: "javascript:alert(1)".into(),
            version: None,
        };
        assert!(input.parse().is_err());
        let blank = ReviewUrlInput::default();
        assert_eq!(blank.parse(), Ok(None));
    }
}
