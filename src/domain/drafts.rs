//! Raw input (from a form or JSON) parsed into drafts that are known valid.
//! "Parse, don't validate": storage only ever sees a `*Draft`.

use super::figures::{self, Figure};
use super::source_type::SourceType;
use super::status::{self, ClaimStatus, Transition};
use super::validation::{self as v, FieldErrors};
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Source fields as typed by a person or sent as JSON.
#[derive(Debug, Clone, Default)]
pub struct SourceInput {
    pub name: String,
    pub source_type: String,
    pub affiliation: Option<String>,
    pub description: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDraft {
    pub name: String,
    pub source_type: SourceType,
    pub affiliation: Option<String>,
    pub description: Option<String>,
}

impl SourceDraft {
    /// `prefix` lets the embedded "new source" part of the claim form report
    /// errors under its own field names (`new_source_name`, ...).
    pub fn parse(input: &SourceInput, prefix: &str) -> Result<SourceDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let f = |n: &str| format!("{prefix}{n}");
        let name = e.take(&f("name"), v::required(&input.name, v::MAX_NAME));
        let source_type = e.take(
            &f("source_type"),
            SourceType::parse(&input.source_type).ok_or_else(|| "Choose a source type.".to_owned()),
        );
        let affiliation = e.take(
            &f("affiliation"),
            v::optional(input.affiliation.as_deref(), v::MAX_NAME),
        );
        let description = e.take(
            &f("description"),
            v::optional(input.description.as_deref(), v::MAX_TEXT),
        );
        match (name, source_type, affiliation, description) {
            (Some(name), Some(source_type), Some(affiliation), Some(description))
                if e.is_empty() =>
            {
                Ok(SourceDraft {
                    name,
                    source_type,
                    affiliation,
                    description,
                })
            }
            _ => Err(e),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct StoryInput {
    pub title: String,
    pub outlet: String,
    pub url: Option<String>,
    pub published_at: Option<String>,
    pub dateline: Option<String>,
    pub notes: Option<String>,
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
        let url = e.take("url", v::optional_url(input.url.as_deref()));
        let published_at = e.take(
            "published_at",
            v::optional_datetime(input.published_at.as_deref()),
        );
        let dateline = e.take(
            "dateline",
            v::optional(input.dateline.as_deref(), v::MAX_NAME),
        );
        let notes = e.take("notes", v::optional(input.notes.as_deref(), v::MAX_QUOTE));
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

/// Figures arrive as typed lines from a form or as a list from JSON.
#[derive(Debug, Clone)]
pub enum FiguresInput {
    Lines(String),
    List(Vec<Figure>),
}

impl Default for FiguresInput {
    fn default() -> Self {
        FiguresInput::List(Vec::new())
    }
}

#[derive(Debug, Clone, Default)]
pub struct ClaimInput {
    pub story_id: String,
    /// An existing source; when blank, `new_source` is used instead.
    pub source_id: String,
    pub new_source: Option<SourceInput>,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<String>,
    pub claimed_where: Option<String>,
    pub figures: FiguresInput,
}

/// Who made the claim: someone already known, or a source to create with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceRef {
    Existing(Uuid),
    New(SourceDraft),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimDraft {
    pub story_id: Uuid,
    pub source: SourceRef,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
    pub figures: Vec<Figure>,
}

fn parse_id(value: &str, what: &str) -> Result<Uuid, String> {
    Uuid::parse_str(value.trim()).map_err(|_| format!("Choose a {what}."))
}

fn parse_source(input: &ClaimInput, e: &mut FieldErrors) -> Option<SourceRef> {
    if !input.source_id.trim().is_empty() {
        return e.take(
            "source_id",
            parse_id(&input.source_id, "source").map(SourceRef::Existing),
        );
    }
    match &input.new_source {
        Some(s) if !s.name.trim().is_empty() || !s.source_type.trim().is_empty() => {
            match SourceDraft::parse(s, "new_source_") {
                Ok(d) => Some(SourceRef::New(d)),
                Err(errs) => {
                    for (k, m) in errs.iter() {
                        e.add(k, m.clone());
                    }
                    None
                }
            }
        }
        _ => {
            e.add("source_id", "Pick a source, or enter a new one below.");
            None
        }
    }
}

fn parse_figures(input: &FiguresInput) -> Result<Vec<Figure>, String> {
    match input {
        FiguresInput::Lines(text) => figures::parse_lines(text),
        FiguresInput::List(list) => {
            list.iter().try_for_each(Figure::validate)?;
            Ok(list.clone())
        }
    }
}

impl ClaimDraft {
    pub fn parse(input: &ClaimInput) -> Result<ClaimDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let story_id = e.take("story_id", parse_id(&input.story_id, "story"));
        let source = parse_source(input, &mut e);
        let quote = e.take("quote", v::required(&input.quote, v::MAX_QUOTE));
        let summary = e.take(
            "summary",
            v::optional(input.summary.as_deref(), v::MAX_TEXT),
        );
        let claimed_at = e.take(
            "claimed_at",
            v::optional_datetime(input.claimed_at.as_deref()),
        );
        let claimed_where = e.take(
            "claimed_where",
            v::optional(input.claimed_where.as_deref(), v::MAX_NAME),
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

/// A requested status change before it is checked against the current status.
#[derive(Debug, Clone, Default)]
pub struct StatusChangeInput {
    pub status: String,
    pub reason: String,
    /// Evidence links, one per line.
    pub evidence: String,
}

/// A permitted transition plus the evidence that backs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub transition: Transition,
    pub evidence: Vec<String>,
}

impl StatusChangeInput {
    /// Checks the request against the claim's current status.
    pub fn parse(&self, current: ClaimStatus) -> Result<StatusChange, FieldErrors> {
        let mut e = FieldErrors::new();
        let to = e.take(
            "status",
            ClaimStatus::parse(&self.status).ok_or_else(|| "Choose a status.".to_owned()),
        );
        let evidence = e.take("evidence", v::url_lines(&self.evidence));
        if self.reason.chars().count() > v::MAX_TEXT {
            e.add(
                "reason",
                format!("Must be at most {} characters.", v::MAX_TEXT),
            );
        }
        e.take("reason", v::plain_text(&self.reason));
        let transition = to.and_then(|to| {
            status::transition(current, to, &self.reason)
                .map_err(|err| {
                    let field = match err {
                        status::TransitionError::ReasonRequired => "reason",
                        _ => "status",
                    };
                    e.add(field, err.to_string());
                })
                .ok()
        });
        match (transition, evidence) {
            (Some(transition), Some(evidence)) if e.is_empty() => Ok(StatusChange {
                transition,
                evidence,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claim_input() -> ClaimInput {
        ClaimInput {
            story_id: Uuid::new_v4().to_string(),
            source_id: Uuid::new_v4().to_string(),
            quote: "Damascus awaits you".into(),
            ..Default::default()
        }
    }

    #[test]
    fn claim_with_all_errors_reports_each_field() {
        let input = ClaimInput {
            story_id: "x".into(),
            quote: " ".into(),
            claimed_at: Some("soon".into()),
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
        let input = ClaimInput {
            source_id: String::new(),
            new_source: Some(SourceInput {
                name: "Rania".into(),
                source_type: "witness".into(),
                ..Default::default()
            }),
            ..claim_input()
        };
        let draft = ClaimDraft::parse(&input).ok();
        assert!(
            matches!(draft.map(|d| d.source), Some(SourceRef::New(s)) if s.source_type == SourceType::Witness)
        );
    }

    #[test]
    fn new_source_errors_use_prefixed_fields() {
        let input = ClaimInput {
            source_id: String::new(),
            new_source: Some(SourceInput {
                name: "X".into(),
                source_type: "bogus".into(),
                ..Default::default()
            }),
            ..claim_input()
        };
        let errs = ClaimDraft::parse(&input).err().unwrap_or_default();
        assert!(errs.get("new_source_source_type").is_some());
    }

    #[test]
    fn status_change_needs_reason_and_valid_links() {
        let input = StatusChangeInput {
            status: "in_review".into(),
            reason: "".into(),
            evidence: "nope".into(),
        };
        let errs = input
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("reason").is_some());
        assert!(errs.get("evidence").is_some());
    }

    #[test]
    fn status_change_refused_transition_is_a_status_error() {
        let input = StatusChangeInput {
            status: "false".into(),
            reason: "r".into(),
            evidence: String::new(),
        };
        let errs = input
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("status").is_some_and(|m| m.contains("review")));
    }

    #[test]
    fn every_text_field_refuses_nul() {
        let nul = "a\u{0}b".to_owned();
        let claim = ClaimInput {
            quote: nul.clone(),
            summary: Some(nul.clone()),
            claimed_where: Some(nul.clone()),
            figures: FiguresInput::Lines(format!("3 {nul}")),
            ..claim_input()
        };
        let errs = ClaimDraft::parse(&claim).err().unwrap_or_default();
        for f in ["quote", "summary", "claimed_where", "figures"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
        let source = SourceInput {
            name: nul.clone(),
            source_type: "witness".into(),
            affiliation: Some(nul.clone()),
            description: Some(nul.clone()),
        };
        let errs = SourceDraft::parse(&source, "").err().unwrap_or_default();
        for f in ["name", "affiliation", "description"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
        let story = StoryInput {
            title: nul.clone(),
            outlet: nul.clone(),
            dateline: Some(nul.clone()),
            notes: Some(nul.clone()),
            ..Default::default()
        };
        let errs = StoryDraft::parse(&story).err().unwrap_or_default();
        for f in ["title", "outlet", "dateline", "notes"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
        let change = StatusChangeInput {
            status: "in_review".into(),
            reason: nul,
            evidence: String::new(),
        };
        let errs = change
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("reason").is_some());
    }

    #[test]
    fn story_url_must_be_http() {
        let input = StoryInput {
            title: "t".into(),
            outlet: "AFP".into(),
            url: Some("javascript:alert(1)".into()),
            ..Default::default()
        };
        assert!(StoryDraft::parse(&input)
            .err()
            .unwrap_or_default()
            .get("url")
            .is_some());
    }
}
