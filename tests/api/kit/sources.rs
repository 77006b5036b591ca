//! Sources as the API returns them, and a builder that creates them.

use super::{read, unique, Api, Counted, HasId, List, Status};
use crate::helpers::TestApp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// The kind of claimant, as spelled on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceType {
    Government,
    Military,
    ArmedGroup,
    Monitor,
    International,
    ForeignGovernment,
    Media,
    Witness,
    Anonymous,
    Other,
}

impl std::str::FromStr for SourceType {
    type Err = serde_json::Error;

    /// The wire spelling, as in `armed_group`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.into()))
    }
}

/// `POST`/`PUT /api/sources` answers; the fields every source JSON has.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Source {
    pub id: Uuid,
    pub name: String,
    pub source_type: SourceType,
    pub affiliation: Option<String>,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i32,
}

/// `GET /api/sources/{id}`: the source, its names, grade and track record.
#[derive(Debug, Clone, Deserialize)]
pub struct SourceDetail {
    #[serde(flatten)]
    pub source: Source,
    pub aliases: Vec<String>,
    pub grade: Option<String>,
    pub grade_history: Vec<GradeChange>,
    pub merged_into: Option<Uuid>,
    pub track_record: TrackRecord,
}

/// One change of a source's Admiralty grade.
#[derive(Debug, Clone, Deserialize)]
pub struct GradeChange {
    pub from: Option<String>,
    pub to: String,
    pub reason: String,
    pub by_id: Option<Uuid>,
    pub by: Option<String>,
    pub at: String,
}

/// A status's count and share of the source's claims.
#[derive(Debug, Clone, Deserialize)]
pub struct StatusShare {
    pub status: Status,
    pub count: i64,
    pub share: f64,
}

/// Counts of claims by how they turned out.
#[derive(Debug, Clone, Deserialize)]
pub struct Tally {
    pub total: i64,
    pub upheld: i64,
    pub refuted: i64,
    pub unverifiable: i64,
    pub open: i64,
}

#[derive(Debug, Clone, Deserialize)]
pub struct MonthRow {
    pub month: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, Deserialize)]
pub struct StoryRow {
    pub story_id: Uuid,
    pub title: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Suggestion {
    pub grade: String,
    pub why: String,
}

/// `track_record` of a source's JSON.
#[derive(Debug, Clone, Deserialize)]
pub struct TrackRecord {
    pub total: i64,
    pub by_status: Vec<StatusShare>,
    pub outcomes: Tally,
    pub month_basis: String,
    pub by_month: Vec<MonthRow>,
    pub contested: i64,
    pub contested_share: f64,
    pub median_seconds_to_verdict: Option<f64>,
    pub median_time_to_verdict: Option<String>,
    pub per_story: Vec<StoryRow>,
    pub suggested_grade: Suggestion,
}

impl TrackRecord {
    pub fn count(&self, status: Status) -> i64 {
        self.by_status
            .iter()
            .find(|s| s.status == status)
            .map_or(0, |s| s.count)
    }
}

impl std::ops::Deref for SourceDetail {
    type Target = Source;
    fn deref(&self) -> &Source {
        &self.source
    }
}

impl HasId for Source {
    fn id(&self) -> Uuid {
        self.id
    }
}

impl HasId for SourceDetail {
    fn id(&self) -> Uuid {
        self.source.id
    }
}

impl Source {
    pub fn path(&self) -> String {
        format!("/api/sources/{}", self.id)
    }

    /// The body that would store this source unchanged, based on its version.
    pub fn body(&self) -> SourceBody {
        SourceBody {
            name: self.name.clone(),
            source_type: self.source_type,
            affiliation: self.affiliation.clone(),
            description: self.description.clone(),
            version: Some(self.version),
        }
    }
}

/// Body of `POST`/`PUT /api/sources`, and of a claim's `new_source`
/// (without a version).
#[derive(Debug, Clone, Serialize)]
pub struct SourceBody {
    pub name: String,
    pub source_type: SourceType,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub affiliation: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

impl SourceBody {
    pub fn new(name: &str, source_type: SourceType) -> Self {
        SourceBody {
            name: name.into(),
            source_type,
            affiliation: None,
            description: None,
            version: None,
        }
    }
}

/// `app.source().name("…").kind(SourceType::Military).create().await`
pub struct SourceBuilder {
    api: Api,
    body: SourceBody,
}

impl SourceBuilder {
    pub fn new(api: Api) -> Self {
        SourceBuilder {
            api,
            body: SourceBody::new(&format!("Source {}", unique()), SourceType::Government),
        }
    }

    pub fn name(mut self, name: &str) -> Self {
        self.body.name = name.into();
        self
    }

    pub fn kind(mut self, source_type: SourceType) -> Self {
        self.body.source_type = source_type;
        self
    }

    pub fn affiliation(mut self, affiliation: &str) -> Self {
        self.body.affiliation = Some(affiliation.into());
        self
    }

    pub fn description(mut self, description: &str) -> Self {
        self.body.description = Some(description.into());
        self
    }

    /// Sent by another user's client.
    pub fn by(mut self, api: &Api) -> Self {
        self.api = api.clone();
        self
    }

    /// POST it and return the response as it is.
    pub async fn send(self) -> reqwest::Response {
        self.api.post_json("/api/sources", &self.body).await
    }

    /// POST it; it must be created (201).
    pub async fn create(self) -> Source {
        read(self.send().await, 201).await
    }
}

impl TestApp {
    /// A source to create through the API as the app's editor.
    pub fn source(&self) -> SourceBuilder {
        SourceBuilder::new(self.api())
    }

    /// `GET /api/sources/{id}`.
    pub async fn get_source(&self, id: impl HasId) -> SourceDetail {
        self.api()
            .get_as(&format!("/api/sources/{}", id.id()))
            .await
    }

    /// `GET /api/sources?q=…` (names and aliases), as raw JSON items.
    pub async fn search_sources(&self, q: &str) -> Vec<serde_json::Value> {
        let path = format!("/api/sources?q={}", percent_encode(q));
        let v: serde_json::Value = self.api().get_as(&path).await;
        v["items"].as_array().cloned().unwrap_or_default()
    }

    /// `PUT /api/sources/{id}/grade` as `api`, answered as it is.
    pub async fn grade_source(
        &self,
        api: &Api,
        id: impl HasId,
        grade: &str,
        reason: &str,
    ) -> reqwest::Response {
        api.put_json(
            &format!("/api/sources/{}/grade", id.id()),
            &serde_json::json!({ "grade": grade, "reason": reason }),
        )
        .await
    }

    /// `POST /api/sources/{id}/merge` as `api`, answered as it is.
    pub async fn merge_source(
        &self,
        api: &Api,
        from: impl HasId,
        into: impl HasId,
        reason: &str,
    ) -> reqwest::Response {
        api.post_json(
            &format!("/api/sources/{}/merge", from.id()),
            &serde_json::json!({ "into": into.id(), "reason": reason }),
        )
        .await
    }

    /// `PUT /api/sources/{id}` with these aliases (other fields unchanged).
    pub async fn set_aliases(
        &self,
        api: &Api,
        source: &Source,
        aliases: &[&str],
    ) -> reqwest::Response {
        let mut body = serde_json::to_value(source.body()).unwrap_or_default();
        body["aliases"] = serde_json::json!(aliases);
        api.put_json(&source.path(), &body).await
    }

    /// `GET /api/sources`.
    pub async fn sources(&self) -> Vec<Counted<Source>> {
        self.api()
            .get_as::<List<Counted<Source>>>("/api/sources")
            .await
            .items
    }
}

fn percent_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
