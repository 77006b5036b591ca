//! Claims over the JSON API and the claim pages: create, read, edit, list,
//! filter, paginate, status workflow, errors.

use crate::helpers::{assert_utc, field_error, location, textarea, unescape, TestApp};
use crate::kit::{
    read, Action, ApiError, Claim, ClaimRow, Figure, Fixture, HasId, Page, SourceType, Status,
    Story,
};
use serde_json::{json, Value};
use std::collections::HashSet;
use uuid::Uuid;

fn ids(items: &[impl HasId]) -> Vec<Uuid> {
    items.iter().map(HasId::id).collect()
}

fn quotes(items: &[ClaimRow]) -> Vec<String> {
    items.iter().map(|c| c.quote.clone()).collect()
}

// ------------------------------------------------------------ create / get

#[tokio::test]
async fn create_claim_returns_201_with_location_etag_and_the_stored_fields() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Ring of steel").create().await;
    let source = app.source().name("Mohammed al-Rahmoun").create().await;

    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": story.id,
                "source_id": source.id,
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
    let etag = crate::kit::etag(&res);
    let text = res.text().await.unwrap();
    let raw: Value = serde_json::from_str(&text).unwrap();
    let body: Claim = serde_json::from_str(&text).unwrap();
    assert_eq!(loc, format!("/api/claims/{}", body.id));
    assert_eq!(etag, "\"1\"");
    assert_eq!(body.version, 1);
    assert_eq!(body.status, Status::Unverified);
    assert_eq!(body.story_id, story.id);
    assert_eq!(body.source_id, source.id);
    assert_eq!(body.source.name, "Mohammed al-Rahmoun");
    assert_eq!(body.source.source_type, SourceType::Government);
    assert_eq!(body.story.title, "Ring of steel");
    assert_eq!(
        body.quote,
        "There is a very strong security cordon around Damascus."
    );
    assert_eq!(
        body.summary.as_deref(),
        Some("Security cordon around Damascus")
    );
    assert_eq!(body.claimed_where.as_deref(), Some("State television"));
    // Given with +02:00, stored and returned in UTC.
    assert_eq!(body.claimed_at.as_deref(), Some("2024-12-07T12:30:00Z"));
    // The wire form exactly: a figure sent in the version 1 shape (a lone
    // `min`) comes back exact, with every part present.
    assert_eq!(
        raw["figures"],
        json!([{ "label": "km from Damascus", "unit": null, "qualifier": "exact", "value": 20,
                 "min": null, "max": null, "word": null,
                 "as_of": "2024-12-07", "as_of_precision": "day" }])
    );
    assert_utc(&body.created_at, "created_at");
    assert_utc(&body.updated_at, "updated_at");
    assert_utc(body.claimed_at.as_deref().unwrap(), "claimed_at");
    assert_eq!(body.history.len(), 1);
    assert_eq!(body.history[0].action, Action::Created);
    assert_eq!(body.history[0].to_status, Some(Status::Unverified));
    assert_utc(&body.history[0].created_at, "history created_at");
}

#[tokio::test]
async fn get_claim_returns_what_was_created_with_its_etag() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app.get(&f.claim.path()).await;

    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"1\"");
    let body: Claim = read(res, 200).await;
    assert_eq!(body, f.claim);
}

#[tokio::test]
async fn create_claim_with_a_new_source_creates_that_source() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;

    let body = app
        .claim(&story)
        .new_source("Rania", SourceType::Witness)
        .quote("We are afraid.")
        .create()
        .await;

    assert_eq!(body.source.name, "Rania");
    assert_eq!(body.source.source_type, SourceType::Witness);
    let names: Vec<_> = app.sources().await.iter().map(|s| s.name.clone()).collect();
    assert_eq!(names, vec!["Rania"]);
}

#[tokio::test]
async fn create_claim_without_required_fields_is_422_with_a_message_per_field() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json("/api/claims", &json!({ "story_id": "nope", "quote": "  " }))
        .await;

    let body: ApiError = read(res, 422).await;
    assert_eq!(body.error, "validation_failed");
    for field in ["story_id", "source_id", "quote"] {
        body.field(field);
    }
    assert!(app.claims_page("").await.items.is_empty());
}

#[tokio::test]
async fn create_claim_for_a_story_that_does_not_exist_is_422_on_story_id() {
    let app = TestApp::spawn().await;
    let source = app.source().create().await;

    let res = app
        .claim(Uuid::new_v4())
        .source(&source)
        .quote("x")
        .send()
        .await;

    read::<ApiError>(res, 422).await.field("story_id");
}

#[tokio::test]
async fn a_failed_create_with_a_new_source_leaves_no_source_behind() {
    let app = TestApp::spawn().await;

    let res = app
        .claim(Uuid::new_v4())
        .new_source("Orphan source", SourceType::Other)
        .quote("q")
        .send()
        .await;

    read::<ApiError>(res, 422).await.field("story_id");
    assert!(app.sources().await.is_empty(), "nothing written partially");
}

#[tokio::test]
async fn a_figure_range_that_runs_backwards_is_422_on_figures() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;

    let backwards = Figure::range("troops", 2000, 300);
    let res = app
        .claim(&story)
        .source(&source)
        .quote("q")
        .figures([backwards])
        .send()
        .await;

    read::<ApiError>(res, 422).await.field("figures");
}

#[tokio::test]
async fn the_same_quote_from_the_same_source_in_one_story_is_refused() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app
        .claim(&f.story)
        .source(&f.source)
        .quote(&f.claim.quote)
        .send()
        .await;

    read::<ApiError>(res, 422).await.field("quote");
    assert_eq!(app.list_claims("").await.len(), 1);
}

// ------------------------------------------------------------ replace

#[tokio::test]
async fn put_replaces_the_claim_and_records_before_and_after_in_history() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let other_story = app.story().create().await;
    let mut edit = f.claim.body();
    edit.story_id = other_story.id;
    edit.quote = "There is no truth at all to reports of a withdrawal.".into();
    edit.summary = Some("Army denies withdrawal".into());

    let res = app.put_json(&f.claim.path(), &edit).await;

    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Claim = read(res, 200).await;
    assert_eq!(body.version, 2);
    assert_eq!(
        body.quote,
        "There is no truth at all to reports of a withdrawal."
    );
    assert_eq!(body.story_id, other_story.id);
    assert_eq!(body.summary.as_deref(), Some("Army denies withdrawal"));
    assert_eq!(body.history.len(), 2, "{:?}", body.history);
    let edit = &body.history[0];
    assert_eq!(edit.action, Action::Edited);
    let changes = edit.changes.as_ref().unwrap();
    let keys: Vec<_> = changes.keys().map(String::as_str).collect();
    assert_eq!(keys, vec!["quote", "story_id", "summary"]);
    assert_eq!(changes["quote"].from, f.claim.quote.as_str());
    assert_eq!(
        changes["quote"].to,
        "There is no truth at all to reports of a withdrawal."
    );
    assert_eq!(changes["story_id"].from, f.story.id.to_string().as_str());
    assert_eq!(changes["story_id"].to, other_story.id.to_string().as_str());
    assert_eq!(changes["summary"].from, Value::Null);
    assert_eq!(changes["summary"].to, "Army denies withdrawal");
    // The GET agrees with the PUT's answer.
    assert_eq!(app.get_claim(&f.claim).await, body);
}

#[tokio::test]
async fn put_that_changes_nothing_writes_no_history_and_keeps_the_version() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app.put_json(&f.claim.path(), &f.claim.body()).await;

    let body: Claim = read(res, 200).await;
    assert_eq!(body.version, 1);
    assert_eq!(body.updated_at, f.claim.updated_at);
    assert_eq!(body.history.len(), 1);
}

#[tokio::test]
async fn put_with_a_stale_version_is_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    app.status(&f.claim, Status::InReview, "checking")
        .apply()
        .await;
    let mut edit = f.claim.body();
    edit.quote = "A different wording".into();

    let res = app.put_json(&f.claim.path(), &edit).await;

    assert_eq!(read::<ApiError>(res, 409).await.error, "conflict");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.quote, f.claim.quote);
    assert_eq!(now.version, 2);
}

#[tokio::test]
async fn put_moving_a_claim_to_a_missing_story_is_422_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let mut edit = f.claim.body();
    edit.story_id = Uuid::new_v4();

    let res = app.put_json(&f.claim.path(), &edit).await;

    read::<ApiError>(res, 422).await.field("story_id");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.story_id, f.story.id);
    assert_eq!(now.history.len(), 1);
}

#[tokio::test]
async fn put_to_an_unknown_claim_is_a_json_404() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let mut edit = f.claim.body();
    edit.quote = "x".into();

    let res = app
        .put_json(&format!("/api/claims/{}", Uuid::new_v4()), &edit)
        .await;

    assert_eq!(read::<ApiError>(res, 404).await.error, "not_found");
}

// ------------------------------------------------------------ list, filters, pages

/// `n` claims in one story by one source, quoted `{prefix}{i}`, oldest first.
async fn claims(app: &TestApp, n: usize, prefix: &str) -> Vec<Claim> {
    let story = app.story().title("S").create().await;
    let source = app
        .source()
        .name("Syrian army")
        .kind(SourceType::Military)
        .create()
        .await;
    let mut created = Vec::new();
    for i in 0..n {
        let quote = format!("{prefix}{i}");
        created.push(
            app.claim(&story)
                .source(&source)
                .quote(&quote)
                .create()
                .await,
        );
    }
    created
}

#[tokio::test]
async fn list_returns_claims_newest_first() {
    let app = TestApp::spawn().await;
    let mut created = claims(&app, 4, "claim ").await;

    let list = app.claims_page("").await;

    created.reverse();
    assert_eq!(ids(&list.items), ids(&created));
    assert!(list.next_cursor.is_none());
    let first = &list.items[0];
    assert_eq!(first.source.name, "Syrian army");
    assert_eq!(first.source.source_type, SourceType::Military);
    assert_eq!(first.story.title, "S");
    assert_utc(&first.updated_at, "updated_at");
}

/// Two stories, three sources of two types, claims in several statuses.
struct Board {
    story_a: Story,
    story_b: Story,
    army: Uuid,
    monitor: Uuid,
}

async fn board(app: &TestApp) -> Board {
    let story_a = app.story().create().await;
    let story_b = app.story().create().await;
    let source = |name: &str, kind| app.source().name(name).kind(kind).create();
    let army = source("Syrian army", SourceType::Military).await;
    let defence = source("Syrian defence ministry", SourceType::Military).await;
    let monitor = source("Syrian Observatory for Human Rights", SourceType::Monitor).await;
    for (story, source, quote) in [
        (&story_a, &army, "army in A"),
        (&story_a, &defence, "defence in A"),
        (&story_b, &defence, "defence in B"),
        (&story_a, &monitor, "monitor in A"),
        (&story_b, &monitor, "monitor in B"),
    ] {
        let claim = app.claim(story).source(source).quote(quote).create().await;
        if quote == "monitor in A" {
            app.status(&claim, Status::InReview, "checking")
                .apply()
                .await;
        }
    }
    Board {
        story_a,
        story_b,
        army: army.id,
        monitor: monitor.id,
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

    let by_status = app.list_claims("status=in_review").await;
    let by_type = app.list_claims("source_type=military").await;
    let by_source = app.list_claims(&format!("source={}", b.army)).await;
    let by_story = app.list_claims(&format!("story={}", b.story_b.id)).await;
    let combined = app
        .list_claims(&format!("story={}&source={}", b.story_a.id, b.monitor))
        .await;
    let combined_empty = app
        .list_claims(&format!("story={}&status=in_review", b.story_b.id))
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
    assert_eq!(app.list_claims("").await.len(), 5);
}

/// The quotes in the board's table, top to bottom.
fn board_quotes(page: &Page) -> Vec<String> {
    page.select_texts("table.claims td.quote")
}

#[tokio::test]
async fn board_page_filters_by_status_and_source_type() {
    let app = TestApp::spawn().await;
    let b = board(&app).await;

    let all = app.view("/").await;
    let in_review = app.view("/?status=in_review").await;
    let military = app.view("/?source_type=military").await;
    let story_b = app.view(&format!("/?story={}", b.story_b.id)).await;
    let army = app.view(&format!("/?source={}", b.army)).await;

    assert_eq!(
        sorted(board_quotes(&all)),
        [
            "army in A",
            "defence in A",
            "defence in B",
            "monitor in A",
            "monitor in B",
        ]
    );
    assert_eq!(board_quotes(&in_review), ["monitor in A"]);
    assert_eq!(
        sorted(board_quotes(&military)),
        ["army in A", "defence in A", "defence in B"]
    );
    assert_eq!(
        sorted(board_quotes(&story_b)),
        ["defence in B", "monitor in B"]
    );
    assert_eq!(board_quotes(&army), ["army in A"]);
    // The chosen filter stays selected in the form.
    assert_eq!(
        in_review.attrs("select[name=status] option[selected]", "value"),
        ["in_review"]
    );
}

#[tokio::test]
async fn keyset_pages_cover_every_claim_once_and_the_last_has_no_cursor() {
    let app = TestApp::spawn().await;
    let mut created = claims(&app, 7, "claim ").await;

    let mut pages = Vec::new();
    let mut query = "limit=3".to_owned();
    loop {
        let page = app.claims_page(&query).await;
        pages.push(ids(&page.items));
        match page.next_cursor {
            Some(c) => query = format!("limit=3&after={c}"),
            None => break,
        }
        assert!(pages.len() < 10, "pagination does not end");
    }

    let sizes: Vec<_> = pages.iter().map(Vec::len).collect();
    assert_eq!(sizes, vec![3, 3, 1]);
    let seen: Vec<Uuid> = pages.concat();
    created.reverse();
    assert_eq!(seen, ids(&created), "newest first, none missing or doubled");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);
}

#[tokio::test]
async fn keyset_pages_keep_the_filter() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let army = app.source().kind(SourceType::Military).create().await;
    let monitor = app.source().kind(SourceType::Monitor).create().await;
    for i in 0..4 {
        for (source, name) in [(&army, "army"), (&monitor, "monitor")] {
            let quote = format!("{name} {i}");
            app.claim(&story)
                .source(source)
                .quote(&quote)
                .create()
                .await;
        }
    }

    let first = app.claims_page("source_type=monitor&limit=3").await;
    let cursor = first.next_cursor.as_deref().unwrap();
    let second = app
        .claims_page(&format!("source_type=monitor&limit=3&after={cursor}"))
        .await;

    assert_eq!(
        quotes(&first.items),
        vec!["monitor 3", "monitor 2", "monitor 1"]
    );
    assert_eq!(quotes(&second.items), vec!["monitor 0"]);
    assert!(second.next_cursor.is_none());
}

#[tokio::test]
async fn board_page_links_to_the_next_page() {
    let app = TestApp::spawn().await;
    claims(&app, 3, "claim number ").await;

    let first = app.view("/?limit=2").await;
    let href = first.attr("a[rel=next]", "href").expect("a next link");
    let second = app.view(&href).await;

    assert_eq!(board_quotes(&first), ["claim number 2", "claim number 1"]);
    assert_eq!(board_quotes(&second), ["claim number 0"]);
    assert!(!second.exists("[rel=next]"));
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
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: ApiError = read(res, 400).await;
        assert_eq!(body.error, "bad_request", "{query}");
        assert!(!body.message.is_empty());

        let (status, _) = app.page(&format!("/?{query}")).await;
        assert_eq!(status, 400, "board {query}");
    }
}

#[tokio::test]
async fn a_limit_that_is_not_a_number_is_400_json() {
    let app = TestApp::spawn().await;

    let res = app.get("/api/claims?limit=lots").await;

    assert_eq!(read::<ApiError>(res, 400).await.error, "bad_request");
}

// ------------------------------------------------------------ status workflow (API)

#[tokio::test]
async fn status_change_with_a_reason_is_recorded_in_history() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app
        .status(
            &f.claim,
            Status::InReview,
            "Checking with our Damascus stringer",
        )
        .evidence(&["https://example.org/a", "https://example.org/b"])
        .version(1)
        .send()
        .await;

    assert_eq!(res.headers()["etag"], "\"2\"");
    let body: Claim = read(res, 200).await;
    assert_eq!(body.status, Status::InReview);
    assert_eq!(body.version, 2);
    let entry = &body.history[0];
    assert_eq!(entry.action, Action::StatusChanged);
    assert_eq!(entry.from_status, Some(Status::Unverified));
    assert_eq!(entry.to_status, Some(Status::InReview));
    assert_eq!(
        entry.reason.as_deref(),
        Some("Checking with our Damascus stringer")
    );
    assert_eq!(
        entry.evidence,
        ["https://example.org/a", "https://example.org/b"]
    );
    assert_utc(&entry.created_at, "history created_at");
    assert_eq!(body.history.len(), 2);
}

#[tokio::test]
async fn status_change_without_a_reason_is_422_on_reason_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app.status(&f.claim, Status::InReview, "   ").send().await;

    read::<ApiError>(res, 422).await.field("reason");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.status, Status::Unverified);
    assert_eq!(now.history.len(), 1);
}

#[tokio::test]
async fn unverified_to_verified_is_refused_with_422_on_status() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app
        .status(&f.claim, Status::Verified, "Looks right")
        .send()
        .await;

    let body: ApiError = read(res, 422).await;
    let msg = body.field("status");
    assert!(msg.contains("review"), "{msg}");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.status, Status::Unverified);
}

#[tokio::test]
async fn evidence_that_is_not_an_http_link_is_422_on_evidence() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = app
        .status(&f.claim, Status::InReview, "r")
        .evidence(&["javascript:alert(1)"])
        .version(1)
        .send()
        .await;

    read::<ApiError>(res, 422).await.field("evidence");
}

#[tokio::test]
async fn a_verdict_is_reached_through_review_and_can_be_reopened() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let change = |status, reason| app.status(&f.claim, status, reason).send();

    let review = change(Status::InReview, "checking").await;
    let verdict = change(Status::False, "Footage shows otherwise").await;
    let straight_to_other_verdict = change(Status::Verified, "changed my mind").await;
    let reopen = change(Status::InReview, "New footage contradicts").await;

    assert_eq!(review.status(), 200);
    assert_eq!(verdict.status(), 200);
    assert_eq!(straight_to_other_verdict.status(), 422);
    let body: Claim = read(reopen, 200).await;
    assert_eq!(body.status, Status::InReview);
    let moves: Vec<_> = body
        .entries(Action::StatusChanged)
        .iter()
        .map(|h| (h.from_status.unwrap(), h.to_status.unwrap()))
        .collect();
    let expected = [
        (Status::False, Status::InReview),
        (Status::InReview, Status::False),
        (Status::Unverified, Status::InReview),
    ];
    assert_eq!(moves, expected, "newest first");
}

#[tokio::test]
async fn status_change_with_a_stale_version_is_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    app.status(&f.claim, Status::InReview, "first editor")
        .apply()
        .await;

    let res = app
        .status(&f.claim, Status::Unverified, "second editor")
        .version(1)
        .send()
        .await;

    assert_eq!(read::<ApiError>(res, 409).await.error, "conflict");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.status, Status::InReview);
    assert_eq!(now.version, 2);
    assert_eq!(now.history.len(), 2);
}

#[tokio::test]
async fn status_change_on_an_unknown_claim_is_a_json_404() {
    let app = TestApp::spawn().await;

    let res = app
        .status(Uuid::new_v4(), Status::InReview, "r")
        .version(1)
        .send()
        .await;

    assert_eq!(read::<ApiError>(res, 404).await.error, "not_found");
}

// ------------------------------------------------------------ errors

#[tokio::test]
async fn unknown_claim_is_a_json_404_on_the_api() {
    let app = TestApp::spawn().await;

    for path in [
        format!("/api/claims/{}", Uuid::new_v4()),
        "/api/claims/not-a-uuid".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json"));
        let body: ApiError = read(res, 404).await;
        assert_eq!(body.error, "not_found", "{path}");
    }
}

#[tokio::test]
async fn unknown_claim_is_a_404_html_page() {
    let app = TestApp::spawn().await;

    for path in [
        format!("/claims/{}", Uuid::new_v4()),
        "/claims/not-a-uuid".to_owned(),
        format!("/claims/{}/edit", Uuid::new_v4()),
        "/no/such/page".to_owned(),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 404, "{path}");
        assert!(res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html"));
        let page = Page::parse(&res.text().await.unwrap());
        assert!(page.shows("404"), "{path}: {}", page.raw());
        assert!(page.shows("Not found"), "{path}");
        assert!(page
            .attrs("link[rel=stylesheet]", "href")
            .contains(&"/static/style.css".to_owned()));
    }
}

#[tokio::test]
async fn unknown_api_path_is_a_json_404() {
    let app = TestApp::spawn().await;

    let res = app.get("/api/nothing/here").await;

    assert_eq!(read::<ApiError>(res, 404).await.error, "not_found");
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

    let body: ApiError = read(res, 422).await;
    assert_eq!(body.error, "validation_failed");
    let msg = body.field("body");
    assert!(msg.starts_with("Invalid JSON"), "{msg}");
}

#[tokio::test]
async fn json_with_wrong_types_or_unknown_fields_is_422() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let wrong_type = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": f.story.id, "source_id": f.source.id, "quote": 42 }),
        )
        .await;
    let unknown_field = app
        .post_json(
            "/api/claims",
            &json!({ "story_id": f.story.id, "source_id": f.source.id, "quote": "q", "stauts": "x" }),
        )
        .await;

    assert_eq!(wrong_type.status(), 422);
    let body: ApiError = read(unknown_field, 422).await;
    assert!(body.field("body").contains("stauts"));
}

#[tokio::test]
async fn a_quote_over_10000_characters_is_422_on_quote() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    let claim = |quote: String| app.claim(&story).source(&source).quote(&quote).send();

    let at_limit = claim("ش".repeat(10_000)).await;
    let over = claim("a".repeat(10_001)).await;

    assert_eq!(
        at_limit.status(),
        201,
        "10,000 characters in any script fit"
    );
    let body: ApiError = read(over, 422).await;
    assert!(body.field("quote").contains("10000"));
    assert_eq!(app.list_claims("").await.len(), 1);
}

#[tokio::test]
async fn a_body_over_256_kib_is_413() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;

    let res = app
        .claim(&story)
        .source(&source)
        .quote(&"a".repeat(300 * 1024))
        .send()
        .await;

    assert_eq!(read::<ApiError>(res, 413).await.error, "payload_too_large");
    assert!(app.list_claims("").await.is_empty());
}

// ------------------------------------------------------------ claim pages and forms

/// POST the claim page's status form for the fixture's claim, based on version 1.
async fn post_status_form(
    app: &TestApp,
    f: &Fixture,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = fields.to_vec();
    form.push(("version", "1"));
    app.post_form(&format!("/claims/{}/status", f.claim.id), &form)
        .await
}

/// POST the edit form for the fixture's claim (same story and source),
/// based on version 1.
async fn post_edit_form(app: &TestApp, f: &Fixture, fields: &[(&str, &str)]) -> reqwest::Response {
    let (story, source) = (f.story.id.to_string(), f.source.id.to_string());
    let mut form = vec![("story_id", story.as_str()), ("source_id", source.as_str())];
    form.extend_from_slice(fields);
    form.push(("version", "1"));
    app.post_form(&format!("/claims/{}/edit", f.claim.id), &form)
        .await
}

/// The status choices the claim page's form offers.
fn offered_statuses(page: &Page) -> Vec<String> {
    page.attrs("select#status option", "value")
}

#[tokio::test]
async fn claim_page_shows_quote_source_story_status_and_history() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let page = app.view(&format!("/claims/{}", f.claim.id)).await;

    assert!(page.shows(Fixture::QUOTE));
    assert!(page.shows(Fixture::SOURCE));
    assert!(page.shows(Fixture::TITLE));
    assert_eq!(
        page.select_texts(".status-line .badge.status-unverified"),
        ["Unverified"]
    );
    assert_eq!(page.count("#history li.entry.action-created"), 1);
    // Only the moves the workflow allows are offered: unverified → in review.
    assert_eq!(offered_statuses(&page), ["in_review"]);
}

#[tokio::test]
async fn status_form_with_a_reason_redirects_and_the_page_shows_the_change() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = post_status_form(
        &app,
        &f,
        &[
            ("status", "in_review"),
            ("reason", "Two witnesses contradict this"),
            ("evidence", "https://example.org/video\n"),
        ],
    )
    .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(
        to.starts_with(&format!("/claims/{}", f.claim.id)),
        "redirect to {to}"
    );
    let page = app.view(&to).await;
    assert_eq!(
        page.select_texts(".status-line .badge.status-in_review"),
        ["In review"]
    );
    let newest = page.select("#history li.entry")[0];
    let classes: Vec<_> = newest.value().classes().collect();
    assert!(classes.contains(&"action-status_changed"), "{classes:?}");
    let badges: Vec<_> = newest
        .select(&scraper::Selector::parse(".what .badge").unwrap())
        .flat_map(|b| b.value().classes().map(str::to_owned).collect::<Vec<_>>())
        .collect();
    assert!(
        badges.contains(&"status-unverified".into()) && badges.contains(&"status-in_review".into())
    );
    let text = crate::kit::html::text_of(newest);
    assert!(text.contains("Two witnesses contradict this"), "{text}");
    assert!(text.contains("https://example.org/video"), "{text}");
}

#[tokio::test]
async fn status_form_without_a_reason_is_422_with_the_message_next_to_the_field() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = post_status_form(
        &app,
        &f,
        &[
            ("status", "in_review"),
            ("reason", ""),
            ("evidence", "https://example.org/kept"),
        ],
    )
    .await;

    assert_eq!(res.status(), 422);
    let page = Page::parse(&res.text().await.unwrap());
    let msg = page
        .field_error("reason")
        .expect("a message next to the reason");
    assert!(msg.contains("reason"), "{msg}");
    assert_eq!(
        page.attr("#reason", "aria-describedby").as_deref(),
        Some("reason-error")
    );
    let form = page.form("form:has(#reason)");
    assert_eq!(form.field("evidence"), "https://example.org/kept");
    assert_eq!(form.field("status"), "in_review");
    assert_eq!(
        page.attrs("select#status option[selected]", "value"),
        ["in_review"]
    );
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.status, Status::Unverified);
}

#[tokio::test]
async fn status_form_refused_transition_is_422_on_status() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = post_status_form(&app, &f, &[("status", "verified"), ("reason", "sure")]).await;

    assert_eq!(res.status(), 422);
    let page = Page::parse(&res.text().await.unwrap());
    assert!(page
        .field_error("status")
        .is_some_and(|m| m.contains("review")));
    assert_eq!(page.form("form:has(#reason)").field("reason"), "sure");
}

#[tokio::test]
async fn status_form_with_a_stale_version_is_409_and_keeps_the_reason() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    app.status(&f.claim, Status::InReview, "the other editor")
        .apply()
        .await;
    let reason = "My careful reasoning & <notes>";

    let res = post_status_form(&app, &f, &[("status", "in_review"), ("reason", reason)]).await;

    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    // Escaped in the markup, the same text once decoded.
    assert!(!textarea(&html, "reason").contains('<'));
    assert_eq!(unescape(textarea(&html, "reason")), reason);
    let page = Page::parse(&html);
    assert!(page.shows("Another editor changed this"));
    // The form now carries the current version, so a resubmission can succeed.
    assert_eq!(page.form("form:has(#reason)").field("version"), "2");
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.version, 2);
    assert_eq!(now.history.len(), 2);
}

#[tokio::test]
async fn status_form_on_an_unknown_claim_is_a_404_page() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            &format!("/claims/{}/status", Uuid::new_v4()),
            &[("status", "in_review"), ("reason", "r")],
        )
        .await;

    assert_eq!(res.status(), 404);
    assert!(Page::parse(&res.text().await.unwrap()).shows("Not found"));
}

#[tokio::test]
async fn edit_form_is_filled_from_the_claim() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let page = app.view(&format!("/claims/{}/edit", f.claim.id)).await;

    let form = page.form("form:has(#quote)");
    assert_eq!(form.field("quote"), Fixture::QUOTE);
    assert_eq!(
        page.attrs("select#source_id option[selected]", "value"),
        [f.source.id.to_string()]
    );
    assert_eq!(form.field("version"), "1");
}

#[tokio::test]
async fn edit_form_saves_the_change_and_records_it_in_history() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = post_edit_form(
        &app,
        &f,
        &[
            ("quote", "Reports of a withdrawal are false."),
            ("summary", "Army denies"),
            ("figures", "2000 troops"),
        ],
    )
    .await;

    assert_eq!(res.status(), 303);
    let page = app.view(&location(&res)).await;
    assert!(page.shows("Reports of a withdrawal are false."));
    let edited = page.text("#history li.action-edited .what");
    assert!(edited.starts_with("Edited: "), "{edited}");
    for field in ["quote", "summary", "figures"] {
        assert!(edited.contains(field), "{field} not listed: {edited}");
    }
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.quote, "Reports of a withdrawal are false.");
    assert_eq!(now.figures, [Figure::new("troops", 2000)]);
    assert_eq!(now.version, 2);
    let changes = now.history[0].changes.as_ref().unwrap();
    assert_eq!(changes["quote"].from, f.claim.quote.as_str());
    assert_eq!(changes["quote"].to, "Reports of a withdrawal are false.");
}

#[tokio::test]
async fn invalid_edit_form_is_422_with_input_kept_and_nothing_saved() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;

    let res = post_edit_form(
        &app,
        &f,
        &[
            ("quote", "A new <em>wording</em>"),
            ("claimed_at", "last tuesday"),
        ],
    )
    .await;

    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert_eq!(unescape(textarea(&html, "quote")), "A new <em>wording</em>");
    assert!(field_error(&html, "claimed_at").is_some());
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.quote, f.claim.quote);
    assert_eq!(now.history.len(), 1);
}

#[tokio::test]
async fn edit_form_with_a_stale_version_is_409_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    app.status(&f.claim, Status::InReview, "someone else")
        .apply()
        .await;

    let res = post_edit_form(&app, &f, &[("quote", "My edited wording")]).await;

    assert_eq!(res.status(), 409);
    let page = Page::parse(&res.text().await.unwrap());
    assert_eq!(
        page.form("form:has(#quote)").field("quote"),
        "My edited wording"
    );
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.quote, f.claim.quote);
}
