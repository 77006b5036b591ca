//! Accounts and sessions: login and its cookie, logout, disable, role
//! changes, idle and absolute expiry, soft lock, per-address throttling, no
//! account enumeration, API tokens, the password policy and `claimdesk user`.

use crate::helpers::{
    bearer_client, client, csrf_in, field_error, location, TestApp, TestUser, TEST_PASSWORD,
};
use crate::kit::Page;
use claimdesk::config::AuthArgs;
use claimdesk::domain::Role;
use diesel_async::RunQueryDsl;
use std::time::{Duration, Instant};

/// The failed-login message, the same for every kind of failure.
const FAILED: &str = "Wrong email or password.";

async fn post_login(app: &TestApp, email: &str, password: &str) -> reqwest::Response {
    app.post_login(email, password).await
}

/// The `Set-Cookie` header that carries the session.
fn session_set_cookie(res: &reqwest::Response) -> String {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .map(|h| h.to_str().unwrap().to_owned())
        .find(|h| h.starts_with("claimdesk_session="))
        .expect("a claimdesk_session cookie")
}

fn cookie_value(set_cookie: &str) -> String {
    let pair = set_cookie.split(';').next().unwrap();
    pair["claimdesk_session=".len()..].to_owned()
}

/// Logs in without a cookie jar and returns the session cookie's value.
async fn session(app: &TestApp, u: &TestUser) -> String {
    let res = post_login(app, &u.email, &u.password).await;
    assert_eq!(res.status(), 303, "login as {}", u.email);
    let v = cookie_value(&session_set_cookie(&res));
    assert!(!v.is_empty());
    v
}

async fn get_with(app: &TestApp, cookie: &str, path: &str) -> reqwest::Response {
    client()
        .get(app.url(path))
        .header("Cookie", format!("claimdesk_session={cookie}"))
        .send()
        .await
        .unwrap()
}

/// Whether the session cookie still opens the app (pages and API).
async fn alive(app: &TestApp, cookie: &str) -> bool {
    let page = get_with(app, cookie, "/profile").await;
    let api = get_with(app, cookie, "/api/claims").await;
    match (page.status().as_u16(), api.status().as_u16()) {
        (200, 200) => true,
        (303, 401) => {
            assert!(location(&page).starts_with("/login?next="));
            false
        }
        other => panic!("a session is either alive or not; got {other:?}"),
    }
}

async fn csrf_for(app: &TestApp, cookie: &str) -> String {
    let html = get_with(app, cookie, "/profile")
        .await
        .text()
        .await
        .unwrap();
    csrf_in(&html)
}

async fn post_with(
    app: &TestApp,
    cookie: &str,
    path: &str,
    form: &[(&str, &str)],
) -> reqwest::Response {
    client()
        .post(app.url(path))
        .header("Cookie", format!("claimdesk_session={cookie}"))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// The text of the page's alert (`<p class="alert" role="alert">`).
fn alert(html: &str) -> String {
    Page::parse(html).text("p.alert[role=alert]")
}

async fn locked_until(
    app: &TestApp,
    id: claimdesk::domain::UserId,
) -> Option<chrono::DateTime<chrono::Utc>> {
    claimdesk::models::user::find(&mut app.db.conn().await, id)
        .await
        .unwrap()
        .locked_until
}

// ------------------------------------------------------------ login / logout

#[tokio::test]
async fn login_sets_an_httponly_samesite_session_cookie() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Cookie Reporter").await;
    let res = post_login(&app, &u.email, &u.password).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/");
    let c = session_set_cookie(&res);
    let attrs: Vec<String> = c.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"httponly".into()), "{c}");
    assert!(attrs.contains(&"samesite=lax".into()), "{c}");
    assert!(attrs.contains(&"path=/".into()), "{c}");
    assert!(
        !attrs.contains(&"secure".into()),
        "not Secure by default: {c}"
    );
    // The cookie value is a long random token.
    assert!(cookie_value(&c).len() >= 32, "{c}");

    // A safe `next` is followed, a foreign one is not.
    for (next, to) in [("/sources", "/sources"), ("//evil.example/", "/")] {
        let login = [
            ("email", u.email.as_str()),
            ("password", TEST_PASSWORD),
            ("next", next),
        ];
        let res = app.post_login_with(&client(), &[], &login).await;
        assert_eq!(location(&res), to, "next {next}");
    }
}

#[tokio::test]
async fn secure_cookies_when_configured() {
    let app = TestApp::spawn_with(AuthArgs {
        secure_cookies: true,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Viewer, "Secure Viewer").await;
    let res = post_login(&app, &u.email, &u.password).await;
    let c = session_set_cookie(&res);
    let attrs: Vec<String> = c.split(';').map(|a| a.trim().to_lowercase()).collect();
    assert!(attrs.contains(&"secure".into()), "{c}");
    assert!(attrs.contains(&"httponly".into()), "{c}");
}

#[tokio::test]
async fn every_login_gets_a_new_session_id_and_replaces_the_one_it_was_sent_with() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Fixation Reporter").await;
    let first = session(&app, &u).await;
    let second = session(&app, &u).await;
    assert_ne!(first, second);
    // Two logins, two live sessions (two browsers).
    assert!(alive(&app, &first).await);
    assert!(alive(&app, &second).await);

    // Logging in again from a browser that holds a session replaces it.
    let res = app
        .post_login_with(
            &client(),
            &[&format!("claimdesk_session={first}")],
            &[("email", u.email.as_str()), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
    let third = cookie_value(&session_set_cookie(&res));
    assert_ne!(third, first);
    assert!(
        !alive(&app, &first).await,
        "the pre-login session id is dead"
    );
    assert!(alive(&app, &third).await);

    // A made-up cookie opens nothing.
    assert!(!alive(&app, "not-a-session").await);
}

#[tokio::test]
async fn logout_ends_the_session_on_the_server() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Editor, "Logout Editor").await;
    let cookie = session(&app, &u).await;
    let other = session(&app, &u).await;
    assert!(alive(&app, &cookie).await);
    let csrf = csrf_for(&app, &cookie).await;
    let res = post_with(&app, &cookie, "/logout", &[("csrf_token", &csrf)]).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), "/login");
    // The browser is told to drop the cookie …
    let gone = session_set_cookie(&res);
    assert!(
        gone.to_lowercase().contains("max-age=0") || gone.to_lowercase().contains("expires="),
        "{gone}"
    );
    // … and the server no longer accepts it even if it is sent again.
    assert!(!alive(&app, &cookie).await);
    // Other sessions of the same user are untouched.
    assert!(alive(&app, &other).await);
}

#[tokio::test]
async fn disabling_an_account_ends_its_sessions_and_tokens_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Disable Admin").await;
    let admin_bearer = app.api_as(&admin);
    let victim = app.new_user(Role::Reporter, "Disabled Reporter").await;
    let cookie = session(&app, &victim).await;
    let victim_bearer = app.api_as(&victim);
    assert!(alive(&app, &cookie).await);

    // By an admin with a bearer token.
    let res = admin_bearer
        .post_form(&format!("/admin/users/{}/disable", victim.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!alive(&app, &cookie).await, "session ended at once");
    let res = victim_bearer.get("/api/claims").await;
    assert_eq!(res.status(), 401, "token refused at once");
    // A disabled account cannot log in, and is told nothing more than anyone.
    let res = post_login(&app, &victim.email, TEST_PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert!(alert(&res.text().await.unwrap()).starts_with(FAILED));

    // Enabled again, it can log in (a new session; the old one stays dead).
    let res = admin_bearer
        .post_form(&format!("/admin/users/{}/enable", victim.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 303);
    assert!(!alive(&app, &cookie).await);
    let fresh = session(&app, &victim).await;
    assert!(alive(&app, &fresh).await);

    // By an admin in the browser, with the form's CSRF token.
    let admin_browser = app.sign_in(&admin).await;
    let csrf = admin_browser.csrf.clone();
    let res = admin_browser
        .post_raw_form(
            &format!("/admin/users/{}/disable", victim.id),
            &[("csrf_token", csrf.as_str())],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert!(!alive(&app, &fresh).await);

    // Admins cannot disable themselves.
    let res = admin_bearer
        .post_form(&format!("/admin/users/{}/disable", admin.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 403);
    assert_eq!(admin_bearer.get("/admin/users").await.status(), 200);
}

#[tokio::test]
async fn role_changes_take_effect_on_the_next_request() {
    let app = TestApp::spawn().await;
    let admin = bearer_client(&app.new_user(Role::Admin, "Role Admin").await.token);
    let u = app.new_user(Role::Reporter, "Moving Reporter").await;
    let cookie = session(&app, &u).await;
    let csrf = csrf_for(&app, &cookie).await;

    let story = app.story().create().await.id;
    let source = app.source().create().await.id;
    let claim = app
        .claim(story)
        .source(source)
        .quote("Role change claim")
        .create()
        .await;
    let id = claim.id;

    let set_role = |role: &'static str| {
        let admin = admin.clone();
        let url = app.url(&format!("/admin/users/{}/role", u.id));
        async move {
            let res = admin
                .post(url)
                .form(&[("role", role)])
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 303, "set role {role}");
        }
    };
    let verdict = |status: &'static str, version: i64| {
        let url = app.url(&format!("/api/claims/{id}/status"));
        let cookie = cookie.clone();
        let csrf = csrf.clone();
        async move {
            client()
                .post(url)
                .header("Cookie", format!("claimdesk_session={cookie}"))
                .header("X-CSRF-Token", csrf)
                .json(&serde_json::json!({
                    "status": status, "reason": "role test", "version": version,
                }))
                .send()
                .await
                .unwrap()
                .status()
        }
    };

    assert_eq!(verdict("in_review", 1).await, 200);
    assert_eq!(
        verdict("verified", 2).await,
        403,
        "reporters give no verdicts"
    );

    set_role("editor").await;
    assert_eq!(
        verdict("verified", 2).await,
        200,
        "promoted: same session, new rights"
    );

    set_role("viewer").await;
    assert_eq!(get_with(&app, &cookie, "/stories/new").await.status(), 403);
    assert_eq!(verdict("in_review", 3).await, 403);
    assert_eq!(
        get_with(&app, &cookie, "/").await.status(),
        200,
        "still reads"
    );
    // The token follows the role too.
    let res = app
        .api_as(&u)
        .post_json(
            "/api/stories",
            &serde_json::json!({"title": "t", "outlet": "o"}),
        )
        .await;
    assert_eq!(res.status(), 403);

    set_role("admin").await;
    assert_eq!(get_with(&app, &cookie, "/admin/users").await.status(), 200);
}

// ------------------------------------------------------------ lifetimes

#[tokio::test]
async fn idle_sessions_expire_and_activity_keeps_them_alive() {
    let app = TestApp::spawn_with(AuthArgs {
        session_idle_seconds: 4,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Viewer, "Idle Viewer").await;
    let cookie = session(&app, &u).await;
    assert!(alive(&app, &cookie).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(alive(&app, &cookie).await);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(
        alive(&app, &cookie).await,
        "5 s after login but 2.5 s after the last request: still alive"
    );
    tokio::time::sleep(Duration::from_millis(4500)).await;
    assert!(!alive(&app, &cookie).await, "idle for longer than 4 s");
    // A new login works.
    let fresh = session(&app, &u).await;
    assert!(alive(&app, &fresh).await);
}

#[tokio::test]
async fn idle_expiry_with_a_two_second_timeout() {
    let app = TestApp::spawn_with(AuthArgs {
        session_idle_seconds: 2,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Editor, "Short Idle").await;
    let cookie = session(&app, &u).await;
    assert!(alive(&app, &cookie).await);
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(!alive(&app, &cookie).await);
}

#[tokio::test]
async fn absolute_lifetime_ends_even_busy_sessions() {
    let app = TestApp::spawn_with(AuthArgs {
        session_absolute_seconds: 3,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Editor, "Busy Editor").await;
    let cookie = session(&app, &u).await;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(2000) {
        assert!(alive(&app, &cookie).await);
        tokio::time::sleep(Duration::from_millis(400)).await;
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(!alive(&app, &cookie).await, "3 s after login, however busy");
}

// ------------------------------------------------------------ throttling

#[tokio::test]
async fn ten_failures_soft_lock_an_account_for_a_while() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Editor, "Locked Editor").await;
    for i in 0..10 {
        let res = post_login(&app, &u.email, "wrong password, sorry").await;
        assert_eq!(res.status(), 401, "failure {i}");
        assert!(alert(&res.text().await.unwrap()).starts_with(FAILED));
    }
    let until = locked_until(&app, u.id).await.expect("locked after 10");
    let minutes = (until - chrono::Utc::now()).num_minutes();
    assert!(
        (14..=15).contains(&minutes),
        "locked for 15 minutes, not {minutes}"
    );

    // The right password does not open a locked account, and says nothing more.
    let res = post_login(&app, &u.email, TEST_PASSWORD).await;
    assert_eq!(res.status(), 401);
    assert!(alert(&res.text().await.unwrap()).starts_with(FAILED));
    assert!(has_no_session(&app, &u).await);

    // More failures while locked do not extend the lock.
    for _ in 0..2 {
        assert_eq!(
            post_login(&app, &u.email, "still wrong!!!").await.status(),
            401
        );
    }
    assert_eq!(locked_until(&app, u.id).await, Some(until));

    // Never permanent: once the lock time has passed, the password works.
    app.sql(&format!(
        "UPDATE users SET locked_until = now() - interval '1 second' WHERE id = '{}'",
        u.id
    ))
    .await;
    let res = post_login(&app, &u.email, TEST_PASSWORD).await;
    assert_eq!(res.status(), 303);
    // The counter started afresh: one more failure does not re-lock.
    assert_eq!(
        post_login(&app, &u.email, "wrong again...").await.status(),
        401
    );
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        303
    );
}

/// No session row exists for the user.
async fn has_no_session(app: &TestApp, u: &TestUser) -> bool {
    let q = format!(
        "SELECT count(*) AS n FROM sessions WHERE user_id = '{}'",
        u.id
    );
    app.count(&q).await == 0
}

#[tokio::test]
async fn a_successful_login_resets_the_failure_count() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Viewer, "Forgetful Viewer").await;
    for _ in 0..9 {
        assert_eq!(
            post_login(&app, &u.email, "nope nope nope").await.status(),
            401
        );
    }
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        303
    );
    for _ in 0..9 {
        assert_eq!(
            post_login(&app, &u.email, "nope nope nope").await.status(),
            401
        );
    }
    assert_eq!(locked_until(&app, u.id).await, None);
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        303
    );
}

#[tokio::test]
async fn too_many_failures_from_one_address_answer_429_with_retry_after() {
    let app = TestApp::spawn_with(AuthArgs {
        login_limit_per_client: 3,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Editor, "Throttled Editor").await;
    for i in 0..3 {
        let res = post_login(&app, &format!("nobody{i}@example.org"), "whatever123456").await;
        assert_eq!(res.status(), 401);
    }
    for password in ["still guessing", TEST_PASSWORD] {
        let res = post_login(&app, &u.email, password).await;
        assert_eq!(res.status(), 429);
        let wait: u64 = res
            .headers()
            .get("retry-after")
            .expect("Retry-After")
            .to_str()
            .unwrap()
            .parse()
            .unwrap();
        assert!((1..=900).contains(&wait), "Retry-After {wait}");
    }
    // The per-address limit locked no account: another address still gets in.
    let other = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let res = app
        .post_login_with(
            &other,
            &[],
            &[("email", u.email.as_str()), ("password", TEST_PASSWORD)],
        )
        .await;
    assert_eq!(res.status(), 303);
}

// ------------------------------------------------------------ enumeration

#[tokio::test]
async fn unknown_accounts_and_wrong_passwords_look_the_same() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Known Reporter").await;
    let known = post_login(&app, &u.email, "not my password").await;
    let unknown = post_login(&app, "ghost@example.org", "not my password").await;
    assert_eq!(known.status(), 401);
    assert_eq!(known.status(), unknown.status());
    assert!(known.headers().get("set-cookie").is_none());
    assert!(unknown.headers().get("set-cookie").is_none());
    let (k, n) = (known.text().await.unwrap(), unknown.text().await.unwrap());
    assert_eq!(alert(&k), alert(&n));
    assert!(alert(&k).starts_with(FAILED));
    // The page is the same but for the email echoed into the form.
    assert_eq!(
        k.replace(&u.email, "EMAIL"),
        n.replace("ghost@example.org", "EMAIL")
    );

    // Timing: an unknown account also costs a password hash. (Loose bound:
    // a missing dummy verify would be an order of magnitude faster.)
    async fn time(app: &TestApp, email: &str) -> Duration {
        let mut samples = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            post_login(app, email, "not my password").await;
            samples.push(t.elapsed());
        }
        samples.sort();
        samples[2]
    }
    let known_t = time(&app, &u.email).await;
    let unknown_t = time(&app, "ghost@example.org").await;
    assert!(
        unknown_t * 3 >= known_t,
        "unknown {unknown_t:?} vs known {known_t:?}"
    );
}

// ------------------------------------------------------------ API tokens

fn new_token_in(html: &str) -> String {
    Page::parse(html).text("code.token#new-token")
}

fn revoke_paths(html: &str) -> Vec<String> {
    Page::parse(html).attrs("form[action^='/profile/tokens/']", "action")
}

#[tokio::test]
async fn api_tokens_are_shown_once_work_and_can_be_revoked() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Token Reporter").await;
    let browser = app.sign_in(&u).await;
    let csrf = browser.csrf.clone();
    let res = browser
        .post_raw_form(
            "/profile/tokens",
            &[("csrf_token", csrf.as_str()), ("name", "data desk script")],
        )
        .await;
    assert_eq!(res.status(), 201);
    let html = res.text().await.unwrap();
    let secret = new_token_in(&html);
    assert!(secret.len() >= 32, "{secret}");

    // Shown once: the profile page lists the token by name, not its secret.
    let profile = browser.get("/profile").await.text().await.unwrap();
    assert!(profile.contains("data desk script"));
    assert!(!profile.contains(&secret));
    // Stored hashed.
    let tokens = claimdesk::models::session::tokens_for(&mut app.db.conn().await, u.id)
        .await
        .unwrap();
    let mine = tokens
        .iter()
        .find(|t| t.name == "data desk script")
        .unwrap();
    #[derive(diesel::QueryableByName)]
    struct H {
        #[diesel(sql_type = diesel::sql_types::Text)]
        token_hash: String,
    }
    let stored: Vec<H> = diesel::sql_query(format!(
        "SELECT token_hash FROM api_tokens WHERE id = '{}'",
        mine.id
    ))
    .load(&mut app.db.conn().await)
    .await
    .unwrap();
    assert!(!stored[0].token_hash.contains(&secret));

    // It works on the API, as this user.
    let api = bearer_client(&secret);
    assert_eq!(
        api.get(app.url("/api/claims"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let res = api
        .post(app.url("/api/stories"))
        .json(&serde_json::json!({"title": "By token", "outlet": "AFP"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201, "a reporter's token contributes");

    // Someone else cannot revoke it.
    let other = app.new_user(Role::Admin, "Other Admin").await;
    let other_browser = app.sign_in(&other).await;
    let other_csrf = other_browser.csrf.clone();
    let revoke = format!("/profile/tokens/{}/revoke", mine.id);
    assert!(revoke_paths(&profile).contains(&revoke));
    let res = other_browser
        .post_raw_form(&revoke, &[("csrf_token", other_csrf.as_str())])
        .await;
    assert_eq!(res.status(), 404);
    assert_eq!(
        api.get(app.url("/api/claims"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Its owner can.
    let res = browser
        .post_raw_form(&revoke, &[("csrf_token", csrf.as_str())])
        .await;
    assert_eq!(res.status(), 303);
    let res = api.get(app.url("/api/claims")).send().await.unwrap();
    assert_eq!(res.status(), 401);
    assert_eq!(res.headers()["www-authenticate"], "Bearer");
    // Other tokens of the user keep working.
    assert_eq!(app.api_as(&u).get("/api/claims").await.status(), 200);
    // Garbage tokens are refused like revoked ones.
    let res = bearer_client("cd_nonsense")
        .get(app.url("/api/claims"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
}

// ------------------------------------------------------------ passwords

#[tokio::test]
async fn password_changes_follow_the_policy_and_end_other_sessions() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Reporter, "Password Reporter").await;
    let elsewhere = session(&app, &u).await;
    let browser = app.sign_in(&u).await;
    let csrf = browser.csrf.clone();
    let change = |current: &str, new: &str| {
        browser
            .client
            .post(app.url("/profile/password"))
            .form(&[
                ("csrf_token", csrf.as_str()),
                ("current_password", current),
                ("new_password", new),
            ])
            .send()
    };

    let res = change(TEST_PASSWORD, "elevenchars").await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(field_error(&html, "new_password").unwrap().contains("12"));

    let res = change(TEST_PASSWORD, &"x".repeat(129)).await.unwrap();
    assert_eq!(res.status(), 422);

    let res = change("not the current one", "a perfectly long one")
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(field_error(&html, "current_password").is_some());

    // Nothing changed so far.
    assert!(alive(&app, &elsewhere).await);
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        303
    );

    let long = "ü".repeat(128);
    let res = change(TEST_PASSWORD, &long).await.unwrap();
    assert_eq!(res.status(), 303, "128 characters are allowed");
    assert_eq!(location(&res), "/profile?saved=password");
    // This browser was given a fresh session; the other one is signed out.
    let res = browser.get("/profile").await;
    assert_eq!(res.status(), 200);
    assert!(!alive(&app, &elsewhere).await);
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        401
    );
    assert_eq!(post_login(&app, &u.email, &long).await.status(), 303);

    // Exactly twelve is enough.
    let browser = app.sign_in_with(&u.email, &long).await;
    let csrf = browser.csrf.clone();
    let res = browser
        .post_raw_form(
            "/profile/password",
            &[
                ("csrf_token", csrf.as_str()),
                ("current_password", long.as_str()),
                ("new_password", "twelve chars"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        post_login(&app, &u.email, "twelve chars").await.status(),
        303
    );
}

#[tokio::test]
async fn admins_reset_passwords_with_a_one_time_password() {
    let app = TestApp::spawn().await;
    let admin = bearer_client(&app.new_user(Role::Admin, "Reset Admin").await.token);
    let u = app.new_user(Role::Viewer, "Reset Viewer").await;
    let cookie = session(&app, &u).await;
    let res = admin
        .post(app.url(&format!("/admin/users/{}/password", u.id)))
        .form(&[("x", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    let open = "<code class=\"token\" id=\"issued-password\">";
    let start = html.find(open).unwrap() + open.len();
    let issued = &html[start..start + html[start..].find("</code>").unwrap()];
    assert!(issued.len() >= 12);
    assert!(!alive(&app, &cookie).await, "a reset signs the user out");
    assert_eq!(
        post_login(&app, &u.email, TEST_PASSWORD).await.status(),
        401
    );
    assert_eq!(post_login(&app, &u.email, issued).await.status(), 303);
}

// ------------------------------------------------------------ the CLI

async fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdesk"))
        .args(args)
        .env("DATABASE_URL", &app.db.url)
        .env("RUST_LOG", "warn")
        .stdin(std::process::Stdio::null())
        .output();
    tokio::time::timeout(Duration::from_secs(60), out)
        .await
        .expect("claimdesk user … finished")
        .unwrap()
}

#[tokio::test]
async fn the_cli_creates_admins_changes_roles_and_disables() {
    let app = TestApp::spawn().await;
    let out = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "boss@example.org",
            "--name",
            "Boss Person",
            "--role",
            "admin",
        ],
    )
    .await;
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("one-time password:"))
        .unwrap_or_else(|| panic!("no one-time password in {stdout}"));
    let secret = line["one-time password:".len()..].trim().to_owned();
    assert!(secret.len() >= 12);
    // The password is not stored in plain text.
    let stored =
        claimdesk::models::user::find_by_email(&mut app.db.conn().await, "boss@example.org")
            .await
            .unwrap()
            .unwrap();
    assert!(stored.password_hash.starts_with("$argon2id$"));
    assert!(!stored.password_hash.contains(&secret));

    let boss = TestUser {
        id: stored.id,
        email: "boss@example.org".into(),
        password: secret,
        token: String::new(),
    };
    let cookie = session(&app, &boss).await;
    assert_eq!(get_with(&app, &cookie, "/admin/users").await.status(), 200);

    // The same email twice is refused.
    let out = cli(
        &app,
        &[
            "user",
            "add",
            "--email",
            "BOSS@example.org",
            "--name",
            "Again",
            "--role",
            "viewer",
        ],
    )
    .await;
    assert!(!out.status.success());

    let out = cli(
        &app,
        &[
            "user",
            "set-role",
            "--email",
            "boss@example.org",
            "--role",
            "viewer",
        ],
    )
    .await;
    assert!(out.status.success());
    assert_eq!(get_with(&app, &cookie, "/admin/users").await.status(), 403);

    let out = cli(&app, &["user", "disable", "--email", "boss@example.org"]).await;
    assert!(out.status.success());
    assert!(!alive(&app, &cookie).await);
}
