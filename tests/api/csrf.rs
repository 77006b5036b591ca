//! CSRF: every write made with a session cookie carries the session's token
//! (form field or header, never the query string); bearer-token requests need none.

use crate::helpers::{location, TestApp};
use crate::kit::{read, ApiError, Story};
use claimdesk::domain::Role;
use serde_json::json;

async fn story_count(app: &TestApp) -> usize {
    app.stories().await.len()
}

fn story_form<'a>(title: &'a str, csrf: Option<&'a str>) -> Vec<(&'a str, &'a str)> {
    let mut f = vec![("title", title), ("outlet", "Reuters")];
    if let Some(t) = csrf {
        f.push(("csrf_token", t));
    }
    f
}

#[tokio::test]
async fn forms_need_the_sessions_token() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Csrf Reporter").await;
    let browser = app.sign_in(&u).await;
    let csrf = browser.csrf.clone();
    assert!(csrf.len() >= 32, "a long random token: {csrf}");
    let before = story_count(&app).await;

    // Missing: refused with a page that says why and that nothing was saved.
    let res = browser
        .post_raw_form("/stories", &story_form("No token", None))
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/html"));
    let html = res.text().await.unwrap();
    assert!(html.contains("security token"), "{html}");
    assert!(html.contains("nothing was saved"));
    assert!(html.contains("your input is still in the form"));

    // Wrong (and empty): refused.
    for wrong in ["x".repeat(csrf.len()), String::new(), format!("{csrf}x")] {
        let res = browser
            .post_raw_form("/stories", &story_form("Wrong token", Some(&wrong)))
            .await;
        assert_eq!(res.status(), 403, "token {wrong:?}");
    }
    assert_eq!(story_count(&app).await, before, "nothing was saved");

    // Right: saved.
    let res = browser
        .post_raw_form("/stories", &story_form("Right token", Some(&csrf)))
        .await;
    assert_eq!(res.status(), 303);
    assert!(location(&res).starts_with("/stories/"));
    assert_eq!(story_count(&app).await, before + 1);
}

#[tokio::test]
async fn a_token_belongs_to_one_session() {
    let app = TestApp::spawn().await;
    let a = app.new_user(Role::Editor, "Session A").await;
    let b = app.new_user(Role::Editor, "Session B").await;
    let browser_a = app.sign_in(&a).await;
    let csrf_a = browser_a.csrf.clone();
    let browser_b = app.sign_in(&b).await;
    let csrf_b = browser_b.csrf.clone();
    assert_ne!(csrf_a, csrf_b);
    // Same user, second session: another token too.
    let csrf_a2 = app.sign_in(&a).await.csrf;
    assert_ne!(csrf_a, csrf_a2);

    let res = browser_b
        .post_raw_form("/stories", &story_form("Borrowed token", Some(&csrf_a)))
        .await;
    assert_eq!(res.status(), 403);
    let res = browser_a
        .post_raw_form("/stories", &story_form("Own token", Some(&csrf_a)))
        .await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn logout_and_admin_forms_are_protected_too() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Csrf Admin").await;
    let victim = app.new_user(Role::Viewer, "Csrf Victim").await;
    let browser = app.sign_in(&admin).await;
    let csrf = browser.csrf.clone();

    // A forged cross-site "disable" or "make me admin" does nothing.
    let res = browser
        .post_raw_form(&format!("/admin/users/{}/disable", victim.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 403);
    let res = browser
        .post_raw_form(
            &format!("/admin/users/{}/role", victim.id),
            &[("role", "admin")],
        )
        .await;
    assert_eq!(res.status(), 403);
    let u = claimdesk::models::user::find(&mut app.db.conn().await, victim.id)
        .await
        .unwrap();
    assert_eq!(u.role, Role::Viewer);
    assert!(u.disabled_at.is_none());

    // Logout without the token is refused (no forced logout) …
    let res = browser
        .client
        .post(app.url("/logout"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(browser.get("/profile").await.status(), 200);
    // … the token in the query string is not (it would land in logs) …
    let res = browser
        .client
        .post(app.url(&format!("/logout?csrf_token={csrf}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // … the token in the body is.
    let res = browser
        .post_raw_form("/logout", &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    let res = browser.get("/profile").await;
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn the_json_api_with_a_cookie_needs_the_header() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Editor, "Csrf Api Editor").await;
    let browser = app.sign_in(&u).await;
    let csrf = browser.csrf.clone();
    let body = json!({ "title": "Via cookie", "outlet": "AP" });

    // Reads need no token.
    assert_eq!(browser.get("/api/stories").await.status(), 200);

    let res = browser
        .client
        .post(app.url("/api/stories"))
        .json(&body)
        .send()
        .await
        .unwrap();
    let err: ApiError = read(res, 403).await;
    assert_eq!(err.error, "forbidden");
    assert!(err.message.contains("security token"));

    let res = browser
        .client
        .post(app.url("/api/stories"))
        .header("X-CSRF-Token", "forged")
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(story_count(&app).await, 0);

    let res = browser
        .client
        .post(app.url("/api/stories"))
        .header("X-CSRF-Token", &csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let story: Story = read(res, 201).await;

    // PUT too.
    let put = json!({ "title": "Via cookie, edited", "outlet": "AP", "version": 1 });
    let path = story.path();
    let res = browser
        .client
        .put(app.url(&path))
        .json(&put)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = browser
        .client
        .put(app.url(&path))
        .header("X-CSRF-Token", &csrf)
        .json(&put)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn bearer_requests_need_no_csrf_token() {
    let app = TestApp::spawn().await;
    // Form and JSON, no token anywhere.
    let res = app
        .post_form("/stories", &story_form("By bearer", None))
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .post_json(
            "/api/stories",
            &json!({ "title": "By bearer JSON", "outlet": "AP" }),
        )
        .await;
    assert_eq!(res.status(), 201);
    // A cookie-looking header beside the bearer token changes nothing.
    let res = app
        .client
        .post(app.url("/api/stories"))
        .header("Cookie", "claimdesk_session=whatever")
        .json(&json!({ "title": "Bearer wins", "outlet": "AP" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}
