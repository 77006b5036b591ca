//! Claims over the JSON API and the claim pages: create, read, edit, list,
//! filter, paginate, status workflow, errors.

use crate::helpers::{assert_utc_timestamp, field_error, location, textarea, unescape, TestApp};
use serde_json::{json, Value};
use std::collections::HashSet;

/// A story, a source and one claim, created through the API.
struct Fixture {
    story: String,
    source: String,
    claim: Value,
}

impl Fixture {
    fn id(&self) -> &str {
        self.claim["id"].as_str().unwrap()
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let story = app.story("Rebels close in on Damascus").await;
    let source = app.source("Syrian army", "military").await;
    let claim = app
        .claim(
            &story,
            &source,
            "There is no truth to reports of a withdrawal.",
        )
        .await;
    Fixture {
        story,
        source,
        claim,
    }
}

fn ids(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|c| c["id"].as_str().unwrap().to_owned())
        .collect()
}

fn quotes(items: &[Value]) -> Vec<String> {
    items
        .iter()
        .map(|c| c["quote"].as_str().unwrap().to_owned())
        .collect()
}

// ------------------------------------------------------------ create / get

#[tokio::test]
async fn create_claim_returns_201_with_location_etag_and_the_stored_fields() {
    let app = TestApp::spawn().await;
    let story = app.story("Ring of steel").await;
    let source = app.source("Mohammed al-Rahmoun", "government").await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": story,
                "source_id": source,
                "quote": "There is a very strong security cordon around Damascus.",
                "is_paraphrase": false,
                "summary": "Security cordon around Damascus",
                "claimed_at": "2024-12-07T14:30:00+02:00",
                "claimed_where": "State television",
                "figures": [{ "label": "km from Damascus", "min": 20, "as_of": "2024-12-07" }]
            }),
        )
        .await;

    assert_eq!(res.status(), 201);
    let loc = location(&res);
    let etag = res.headers()["etag"].to_str().unwrap().to_owned();
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    uuid::Uuid::parse_str(id).expect("id is a UUID");
    assert_eq!(loc, format!("/api/claims/{id}"));
    assert_eq!(etag, "\"1\"");
    assert_eq!(body["version"], 1);
    assert_eq!(body["status"], "unverified");
    assert_eq!(body["story_id"], story.as_str());
    assert_eq!(body["source_id"], source.as_str());
    assert_eq!(body["source"]["name"], "Mohammed al-Rahmoun");
    assert_eq!(body["source"]["source_type"], "government");
    assert_eq!(body["story"]["title"], "Ring of steel");
    assert_eq!(
        body["quote"],
        "There is a very strong security cordon around Damascus."
    );
    assert_eq!(body["summary"], "Security cordon around Damascus");
    assert_eq!(body["claimed_where"], "State television");
    // Given with +02:00, stored and returned in UTC.
    assert_eq!(body["claimed_at"], "2024-12-07T12:30:00Z");
    assert_eq!(
        body["figures"],
        json!([{ "label": "km from Damascus", "min": 20, "as_of": "2024-12-07" }])
    );
    for field in ["created_at", "updated_at", "claimed_at"] {
        assert_utc_timestamp(&body[field], field);
    }
    let history = body["history"].as_array().unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!(history[0]["action"], "created");
    assert_eq!(history[0]["to_status"], "unverified");
    assert_utc_timestamp(&history[0]["created_at"], "history created_at");
}

#[tokio::test]
async fn get_claim_returns_what_was_created_with_its_etag() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app.get(&format!("/api/claims/{}", f.id())).await;

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body, f.claim);
}

#[tokio::test]
async fn create_claim_with_a_new_source_creates_that_source() {
    let app = TestApp::spawn().await;
    let story = app.story("Witnesses in Homs").await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": story,
                "new_source": { "name": "Rania", "source_type": "witness" },
                "quote": "We are afraid."
            }),
        )
        .await;

    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["source"]["name"], "Rania");
    assert_eq!(body["source"]["source_type"], "witness");
    let sources = app.get_json("/api/sources").await;
    let names: Vec<_> = sources["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Rania"]);
}

#[tokio::test]
async fn create_claim_without_required_fields_is_422_with_a_message_per_field() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json("/api/claims", &json!({ "story_id": "nope", "quote": "  " }))
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed");
    for field in ["story_id", "source_id", "quote"] {
        assert!(
            body["fields"][field]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "no message for {field}: {body}"
        );
    }
    assert_eq!(app.get_json("/api/claims").await["items"], json!([]));
}

#[tokio::test]
async fn create_claim_for_a_story_that_does_not_exist_is_422_on_story_id() {
    let app = TestApp::spawn().await;
    let source = app.source("Syrian army", "military").await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": uuid::Uuid::new_v4(), "source_id": source, "quote": "x" }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["story_id"].is_string(), "{body}");
}

#[tokio::test]
async fn a_failed_create_with_a_new_source_leaves_no_source_behind() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": uuid::Uuid::new_v4(),
                "new_source": { "name": "Orphan source", "source_type": "other" },
                "quote": "q"
            }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["story_id"].is_string(), "{body}");
    let sources = app.get_json("/api/sources").await;
    assert_eq!(sources["items"], json!([]), "nothing written partially");
}

#[tokio::test]
async fn a_figure_range_that_runs_backwards_is_422_on_figures() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": story,
                "source_id": source,
                "quote": "q",
                "figures": [{ "label": "troops", "min": 2000, "max": 300 }]
            }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["figures"].is_string(), "{body}");
}

#[tokio::test]
async fn the_same_quote_from_the_same_source_in_one_story_is_refused() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": f.story, "source_id": f.source, "quote": f.claim["quote"] }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["quote"].is_string(), "{body}");
    assert_eq!(app.all_claims("").await.len(), 1);
}

// ------------------------------------------------------------ replace

#[tokio::test]
async fn put_replaces_the_claim_and_records_before_and_after_in_history() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let other_story = app.story("Second story").await;

    let res = app
        .put_json(
            &format!("/api/claims/{}", f.id()),
            &json!({
                "story_id": other_story,
                "source_id": f.source,
                "quote": "There is no truth at all to reports of a withdrawal.",
                "summary": "Army denies withdrawal",
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["version"], 2);
    assert_eq!(
        body["quote"],
        "There is no truth at all to reports of a withdrawal."
    );
    assert_eq!(body["story_id"], other_story.as_str());
    assert_eq!(body["summary"], "Army denies withdrawal");
    let history = body["history"].as_array().unwrap();
    assert_eq!(history.len(), 2, "{history:?}");
    let edit = &history[0];
    assert_eq!(edit["action"], "edited");
    let changes = edit["changes"].as_object().unwrap();
    let mut keys: Vec<_> = changes.keys().map(String::as_str).collect();
    keys.sort();
    assert_eq!(keys, vec!["quote", "story_id", "summary"]);
    assert_eq!(changes["quote"]["from"], f.claim["quote"]);
    assert_eq!(
        changes["quote"]["to"],
        "There is no truth at all to reports of a withdrawal."
    );
    assert_eq!(changes["story_id"]["from"], f.story.as_str());
    assert_eq!(changes["story_id"]["to"], other_story.as_str());
    assert_eq!(changes["summary"]["from"], Value::Null);
    assert_eq!(changes["summary"]["to"], "Army denies withdrawal");
    // The GET agrees with the PUT's answer.
    assert_eq!(app.get_json(&format!("/api/claims/{}", f.id())).await, body);
}

#[tokio::test]
async fn put_that_changes_nothing_writes_no_history_and_keeps_the_version() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .put_json(
            &format!("/api/claims/{}", f.id()),
            &json!({
                "story_id": f.story,
                "source_id": f.source,
                "quote": f.claim["quote"],
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["version"], 1);
    assert_eq!(body["updated_at"], f.claim["updated_at"]);
    assert_eq!(body["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn put_with_a_stale_version_is_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    assert_eq!(
        app.set_status(f.id(), "in_review", "checking")
            .await
            .status(),
        200
    );

    let res = app
        .put_json(
            &format!("/api/claims/{}", f.id()),
            &json!({
                "story_id": f.story,
                "source_id": f.source,
                "quote": "A different wording",
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "conflict");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["quote"], f.claim["quote"]);
    assert_eq!(now["version"], 2);
}

#[tokio::test]
async fn put_moving_a_claim_to_a_missing_story_is_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .put_json(
            &format!("/api/claims/{}", f.id()),
            &json!({
                "story_id": uuid::Uuid::new_v4(),
                "source_id": f.source,
                "quote": f.claim["quote"],
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["story_id"].is_string(), "{body}");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["story_id"], f.story.as_str());
    assert_eq!(now["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn put_to_an_unknown_claim_is_a_json_404() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .put_json(
            &format!("/api/claims/{}", uuid::Uuid::new_v4()),
            &json!({ "story_id": f.story, "source_id": f.source, "quote": "x", "version": 1 }),
        )
        .await;

    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

// ------------------------------------------------------------ list, filters, pages

#[tokio::test]
async fn list_returns_claims_newest_first() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;
    let mut created = Vec::new();
    for i in 0..4 {
        created.push(app.claim(&story, &source, &format!("claim {i}")).await);
    }

    let list = app.get_json("/api/claims").await;

    let items = list["items"].as_array().unwrap();
    created.reverse();
    assert_eq!(ids(items), ids(&created));
    assert!(list["next_cursor"].is_null());
    let first = &items[0];
    assert_eq!(first["source"]["name"], "Syrian army");
    assert_eq!(first["source"]["source_type"], "military");
    assert_eq!(first["story"]["title"], "S");
    assert_utc_timestamp(&first["updated_at"], "updated_at");
}

/// Two stories, three sources of two types, claims in several statuses.
struct Board {
    story_a: String,
    story_b: String,
    army: String,
    monitor: String,
}

async fn board(app: &TestApp) -> Board {
    let story_a = app.story("Story A").await;
    let story_b = app.story("Story B").await;
    let army = app.source("Syrian army", "military").await;
    let defence = app.source("Syrian defence ministry", "military").await;
    let monitor = app
        .source("Syrian Observatory for Human Rights", "monitor")
        .await;
    app.claim(&story_a, &army, "army in A").await;
    app.claim(&story_a, &defence, "defence in A").await;
    app.claim(&story_b, &defence, "defence in B").await;
    let reviewed = app.claim(&story_a, &monitor, "monitor in A").await;
    app.claim(&story_b, &monitor, "monitor in B").await;
    let id = reviewed["id"].as_str().unwrap();
    assert_eq!(
        app.set_status(id, "in_review", "checking").await.status(),
        200
    );
    Board {
        story_a,
        story_b,
        army,
        monitor,
    }
}

fn sorted(mut v: Vec<String>) -> Vec<String> {
    v.sort();
    v
}

#[tokio::test]
async fn api_list_filters_by_status_source_type_source_and_story() {
    let app = TestApp::spawn().await;
    let b = board(&app).await;

    let by_status = app.all_claims("status=in_review").await;
    let by_type = app.all_claims("source_type=military").await;
    let by_source = app.all_claims(&format!("source={}", b.army)).await;
    let by_story = app.all_claims(&format!("story={}", b.story_b)).await;
    let combined = app
        .all_claims(&format!("story={}&source={}", b.story_a, b.monitor))
        .await;
    let combined_empty = app
        .all_claims(&format!("story={}&status=in_review", b.story_b))
        .await;

    assert_eq!(quotes(&by_status), vec!["monitor in A"]);
    assert_eq!(
        sorted(quotes(&by_type)),
        vec!["army in A", "defence in A", "defence in B"]
    );
    assert_eq!(quotes(&by_source), vec!["army in A"]);
    assert_eq!(
        sorted(quotes(&by_story)),
        vec!["defence in B", "monitor in B"]
    );
    assert_eq!(quotes(&combined), vec!["monitor in A"]);
    assert!(combined_empty.is_empty());
    assert_eq!(app.all_claims("").await.len(), 5);
}

#[tokio::test]
async fn board_page_filters_by_status_and_source_type() {
    let app = TestApp::spawn().await;
    let b = board(&app).await;

    let all = app.html("/").await;
    let in_review = app.html("/?status=in_review").await;
    let military = app.html("/?source_type=military").await;
    let story_b = app.html(&format!("/?story={}", b.story_b)).await;
    let army = app.html(&format!("/?source={}", b.army)).await;

    for q in [
        "army in A",
        "defence in A",
        "defence in B",
        "monitor in A",
        "monitor in B",
    ] {
        assert!(all.contains(q), "board lacks {q}");
    }
    assert!(in_review.contains("monitor in A"));
    for q in ["army in A", "defence in A", "defence in B", "monitor in B"] {
        assert!(!in_review.contains(q), "status filter let {q} through");
    }
    assert!(military.contains("army in A") && military.contains("defence in B"));
    assert!(!military.contains("monitor in A") && !military.contains("monitor in B"));
    assert!(story_b.contains("defence in B") && story_b.contains("monitor in B"));
    assert!(!story_b.contains("army in A"));
    assert!(army.contains("army in A"));
    for q in [
        "defence in A",
        "defence in B",
        "monitor in A",
        "monitor in B",
    ] {
        assert!(!army.contains(q), "source filter let {q} through");
    }
    // The chosen filter stays selected in the form.
    assert!(in_review.contains(r#"<option value="in_review" selected>"#));
}

#[tokio::test]
async fn keyset_pages_cover_every_claim_once_and_the_last_has_no_cursor() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(app.claim(&story, &source, &format!("claim {i}")).await);
    }

    let mut pages = Vec::new();
    let mut path = "/api/claims?limit=3".to_owned();
    loop {
        let page = app.get_json(&path).await;
        pages.push(ids(page["items"].as_array().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => path = format!("/api/claims?limit=3&after={c}"),
            None => break,
        }
        assert!(pages.len() < 10, "pagination does not end");
    }

    let sizes: Vec<_> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let seen: Vec<String> = pages.concat();
    created.reverse();
    assert_eq!(seen, ids(&created), "newest first, none missing or doubled");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

#[tokio::test]
async fn keyset_pages_keep_the_filter() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let army = app.source("Syrian army", "military").await;
    let monitor = app.source("Observatory", "monitor").await;
    for i in 0..4 {
        app.claim(&story, &army, &format!("army {i}")).await;
        app.claim(&story, &monitor, &format!("monitor {i}")).await;
    }

    let first = app
        .get_json("/api/claims?source_type=monitor&limit=3")
        .await;
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get_json(&format!(
            "/api/claims?source_type=monitor&limit=3&after={cursor}"
        ))
        .await;

    assert_eq!(
        quotes(first["items"].as_array().unwrap()),
        vec!["monitor 3", "monitor 2", "monitor 1"]
    );
    assert_eq!(
        quotes(second["items"].as_array().unwrap()),
        vec!["monitor 0"]
    );
    assert!(second["next_cursor"].is_null());
}

#[tokio::test]
async fn board_page_links_to_the_next_page() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;
    for i in 0..3 {
        app.claim(&story, &source, &format!("claim number {i}"))
            .await;
    }

    let first = app.html("/?limit=2").await;
    let href_start = first.find(r#"rel="next" href=""#).expect("a next link") + 17;
    let href = unescape(&first[href_start..href_start + first[href_start..].find('"').unwrap()]);
    let second = app.html(&href).await;

    assert!(first.contains("claim number 2") && first.contains("claim number 1"));
    assert!(!first.contains("claim number 0"));
    assert!(second.contains("claim number 0"));
    assert!(!second.contains("claim number 1"));
    assert!(!second.contains(r#"rel="next""#));
}

#[tokio::test]
async fn unknown_filter_values_are_400_json_on_the_api_and_400_on_the_board() {
    let app = TestApp::spawn().await;

    for query in [
        "status=bogus",
        "source_type=rebels",
        "source=not-a-uuid",
        "story=42",
        "after=garbage",
    ] {
        let res = app.get(&format!("/api/claims?{query}")).await;
        assert_eq!(res.status(), 400, "{query}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "bad_request", "{query}");
        assert!(body["message"].as_str().is_some_and(|m| !m.is_empty()));

        let (status, _) = app.page(&format!("/?{query}")).await;
        assert_eq!(status, 400, "board {query}");
    }
}

#[tokio::test]
async fn a_limit_that_is_not_a_number_is_400_json() {
    let app = TestApp::spawn().await;

    let res = app.get("/api/claims?limit=lots").await;

    assert_eq!(res.status(), 400);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "bad_request");
}

// ------------------------------------------------------------ status workflow (API)

#[tokio::test]
async fn status_change_with_a_reason_is_recorded_in_history() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_json(
            &format!("/api/claims/{}/status", f.id()),
            &json!({
                "status": "in_review",
                "reason": "Checking with our Damascus stringer",
                "evidence": ["https://example.org/a", "https://example.org/b"],
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "in_review");
    assert_eq!(body["version"], 2);
    let entry = &body["history"][0];
    assert_eq!(entry["action"], "status_changed");
    assert_eq!(entry["from_status"], "unverified");
    assert_eq!(entry["to_status"], "in_review");
    assert_eq!(entry["reason"], "Checking with our Damascus stringer");
    assert_eq!(
        entry["evidence"],
        json!(["https://example.org/a", "https://example.org/b"])
    );
    assert_utc_timestamp(&entry["created_at"], "history created_at");
    assert_eq!(body["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn status_change_without_a_reason_is_422_on_reason_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app.set_status(f.id(), "in_review", "   ").await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["reason"].is_string(), "{body}");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["status"], "unverified");
    assert_eq!(now["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn unverified_to_verified_is_refused_with_422_on_status() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app.set_status(f.id(), "verified", "Looks right").await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let msg = body["fields"]["status"].as_str().unwrap();
    assert!(msg.contains("review"), "{msg}");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["status"], "unverified");
}

#[tokio::test]
async fn evidence_that_is_not_an_http_link_is_422_on_evidence() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_json(
            &format!("/api/claims/{}/status", f.id()),
            &json!({
                "status": "in_review",
                "reason": "r",
                "evidence": ["javascript:alert(1)"],
                "version": 1
            }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["evidence"].is_string(), "{body}");
}

#[tokio::test]
async fn a_verdict_is_reached_through_review_and_can_be_reopened() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let review = app.set_status(f.id(), "in_review", "checking").await;
    let verdict = app
        .set_status(f.id(), "false", "Footage shows otherwise")
        .await;
    let straight_to_other_verdict = app.set_status(f.id(), "verified", "changed my mind").await;
    let reopen = app
        .set_status(f.id(), "in_review", "New footage contradicts")
        .await;

    assert_eq!(review.status(), 200);
    assert_eq!(verdict.status(), 200);
    assert_eq!(straight_to_other_verdict.status(), 422);
    assert_eq!(reopen.status(), 200);
    let body: Value = reopen.json().await.unwrap();
    assert_eq!(body["status"], "in_review");
    let moves: Vec<(String, String)> = body["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "status_changed")
        .map(|h| {
            (
                h["from_status"].as_str().unwrap().to_owned(),
                h["to_status"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("false", "in_review"),
        ("in_review", "false"),
        ("unverified", "in_review"),
    ]
    .map(|(a, b)| (a.to_owned(), b.to_owned()));
    assert_eq!(moves, expected, "newest first");
}

#[tokio::test]
async fn status_change_with_a_stale_version_is_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    assert_eq!(
        app.set_status(f.id(), "in_review", "first editor")
            .await
            .status(),
        200
    );

    let res = app
        .post_json(
            &format!("/api/claims/{}/status", f.id()),
            &json!({ "status": "unverified", "reason": "second editor", "version": 1 }),
        )
        .await;

    assert_eq!(res.status(), 409);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "conflict");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["status"], "in_review");
    assert_eq!(now["version"], 2);
    assert_eq!(now["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn status_change_on_an_unknown_claim_is_a_json_404() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            &format!("/api/claims/{}/status", uuid::Uuid::new_v4()),
            &json!({ "status": "in_review", "reason": "r", "version": 1 }),
        )
        .await;

    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

// ------------------------------------------------------------ errors

#[tokio::test]
async fn unknown_claim_is_a_json_404_on_the_api() {
    let app = TestApp::spawn().await;

    for path in [
        format!("/api/claims/{}", uuid::Uuid::new_v4()),
        "/api/claims/not-a-uuid".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
        assert!(body["message"].is_string());
    }
}

#[tokio::test]
async fn unknown_claim_is_a_404_html_page() {
    let app = TestApp::spawn().await;

    for path in [
        format!("/claims/{}", uuid::Uuid::new_v4()),
        "/claims/not-a-uuid".to_owned(),
        format!("/claims/{}/edit", uuid::Uuid::new_v4()),
        "/no/such/page".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let body = res.text().await.unwrap();
        assert!(body.contains("404"), "{path}: {body}");
        assert!(body.contains("Not found"), "{path}");
        assert!(body.contains(r#"href="/static/style.css""#));
    }
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;

    let res = app.get("/api/nothing/here").await;

    assert_eq!(res.status(), 404);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "not_found");
}

#[tokio::test]
async fn malformed_json_is_422_with_a_message() {
    let app = TestApp::spawn().await;

    let res = app
        .post_raw(
            "/api/claims",
            "application/json",
            br#"{"quote": "unterminated"#.to_vec(),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "validation_failed");
    let msg = body["fields"]["body"].as_str().unwrap();
    assert!(msg.starts_with("Invalid JSON"), "{msg}");
}

#[tokio::test]
async fn json_with_wrong_types_or_unknown_fields_is_422() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let wrong_type = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": f.story, "source_id": f.source, "quote": 42 }),
        )
        .await;
    let unknown_field = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": f.story, "source_id": f.source, "quote": "q", "stauts": "x" }),
        )
        .await;

    assert_eq!(wrong_type.status(), 422);
    assert_eq!(unknown_field.status(), 422);
    let body: Value = unknown_field.json().await.unwrap();
    assert!(body["fields"]["body"].as_str().unwrap().contains("stauts"));
}

#[tokio::test]
async fn a_quote_over_10000_characters_is_422_on_quote() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;

    let at_limit = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": story, "source_id": source, "quote": "ش".repeat(10_000) }),
        )
        .await;
    let over = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": story, "source_id": source, "quote": "a".repeat(10_001) }),
        )
        .await;

    assert_eq!(
        at_limit.status(),
        201,
        "10,000 characters in any script fit"
    );
    assert_eq!(over.status(), 422);
    let body: Value = over.json().await.unwrap();
    assert!(body["fields"]["quote"].as_str().unwrap().contains("10000"));
    assert_eq!(app.all_claims("").await.len(), 1);
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let app = TestApp::spawn().await;
    let story = app.story("S").await;
    let source = app.source("Syrian army", "military").await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": story, "source_id": source, "quote": "a".repeat(300 * 1024) }),
        )
        .await;

    assert_eq!(res.status(), 413);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["error"], "payload_too_large");
    assert!(app.all_claims("").await.is_empty());
}

// ------------------------------------------------------------ claim pages and forms

#[tokio::test]
async fn claim_page_shows_quote_source_story_status_and_history() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let page = app.html(&format!("/claims/{}", f.id())).await;

    assert!(page.contains("There is no truth to reports of a withdrawal."));
    assert!(page.contains("Syrian army"));
    assert!(page.contains("Rebels close in on Damascus"));
    assert!(page.contains(r#"<span class="badge status-unverified">Unverified</span>"#));
    assert!(page.contains(r#"class="entry action-created""#));
    // Only the moves the workflow allows are offered: unverified → in review.
    let form = &page[page.find(r#"<select id="status""#).unwrap()..];
    let form = &form[..form.find("</select>").unwrap()];
    assert_eq!(form.matches("<option").count(), 1, "{form}");
    assert!(form.contains(r#"value="in_review""#));
}

#[tokio::test]
async fn status_form_with_a_reason_redirects_and_the_page_shows_the_change() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_form(
            &format!("/claims/{}/status", f.id()),
            &[
                ("status", "in_review"),
                ("reason", "Two witnesses contradict this"),
                ("evidence", "https://example.org/video\n"),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(
        to.starts_with(&format!("/claims/{}", f.id())),
        "redirect to {to}"
    );
    let page = app.html(&to).await;
    let status_line = &page[page.find(r#"class="status-line""#).unwrap()..];
    let status_line = &status_line[..status_line.find("</p>").unwrap()];
    assert!(
        status_line.contains(r#"<span class="badge status-in_review">In review</span>"#),
        "{status_line}"
    );
    let history = &page[page.find(r#"id="history""#).unwrap()..];
    let newest = &history[history.find("<li").unwrap()..];
    let newest = &newest[..newest.find("</li>\n").unwrap()];
    assert!(newest.contains("action-status_changed"), "{newest}");
    assert!(newest.contains("status-unverified") && newest.contains("status-in_review"));
    assert!(newest.contains("Two witnesses contradict this"));
    assert!(newest.contains("https://example.org/video"));
}

#[tokio::test]
async fn status_form_without_a_reason_is_422_with_the_message_next_to_the_field() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_form(
            &format!("/claims/{}/status", f.id()),
            &[
                ("status", "in_review"),
                ("reason", ""),
                ("evidence", "https://example.org/kept"),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    let msg = field_error(&page, "reason").expect("a message next to the reason");
    assert!(msg.contains("reason"), "{msg}");
    assert!(page.contains(r#"aria-describedby="reason-error""#));
    assert_eq!(textarea(&page, "evidence"), "https://example.org/kept");
    assert!(page.contains(r#"<option value="in_review" selected>"#));
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["status"], "unverified");
}

#[tokio::test]
async fn status_form_refused_transition_is_422_on_status() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_form(
            &format!("/claims/{}/status", f.id()),
            &[("status", "verified"), ("reason", "sure"), ("version", "1")],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(field_error(&page, "status").is_some_and(|m| m.contains("review")));
    assert_eq!(textarea(&page, "reason"), "sure");
}

#[tokio::test]
async fn status_form_with_a_stale_version_is_409_and_keeps_the_reason() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    assert_eq!(
        app.set_status(f.id(), "in_review", "the other editor")
            .await
            .status(),
        200
    );
    let reason = "My careful reasoning & <notes>";

    let res = app
        .post_form(
            &format!("/claims/{}/status", f.id()),
            &[
                ("status", "in_review"),
                ("reason", reason),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert_eq!(unescape(textarea(&page, "reason")), reason);
    assert!(page.contains("Another editor changed this"));
    // The form now carries the current version, so a resubmission can succeed.
    assert!(page.contains(r#"name="version" value="2""#));
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["version"], 2);
    assert_eq!(now["history"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn status_form_on_an_unknown_claim_is_a_404_page() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            &format!("/claims/{}/status", uuid::Uuid::new_v4()),
            &[("status", "in_review"), ("reason", "r")],
        )
        .await;

    assert_eq!(res.status(), 404);
    assert!(res.text().await.unwrap().contains("Not found"));
}

#[tokio::test]
async fn edit_form_is_filled_from_the_claim() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let page = app.html(&format!("/claims/{}/edit", f.id())).await;

    assert_eq!(
        unescape(textarea(&page, "quote")),
        "There is no truth to reports of a withdrawal."
    );
    assert!(page.contains(&format!(r#"<option value="{}" selected>"#, f.source)));
    assert!(page.contains(r#"name="version" value="1""#));
}

#[tokio::test]
async fn edit_form_saves_the_change_and_records_it_in_history() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_form(
            &format!("/claims/{}/edit", f.id()),
            &[
                ("story_id", &f.story),
                ("source_id", &f.source),
                ("quote", "Reports of a withdrawal are false."),
                ("summary", "Army denies"),
                ("figures", "2000 troops"),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let page = app.html(&location(&res)).await;
    assert!(page.contains("Reports of a withdrawal are false."));
    assert!(page.contains("Edited: "));
    let edited = &page[page.find("action-edited").unwrap()..];
    let edited = &edited[..edited.find("</li>").unwrap()];
    for field in ["quote", "summary", "figures"] {
        assert!(edited.contains(field), "{field} not listed: {edited}");
    }
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["quote"], "Reports of a withdrawal are false.");
    assert_eq!(now["figures"], json!([{ "label": "troops", "min": 2000 }]));
    assert_eq!(now["version"], 2);
    let changes = &now["history"][0]["changes"];
    assert_eq!(changes["quote"]["from"], f.claim["quote"]);
    assert_eq!(changes["quote"]["to"], "Reports of a withdrawal are false.");
}

#[tokio::test]
async fn invalid_edit_form_is_422_with_input_kept_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;

    let res = app
        .post_form(
            &format!("/claims/{}/edit", f.id()),
            &[
                ("story_id", &f.story),
                ("source_id", &f.source),
                ("quote", "A new <em>wording</em>"),
                ("claimed_at", "last tuesday"),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert_eq!(unescape(textarea(&page, "quote")), "A new <em>wording</em>");
    assert!(field_error(&page, "claimed_at").is_some());
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["quote"], f.claim["quote"]);
    assert_eq!(now["history"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn edit_form_with_a_stale_version_is_409_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    assert_eq!(
        app.set_status(f.id(), "in_review", "someone else")
            .await
            .status(),
        200
    );

    let res = app
        .post_form(
            &format!("/claims/{}/edit", f.id()),
            &[
                ("story_id", &f.story),
                ("source_id", &f.source),
                ("quote", "My edited wording"),
                ("version", "1"),
            ],
        )
        .await;

    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert_eq!(unescape(textarea(&page, "quote")), "My edited wording");
    let now = app.get_json(&format!("/api/claims/{}", f.id())).await;
    assert_eq!(now["quote"], f.claim["quote"]);
}
