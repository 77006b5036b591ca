//! HTML form bodies. Every field is a plain string so that nothing the
//! user typed is lost before validation, and a bad form can be re-rendered.

use crate::domain::drafts::{ClaimInput, FiguresInput, SourceInput, StatusChangeInput, StoryInput};
use crate::models::claim::ClaimDetail;
use crate::models::source::Source;
use crate::models::story::Story;
use crate::web::view;
use serde::Deserialize;

fn opt(s: &str) -> Option<String> {
    Some(s.to_owned())
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClaimForm {
    pub story_id: String,
    pub source_id: String,
    pub new_source_name: String,
    pub new_source_type: String,
    pub new_source_affiliation: String,
    pub quote: String,
    /// A checkbox: present ("on") when ticked.
    pub is_paraphrase: Option<String>,
    pub summary: String,
    pub claimed_at: String,
    pub claimed_where: String,
    pub figures: String,
    pub version: String,
}

impl ClaimForm {
    pub fn to_input(&self) -> ClaimInput {
        ClaimInput {
            story_id: self.story_id.clone(),
            source_id: self.source_id.clone(),
            new_source: Some(SourceInput {
                name: self.new_source_name.clone(),
                source_type: self.new_source_type.clone(),
                affiliation: opt(&self.new_source_affiliation),
                description: None,
            }),
            quote: self.quote.clone(),
            is_paraphrase: self.paraphrase(),
            summary: opt(&self.summary),
            claimed_at: opt(&self.claimed_at),
            claimed_where: opt(&self.claimed_where),
            figures: FiguresInput::Lines(self.figures.clone()),
        }
    }

    pub fn paraphrase(&self) -> bool {
        self.is_paraphrase
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "off")
    }

    /// An empty form for adding a claim to `story`.
    pub fn for_story(story_id: uuid::Uuid) -> Self {
        ClaimForm {
            story_id: story_id.to_string(),
            ..Default::default()
        }
    }

    /// The edit form, filled from the stored claim.
    pub fn from_detail(d: &ClaimDetail) -> Self {
        ClaimForm {
            story_id: d.claim.story_id.to_string(),
            source_id: d.claim.source_id.to_string(),
            quote: d.claim.quote.clone(),
            is_paraphrase: d.claim.is_paraphrase.then(|| "on".to_owned()),
            summary: d.claim.summary.clone().unwrap_or_default(),
            claimed_at: view::input_datetime(&d.claim.claimed_at),
            claimed_where: d.claim.claimed_where.clone().unwrap_or_default(),
            figures: d
                .figures
                .iter()
                .map(|f| f.to_line())
                .collect::<Vec<_>>()
                .join("\n"),
            version: d.claim.version.to_string(),
            ..Default::default()
        }
    }

    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct SourceForm {
    pub name: String,
    pub source_type: String,
    pub affiliation: String,
    pub description: String,
    pub version: String,
}

impl SourceForm {
    pub fn to_input(&self) -> SourceInput {
        SourceInput {
            name: self.name.clone(),
            source_type: self.source_type.clone(),
            affiliation: opt(&self.affiliation),
            description: opt(&self.description),
        }
    }

    pub fn from_source(s: &Source) -> Self {
        SourceForm {
            name: s.name.clone(),
            source_type: s.source_type.as_str().into(),
            affiliation: s.affiliation.clone().unwrap_or_default(),
            description: s.description.clone().unwrap_or_default(),
            version: s.version.to_string(),
        }
    }

    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StoryForm {
    pub title: String,
    pub outlet: String,
    pub url: String,
    pub published_at: String,
    pub dateline: String,
    pub notes: String,
    pub version: String,
}

impl StoryForm {
    pub fn to_input(&self) -> StoryInput {
        StoryInput {
            title: self.title.clone(),
            outlet: self.outlet.clone(),
            url: opt(&self.url),
            published_at: opt(&self.published_at),
            dateline: opt(&self.dateline),
            notes: opt(&self.notes),
        }
    }

    pub fn from_story(s: &Story) -> Self {
        StoryForm {
            title: s.title.clone(),
            outlet: s.outlet.clone(),
            url: s.url.clone().unwrap_or_default(),
            published_at: view::input_datetime(&s.published_at),
            dateline: s.dateline.clone().unwrap_or_default(),
            notes: s.notes.clone().unwrap_or_default(),
            version: s.version.to_string(),
        }
    }

    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct StatusForm {
    pub status: String,
    pub reason: String,
    pub evidence: String,
    pub version: String,
}

impl StatusForm {
    pub fn to_input(&self) -> StatusChangeInput {
        StatusChangeInput {
            status: self.status.clone(),
            reason: self.reason.clone(),
            evidence: self.evidence.clone(),
        }
    }

    pub fn version(&self) -> Option<i32> {
        self.version.trim().parse().ok()
    }
}

/// Board and API list filters, as query-string values.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ClaimQuery {
    /// Free-text search in the quote and summary.
    pub q: String,
    /// Claimed from / to (inclusive dates, YYYY-MM-DD).
    pub from: String,
    pub to: String,
    pub status: String,
    pub source_type: String,
    pub source: String,
    pub story: String,
    pub after: String,
    pub limit: Option<i64>,
}

impl ClaimQuery {
    /// A filter value that does not parse is refused rather than silently
    /// ignored: an editor must never believe a list is filtered when it is not.
    pub fn to_filter(&self) -> Result<crate::models::claim::ClaimFilter, crate::error::AppError> {
        use crate::domain::{ClaimStatus, SourceType};
        use crate::error::AppError;
        fn blank(s: &str) -> Option<&str> {
            Some(s.trim()).filter(|s| !s.is_empty())
        }
        fn bad(what: &str, v: &str) -> AppError {
            AppError::BadRequest(format!("Unknown {what} filter: {v:?}"))
        }
        let id = |what: &str, v: &str| uuid::Uuid::parse_str(v).map_err(|_| bad(what, v));
        let day = |v: &str| {
            chrono::NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .ok()
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|d| d.and_utc())
        };
        Ok(crate::models::claim::ClaimFilter {
            status: blank(&self.status)
                .map(|v| ClaimStatus::parse(v).ok_or_else(|| bad("status", v)))
                .transpose()?,
            source_type: blank(&self.source_type)
                .map(|v| SourceType::parse(v).ok_or_else(|| bad("source type", v)))
                .transpose()?,
            source_id: blank(&self.source).map(|v| id("source", v)).transpose()?,
            story_id: blank(&self.story).map(|v| id("story", v)).transpose()?,
            text: blank(&self.q).map(str::to_owned),
            from: blank(&self.from)
                .map(|v| day(v).ok_or_else(|| bad("from date", v)))
                .transpose()?,
            until: blank(&self.to)
                .map(|v| {
                    day(v)
                        .map(|d| d + chrono::Duration::days(1))
                        .ok_or_else(|| bad("to date", v))
                })
                .transpose()?,
            after: blank(&self.after)
                .map(|v| crate::models::claim::Cursor::decode(v).ok_or_else(|| bad("page", v)))
                .transpose()?,
        })
    }

    fn filters(&self) -> [(&'static str, &str); 7] {
        [
            ("q", &self.q),
            ("from", &self.from),
            ("to", &self.to),
            ("status", &self.status),
            ("source_type", &self.source_type),
            ("source", &self.source),
            ("story", &self.story),
        ]
    }

    fn serializer(&self) -> url::form_urlencoded::Serializer<'static, String> {
        let mut s = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in self.filters() {
            if !v.trim().is_empty() {
                s.append_pair(k, v.trim());
            }
        }
        s
    }

    /// The filters alone, as a query string (for export links).
    pub fn filter_query(&self) -> String {
        self.serializer().finish()
    }

    /// The same query moved to the page after `cursor`.
    pub fn next_query(&self, cursor: &crate::models::claim::Cursor) -> String {
        let mut s = self.serializer();
        if let Some(l) = self.limit {
            s.append_pair("limit", &l.to_string());
        }
        s.append_pair("after", &cursor.encode());
        s.finish()
    }

    pub fn is_filtered(&self) -> bool {
        self.filters().iter().any(|(_, v)| !v.trim().is_empty())
    }
}
