//! Every form field is rendered by the same macros (templates/macros/fields.html):
//! a field with a message is `aria-invalid` and names that message with
//! `aria-describedby`, every label names a control, and `maxlength` is the
//! limit the validation applies. Checked on each form with an HTML parser.

use crate::helpers::{bearer_client, TestApp, TEST_PASSWORD};
use claimdesk::domain::validation as v;
use claimdesk::domain::{password, Role};
use scraper::{ElementRef, Html, Selector};
use std::collections::{BTreeSet, HashSet};

fn css(s: &str) -> Selector {
    Selector::parse(s).unwrap()
}

fn controls(doc: &Html) -> Vec<ElementRef<'_>> {
    doc.select(&css(
        "form input:not([type=hidden]), form select, form textarea",
    ))
    .collect()
}

/// Checks the wiring of every field on the page and returns the ids of the
/// controls marked invalid.
fn invalid_fields(html: &str) -> BTreeSet<String> {
    let doc = Html::parse_document(html);
    let mut ids = HashSet::new();
    for el in doc.select(&css("[id]")) {
        let id = el.value().attr("id").unwrap();
        assert!(ids.insert(id.to_owned()), "id {id} appears twice");
    }
    let by_id = |id: &str| doc.select(&css(&format!("[id=\"{id}\"]"))).next();

    let mut invalid = BTreeSet::new();
    for c in controls(&doc) {
        let Some(id) = c.value().attr("id") else {
            continue;
        };
        let described = c.value().attr("aria-describedby");
        match c.value().attr("aria-invalid") {
            Some(flag) => {
                assert_eq!(flag, "true", "#{id}");
                let target = described.unwrap_or_else(|| panic!("#{id} names no message"));
                assert_eq!(target, format!("{id}-error"), "#{id}");
                let msg = by_id(target).unwrap_or_else(|| panic!("#{id}: no #{target}"));
                assert!(msg
                    .value()
                    .has_class("field-error", scraper::CaseSensitivity::CaseSensitive));
                assert!(
                    !msg.text().collect::<String>().trim().is_empty(),
                    "#{target}"
                );
                invalid.insert(id.to_owned());
            }
            None => assert_eq!(described, None, "#{id} describedby without aria-invalid"),
        }
    }
    for msg in doc.select(&css(".field-error")) {
        let id = msg.value().attr("id").expect("a message has an id");
        let control = id.strip_suffix("-error").expect("ids end in -error");
        assert!(
            invalid.contains(control),
            "#{id} belongs to no invalid control"
        );
    }
    for label in doc.select(&css("label[for]")) {
        let target = label.value().attr("for").unwrap();
        let el = by_id(target).unwrap_or_else(|| panic!("label for missing #{target}"));
        assert!(
            matches!(el.value().name(), "input" | "select" | "textarea"),
            "label for #{target} names a {}",
            el.value().name()
        );
    }
    invalid
}

/// `maxlength` (and `minlength`) of the control with this id.
fn length_limit(html: &str, id: &str, attr: &str) -> Option<usize> {
    let doc = Html::parse_document(html);
    let el = doc
        .select(&css(&format!("[id=\"{id}\"]")))
        .next()
        .unwrap_or_else(|| panic!("no #{id}"));
    el.value().attr(attr).map(|n| n.parse().unwrap())
}

fn assert_max(html: &str, limits: &[(&str, usize)]) {
    for (id, max) in limits {
        assert_eq!(length_limit(html, id, "maxlength"), Some(*max), "#{id}");
    }
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| s.to_string()).collect()
}

async fn text(res: reqwest::Response) -> String {
    assert_eq!(res.status(), 422);
    res.text().await.unwrap()
}

fn long(n: usize) -> String {
    "x".repeat(n + 1)
}

#[tokio::test]
async fn forms_without_errors_mark_no_field_invalid() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let (story, source, id) = (f.story.id, f.source.id.to_string(), f.claim.id);

    for path in [
        "/stories/new".to_owned(),
        "/sources/new".to_owned(),
        format!("/stories/{story}"),
        format!("/stories/{story}/edit"),
        format!("/sources/{source}/edit"),
        format!("/claims/{id}"),
        format!("/claims/{id}/edit"),
        "/profile".to_owned(),
    ] {
        let html = app.html(&path).await;
        assert_eq!(invalid_fields(&html), BTreeSet::new(), "{path}");
    }
    let login = crate::helpers::client()
        .get(app.url("/login"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        invalid_fields(&login.text().await.unwrap()),
        BTreeSet::new()
    );
}

#[tokio::test]
async fn story_form_errors_are_wired_and_limits_match_validation() {
    let app = TestApp::spawn().await;
    let (outlet, dateline, notes) = (long(v::MAX_NAME), long(v::MAX_NAME), long(v::MAX_QUOTE));

    let res = app
        .post_form(
            "/stories",
            &[
                ("title", ""),
                ("outlet", &outlet),
                ("url", "javascript:alert(1)"),
                ("published_at", "next week"),
                ("dateline", &dateline),
                ("notes", &notes),
                ("version", ""),
            ],
        )
        .await;

    let html = text(res).await;
    assert_eq!(
        invalid_fields(&html),
        set(&[
            "dateline",
            "notes",
            "outlet",
            "published_at",
            "title",
            "url"
        ])
    );
    assert_max(
        &html,
        &[
            ("title", v::MAX_TITLE),
            ("outlet", v::MAX_NAME),
            ("dateline", v::MAX_NAME),
            ("url", v::MAX_URL),
            ("notes", v::MAX_QUOTE),
        ],
    );
}

#[tokio::test]
async fn source_form_errors_are_wired_and_limits_match_validation() {
    let app = TestApp::spawn().await;
    let (affiliation, description) = (long(v::MAX_NAME), long(v::MAX_TEXT));

    let res = app
        .post_form(
            "/sources",
            &[
                ("name", " "),
                ("source_type", "bogus"),
                ("affiliation", &affiliation),
                ("description", &description),
            ],
        )
        .await;

    let html = text(res).await;
    assert_eq!(
        invalid_fields(&html),
        set(&["affiliation", "description", "name", "source_type"])
    );
    assert_max(
        &html,
        &[
            ("name", v::MAX_NAME),
            ("affiliation", v::MAX_NAME),
            ("description", v::MAX_TEXT),
        ],
    );
}

#[tokio::test]
async fn claim_form_errors_are_wired_even_where_the_key_differs_from_the_id() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let (name, affiliation, quote) = (long(v::MAX_NAME), long(v::MAX_NAME), long(v::MAX_QUOTE));
    let (summary, place) = (long(v::MAX_TEXT), long(v::MAX_NAME));

    let res = app
        .post_form(
            &format!("/stories/{story}/claims"),
            &[
                ("new_source_name", &name),
                ("new_source_type", "bogus"),
                ("new_source_affiliation", &affiliation),
                ("quote", &quote),
                ("summary", &summary),
                ("claimed_at", "yesterday evening"),
                ("claimed_where", &place),
                ("figures", "many killed"),
            ],
        )
        .await;

    let html = text(res).await;
    assert_eq!(
        invalid_fields(&html),
        set(&[
            "claimed_at",
            "claimed_where",
            "figures",
            "new_source_affiliation",
            "new_source_name",
            "new_source_type",
            "quote",
            "summary",
        ])
    );
    assert_max(
        &html,
        &[
            ("quote", v::MAX_QUOTE),
            ("new_source_name", v::MAX_NAME),
            ("new_source_affiliation", v::MAX_NAME),
            ("claimed_where", v::MAX_NAME),
            ("summary", v::MAX_TEXT),
        ],
    );

    let res = app
        .post_form(&format!("/stories/{story}/claims"), &[("quote", "q")])
        .await;
    assert_eq!(invalid_fields(&text(res).await), set(&["source_id"]));
}

#[tokio::test]
async fn claim_page_status_edit_and_review_url_errors_are_wired() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let (source, id) = (f.source.id.to_string(), f.claim.id);
    let reason = long(v::MAX_TEXT);

    let res = app
        .post_form(
            &format!("/claims/{id}/status"),
            &[
                ("status", "bogus"),
                ("reason", &reason),
                ("evidence", "not a link"),
                ("version", "1"),
            ],
        )
        .await;
    let html = text(res).await;
    assert_eq!(
        invalid_fields(&html),
        set(&["evidence", "reason", "status"])
    );
    assert_max(
        &html,
        &[("reason", v::MAX_TEXT), ("review_url", v::MAX_URL)],
    );

    let res = app
        .post_form(
            &format!("/claims/{id}/review-url"),
            &[("review_url", "javascript:alert(1)"), ("version", "1")],
        )
        .await;
    assert_eq!(invalid_fields(&text(res).await), set(&["review_url"]));

    let res = app
        .post_form(
            &format!("/claims/{id}/edit"),
            &[
                ("story_id", "not-an-id"),
                ("source_id", &source),
                ("quote", "q"),
                ("version", "1"),
            ],
        )
        .await;
    let html = text(res).await;
    assert_eq!(invalid_fields(&html), set(&["story_id"]));
    assert_max(&html, &[("quote", v::MAX_QUOTE)]);
}

#[tokio::test]
async fn new_user_form_errors_are_wired_and_limits_match_validation() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Ada Admin").await;
    let c = bearer_client(&admin.token);

    let res = c
        .post(app.url("/admin/users"))
        .form(&[("name", ""), ("email", "nobody"), ("role", "bogus")])
        .send()
        .await
        .unwrap();

    let html = text(res).await;
    assert_eq!(invalid_fields(&html), set(&["email", "name", "role"]));
    assert_max(&html, &[("name", v::MAX_NAME), ("email", v::MAX_EMAIL)]);
}

#[tokio::test]
async fn profile_and_sign_in_errors_are_wired_and_limits_match_validation() {
    let app = TestApp::spawn().await;
    let (browser, csrf) = app.login(&app.user.email, TEST_PASSWORD).await;

    let res = browser
        .post(app.url("/profile/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", TEST_PASSWORD),
            ("new_password", "short"),
        ])
        .send()
        .await
        .unwrap();
    let html = text(res).await;
    assert_eq!(invalid_fields(&html), set(&["new_password"]));
    assert_max(
        &html,
        &[
            ("new_password", password::MAX_LEN),
            ("token-name", v::MAX_TOKEN_NAME),
        ],
    );
    assert_eq!(
        length_limit(&html, "new_password", "minlength"),
        Some(password::MIN_LEN)
    );

    // The token's field is `name`, its control `token-name`.
    let res = browser
        .post(app.url("/profile/tokens"))
        .form(&[("csrf_token", csrf.as_str()), ("name", " ")])
        .send()
        .await
        .unwrap();
    assert_eq!(invalid_fields(&text(res).await), set(&["token-name"]));

    let res = app.post_login(&long(v::MAX_EMAIL), "whatever at all").await;
    let html = text(res).await;
    assert_eq!(invalid_fields(&html), set(&["email"]));
    assert_max(&html, &[("email", v::MAX_EMAIL)]);
}
