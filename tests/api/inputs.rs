//! One input type per resource: the HTML form and the JSON body are read
//! by the same type, and every versioned write needs the version it is
//! based on — including the fact-check URL form, which used to skip it.

use crate::helpers::{input_value, unescape, TestApp};
use crate::kit::Status;
use serde_json::{json, Value};

const URL: &str = "https://example.org/fact-check/inputs";

async fn claim_id(app: &TestApp) -> String {
    let story = app.story().create().await;
    let source = app.source().create().await;
    let claim = app.claim(&story).source(&source).create().await;
    claim.id.to_string()
}

async fn story(app: &TestApp, title: &str) -> String {
    app.story().title(title).create().await.id.to_string()
}

#[tokio::test]
async fn a_review_url_form_without_a_usable_version_is_refused_with_428_and_keeps_the_url() {
    let app = TestApp::spawn().await;
    let id = claim_id(&app).await;

    for version in [None, Some(""), Some("abc")] {
        let mut form = vec![("review_url", URL)];
        form.extend(version.map(|v| ("version", v)));
        let res = app
            .post_form(&format!("/claims/{id}/review-url"), &form)
            .await;

        assert_eq!(res.status(), 428, "version {version:?}");
        let page = res.text().await.unwrap();
        assert_eq!(
            unescape(input_value(&page, "review_url")),
            URL,
            "input kept"
        );
        assert!(unescape(&page).contains("without the version"));
        // The form shown again is based on the claim as stored now.
        assert!(page.contains("name=\"version\" value=\"1\""));
    }
    let c = app.get_json(&format!("/api/claims/{id}")).await;
    assert_eq!(
        (c["review_url"].clone(), c["version"].clone()),
        (Value::Null, json!(1))
    );
}

#[tokio::test]
async fn a_review_url_form_based_on_a_stale_version_is_refused_with_409() {
    let app = TestApp::spawn().await;
    let id = claim_id(&app).await;
    // Someone moves the claim on while the page is open at version 1.
    assert_eq!(
        app.status(&id, Status::InReview, "Checking")
            .send()
            .await
            .status(),
        200
    );

    let res = app
        .post_form(
            &format!("/claims/{id}/review-url"),
            &[("review_url", URL), ("version", "1")],
        )
        .await;

    assert_eq!(res.status(), 409);
    let page = res.text().await.unwrap();
    assert_eq!(unescape(input_value(&page, "review_url")), URL);
    assert!(page.contains("name=\"version\" value=\"2\""));
    let c = app.get_json(&format!("/api/claims/{id}")).await;
    assert_eq!(c["review_url"], Value::Null);
    // Resubmitted as shown, it goes through.
    let res = app
        .post_form(
            &format!("/claims/{id}/review-url"),
            &[("review_url", URL), ("version", "2")],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get_json(&format!("/api/claims/{id}")).await["review_url"],
        URL
    );
}

#[tokio::test]
async fn the_claim_form_and_the_json_body_store_the_same_claim() {
    let app = TestApp::spawn().await;
    let by_form = story(&app, "Form story").await;
    let by_json = story(&app, "JSON story").await;

    let res = app
        .post_form(
            &format!("/stories/{by_form}/claims"),
            &[
                ("new_source_name", "Rania"),
                ("new_source_type", "witness"),
                ("new_source_affiliation", "Homs"),
                ("quote", "Same words"),
                ("is_paraphrase", "on"),
                ("summary", ""),
                ("claimed_at", "2024-12-07T10:00"),
                ("figures", "826 killed\n300-500 displaced @2024-12-07"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": by_json,
                "new_source": { "name": "Rania", "source_type": "witness", "affiliation": "Homs" },
                "quote": "Same words",
                "is_paraphrase": true,
                "summary": null,
                "claimed_at": "2024-12-07T10:00:00Z",
                "figures": [
                    { "label": "killed", "min": 826 },
                    { "label": "displaced", "min": 300, "max": 500, "as_of": "2024-12-07" }
                ]
            }),
        )
        .await;
    assert_eq!(res.status(), 201);

    let claims = app.list_claims("").await;
    assert_eq!(claims.len(), 2);
    let mut details = Vec::new();
    for c in &claims {
        details.push(app.get_json(&format!("/api/claims/{}", c.id)).await);
    }
    let (a, b) = (&details[0], &details[1]);
    for field in [
        "quote",
        "is_paraphrase",
        "summary",
        "claimed_at",
        "figures",
        "source_id",
    ] {
        assert_eq!(a[field], b[field], "{field}");
    }
    assert_eq!(a["figures"].as_array().map(Vec::len), Some(2));
}

#[tokio::test]
async fn a_form_field_no_input_knows_is_refused_with_400() {
    let app = TestApp::spawn().await;
    let story = story(&app, "Strict story").await;

    let res = app
        .post_form(
            &format!("/stories/{story}/edit"),
            &[
                ("title", "T"),
                ("outlet", "AFP"),
                ("version", "1"),
                ("stauts", "x"),
            ],
        )
        .await;

    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("stauts"));
    assert_eq!(
        app.get_json(&format!("/api/stories/{story}")).await["version"],
        1
    );
}

#[tokio::test]
async fn a_signed_in_form_with_its_csrf_token_still_saves() {
    let app = TestApp::spawn().await;
    let story = story(&app, "Session story").await;
    let (browser, csrf) = app.login(&app.user.email, &app.user.password).await;

    let res = browser
        .post(app.url(&format!("/stories/{story}/edit")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("title", "Renamed in the browser"),
            ("outlet", "AFP"),
            ("version", "1"),
        ])
        .send()
        .await
        .unwrap();

    assert_eq!(res.status(), 303);
    let s = app.get_json(&format!("/api/stories/{story}")).await;
    assert_eq!(
        (s["title"].clone(), s["version"].clone()),
        (json!("Renamed in the browser"), json!(2))
    );
}

#[tokio::test]
async fn a_json_edit_without_a_version_is_still_428_and_a_body_version_still_works() {
    let app = TestApp::spawn().await;
    let story = story(&app, "Api story").await;
    let body = |v: Value| json!({ "title": "New title", "outlet": "AFP", "version": v });

    let missing = app
        .put_json(&format!("/api/stories/{story}"), &body(Value::Null))
        .await;
    let stale = app
        .put_json(&format!("/api/stories/{story}"), &body(json!(7)))
        .await;
    let fresh = app
        .put_json(&format!("/api/stories/{story}"), &body(json!(1)))
        .await;

    assert_eq!(missing.status(), 428);
    assert_eq!(stale.status(), 409);
    assert_eq!(fresh.status(), 200);
    assert_eq!(fresh.headers()["etag"], "\"2\"");
}
