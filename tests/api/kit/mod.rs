//! Typed test kit: the API's JSON as serde structs, builders that create
//! records through the API, per-user clients and HTML read with a parser.
//! Tests say what they mean (`app.claim(&story).quote("…").create()`) and
//! read fields by name, so a renamed or retyped field fails to deserialise
//! instead of comparing `Value::Null` with `Value::Null`.
#![allow(dead_code)] // shared by every test module; not each one uses all of it

pub mod claims;
pub mod db;
pub mod html;
pub mod sources;
pub mod stories;
pub mod users;

pub use claims::{Action, Claim, ClaimRow, Figure, Status};
pub use html::Page;
pub use sources::{Source, SourceBody, SourceType};
pub use stories::Story;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use uuid::Uuid;

/// JSON body of every API error.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiError {
    pub error: String,
    pub message: String,
    /// One message per invalid field (validation errors only).
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

impl ApiError {
    /// The message for `field`; panics (showing the whole error) when there is none.
    pub fn field(&self, field: &str) -> &str {
        match self.fields.get(field) {
            Some(m) if !m.is_empty() => m,
            _ => panic!("no message for {field}: {self:?}"),
        }
    }
}

/// `{ "items": [...] }`, with the claim list's cursor when there is one.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct List<T> {
    pub items: Vec<T>,
    #[serde(default)]
    pub next_cursor: Option<String>,
}

/// A list item with its claim count (`GET /api/stories`, `/api/sources`).
#[derive(Debug, Clone, Deserialize)]
pub struct Counted<T> {
    #[serde(flatten)]
    pub item: T,
    pub claim_count: i64,
}

impl<T> std::ops::Deref for Counted<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.item
    }
}

/// One line of a story's or source's status summary.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StatusCount {
    pub status: Status,
    pub count: i64,
}

/// Anything that names a record by id: its typed struct or a bare id.
pub trait HasId {
    fn id(&self) -> Uuid;
}

impl HasId for Uuid {
    fn id(&self) -> Uuid {
        *self
    }
}

/// An id as text (from a path or a form); it must be a UUID.
impl HasId for str {
    fn id(&self) -> Uuid {
        self.parse()
            .unwrap_or_else(|e| panic!("{self:?} is not an id: {e}"))
    }
}

impl HasId for String {
    fn id(&self) -> Uuid {
        self.as_str().id()
    }
}

impl<T: HasId + ?Sized> HasId for &T {
    fn id(&self) -> Uuid {
        (**self).id()
    }
}

/// A number unique in this test process, for default names that must not collide.
pub fn unique() -> usize {
    static N: AtomicUsize = AtomicUsize::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// Reads a response that must answer `status` with a JSON body of type `T`;
/// on a mismatch the panic shows the body.
pub async fn read<T: DeserializeOwned>(res: reqwest::Response, status: u16) -> T {
    let got = res.status();
    let url = res.url().path().to_owned();
    let text = res.text().await.expect("a response body");
    assert_eq!(got.as_u16(), status, "{url}: {text}");
    serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{url}: not a {} ({e}): {text}", std::any::type_name::<T>()))
}

/// The `ETag` header, quotes included.
pub fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .expect("an ASCII ETag")
        .to_owned()
}

/// A client on the app's address: the app's editor, or any other user.
#[derive(Clone)]
pub struct Api {
    pub client: reqwest::Client,
    pub addr: String,
}

impl Api {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).send().await.unwrap()
    }

    /// GET that must answer 200 with a `T`.
    pub async fn get_as<T: DeserializeOwned>(&self, path: &str) -> T {
        read(self.get(path).await, 200).await
    }

    pub async fn post_json<B: Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn put_json<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> reqwest::Response {
        self.client
            .put(self.url(path))
            .json(body)
            .send()
            .await
            .unwrap()
    }

    pub async fn post_form<B: Serialize + ?Sized>(
        &self,
        path: &str,
        form: &B,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// [`Api::page`] for a path built on the spot (a future that owns it).
    pub async fn page_owned(&self, path: String) -> Page {
        self.page(&path).await
    }

    /// GET a page that must answer 200, parsed.
    pub async fn page(&self, path: &str) -> Page {
        let res = self.get(path).await;
        assert_eq!(res.status(), 200, "GET {path}");
        Page::parse(&res.text().await.unwrap())
    }
}

/// A story, a source and one claim of that source in the story, created
/// through the API: where most claim tests start.
pub struct Fixture {
    pub story: Story,
    pub source: Source,
    pub claim: Claim,
}

impl Fixture {
    pub const TITLE: &str = "Rebels close in on Damascus";
    pub const SOURCE: &str = "Syrian army";
    pub const QUOTE: &str = "There is no truth to reports of a withdrawal.";
}

impl crate::helpers::TestApp {
    /// The [`Fixture`]: a military source's claim in a story.
    pub async fn fixture(&self) -> Fixture {
        let story = self.story().title(Fixture::TITLE).create().await;
        let source = self
            .source()
            .name(Fixture::SOURCE)
            .kind(SourceType::Military)
            .create()
            .await;
        let claim = self
            .claim(&story)
            .source(&source)
            .quote(Fixture::QUOTE)
            .create()
            .await;
        Fixture {
            story,
            source,
            claim,
        }
    }
}
