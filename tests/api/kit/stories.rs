//! Stories as the API returns them, and a builder that creates them.

use super::{read, unique, Api, Counted, HasId, List, StatusCount};
use crate::helpers::TestApp;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `POST`/`PUT /api/stories` answers; the fields every story JSON has.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Story {
    pub id: Uuid,
    pub title: String,
    pub outlet: String,
    pub url: Option<String>,
    /// Timestamps stay as sent, so tests can check the wire form (UTC, `Z`).
    pub published_at: Option<String>,
    pub dateline: Option<String>,
    pub notes: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub version: i32,
}

/// `GET /api/stories/{id}`: the story and its claims per status.
#[derive(Debug, Clone, Deserialize)]
pub struct StoryDetail {
    #[serde(flatten)]
    pub story: Story,
    pub status_counts: Vec<StatusCount>,
}

impl std::ops::Deref for StoryDetail {
    type Target = Story;
    fn deref(&self) -> &Story {
        &self.story
    }
}

impl HasId for Story {
    fn id(&self) -> Uuid {
        self.id
    }
}

impl HasId for StoryDetail {
    fn id(&self) -> Uuid {
        self.story.id
    }
}

impl Story {
    pub fn path(&self) -> String {
        format!("/api/stories/{}", self.id)
    }

    /// The body that would store this story unchanged, based on its version.
    pub fn body(&self) -> StoryBody {
        StoryBody {
            title: self.title.clone(),
            outlet: self.outlet.clone(),
            url: self.url.clone(),
            published_at: self.published_at.clone(),
            dateline: self.dateline.clone(),
            notes: self.notes.clone(),
            version: Some(self.version),
        }
    }
}

/// Body of `POST`/`PUT /api/stories`.
#[derive(Debug, Clone, Default, Serialize)]
pub struct StoryBody {
    pub title: String,
    pub outlet: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dateline: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<i32>,
}

/// `app.story().title("…").create().await`
pub struct StoryBuilder {
    api: Api,
    body: StoryBody,
}

impl StoryBuilder {
    pub fn new(api: Api) -> Self {
        StoryBuilder {
            api,
            body: StoryBody {
                title: format!("Story {}", unique()),
                outlet: "AFP".into(),
                ..StoryBody::default()
            },
        }
    }

    pub fn title(mut self, title: &str) -> Self {
        self.body.title = title.into();
        self
    }

    pub fn outlet(mut self, outlet: &str) -> Self {
        self.body.outlet = outlet.into();
        self
    }

    pub fn url(mut self, url: &str) -> Self {
        self.body.url = Some(url.into());
        self
    }

    pub fn published_at(mut self, at: &str) -> Self {
        self.body.published_at = Some(at.into());
        self
    }

    pub fn dateline(mut self, dateline: &str) -> Self {
        self.body.dateline = Some(dateline.into());
        self
    }

    pub fn notes(mut self, notes: &str) -> Self {
        self.body.notes = Some(notes.into());
        self
    }

    /// Sent by another user's client.
    pub fn by(mut self, api: &Api) -> Self {
        self.api = api.clone();
        self
    }

    pub fn body(&self) -> &StoryBody {
        &self.body
    }

    /// POST it and return the response as it is.
    pub async fn send(self) -> reqwest::Response {
        self.api.post_json("/api/stories", &self.body).await
    }

    /// POST it; it must be created (201).
    pub async fn create(self) -> Story {
        read(self.send().await, 201).await
    }
}

impl TestApp {
    /// A story to create through the API as the app's editor.
    pub fn story(&self) -> StoryBuilder {
        StoryBuilder::new(self.api())
    }

    /// `GET /api/stories/{id}`.
    pub async fn get_story(&self, id: impl HasId) -> StoryDetail {
        self.api()
            .get_as(&format!("/api/stories/{}", id.id()))
            .await
    }

    /// `GET /api/stories`.
    pub async fn stories(&self) -> Vec<Counted<Story>> {
        self.api()
            .get_as::<List<Counted<Story>>>("/api/stories")
            .await
            .items
    }
}
