//! Typed `If-Match`: strong comparison only (RFC 9110), lists of tags,
//! `*` and malformed headers.

use crate::helpers::TestApp;
use crate::kit::{read, ApiError, Story};
use serde_json::json;

/// The story's title as the API now returns it.
async fn title(app: &TestApp, path: &str) -> String {
    app.api().get_as::<Story>(path).await.title
}

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
    let err: ApiError = read(res, 412).await;
    assert_eq!(err.error, "precondition_failed");
    assert!(err.message.contains("weak"), "{err:?}");
    assert_ne!(title(&app, &path).await, "Weak write");
}

#[tokio::test]
async fn the_strong_current_tag_passes() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    let res = put_if_match(&app, &path, &tag, "Strong write").await;
    assert_eq!(res.status(), 200);
    assert_eq!(title(&app, &path).await, "Strong write");
}

#[tokio::test]
async fn a_list_where_one_strong_tag_matches_passes() {
    let app = TestApp::spawn().await;
    let (path, tag) = story_with_tag(&app).await;
    // The current tag is neither first nor the only one.
    let list = format!("\"999\", W/\"5\", {tag}");
    let res = put_if_match(&app, &path, &list, "Listed write").await;
    assert_eq!(res.status(), 200);
    assert_eq!(title(&app, &path).await, "Listed write");
    // The same list is stale now: none of its tags is the new version.
    let res = put_if_match(&app, &path, &list, "Second listed write").await;
    assert_eq!(res.status(), 412);
    assert_eq!(title(&app, &path).await, "Listed write");
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
        let err: ApiError = read(res, 400).await;
        assert_eq!(err.error, "bad_request", "If-Match {bad}");
        assert!(err.message.contains("If-Match"), "{err:?}");
    }
    assert_ne!(title(&app, &path).await, "Malformed write");
}

#[tokio::test]
async fn if_match_star_is_refused_as_a_blind_write() {
    let app = TestApp::spawn().await;
    let (path, _) = story_with_tag(&app).await;
    let res = put_if_match(&app, &path, "*", "Blind write").await;
    let err: ApiError = read(res, 428).await;
    assert!(err.message.contains('*'), "{err:?}");
    assert_ne!(title(&app, &path).await, "Blind write");
}
