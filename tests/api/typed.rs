//! Typed `If-Match`: strong comparison only (RFC 9110), lists of tags,
//! `*` and malformed headers.

use crate::helpers::TestApp;
use serde_json::{json, Value};

/// A story and its current ETag.
async fn story_with_tag(app: &TestApp) -> (String, String) {
    let path = app.story().create().await.path();
    let res = app.get(&path).await;
    let tag = res.headers()["etag"].to_str().unwrap().to_string();
    (path, tag)
}

async fn put_if_match(app: &TestApp, path: &str, if_match: &str, title: &str) -> reqwest::Response {
    app.client
        .put(app.url(path))
        .header("If-Match", if_match)
        .json(&json!({"title": title, "outlet": "AFP"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_weak_tag_of_the_current_version_is_refused() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    let res = put_if_match(&app, &path, &format!("W/{tag}"), "Weak write").await;
    assert_eq!(res.status(), 412);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "precondition_failed");
    assert!(err["message"].as_str().unwrap().contains("weak"), "{err}");
    assert_ne!(app.get_json(&path).await["title"], "Weak write");
}

#[tokio::test]
async fn the_strong_current_tag_passes() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    let res = put_if_match(&app, &path, &tag, "Strong write").await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_json(&path).await["title"], "Strong write");
}

#[tokio::test]
async fn a_list_where_one_strong_tag_matches_passes() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    // The current tag is neither first nor the only one.
    let list = format!("\"999\", W/\"5\", {tag}");
    let res = put_if_match(&app, &path, &list, "Listed write").await;
    assert_eq!(res.status(), 200);
    assert_eq!(app.get_json(&path).await["title"], "Listed write");
    // The same list is stale now: none of its tags is the new version.
    let res = put_if_match(&app, &path, &list, "Second listed write").await;
    assert_eq!(res.status(), 412);
    assert_eq!(app.get_json(&path).await["title"], "Listed write");
}

#[tokio::test]
async fn a_malformed_if_match_is_a_400() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    let bare = tag.trim_matches('"').to_string();
    for bad in [
        bare.clone(),
        format!("{tag}, {bare}"),
        "\"unterminated".into(),
    ] {
        let res = put_if_match(&app, &path, &bad, "Malformed write").await;
        assert_eq!(res.status(), 400, "If-Match {bad}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"], "bad_request");
        assert!(
            err["message"].as_str().unwrap().contains("If-Match"),
            "{err}"
        );
    }
    assert_ne!(app.get_json(&path).await["title"], "Malformed write");
}

#[tokio::test]
async fn if_match_star_is_refused_as_a_blind_write() {
    let app = TestApp::spawn().await;
    let (path, _) = story_with_tag(&app).await;
    let res = put_if_match(&app, &path, "*", "Blind write").await;
    assert_eq!(res.status(), 428);
    let err: Value = res.json().await.unwrap();
    assert!(err["message"].as_str().unwrap().contains('*'), "{err}");
    assert_ne!(app.get_json(&path).await["title"], "Blind write");
}
