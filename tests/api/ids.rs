//! Typed ids in URLs: a malformed id names nothing (404, JSON under `/api/`)
//! on every route that takes one, and error pages keep the signed-in user's
//! navigation.

use crate::helpers::{bearer_client, client, TestApp, TEST_PASSWORD};
use crate::kit::Page;
use claimdesk::domain::Role;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{json, Value};

const BAD: &str = "not-a-uuid";

fn content_type(res: &Response) -> String {
    res.headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap().to_owned())
        .unwrap_or_default()
}

/// A page's site header as parsed HTML: the brand, and for a signed-in
/// user the navigation and account links.
struct Header(Page);

impl Header {
    fn of(html: &str) -> Header {
        let page = Page::parse(html);
        assert_eq!(page.count("header.site"), 1, "one site header in {html}");
        Header(page)
    }
    fn has_nav(&self) -> bool {
        self.0.exists(r#"header.site nav[aria-label="Main"]"#)
    }
    fn links_to(&self, href: &str) -> bool {
        self.0.links_in("header.site").iter().any(|h| h == href)
    }
    fn shows(&self, text: &str) -> bool {
        self.0.text("header.site").contains(text)
    }
    fn csrf(&self) -> Vec<String> {
        self.0
            .attrs(r#"header.site input[name="csrf_token"]"#, "value")
    }
}

#[tokio::test]
async fn a_malformed_id_is_a_json_404_on_every_api_route() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Ids story").create().await.id;
    let source = app.source().name("Ids source").create().await.id;
    let claim_body = json!({ "story_id": story, "source_id": source, "quote": "Q", "version": 1 });
    let status_body = json!({ "status": "in_review", "reason": "Checking", "version": 1 });
    let story_body = json!({ "title": "T", "outlet": "AFP", "version": 1 });
    let source_body = json!({ "name": "N", "source_type": "military", "version": 1 });
    let c = &app.client;
    let requests: Vec<(&str, RequestBuilder)> = vec![
        ("GET claim", c.get(app.url(&format!("/api/claims/{BAD}")))),
        (
            "PUT claim",
            c.put(app.url(&format!("/api/claims/{BAD}")))
                .json(&claim_body),
        ),
        (
            "POST claim status",
            c.post(app.url(&format!("/api/claims/{BAD}/status")))
                .json(&status_body),
        ),
        ("GET story", c.get(app.url("/api/stories/42"))),
        (
            "PUT story",
            c.put(app.url("/api/stories/42")).json(&story_body),
        ),
        (
            "GET source",
            c.get(app.url(&format!("/api/sources/{story}x"))),
        ),
        (
            "PUT source",
            c.put(app.url(&format!("/api/sources/{BAD}")))
                .json(&source_body),
        ),
    ];

    for (what, req) in requests {
        let res = req.send().await.unwrap();

        assert_eq!(res.status(), 404, "{what}");
        assert!(content_type(&res).starts_with("application/json"), "{what}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"], "not_found", "{what}");
    }
}

#[tokio::test]
async fn an_id_of_another_kind_names_nothing() {
    let app = TestApp::spawn().await;
    let story = app.story().title("A story, not a claim").create().await.id;

    let res = app.get(&format!("/api/claims/{story}")).await;
    let (page, _) = app.page(&format!("/sources/{story}")).await;

    assert_eq!(res.status(), 404);
    assert_eq!(page, 404);
}

#[tokio::test]
async fn a_malformed_id_is_a_404_page_on_every_page_route() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Ida Admin").await;
    let editor = &app.client;
    let admin_c = bearer_client(&admin.token);
    let form = [("role", "viewer")];
    let requests: Vec<(String, RequestBuilder)> = [
        (Method::GET, "/claims/{}"),
        (Method::GET, "/claims/{}/edit"),
        (Method::POST, "/claims/{}/edit"),
        (Method::POST, "/claims/{}/status"),
        (Method::POST, "/claims/{}/review-url"),
        (Method::GET, "/stories/{}"),
        (Method::GET, "/stories/{}/edit"),
        (Method::POST, "/stories/{}/claims"),
        (Method::GET, "/stories/{}/report"),
        (Method::GET, "/sources/{}"),
        (Method::GET, "/sources/{}/edit"),
        (Method::GET, "/sources/{}/report"),
        (Method::GET, "/imports/{}"),
        (Method::POST, "/imports/{}/confirm"),
        (Method::POST, "/profile/tokens/{}/revoke"),
    ]
    .into_iter()
    .map(|(m, p)| {
        let path = p.replace("{}", BAD);
        let req = editor.request(m.clone(), app.url(&path)).form(&form);
        (format!("{m} {path}"), req)
    })
    .chain(
        ["role", "disable", "enable", "password"]
            .into_iter()
            .map(|action| {
                let path = format!("/admin/users/{BAD}/{action}");
                let req = admin_c.post(app.url(&path)).form(&form);
                (format!("POST {path}"), req)
            }),
    )
    .collect();

    for (what, req) in requests {
        let res = req.send().await.unwrap();

        assert_eq!(res.status(), 404, "{what}");
        assert!(content_type(&res).starts_with("text/html"), "{what}");
        let html = res.text().await.unwrap();
        assert!(html.contains("404 — Not Found"), "{what}: {html}");
    }
}

#[tokio::test]
async fn the_access_check_comes_before_the_id() {
    let app = TestApp::spawn().await;
    let anonymous = client();

    let api = anonymous
        .get(app.url(&format!("/api/claims/{BAD}")))
        .send()
        .await
        .unwrap();
    let page = anonymous
        .get(app.url(&format!("/claims/{BAD}")))
        .send()
        .await
        .unwrap();

    assert_eq!(api.status(), 401);
    assert_eq!(page.status(), 303);
    assert!(page.headers()["location"]
        .to_str()
        .unwrap()
        .starts_with("/login?next="));
}

#[tokio::test]
async fn a_signed_in_users_404_page_shows_their_navigation() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.login(&app.user.email, TEST_PASSWORD).await;

    for path in [
        format!("/claims/{}", uuid::Uuid::new_v4()),
        format!("/claims/{BAD}"),
        "/no/such/page".to_owned(),
    ] {
        let res = c.get(app.url(&path)).send().await.unwrap();

        assert_eq!(res.status(), 404, "{path}");
        let html = res.text().await.unwrap();
        let header = Header::of(&html);
        assert!(header.has_nav(), "{path}");
        assert!(header.links_to("/stories/new"), "{path}");
        assert!(header.shows("Test Editor"), "{path}");
        assert!(header.shows("Sign out"), "{path}");
        assert_eq!(header.csrf(), vec![csrf.clone()], "{path}");
        assert!(html.contains("404 — Not Found"), "{path}");
    }
}

#[tokio::test]
async fn a_refusal_for_the_role_shows_the_users_navigation() {
    let app = TestApp::spawn().await;
    let viewer = app.new_user(Role::Viewer, "Vera Viewer").await;
    let (c, _) = app.login(&viewer.email, TEST_PASSWORD).await;

    let res = c.get(app.url("/stories/new")).send().await.unwrap();

    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    let header = Header::of(&html);
    assert!(header.has_nav());
    assert!(header.shows("Vera Viewer"));
    assert!(
        !header.links_to("/stories/new"),
        "a viewer's navigation offers no new story"
    );
    assert!(html.contains("does not allow this"));
}

#[tokio::test]
async fn a_validation_error_page_shows_the_users_navigation() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Ada Admin").await;
    let (c, csrf) = app.login(&admin.email, TEST_PASSWORD).await;

    let res = c
        .post(app.url(&format!("/admin/users/{}/role", app.user.id)))
        .form(&[("csrf_token", csrf.as_str()), ("role", "overlord")])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let header = Header::of(&html);
    assert!(header.shows("Ada Admin"));
    assert!(header.links_to("/admin/users"));
    assert!(html.contains("Some fields need attention"));
}

#[tokio::test]
async fn an_error_page_for_nobody_signed_in_has_no_navigation() {
    let app = TestApp::spawn().await;

    let res = client().get(app.url("/no/such/page")).send().await.unwrap();

    assert_eq!(res.status(), 404);
    assert!(content_type(&res).starts_with("text/html"));
    let html = res.text().await.unwrap();
    let header = Header::of(&html);
    assert!(!header.has_nav());
    assert!(header.csrf().is_empty());
    assert!(html.contains("404 — Not Found"));
}
