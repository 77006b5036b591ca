//! Claims as the API returns them (detail and board rows), their history,
//! and builders for creating claims and changing their status.

use super::{read, unique, Api, HasId, List, Source, SourceBody, SourceType, Story};
use crate::helpers::TestApp;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use uuid::Uuid;

/// Where the desk stands on a claim, as spelled on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Unverified,
    InReview,
    Verified,
    Corroborated,
    Disputed,
    False,
    Unverifiable,
}

impl std::str::FromStr for Status {
    type Err = serde_json::Error;

    /// The wire spelling, as in `in_review`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        serde_json::from_value(serde_json::Value::String(s.into()))
    }
}

/// What a history entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Edited,
    StatusChanged,
}

/// A number in a claim, as sent and returned: every part present, null
/// where the qualifier does not use it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Figure {
    pub label: String,
    pub unit: Option<String>,
    /// exact, at_least, at_most, about, range or vague.
    pub qualifier: String,
    pub value: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub word: Option<String>,
    pub as_of: Option<String>,
    pub as_of_precision: Option<String>,
}

impl Figure {
    /// An exact count.
    pub fn new(label: &str, value: i64) -> Self {
        Figure::with("exact", label, value)
    }

    /// One number with its qualifier: exact, at_least, at_most or about.
    pub fn with(qualifier: &str, label: &str, value: i64) -> Self {
        Figure {
            label: label.into(),
            unit: None,
            qualifier: qualifier.into(),
            value: Some(value),
            min: None,
            max: None,
            word: None,
            as_of: None,
            as_of_precision: None,
        }
    }

    pub fn range(label: &str, min: i64, max: i64) -> Self {
        Figure {
            qualifier: "range".into(),
            value: None,
            min: Some(min),
            max: Some(max),
            ..Figure::new(label, 0)
        }
    }

    pub fn vague(label: &str, word: &str) -> Self {
        Figure {
            qualifier: "vague".into(),
            value: None,
            word: Some(word.into()),
            ..Figure::new(label, 0)
        }
    }

    pub fn unit(self, unit: &str) -> Self {
        Figure {
            unit: Some(unit.into()),
            ..self
        }
    }

    /// As of a day (`2024-12-07`).
    pub fn dated(self, day: &str) -> Self {
        Figure {
            as_of: Some(day.into()),
            as_of_precision: Some("day".into()),
            ..self
        }
    }
}

/// The fields of the claim itself, shared by the detail and the board row.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClaimFields {
    pub id: Uuid,
    pub story_id: Uuid,
    pub source_id: Uuid,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    /// Timestamps stay as sent, so tests can check the wire form (UTC, `Z`).
    pub claimed_at: Option<String>,
    pub claimed_where: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub updated_at: String,
    pub version: i32,
    pub review_url: Option<String>,
}

/// `GET /api/claims/{id}`, and the answer of every claim write.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Claim {
    #[serde(flatten)]
    pub fields: ClaimFields,
    pub source: Source,
    pub story: Story,
    pub figures: Vec<Figure>,
    /// Newest first.
    pub history: Vec<HistoryEntry>,
}

impl std::ops::Deref for Claim {
    type Target = ClaimFields;
    fn deref(&self) -> &ClaimFields {
        &self.fields
    }
}

/// One change of a claim's edit: the value before and after.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Change {
    pub from: serde_json::Value,
    pub to: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HistoryEntry {
    pub id: Uuid,
    pub claim_id: Uuid,
    pub action: Action,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub reason: Option<String>,
    /// For an edit: each changed field, by name.
    pub changes: Option<BTreeMap<String, Change>>,
    pub actor_id: Option<claimdesk::domain::UserId>,
    pub created_at: String,
    pub actor_name: Option<String>,
    pub actor_email: Option<String>,
    pub evidence: Vec<String>,
}

/// The source as the board shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceBrief {
    pub id: Uuid,
    pub name: String,
    pub source_type: SourceType,
}

/// The story as the board shows it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoryBrief {
    pub id: Uuid,
    pub title: String,
}

/// One item of `GET /api/claims`.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClaimRow {
    #[serde(flatten)]
    pub fields: ClaimFields,
    pub source: SourceBrief,
    pub story: StoryBrief,
}

impl std::ops::Deref for ClaimRow {
    type Target = ClaimFields;
    fn deref(&self) -> &ClaimFields {
        &self.fields
    }
}

impl HasId for ClaimFields {
    fn id(&self) -> Uuid {
        self.id
    }
}

impl HasId for Claim {
    fn id(&self) -> Uuid {
        self.fields.id
    }
}

impl HasId for ClaimRow {
    fn id(&self) -> Uuid {
        self.fields.id
    }
}

impl Claim {
    pub fn path(&self) -> String {
        format!("/api/claims/{}", self.id)
    }

    /// The body that would store this claim unchanged, based on its version.
    pub fn body(&self) -> ClaimBody {
        ClaimBody {
            story_id: self.story_id,
            source_id: Some(self.source_id),
            new_source: None,
            quote: self.quote.clone(),
            is_paraphrase: self.is_paraphrase,
            summary: self.summary.clone(),
            claimed_at: self.claimed_at.clone(),
            claimed_where: self.claimed_where.clone(),
            figures: self.figures.clone(),
            version: Some(self.version),
        }
    }

    /// The history entries with this action, newest first.
    pub fn entries(&self, action: Action) -> Vec<&HistoryEntry> {
        self.history.iter().filter(|h| h.action == action).collect()
    }
}

/// Body of `POST /api/claims` and `PUT /api/claims/{id}`.
#[derive(Debug, Clone, Serialize)]
pub struct ClaimBody {
    pub story_id: Uuid,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_id: Option<Uuid>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_source: Option<SourceBody>,
    pub quote: String,
    pub is_paraphrase: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub claimed_where: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub figures: Vec<Figure>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// `app.claim(&story).source(&source).quote("…").create().await`; without a
/// source, the claim brings a new one of its own.
pub struct ClaimBuilder {
    api: Api,
    body: ClaimBody,
}

impl ClaimBuilder {
    pub fn new(api: Api, story: impl HasId) -> Self {
        ClaimBuilder {
            api,
            body: ClaimBody {
                story_id: story.id(),
                source_id: None,
                new_source: None,
                quote: format!("Claim {}", unique()),
                is_paraphrase: false,
                summary: None,
                claimed_at: None,
                claimed_where: None,
                figures: Vec::new(),
                version: None,
            },
        }
    }

    pub fn source(mut self, source: impl HasId) -> Self {
        self.body.source_id = Some(source.id());
        self
    }

    pub fn new_source(mut self, name: &str, source_type: SourceType) -> Self {
        self.body.new_source = Some(SourceBody::new(name, source_type));
        self
    }

    /// A new source with more than a name and a type.
    pub fn new_source_body(mut self, source: SourceBody) -> Self {
        self.body.new_source = Some(source);
        self
    }

    pub fn quote(mut self, quote: &str) -> Self {
        self.body.quote = quote.into();
        self
    }

    pub fn paraphrase(mut self) -> Self {
        self.body.is_paraphrase = true;
        self
    }

    pub fn summary(mut self, summary: &str) -> Self {
        self.body.summary = Some(summary.into());
        self
    }

    pub fn claimed_at(mut self, at: &str) -> Self {
        self.body.claimed_at = Some(at.into());
        self
    }

    pub fn claimed_where(mut self, place: &str) -> Self {
        self.body.claimed_where = Some(place.into());
        self
    }

    pub fn figures(mut self, figures: impl IntoIterator<Item = Figure>) -> Self {
        self.body.figures = figures.into_iter().collect();
        self
    }

    /// Sent by another user's client.
    pub fn by(mut self, api: &Api) -> Self {
        self.api = api.clone();
        self
    }

    pub fn body(&self) -> &ClaimBody {
        &self.body
    }

    /// POST it and return the response as it is.
    pub async fn send(mut self) -> reqwest::Response {
        if self.body.source_id.is_none() && self.body.new_source.is_none() {
            let name = format!("Source {}", unique());
            self.body.new_source = Some(SourceBody::new(&name, SourceType::Government));
        }
        self.api.post_json("/api/claims", &self.body).await
    }

    /// POST it; it must be created (201).
    pub async fn create(self) -> Claim {
        read(self.send().await, 201).await
    }
}

/// Body of `POST /api/claims/{id}/status`.
#[derive(Debug, Clone, Serialize)]
pub struct StatusBody {
    pub status: Status,
    pub reason: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub evidence: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// `app.status(&claim, Status::InReview, "why").send().await`; based on the
/// claim's current version unless one is given.
pub struct StatusChange {
    api: Api,
    claim: Uuid,
    body: StatusBody,
}

impl StatusChange {
    pub fn evidence(mut self, links: &[&str]) -> Self {
        self.body.evidence = links.iter().map(|l| (*l).to_owned()).collect();
        self
    }

    pub fn version(mut self, version: i32) -> Self {
        self.body.version = Some(version);
        self
    }

    /// Sent by another user's client.
    pub fn by(mut self, api: &Api) -> Self {
        self.api = api.clone();
        self
    }

    pub async fn send(mut self) -> reqwest::Response {
        let path = format!("/api/claims/{}", self.claim);
        if self.body.version.is_none() {
            let now: Claim = self.api.get_as(&path).await;
            self.body.version = Some(now.version);
        }
        self.api
            .post_json(&format!("{path}/status"), &self.body)
            .await
    }

    /// Send it; it must be accepted (200). Returns the changed claim.
    pub async fn apply(self) -> Claim {
        read(self.send().await, 200).await
    }
}

impl TestApp {
    /// A claim in `story` to create through the API as the app's editor.
    pub fn claim(&self, story: impl HasId) -> ClaimBuilder {
        ClaimBuilder::new(self.api(), story)
    }

    /// A status change of `claim` as the app's editor.
    pub fn status(&self, claim: impl HasId, status: Status, reason: &str) -> StatusChange {
        StatusChange {
            api: self.api(),
            claim: claim.id(),
            body: StatusBody {
                status,
                reason: reason.into(),
                evidence: Vec::new(),
                version: None,
            },
        }
    }

    /// Takes a claim to `verdict` the way the workflow allows: through
    /// review (the reason and evidence go with the last step).
    pub async fn give(
        &self,
        claim: impl HasId,
        verdict: Status,
        reason: &str,
        evidence: &[&str],
    ) -> Claim {
        let id = claim.id();
        match verdict {
            Status::Unverified => self.get_claim(id).await,
            Status::InReview => {
                self.status(id, verdict, reason)
                    .evidence(evidence)
                    .apply()
                    .await
            }
            _ => {
                self.status(id, Status::InReview, "Checking").apply().await;
                self.status(id, verdict, reason)
                    .evidence(evidence)
                    .apply()
                    .await
            }
        }
    }

    /// `GET /api/claims/{id}`.
    pub async fn get_claim(&self, id: impl HasId) -> Claim {
        self.api().get_as(&format!("/api/claims/{}", id.id())).await
    }

    /// One page of `GET /api/claims?{query}`.
    pub async fn claims_page(&self, query: &str) -> List<ClaimRow> {
        self.api().get_as(&format!("/api/claims?{query}")).await
    }

    /// Every claim the API lists for `query` (following cursors), newest first.
    pub async fn list_claims(&self, query: &str) -> Vec<ClaimRow> {
        let mut out = Vec::new();
        let mut page = self.claims_page(&format!("limit=200&{query}")).await;
        loop {
            out.append(&mut page.items);
            match page.next_cursor {
                Some(c) => {
                    page = self
                        .claims_page(&format!("limit=200&{query}&after={c}"))
                        .await
                }
                None => return out,
            }
        }
    }
}
