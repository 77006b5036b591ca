//! Stories over the API and the story pages, where claims are added one
//! after another with the form.

use crate::helpers::{field_error, input_value, location, textarea, unescape, TestApp};
use crate::kit::{read, ApiError, Figure, Page, SourceType, Status, Story};
use serde_json::json;

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

    let loc = location(&res);
    let body: Story = read(res, 201).await;
    assert_eq!(loc, format!("/api/stories/{}", body.id));
    assert_eq!(body.title, "Syria sets up 'ring of steel'");
    assert_eq!(body.outlet, "AFP");
    assert_eq!(body.url.as_deref(), Some("https://example.org/story"));
    assert_eq!(body.published_at.as_deref(), Some("2024-12-08T00:00:00Z"));
    assert_eq!(body.dateline.as_deref(), Some("Beirut"));
    assert_eq!(body.notes.as_deref(), Some("Wire copy"));
    let got = app.get_story(&body).await;
    assert_eq!(got.story, body);
    assert_eq!(got.status_counts.len(), 7);
}

#[tokio::test]
async fn story_api_counts_claims_by_status() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    for quote in ["a", "b", "c"] {
        let claim = app
            .claim(&story)
            .source(&source)
            .quote(quote)
            .create()
            .await;
        if quote == "a" {
            app.status(&claim, Status::InReview, "r").apply().await;
        }
    }

    let got = app.get_story(&story).await;
    let list = app.stories().await;

    let count = |s: Status| {
        got.status_counts
            .iter()
            .find(|c| c.status == s)
            .unwrap()
            .count
    };
    assert_eq!(count(Status::Unverified), 2);
    assert_eq!(count(Status::InReview), 1);
    assert_eq!(count(Status::Verified), 0);
    assert_eq!(list[0].claim_count, 3);
}

#[tokio::test]
async fn a_javascript_url_for_a_story_is_422_on_url() {
    let app = TestApp::spawn().await;

    let res = app.story().url("javascript:alert(1)").send().await;

    let body: ApiError = read(res, 422).await;
    assert!(body.field("url").contains("http"));
    assert!(app.stories().await.is_empty());
}

#[tokio::test]
async fn a_second_story_with_the_same_url_is_422_on_url() {
    let app = TestApp::spawn().await;
    app.story().url("https://example.org/s").create().await;

    let res = app.story().url("https://example.org/s").send().await;

    read::<ApiError>(res, 422).await.field("url");
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

    let body: ApiError = read(res, 422).await;
    body.field("title");
    assert!(body.field("outlet").contains("200"));
}

#[tokio::test]
async fn put_story_replaces_it() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Old title").create().await;

    let res = app
        .put_json(
            &story.path(),
            &json!({ "title": "New title", "outlet": "Reuters", "version": 1 }),
        )
        .await;

    let body: Story = read(res, 200).await;
    assert_eq!(body.title, "New title");
    assert_eq!(body.outlet, "Reuters");
    assert_eq!(body.version, 2);
}

#[tokio::test]
async fn unknown_story_is_404_json_and_404_page() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();

    let api = app.get(&format!("/api/stories/{id}")).await;
    let (page_status, page) = app.page(&format!("/stories/{id}")).await;
    let (bad_status, _) = app.page("/stories/not-a-uuid").await;

    assert_eq!(read::<ApiError>(api, 404).await.error, "not_found");
    assert_eq!(page_status, 404);
    assert!(Page::parse(&page).shows("Not found"));
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
    let page = app.view(&to).await;
    assert_eq!(page.text("h1"), "Rebels close in on Damascus");
    assert!(page.shows("Beirut"));
    assert!(page.shows("2024-12-08 09:15 UTC"));
    let api = app.get_story(uuid::Uuid::parse_str(id).unwrap()).await;
    assert_eq!(api.notes, None, "a blank field is stored as null");
    assert_eq!(api.published_at.as_deref(), Some("2024-12-08T09:15:00Z"));
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
    assert!(app.stories().await.is_empty());
}

#[tokio::test]
async fn story_edit_form_saves_and_redirects() {
    let app = TestApp::spawn().await;
    let id = app.story().title("Old title").create().await.id;

    let page = app.view(&format!("/stories/{id}/edit")).await;
    let form = page.form("form:has(#title)");
    let res = app
        .post_form(
            &format!("/stories/{id}/edit"),
            &[
                ("title", "New title"),
                ("outlet", "AFP"),
                ("version", form.field("version")),
            ],
        )
        .await;

    assert_eq!(form.field("title"), "Old title");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/stories/{id}"));
    let page = app.view(&format!("/stories/{id}")).await;
    assert_eq!(page.text("h1"), "New title");
}

// ------------------------------------------------------------ adding claims on the story page

#[tokio::test]
async fn add_claim_form_with_an_existing_source_adds_it_to_the_story() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().name("Mohammed al-Rahmoun").create().await;
    let source = source.id.to_string();

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
    let page = app.view(&to).await;
    assert!(page.shows("Claim added."));
    assert!(page.shows("There is a very strong security cordon."));
    assert!(page.shows("Mohammed al-Rahmoun"));
    // The form is empty again, ready for the next claim.
    assert_eq!(page.form("form:has(#quote)").field("quote"), "");
    let claims = app.list_claims(&format!("story={story}")).await;
    assert_eq!(claims.len(), 1);
    let claim = app.get_claim(&claims[0]).await;
    assert_eq!(claim.source_id.to_string(), source);
    assert_eq!(claim.claimed_at.as_deref(), Some("2024-12-07T10:30:00Z"));
    assert_eq!(claim.summary, None);
    let dated = Figure::new("civilians killed", 111).dated("2024-12-07");
    assert_eq!(claim.figures, [Figure::new("killed", 826), dated]);
}

#[tokio::test]
async fn claims_are_added_one_after_another_on_the_story_page() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().create().await.id.to_string();

    for q in ["first claim", "second claim", "third claim"] {
        let res = app
            .post_form(
                &format!("/stories/{story}/claims"),
                &[("source_id", source.as_str()), ("quote", q)],
            )
            .await;
        assert_eq!(res.status(), 303, "{q}");
    }

    let page = app.view(&format!("/stories/{story}")).await;
    assert_eq!(
        page.select_texts("table.claims td.quote"),
        ["third claim", "second claim", "first claim"],
        "newest first"
    );
    assert!(page
        .select_texts(".summary-bar li")
        .contains(&"Unverified 3".to_owned()));
}

#[tokio::test]
async fn add_claim_form_with_a_new_source_creates_the_source() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;

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
    let items = app.sources().await;
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].name, "Kharfan Mansour");
    assert_eq!(items[0].source_type, SourceType::Witness);
    assert_eq!(items[0].affiliation.as_deref(), Some("Homs resident"));
    assert_eq!(items[0].claim_count, 1);
    let claims = app.list_claims("").await;
    assert_eq!(claims[0].source_id, items[0].id);
    assert!(claims[0].is_paraphrase);
    let page = app.view(&location(&res)).await;
    assert!(page.shows("Kharfan Mansour"));
}

#[tokio::test]
async fn a_new_source_with_a_known_name_reuses_that_source() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let existing = app
        .source()
        .name("Rania")
        .kind(SourceType::Witness)
        .create()
        .await;

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
    assert_eq!(app.sources().await.len(), 1);
    assert_eq!(app.list_claims("").await[0].source_id, existing.id);
}

#[tokio::test]
async fn invalid_add_claim_form_is_422_with_input_kept_and_field_messages() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
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
    assert!(app.list_claims("").await.is_empty());
}

#[tokio::test]
async fn add_claim_form_with_a_bad_new_source_type_reports_it_on_that_field() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;

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
    assert!(app.sources().await.is_empty());
}

#[tokio::test]
async fn add_claim_to_an_unknown_story_is_404() {
    let app = TestApp::spawn().await;
    let source = app.source().create().await.id.to_string();

    let res = app
        .post_form(
            &format!("/stories/{}/claims", uuid::Uuid::new_v4()),
            &[("source_id", source.as_str()), ("quote", "q")],
        )
        .await;

    assert_eq!(res.status(), 404);
    assert!(app.list_claims("").await.is_empty());
}
