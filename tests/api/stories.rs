//! Stories over the API and the story pages, where claims are added one
//! after another with the form.

use crate::helpers::{field_error, input_value, location, textarea, unescape, TestApp};
use serde_json::{json, Value};

// ------------------------------------------------------------ API

#[tokio::test]
async fn create_story_via_api_returns_201_with_location_and_fields() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            "/api/stories",
            &json!({
                "title": "Syria sets up 'ring of steel'",
                "outlet": "AFP",
                "url": "https://example.org/story",
                "published_at": "2024-12-08",
                "dateline": "Beirut",
                "notes": "Wire copy"
            }),
        )
        .await;

    assert_eq!(res.status(), 201);
    let loc = location(&res);
    let body: Value = res.json().await.unwrap();
    let id = body["id"].as_str().unwrap();
    assert_eq!(loc, format!("/api/stories/{id}"));
    assert_eq!(body["title"], "Syria sets up 'ring of steel'");
    assert_eq!(body["outlet"], "AFP");
    assert_eq!(body["url"], "https://example.org/story");
    assert_eq!(body["published_at"], "2024-12-08T00:00:00Z");
    assert_eq!(body["dateline"], "Beirut");
    assert_eq!(body["notes"], "Wire copy");
    let got = app.get_json(&loc).await;
    assert_eq!(got["title"], body["title"]);
    assert_eq!(got["status_counts"].as_array().unwrap().len(), 7);
}

#[tokio::test]
async fn story_api_counts_claims_by_status() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let source = app.source_id("Syrian army", "military").await;
    let a = app.claim_json(&story, &source, "a").await;
    app.claim_json(&story, &source, "b").await;
    app.claim_json(&story, &source, "c").await;
    let a = a["id"].as_str().unwrap();
    assert_eq!(app.set_status(a, "in_review", "r").await.status(), 200);

    let got = app.get_json(&format!("/api/stories/{story}")).await;
    let list = app.get_json("/api/stories").await;

    let count = |s: &str| {
        got["status_counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == s)
            .unwrap()["count"]
            .as_i64()
            .unwrap()
    };
    assert_eq!(count("unverified"), 2);
    assert_eq!(count("in_review"), 1);
    assert_eq!(count("verified"), 0);
    assert_eq!(list["items"][0]["claim_count"], 3);
}

#[tokio::test]
async fn a_javascript_url_for_a_story_is_422_on_url() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            "/api/stories",
            &json!({ "title": "t", "outlet": "AFP", "url": "javascript:alert(1)" }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["url"].as_str().unwrap().contains("http"));
    assert_eq!(app.get_json("/api/stories").await["items"], json!([]));
}

#[tokio::test]
async fn a_second_story_with_the_same_url_is_422_on_url() {
    let app = TestApp::spawn().await;
    let story = json!({ "title": "t", "outlet": "AFP", "url": "https://example.org/s" });
    assert_eq!(app.post_json("/api/stories", &story).await.status(), 201);

    let res = app.post_json("/api/stories", &story).await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["url"].is_string(), "{body}");
}

#[tokio::test]
async fn story_without_title_or_outlet_is_422_per_field() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            "/api/stories",
            &json!({ "title": "", "outlet": "x".repeat(201) }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["title"].is_string());
    assert!(body["fields"]["outlet"].as_str().unwrap().contains("200"));
}

#[tokio::test]
async fn put_story_replaces_it() {
    let app = TestApp::spawn().await;
    let id = app.story_id("Old title").await;

    let res = app
        .put_json(
            &format!("/api/stories/{id}"),
            &json!({ "title": "New title", "outlet": "Reuters", "version": 1 }),
        )
        .await;

    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["title"], "New title");
    assert_eq!(body["outlet"], "Reuters");
    assert_eq!(body["version"], 2);
}

#[tokio::test]
async fn unknown_story_is_404_json_and_404_page() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();

    let api = app.get(&format!("/api/stories/{id}")).await;
    let (page_status, page) = app.page(&format!("/stories/{id}")).await;
    let (bad_status, _) = app.page("/stories/not-a-uuid").await;

    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "not_found");
    assert_eq!(page_status, 404);
    assert!(page.contains("Not found"));
    assert_eq!(bad_status, 404);
}

// ------------------------------------------------------------ story form

#[tokio::test]
async fn new_story_form_creates_the_story_and_redirects_to_it() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            "/stories",
            &[
                ("title", "Rebels close in on Damascus"),
                ("outlet", "AFP"),
                ("url", "https://example.org/damascus"),
                ("published_at", "2024-12-08T09:15"),
                ("dateline", "Beirut"),
                ("notes", ""),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    let id = to.strip_prefix("/stories/").expect("redirect to the story");
    uuid::Uuid::parse_str(id).unwrap();
    let page = app.html(&to).await;
    assert!(page.contains("<h1>Rebels close in on Damascus</h1>"));
    assert!(page.contains("Beirut"));
    assert!(page.contains("2024-12-08 09:15 UTC"));
    let api = app.get_json(&format!("/api/stories/{id}")).await;
    assert_eq!(api["notes"], Value::Null, "a blank field is stored as null");
    assert_eq!(api["published_at"], "2024-12-08T09:15:00Z");
}

#[tokio::test]
async fn invalid_story_form_is_422_with_input_kept_and_messages_next_to_fields() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            "/stories",
            &[
                ("title", ""),
                ("outlet", "Agence \"France\" <Presse>"),
                ("url", "javascript:alert(1)"),
                ("published_at", "next week"),
                ("notes", "Keep these notes"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("Some fields need attention"));
    assert!(field_error(&page, "title").is_some_and(|m| m.contains("required")));
    assert!(field_error(&page, "url").is_some_and(|m| m.contains("http")));
    assert!(field_error(&page, "published_at").is_some());
    assert!(field_error(&page, "outlet").is_none());
    assert_eq!(
        unescape(input_value(&page, "outlet")),
        "Agence \"France\" <Presse>"
    );
    assert_eq!(unescape(input_value(&page, "url")), "javascript:alert(1)");
    assert_eq!(unescape(input_value(&page, "published_at")), "next week");
    assert_eq!(textarea(&page, "notes"), "Keep these notes");
    assert!(!page.contains("<Presse>"), "input is escaped");
    assert_eq!(app.get_json("/api/stories").await["items"], json!([]));
}

#[tokio::test]
async fn story_edit_form_saves_and_redirects() {
    let app = TestApp::spawn().await;
    let id = app.story_id("Old title").await;

    let form = app.html(&format!("/stories/{id}/edit")).await;
    let res = app
        .post_form(
            &format!("/stories/{id}/edit"),
            &[
                ("title", "New title"),
                ("outlet", "AFP"),
                ("version", hidden_version(&form)),
            ],
        )
        .await;

    assert_eq!(input_value(&form, "title"), "Old title");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/stories/{id}"));
    assert!(app
        .html(&format!("/stories/{id}"))
        .await
        .contains("<h1>New title</h1>"));
}

// ------------------------------------------------------------ adding claims on the story page

#[tokio::test]
async fn add_claim_form_with_an_existing_source_adds_it_to_the_story() {
    let app = TestApp::spawn().await;
    let story = app.story_id("Ring of steel").await;
    let source = app.source_id("Mohammed al-Rahmoun", "government").await;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("source_id", &source),
                ("quote", "There is a very strong security cordon."),
                ("claimed_where", "State television"),
                ("claimed_at", "2024-12-07T10:30"),
                ("figures", "826 killed\n111 civilians killed @2024-12-07"),
                ("summary", ""),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    assert!(to.starts_with(&format!("/stories/{story}?added=")), "{to}");
    let page = app.html(&to).await;
    assert!(page.contains("Claim added."));
    assert!(page.contains("There is a very strong security cordon."));
    assert!(page.contains("Mohammed al-Rahmoun"));
    // The form is empty again, ready for the next claim.
    assert_eq!(textarea(&page, "quote"), "");
    let claims = app.all_claims(&format!("story={story}")).await;
    assert_eq!(claims.len(), 1);
    let claim = app
        .get_json(&format!(
            "/api/claims/{}",
            claims[0]["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(claim["source_id"], source.as_str());
    assert_eq!(claim["claimed_at"], "2024-12-07T10:30:00Z");
    assert_eq!(claim["summary"], Value::Null);
    assert_eq!(
        claim["figures"],
        json!([
            { "label": "killed", "min": 826 },
            { "label": "civilians killed", "min": 111, "as_of": "2024-12-07" }
        ])
    );
}

#[tokio::test]
async fn claims_are_added_one_after_another_on_the_story_page() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let source = app.source_id("Syrian army", "military").await;

    for q in ["first claim", "second claim", "third claim"] {
        let res = app
            .post_form(
                &format!("/stories/{story}/claims"),
                &[("source_id", source.as_str()), ("quote", q)],
            )
            .await;
        assert_eq!(res.status(), 303, "{q}");
    }

    let page = app.html(&format!("/stories/{story}")).await;
    let (a, b, c) = (
        page.find("third claim").unwrap(),
        page.find("second claim").unwrap(),
        page.find("first claim").unwrap(),
    );
    assert!(a < b && b < c, "newest first");
    assert!(page.contains(r#"status-unverified">Unverified</span> <strong>3</strong>"#));
}

#[tokio::test]
async fn add_claim_form_with_a_new_source_creates_the_source() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("source_id", ""),
                ("new_source_name", "Kharfan Mansour"),
                ("new_source_type", "witness"),
                ("new_source_affiliation", "Homs resident"),
                ("quote", "We heard shelling all night."),
                ("is_paraphrase", "on"),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let sources = app.get_json("/api/sources").await;
    let items = sources["items"].as_array().unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0]["name"], "Kharfan Mansour");
    assert_eq!(items[0]["source_type"], "witness");
    assert_eq!(items[0]["affiliation"], "Homs resident");
    assert_eq!(items[0]["claim_count"], 1);
    let claims = app.all_claims("").await;
    assert_eq!(claims[0]["source_id"], items[0]["id"]);
    assert_eq!(claims[0]["is_paraphrase"], true);
    let page = app.html(&location(&res)).await;
    assert!(page.contains("Kharfan Mansour"));
}

#[tokio::test]
async fn a_new_source_with_a_known_name_reuses_that_source() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let existing = app.source_id("Rania", "witness").await;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("new_source_name", "rania"),
                ("new_source_type", "witness"),
                ("quote", "q"),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let sources = app.get_json("/api/sources").await;
    assert_eq!(sources["items"].as_array().unwrap().len(), 1);
    assert_eq!(app.all_claims("").await[0]["source_id"], existing.as_str());
}

#[tokio::test]
async fn invalid_add_claim_form_is_422_with_input_kept_and_field_messages() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let quote = "He said \"<b>leave now</b>\" & left";

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("source_id", ""),
                ("new_source_name", ""),
                ("new_source_type", ""),
                ("quote", quote),
                ("claimed_at", "yesterday evening"),
                ("claimed_where", "Telegram"),
                ("figures", "many killed"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(page.contains("The claim was not added"));
    let raw = textarea(&page, "quote");
    assert_eq!(unescape(raw), quote, "typed quote kept");
    assert!(!raw.contains('<') && !raw.contains('"'), "escaped: {raw}");
    assert!(field_error(&page, "source_id").is_some());
    assert!(field_error(&page, "claimed_at").is_some());
    assert!(field_error(&page, "figures").is_some());
    assert!(field_error(&page, "quote").is_none());
    assert_eq!(
        unescape(input_value(&page, "claimed_at")),
        "yesterday evening"
    );
    assert_eq!(input_value(&page, "claimed_where"), "Telegram");
    assert_eq!(textarea(&page, "figures"), "many killed");
    assert!(app.all_claims("").await.is_empty());
}

#[tokio::test]
async fn add_claim_form_with_a_bad_new_source_type_reports_it_on_that_field() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("new_source_name", "Somebody"),
                ("new_source_type", ""),
                ("quote", "q"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(field_error(&page, "new_source_type").is_some());
    assert_eq!(input_value(&page, "new_source_name"), "Somebody");
    assert!(app.get_json("/api/sources").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn add_claim_to_an_unknown_story_is_404() {
    let app = TestApp::spawn().await;
    let source = app.source_id("Syrian army", "military").await;

    let res = app
        .post_form(
            &format!("/stories/{}/claims", uuid::Uuid::new_v4()),
            &[("source_id", source.as_str()), ("quote", "q")],
        )
        .await;

    assert_eq!(res.status(), 404);
    assert!(app.all_claims("").await.is_empty());
}

/// The `version` the edit form carries in its hidden field.
fn hidden_version(form: &str) -> &str {
    let marker = "name=\"version\" value=\"";
    let at = form.find(marker).expect("a version field") + marker.len();
    &form[at..at + form[at..].find('"').unwrap()]
}
