//! Sign-in under attack: concurrent bursts against the per-account and
//! per-address limits, hostile input (huge, NUL, bad UTF-8), open redirects,
//! login CSRF and cross-site writes, CSRF tokens in URLs, and the smaller
//! account holes (same new password, tokens revived by re-enabling).

use crate::helpers::{client, field_error, location, LoginToken, TestApp, TEST_PASSWORD};
use claimdesk::domain::Role;
use std::time::{Duration, Instant};

/// Passwords actually checked against the account: one `login_failed` audit
/// row each (refusals without a check are `login_refused`).
async fn checked(app: &TestApp, user: claimdesk::domain::UserId) -> i64 {
    app.count(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'login_failed' AND object_id = '{user}'"
        ),
    )
    .await
}

async fn sessions_of(app: &TestApp, user: claimdesk::domain::UserId) -> i64 {
    app.count(&format!(
        "SELECT count(*) AS n FROM sessions WHERE user_id = '{user}'"
    ))
    .await
}

/// A client patient enough for a burst that waits on Argon2 (debug build).
fn slow_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .pool_max_idle_per_host(0)
        .build()
        .unwrap()
}

async fn send_login(
    c: &reqwest::Client,
    app: &TestApp,
    tok: &LoginToken,
    email: &str,
    password: &str,
) -> u16 {
    c.post(app.url("/login"))
        .header("Cookie", &tok.cookie)
        .form(&[
            ("csrf_token", tok.token.as_str()),
            ("email", email),
            ("password", password),
        ])
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

/// Waits (at most `limit`) until the server has let ten guesses at the
/// account through: ten attempts counted against it, or the lock they set.
async fn until_ten_admitted(app: &TestApp, user: claimdesk::domain::UserId, limit: Duration) {
    let until = Instant::now() + limit;
    let mut watch = app.db.conn().await;
    let q = format!(
        "SELECT (SELECT count(*) FROM login_failures WHERE user_id = '{user}') \
         + (SELECT CASE WHEN locked_until > now() THEN 10 ELSE 0 END FROM users WHERE id = '{user}') AS n"
    );
    while Instant::now() < until {
        if crate::kit::db::count_on(&mut watch, &q).await >= 10 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn tally(statuses: &[u16], code: u16) -> usize {
    statuses.iter().filter(|s| **s == code).count()
}

// ------------------------------------------------------------ bursts

#[tokio::test]
async fn a_burst_of_sixty_wrong_passwords_checks_at_most_ten_and_the_right_one_fails() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Editor, "Burst Target").await;
    let tok = app.login_token().await;
    let c = slow_client();
    let start = Instant::now();

    let login_url = app.url("/login");
    let wrong = |i: usize| {
        let (c, url, tok, email) = (c.clone(), login_url.clone(), tok.clone(), u.email.clone());
        tokio::spawn(async move {
            c.post(url)
                .header("Cookie", &tok.cookie)
                .form(&[
                    ("csrf_token", tok.token.as_str()),
                    ("email", email.as_str()),
                    ("password", format!("wrong guess {i:02}").as_str()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        })
    };
    let first: Vec<_> = (0..30).map(wrong).collect();
    // The right password goes out in the middle of the burst, once the
    // server has let the first guesses through (or after 500 ms at most).
    until_ten_admitted(&app, u.id, Duration::from_millis(500)).await;
    let right = send_login(&c, &app, &tok, &u.email, TEST_PASSWORD).await;
    let second: Vec<_> = (30..60).map(wrong).collect();
    let mut statuses = Vec::new();
    for h in first.into_iter().chain(second) {
        statuses.push(h.await.unwrap());
    }

    let checked = checked(&app, u.id).await;
    eprintln!(
        "60 concurrent wrong passwords: {checked} checked, {} x 401, {} x 429; right password in the burst: {right}; {:.1} s",
        tally(&statuses, 401),
        tally(&statuses, 429),
        start.elapsed().as_secs_f64()
    );
    assert!(
        statuses.iter().all(|s| *s == 401 || *s == 429),
        "{statuses:?}"
    );
    assert!(checked <= 10, "{checked} guesses checked; at most 10");
    assert_ne!(right, 303, "the right password got in during the burst");
    assert_eq!(sessions_of(&app, u.id).await, 0);
    // The per-address limit (30) answers the rest.
    assert_eq!(tally(&statuses, 429), 30, "{statuses:?}");
    // The account is locked: the right password still does not open it.
    assert_eq!(app.post_login(&u.email, TEST_PASSWORD).await.status(), 429);
    let locked: i64 = app
        .count(&format!(
            "SELECT count(*) AS n FROM users WHERE id = '{}' AND locked_until > now()",
            u.id
        ))
        .await;
    assert_eq!(locked, 1, "locked after its ten failures");
}

/// A client that sends from `ip` (any 127.0.0.0/8 address reaches the server).
fn client_from(ip: [u8; 4]) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(120))
        .local_address(std::net::IpAddr::from(ip))
        .build()
        .unwrap()
}

/// Fires `wrong` wrong passwords at the account from each client at once,
/// and the right one from the first client once ten guesses are through
/// (before that, a right password would rightly open the account and start
/// its count afresh); returns every status and the right password's.
async fn burst(
    app: &TestApp,
    user: claimdesk::domain::UserId,
    email: &str,
    clients: &[reqwest::Client],
    wrong: usize,
) -> (Vec<u16>, u16) {
    let tok = app.login_token().await;
    let mut handles = Vec::new();
    for (n, c) in clients.iter().enumerate() {
        for i in 0..wrong {
            let (c, url, tok, email) =
                (c.clone(), app.url("/login"), tok.clone(), email.to_owned());
            handles.push(tokio::spawn(async move {
                c.post(url)
                    .header("Cookie", &tok.cookie)
                    .form(&[
                        ("csrf_token", tok.token.as_str()),
                        ("email", email.as_str()),
                        ("password", format!("guess {n}-{i:02}").as_str()),
                    ])
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }));
        }
    }
    until_ten_admitted(app, user, Duration::from_secs(20)).await;
    let right = send_login(&clients[0], app, &tok, email, TEST_PASSWORD).await;
    let mut statuses = Vec::new();
    for h in handles {
        statuses.push(h.await.unwrap());
    }
    (statuses, right)
}

#[tokio::test]
async fn the_account_limit_alone_holds_a_burst_to_ten_checks() {
    // The address limit out of the way: only the account's lock decides.
    let app = TestApp::spawn_with(claimdesk::config::AuthArgs {
        login_limit_per_client: 10_000,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Editor, "Lock Burst Target").await;
    let (statuses, right) = burst(&app, u.id, &u.email, &[slow_client()], 60).await;
    let checked = checked(&app, u.id).await;
    let refused = app.count(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'login_refused' AND object_id = '{}'",
            u.id
        ),
    )
    .await;
    eprintln!(
        "60 concurrent wrong passwords, no address limit: {checked} checked, {refused} refused unchecked, {} x 401; right password in the burst: {right}",
        tally(&statuses, 401)
    );
    assert_eq!(
        tally(&statuses, 401),
        60,
        "the usual answer, no enumeration"
    );
    assert!(checked <= 10, "{checked} checked");
    // The right password, sent once ten guesses were through, is refused
    // unchecked like the rest.
    assert_eq!(right, 401);
    assert_eq!(checked + refused, 61);
    assert_eq!(sessions_of(&app, u.id).await, 0);
}

#[tokio::test]
async fn one_account_attacked_from_two_addresses_is_checked_ten_times_at_most() {
    let app = TestApp::spawn_with(claimdesk::config::AuthArgs {
        login_limit_per_client: 10_000,
        ..Default::default()
    })
    .await;
    let u = app.new_user(Role::Editor, "Two Address Target").await;
    let clients = [client_from([127, 0, 0, 1]), client_from([127, 0, 0, 2])];
    let (statuses, right) = burst(&app, u.id, &u.email, &clients, 30).await;
    assert_eq!(right, 401);
    let checked = checked(&app, u.id).await;
    eprintln!(
        "30 + 30 concurrent wrong passwords from two addresses: {checked} checked, {} x 401",
        tally(&statuses, 401)
    );
    assert!(statuses.iter().all(|s| *s == 401), "{statuses:?}");
    assert!(checked <= 10, "{checked} checked");
}

#[tokio::test]
async fn failures_on_many_accounts_add_up_to_the_address_limit() {
    // 8 accounts x 10 wrong passwords from one address, default limit 30.
    let app = TestApp::spawn().await;
    let tok = app.login_token().await;
    let c = slow_client();
    let mut statuses = Vec::new();
    for a in 0..8 {
        let u = app
            .new_user(Role::Viewer, &format!("Spray Target {a}"))
            .await;
        for i in 0..10 {
            statuses.push(send_login(&c, &app, &tok, &u.email, &format!("spray {i:02}")).await);
        }
    }
    let kept = app.count("SELECT count(*) AS n FROM login_failures WHERE client = '127.0.0.1' AND at > now() - interval '15 minutes'",
    )
    .await;
    eprintln!(
        "8 accounts x 10 wrong passwords from one address: {} x 401, {} x 429, {kept} failures kept",
        tally(&statuses, 401),
        tally(&statuses, 429)
    );
    assert_eq!(tally(&statuses, 401), 30, "{statuses:?}");
    assert_eq!(tally(&statuses, 429), 50, "{statuses:?}");
    assert!(
        statuses[..30].iter().all(|s| *s == 401) && statuses[30..].iter().all(|s| *s == 429),
        "429 from the 31st failure on: {statuses:?}"
    );
    assert_eq!(kept, 30, "locking an account erased the address's failures");
}

// ------------------------------------------------------------ hostile input

async fn audit_rows(app: &TestApp) -> i64 {
    app.count("SELECT count(*) AS n FROM audit_log").await
}

#[tokio::test]
async fn an_over_long_email_or_password_is_422_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let (audit, failures) = (
        audit_rows(&app).await,
        app.count("SELECT count(*) AS n FROM login_failures").await,
    );
    let huge = format!("{}@example.org", "a".repeat(240 * 1024));
    let res = app.post_login(&huge, "whatever at all").await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        field_error(&html, "email").is_some_and(|m| m.contains("254")),
        "a field message"
    );
    assert!(html.len() < 20_000, "the 240 KB value is not echoed back");

    let res = app.post_login("a@example.org", &"p".repeat(1025)).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(field_error(&html, "password").is_some());
    // The input that passes is kept in the form.
    let form = crate::kit::Page::parse(&html).form("form:has(#password)");
    assert_eq!(form.field("email"), "a@example.org");

    assert_eq!(audit_rows(&app).await, audit, "no audit row written");
    assert_eq!(
        app.count("SELECT count(*) AS n FROM login_failures").await,
        failures
    );
    // 254 characters is still a (wrong) sign-in, not a refusal.
    let edge = format!("{}@example.org", "b".repeat(254 - 12));
    assert_eq!(app.post_login(&edge, "whatever at all").await.status(), 401);
}

#[tokio::test]
async fn a_nul_in_the_email_or_bad_utf8_in_the_form_is_422() {
    let app = TestApp::spawn().await;
    let audit = audit_rows(&app).await;
    for email in ["nul\0@example.org", "\0", "tab\u{7}@example.org"] {
        let res = app.post_login(email, "whatever at all").await;
        assert_eq!(res.status(), 422, "{email:?}");
        let html = res.text().await.unwrap();
        assert!(field_error(&html, "email").is_some(), "{email:?}");
    }
    // Invalid UTF-8 is refused, not turned into U+FFFD.
    let tok = app.login_token().await;
    let body = format!(
        "csrf_token={}&email=bad%FF%FEutf8%40example.org&password=whatever",
        tok.token
    );
    let res = client()
        .post(app.url("/login"))
        .header("Cookie", &tok.cookie)
        .header("Content-Type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("UTF-8"));
    assert_eq!(audit_rows(&app).await, audit, "nothing written");
}

// ------------------------------------------------------------ open redirect

#[tokio::test]
async fn next_never_leaves_the_site_and_never_breaks_the_response() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Viewer, "Redirect Viewer").await;
    let hostile = [
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/\u{b}/evil.example",
        "/\u{c}/evil.example",
        "\t//evil.example",
        " //evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%09/evil.example",
        "/%2F%2Fevil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "/\u{0}/evil.example",
        "/\u{a0}/evil.example",
    ];
    for next in hostile {
        let res = app
            .post_login_with(
                &client(),
                &[],
                &[
                    ("email", u.email.as_str()),
                    ("password", TEST_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), 303, "next {next:?}");
        assert_eq!(location(&res), "/", "next {next:?}");
        // The form does not carry it either.
        let page = client()
            .get(app.url("/login"))
            .query(&[("next", next)])
            .send()
            .await
            .unwrap();
        assert_eq!(page.status(), 200, "GET /login?next={next:?}");
        let html = page.text().await.unwrap();
        let form = crate::kit::Page::parse(&html).form("form:has(#password)");
        assert_eq!(form.field("next"), "/", "next {next:?} kept in the form");
    }
    // Same-site paths survive, header-safe.
    for (next, want) in [
        ("/sources?q=a%26b", "/sources?q=a%26b"),
        ("/claims?q=\r\nSet-Cookie:x", "/claims?q=Set-Cookie:x"),
    ] {
        let res = app
            .post_login_with(
                &client(),
                &[],
                &[
                    ("email", u.email.as_str()),
                    ("password", TEST_PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(res.status(), 303);
        assert_eq!(location(&res), want);
    }
}

// ------------------------------------------------------------ login CSRF, Origin

#[tokio::test]
async fn signing_in_needs_the_pre_session_token() {
    let app = TestApp::spawn().await;
    let u = app.new_user(Role::Viewer, "Login Csrf Viewer").await;
    let fields = [("email", u.email.as_str()), ("password", TEST_PASSWORD)];
    let tok = app.login_token().await;

    // A forged cross-site form: no token at all.
    let res = client()
        .post(app.url("/login"))
        .form(&fields)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("Sign in again"), "a clear message: {html}");
    // The field without its cookie, and the cookie with another value.
    let res = client()
        .post(app.url("/login"))
        .form(&[
            ("csrf_token", tok.token.as_str()),
            ("email", u.email.as_str()),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = client()
        .post(app.url("/login"))
        .header("Cookie", &tok.cookie)
        .form(&[
            ("csrf_token", "0".repeat(64).as_str()),
            ("email", u.email.as_str()),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(sessions_of(&app, u.id).await, 0, "no session opened");

    // The login page sets the cookie: short-lived, HttpOnly, SameSite=Lax.
    let res = client().get(app.url("/login")).send().await.unwrap();
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|h| h.to_str().unwrap().to_lowercase())
        .find(|h| h.starts_with("claimdesk_login_csrf="))
        .expect("a pre-session cookie");
    assert!(
        set.contains("httponly") && set.contains("samesite=lax"),
        "{set}"
    );
    assert!(set.contains("max-age="), "{set}");

    // With both, and from this site: signed in.
    let res = app.post_login_with(&client(), &[], &fields).await;
    assert_eq!(res.status(), 303);
    // From another site, even with the token: refused.
    let tok = app.login_token().await;
    let res = client()
        .post(app.url("/login"))
        .header("Cookie", &tok.cookie)
        .header("Origin", "https://evil.example")
        .form(&[
            ("csrf_token", tok.token.as_str()),
            ("email", u.email.as_str()),
            ("password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}

/// Signs in with a cookie jar; returns the client and the session's CSRF token.
async fn browser(app: &TestApp, role: Role, name: &str) -> (reqwest::Client, String) {
    let u = app.new_user(role, name).await;
    app.login(&u.email, &u.password).await
}

async fn create_token(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    headers: &[(&str, &str)],
) -> u16 {
    let mut req = c
        .post(app.url("/profile/tokens"))
        .form(&[("csrf_token", csrf), ("name", "origin check")]);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    req.send().await.unwrap().status().as_u16()
}

#[tokio::test]
async fn cookie_writes_from_another_site_are_refused_by_origin() {
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app, Role::Reporter, "Origin Reporter").await;
    let ours = app.addr.clone();
    for (headers, want) in [
        (vec![("Origin", "https://evil.example")], 403),
        (vec![("Origin", "null")], 403),
        // Same host, another port or scheme: another origin.
        (vec![("Origin", "http://127.0.0.1:1")], 403),
        (
            vec![("Origin", ours.replace("http://", "https://").as_str())],
            403,
        ),
        (vec![("Sec-Fetch-Site", "cross-site")], 403),
        (vec![("Origin", ours.as_str())], 201),
        (
            vec![("Origin", ours.as_str()), ("Sec-Fetch-Site", "same-origin")],
            201,
        ),
        (vec![("Sec-Fetch-Site", "same-origin")], 201),
        // Neither header: the token alone decides.
        (vec![], 201),
    ] {
        assert_eq!(
            create_token(&c, &app, &csrf, &headers).await,
            want,
            "{headers:?}"
        );
    }
    // A cross-site Origin is refused before the token is even looked at.
    let res = c
        .post(app.url("/logout"))
        .header("Origin", "https://evil.example")
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let html = res.text().await.unwrap();
    assert!(html.contains("another site"), "{html}");
    // Bearer requests carry no ambient credentials: no Origin rule.
    let res = app
        .client
        .post(app.url("/api/stories"))
        .header("Origin", "https://evil.example")
        .json(&serde_json::json!({ "title": "Bearer story", "outlet": "AFP" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

#[tokio::test]
async fn a_csrf_token_only_in_the_query_string_is_refused() {
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app, Role::Reporter, "Query Reporter").await;
    let res = c
        .post(app.url(&format!("/profile/tokens?csrf_token={csrf}")))
        .form(&[("name", "from the query")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let res = c
        .post(app.url(&format!("/stories?csrf_token={csrf}")))
        .header("Content-Type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    // In the body or the header: accepted.
    assert_eq!(create_token(&c, &app, &csrf, &[]).await, 201);
    let res = c
        .post(app.url("/profile/tokens"))
        .header("X-CSRF-Token", &csrf)
        .form(&[("name", "from the header")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
}

// ------------------------------------------------------------ multipart token

fn multipart_body(parts: &[(&str, Option<&str>, &[u8])]) -> (String, Vec<u8>) {
    let boundary = format!("claimdesk-attack-{}", uuid::Uuid::new_v4().simple());
    let mut body = Vec::new();
    for (name, filename, content) in parts {
        let disposition = match filename {
            Some(f) => format!(
                "Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\nContent-Type: text/csv"
            ),
            None => format!("Content-Disposition: form-data; name=\"{name}\""),
        };
        body.extend_from_slice(format!("--{boundary}\r\n{disposition}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn upload(
    c: &reqwest::Client,
    app: &TestApp,
    query: &str,
    parts: &[(&str, Option<&str>, &[u8])],
) -> reqwest::Response {
    let (ct, body) = multipart_body(parts);
    c.post(app.url(&format!("/import{query}")))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// A CSV of `rows` new claims, about `rows * 60` bytes.
fn csv(rows: usize, tag: &str) -> Vec<u8> {
    let mut s = String::from("story_title,source_name,source_type,quote\n");
    for i in 0..rows {
        s.push_str(&format!(
            "Multipart story,Multipart source,media,{tag} quote number {i:06}\n"
        ));
    }
    s.into_bytes()
}

#[tokio::test]
async fn an_import_upload_carries_its_token_in_the_multipart_body() {
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app, Role::Reporter, "Multipart Reporter").await;
    let small = csv(3, "small");

    // The form the page serves: the token is the first field, not in the URL.
    let page = c
        .get(app.url("/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let form = &page[page
        .find("<form method=\"post\" action=\"/import\"")
        .expect("the form")..];
    assert!(
        form.find("name=\"csrf_token\"").unwrap() < form.find("name=\"file\"").unwrap(),
        "token before the file"
    );

    let token = csrf.as_bytes();
    let res = upload(&c, &app, "", &[("file", Some("a.csv"), &small)]).await;
    assert_eq!(res.status(), 403, "no token");
    let res = upload(
        &c,
        &app,
        &format!("?csrf_token={csrf}"),
        &[("file", Some("a.csv"), &small)],
    )
    .await;
    assert_eq!(res.status(), 403, "token only in the query string");
    let wrong = "f".repeat(64);
    let res = upload(
        &c,
        &app,
        "",
        &[
            ("csrf_token", None, wrong.as_bytes()),
            ("file", Some("a.csv"), &small),
        ],
    )
    .await;
    assert_eq!(res.status(), 403, "wrong token");
    // After a file bigger than the scan window, the token is not looked for.
    let big = csv(2_000, "late");
    let res = upload(
        &c,
        &app,
        "",
        &[("file", Some("a.csv"), &big), ("csrf_token", None, token)],
    )
    .await;
    assert_eq!(res.status(), 403, "token after 100 KB of file");

    // Token first, then a file far larger than what the check reads: the
    // handler gets the whole body, byte for byte.
    let rows = 20_000;
    let large = csv(rows, "first");
    assert!(large.len() > 1_000_000);
    let res = upload(
        &c,
        &app,
        "",
        &[
            ("csrf_token", None, token),
            ("file", Some("large.csv"), &large),
        ],
    )
    .await;
    assert_eq!(res.status(), 303, "{}", res.text().await.unwrap());
    let saved = app
        .count(
            "SELECT (n_create + n_duplicate + n_invalid)::bigint AS n FROM imports \
             ORDER BY created_at DESC LIMIT 1",
        )
        .await;
    // A file this large is not kept for the correction form, but every one
    // of its rows reached the preview.
    assert_eq!(saved as usize, rows, "the upload arrived whole");
}

// ------------------------------------------------------------ accounts

#[tokio::test]
async fn a_new_password_equal_to_the_old_one_is_422() {
    let app = TestApp::spawn().await;
    let (c, csrf) = browser(&app, Role::Viewer, "Same Password Viewer").await;
    let res = c
        .post(app.url("/profile/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", TEST_PASSWORD),
            ("new_password", TEST_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(
        field_error(&html, "new_password").is_some_and(|m| m.contains("same")),
        "{html}"
    );
    // A different one is fine.
    let res = c
        .post(app.url("/profile/password"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("current_password", TEST_PASSWORD),
            ("new_password", "an entirely new passphrase"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

#[tokio::test]
async fn re_enabling_an_account_does_not_revive_its_api_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.new_user(Role::Admin, "Token Admin").await;
    let u = app.new_user(Role::Editor, "Token Editor").await;
    let theirs = app.api_as(&u);
    let status = |c: reqwest::Client| {
        let url = app.url("/api/claims");
        async move { c.get(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(status(theirs.client.clone()).await, 200);
    let admin_c = app.api_as(&admin);
    for action in ["disable", "enable"] {
        let res = admin_c
            .post_form(
                &format!("/admin/users/{}/{action}", u.id),
                &[("unused", "")],
            )
            .await;
        assert_eq!(res.status(), 303, "{action}");
    }
    assert_eq!(
        status(theirs.client).await,
        401,
        "the old token stays revoked"
    );
    let revoked = app
        .count(&format!(
            "SELECT count(*) AS n FROM api_tokens WHERE user_id = '{}' AND revoked_at IS NOT NULL",
            u.id
        ))
        .await;
    assert_eq!(revoked, 1);
    // The account itself works again: it can sign in and make a new token.
    let (c, csrf) = app.login(&u.email, TEST_PASSWORD).await;
    assert_eq!(create_token(&c, &app, &csrf, &[]).await, 201);
}
