//! Escaping of user input in pages, text in any script, input limits and
//! response headers.

use crate::helpers::{location, shows_text, TestApp};
use crate::kit::{SourceType, Status};

const XSS: &str = "<script>alert(1)</script>";
const ARABIC: &str = "دمشق تنتظركم 🇸🇾✊";

fn assert_escaped(page: &str, what: &str) {
    assert!(!page.contains("<script>alert(1)"), "raw script on {what}");
    assert!(
        shows_text(page, XSS),
        "the text itself is missing on {what}"
    );
}

#[tokio::test]
async fn a_quote_with_a_script_tag_is_shown_as_text_everywhere() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().create().await.id;
    let quote = format!("He wrote {XSS} on the wall");
    let claim = app.claim(story).source(source).quote(&quote).create().await;
    let id = claim.id;

    let board = app.html("/").await;
    let claim_page = app.html(&format!("/claims/{id}")).await;
    let story_page = app.html(&format!("/stories/{story}")).await;
    let source_page = app.html(&format!("/sources/{source}")).await;
    let edit_page = app.html(&format!("/claims/{id}/edit")).await;

    assert_escaped(&board, "the board");
    assert_escaped(&claim_page, "the claim page");
    assert_escaped(&story_page, "the story page");
    assert_escaped(&source_page, "the source page");
    assert_escaped(&edit_page, "the edit form");
    // The API returns the text exactly as typed.
    assert_eq!(claim.quote, quote);
}

#[tokio::test]
async fn names_titles_reasons_and_links_are_escaped() {
    let app = TestApp::spawn().await;
    let story = app
        .story()
        .title(&format!("Title {XSS}"))
        .outlet(&format!("Outlet {XSS}"))
        .url("https://example.org/?q=\"><script>alert(1)</script>")
        .notes(&format!("Notes {XSS}"))
        .create()
        .await
        .id;
    let source = app
        .source()
        .name(&format!("Source {XSS}"))
        .kind(SourceType::Other)
        .create()
        .await
        .id;
    let claim = app
        .claim(story)
        .source(source)
        .quote("plain quote")
        .create()
        .await;
    let id = claim.id;
    app.status(id, Status::InReview, &format!("Reason {XSS}"))
        .evidence(&["https://example.org/\"><script>alert(1)</script>"])
        .version(1)
        .apply()
        .await;

    for path in [
        "/".to_owned(),
        "/stories".to_owned(),
        "/sources".to_owned(),
        format!("/stories/{story}"),
        format!("/sources/{source}"),
        format!("/claims/{id}"),
        format!("/claims/{id}/edit"),
        format!("/stories/{story}/edit"),
        format!("/sources/{source}/edit"),
    ] {
        let page = app.html(&path).await;
        assert!(!page.contains("<script>"), "raw script tag on {path}");
    }
    let claim_page = app.view(&format!("/claims/{id}")).await;
    assert!(claim_page.shows(&format!("Reason {XSS}")));
    // Links are stored in their parsed form: quotes and brackets percent-encoded.
    assert!(claim_page.has_link("https://example.org/%22%3E%3Cscript%3Ealert(1)%3C/script%3E"));
}

#[tokio::test]
async fn a_script_typed_into_the_claim_form_is_escaped_when_the_form_comes_back() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("quote", XSS),
                ("new_source_name", XSS),
                ("new_source_type", "bogus"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(!page.contains("<script>alert(1)"));
    assert!(shows_text(&page, XSS));
}

#[tokio::test]
async fn a_script_in_a_filter_value_is_not_reflected_raw() {
    let app = TestApp::spawn().await;

    let (status, page) = app
        .page("/?status=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;
    let api = app
        .get("/api/claims?source_type=%3Cscript%3Ealert(1)%3C%2Fscript%3E")
        .await;

    assert_eq!(status, 400);
    assert!(!page.contains("<script>alert(1)"));
    assert!(shows_text(&page, XSS), "the bad value is named, as text");
    assert_eq!(api.status(), 400);
    assert!(api.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("application/json"));
}

#[tokio::test]
async fn arabic_and_emoji_round_trip_exactly_through_the_api_and_show_in_pages() {
    let app = TestApp::spawn().await;
    let story = app.story().title("دمشق في ٨ كانون الأول").create().await;
    let source = app.source().name("مصدر عسكري").create().await;

    let created = app
        .claim(&story)
        .source(&source)
        .quote(ARABIC)
        .create()
        .await;
    let id = created.id;
    let got = app.get_claim(id).await;
    let listed = app.claims_page("").await;
    let story = story.id;

    assert_eq!(created.quote, ARABIC);
    assert_eq!(got.quote, ARABIC);
    assert_eq!(got.quote.as_bytes(), ARABIC.as_bytes());
    assert_eq!(got.source.name, "مصدر عسكري");
    assert_eq!(got.story.title, "دمشق في ٨ كانون الأول");
    assert_eq!(listed.items[0].quote, ARABIC);
    for path in [
        "/".to_owned(),
        format!("/claims/{id}"),
        format!("/stories/{story}"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(
            res.headers()["content-type"],
            "text/html; charset=utf-8",
            "{path}"
        );
        let page = res.text().await.unwrap();
        assert!(page.contains(ARABIC), "{path} lacks the Arabic quote");
        assert!(page.contains("مصدر عسكري"), "{path} lacks the source name");
    }
}

#[tokio::test]
async fn arabic_and_emoji_round_trip_through_the_html_form() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("new_source_name", "سكان دمشق"),
                ("new_source_type", "witness"),
                ("quote", ARABIC),
                ("summary", "✊ 🇸🇾"),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let claims = app.list_claims("").await;
    assert_eq!(claims[0].quote, ARABIC);
    assert_eq!(claims[0].summary.as_deref(), Some("✊ 🇸🇾"));
    assert_eq!(claims[0].source.name, "سكان دمشق");
    let page = app.html(&location(&res)).await;
    assert!(page.contains(ARABIC));
}

#[tokio::test]
async fn a_form_body_over_256_kib_is_413() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().create().await.id.to_string();
    let huge = "a".repeat(300 * 1024);

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[("source_id", source.as_str()), ("quote", huge.as_str())],
        )
        .await;

    assert_eq!(res.status(), 413);
    assert!(app.list_claims("").await.is_empty());
}

#[tokio::test]
async fn a_body_just_under_the_limit_is_read() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    // 10,000 four-byte characters: 40 KB of quote, well within the limit.
    let quote = "🇸".repeat(10_000);

    let res = app.claim(&story).source(&source).quote(&quote).send().await;

    assert_eq!(res.status(), 201);
}

fn directive<'a>(csp: &'a str, name: &str) -> Option<&'a str> {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = TestApp::spawn().await;

    for path in [
        "/",
        "/api/claims",
        "/claims/not-a-uuid",
        "/api/nothing",
        "/static/style.css",
        "/healthz",
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        let csp = h
            .get("content-security-policy")
            .unwrap_or_else(|| panic!("no CSP on {path}"))
            .to_str()
            .unwrap();
        let scripts = directive(csp, "script-src")
            .or_else(|| directive(csp, "default-src"))
            .unwrap_or_else(|| panic!("CSP on {path} does not restrict scripts: {csp}"));
        assert!(
            !scripts.contains("'unsafe-inline'") && !scripts.contains("'unsafe-eval'"),
            "{path}: {scripts}"
        );
        assert!(!scripts.contains('*'), "{path}: {scripts}");
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "same-origin", "{path}");
    }
}

#[tokio::test]
async fn the_stylesheet_is_served_by_the_app_as_css() {
    let app = TestApp::spawn().await;

    let res = app.get("/static/style.css").await;

    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
    let css = res.text().await.unwrap();
    assert!(css.contains(".badge"), "the stylesheet styles the badges");
    assert!(
        !css.contains("@import url(http"),
        "nothing fetched from outside"
    );
}

#[tokio::test]
async fn pages_load_nothing_from_other_origins() {
    let app = TestApp::spawn().await;
    let story = app.story().title("S").create().await.id;

    for path in [
        "/".to_owned(),
        format!("/stories/{story}"),
        "/sources/new".to_owned(),
    ] {
        let page = app.html(&path).await;
        for attr in [
            "src=\"http",
            "src=\"//",
            "<link rel=\"stylesheet\" href=\"http",
        ] {
            assert!(!page.contains(attr), "{path} loads {attr}…");
        }
        assert!(page.contains(r#"<link rel="stylesheet" href="/static/style.css">"#));
    }
}
