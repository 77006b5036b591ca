//! The permission matrix: every registered route × every role (and
//! anonymous), judged by the test's own table, which must state the same
//! rule the route was declared with; plus the status-workflow rules that
//! depend on the role.

use crate::helpers::{bearer_client, client, location, TestApp, TestUser};
use crate::kit::{read, Action, Api, ApiError, Status};
use claimdesk::domain::{Access, Role};
use futures::StreamExt;
use reqwest::{Method, StatusCode};
use serde_json::json;
use std::collections::BTreeSet;

/// The least a request needs. Kept separate from `claimdesk::domain::Access`
/// on purpose: this table is the test's own statement of the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Need {
    Public,
    Read,
    Contribute,
    Edit,
    Admin,
}

use Need::*;

/// THE table: every route, its method and who may call it.
const MATRIX: &[(&str, &str, Need)] = &[
    ("GET", "/healthz", Public),
    ("GET", "/static/style.css", Public),
    ("GET", "/login", Public),
    ("POST", "/login", Public),
    ("POST", "/logout", Read),
    ("GET", "/", Read),
    ("GET", "/claims/{id}", Read),
    ("POST", "/claims/{id}/status", Contribute),
    ("GET", "/claims/{id}/edit", Contribute),
    ("POST", "/claims/{id}/edit", Contribute),
    ("POST", "/claims/{id}/review-url", Edit),
    ("GET", "/stories", Read),
    ("POST", "/stories", Contribute),
    ("GET", "/stories/new", Contribute),
    ("GET", "/stories/{id}", Read),
    ("POST", "/stories/{id}/claims", Contribute),
    ("GET", "/stories/{id}/edit", Contribute),
    ("POST", "/stories/{id}/edit", Contribute),
    ("GET", "/stories/{id}/report", Read),
    ("GET", "/stories/{id}/figures", Read),
    ("GET", "/sources", Read),
    ("POST", "/sources", Contribute),
    ("GET", "/sources/new", Contribute),
    ("GET", "/sources/{id}", Read),
    ("GET", "/sources/{id}/edit", Contribute),
    ("POST", "/sources/{id}/edit", Contribute),
    ("GET", "/sources/{id}/report", Read),
    ("POST", "/sources/{id}/grade", Edit),
    ("POST", "/sources/{id}/merge", Edit),
    ("GET", "/profile", Read),
    ("POST", "/profile/password", Read),
    ("POST", "/profile/tokens", Read),
    ("POST", "/profile/tokens/{id}/revoke", Read),
    ("GET", "/admin/users", Admin),
    ("POST", "/admin/users", Admin),
    ("POST", "/admin/users/{id}/role", Admin),
    ("POST", "/admin/users/{id}/disable", Admin),
    ("POST", "/admin/users/{id}/enable", Admin),
    ("POST", "/admin/users/{id}/password", Admin),
    ("GET", "/admin/audit", Admin),
    ("GET", "/export", Read),
    ("GET", "/import", Contribute),
    ("POST", "/import", Contribute),
    ("GET", "/imports/{id}", Contribute),
    ("POST", "/imports/{id}", Contribute),
    ("POST", "/imports/{id}/confirm", Contribute),
    ("GET", "/api/claims", Read),
    ("POST", "/api/claims", Contribute),
    ("GET", "/api/claims/{id}", Read),
    ("PUT", "/api/claims/{id}", Contribute),
    ("POST", "/api/claims/{id}/status", Contribute),
    ("GET", "/api/sources", Read),
    ("POST", "/api/sources", Contribute),
    ("GET", "/api/sources/{id}", Read),
    ("PUT", "/api/sources/{id}", Contribute),
    ("POST", "/api/sources/{id}/merge", Edit),
    ("PUT", "/api/sources/{id}/grade", Edit),
    ("GET", "/api/stories", Read),
    ("POST", "/api/stories", Contribute),
    ("GET", "/api/stories/{id}", Read),
    ("PUT", "/api/stories/{id}", Contribute),
];

fn allows(role: Role, need: Need) -> bool {
    match need {
        Public | Read => true,
        Contribute => role != Role::Viewer,
        Edit => matches!(role, Role::Admin | Role::Editor),
        Admin => role == Role::Admin,
    }
}

/// The test's own reading of an access rule the app declared.
fn need_of(access: Access) -> Need {
    match access {
        Access::Public => Public,
        Access::Read => Read,
        Access::Contribute => Contribute,
        Access::Edit => Edit,
        Access::Admin => Admin,
    }
}

/// The routes the app registered, each with the rule its declaration gave,
/// checked against the matrix: a route the matrix does not know, a rule
/// that differs from it, or a row for a route nobody registers all fail.
#[test]
fn the_registered_routes_and_their_rules_are_the_matrix() {
    let ours: BTreeSet<_> = MATRIX.iter().map(|(m, p, n)| (*m, *p, *n)).collect();
    assert_eq!(ours.len(), MATRIX.len(), "the matrix lists a route twice");
    let table = claimdesk::web::routes::table();
    let theirs: BTreeSet<_> = table
        .iter()
        .map(|r| (r.method.as_str(), r.pattern.as_str(), need_of(r.access)))
        .collect();
    assert_eq!(theirs.len(), table.len(), "a route is registered twice");
    let missing: Vec<_> = theirs.difference(&ours).collect();
    let extra: Vec<_> = ours.difference(&theirs).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "registered routes whose rule the matrix does not state: {missing:?}; \
         matrix rows no registered route matches: {extra:?}"
    );
}

/// Ids to put into path templates.
struct Ids {
    claim: String,
    story: String,
    source: String,
    /// A user the admin may act on (never the admin himself).
    target_user: String,
    /// A token that belongs to the target user.
    target_token: String,
}

fn concrete(template: &str, ids: &Ids) -> String {
    if !template.contains("{id}") {
        return template.to_owned();
    }
    let id = if template.starts_with("/claims/") || template.starts_with("/api/claims/") {
        &ids.claim
    } else if template.starts_with("/stories/") || template.starts_with("/api/stories/") {
        &ids.story
    } else if template.starts_with("/sources/") || template.starts_with("/api/sources/") {
        &ids.source
    } else if template.starts_with("/admin/users/") {
        &ids.target_user
    } else if template.starts_with("/profile/tokens/") {
        &ids.target_token
    } else {
        // A route for another kind of record: an id that does not exist still
        // shows what the gate decided (past it, the handler answers 404).
        return template.replace("{id}", &uuid::Uuid::new_v4().to_string());
    };
    template.replace("{id}", id)
}

/// What came back, reduced to what the gate decided.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Got past the gate (any status that is not 401/403/redirect-to-login).
    Passed(StatusCode),
    /// Sent to the login page (pages, anonymous).
    ToLogin,
    Unauthorized,
    Forbidden,
}

async fn send(
    c: &reqwest::Client,
    app: &TestApp,
    method: &str,
    path: &str,
    login: &TestUser,
) -> Outcome {
    let method = Method::from_bytes(method.as_bytes()).unwrap();
    let mut req = c.request(method.clone(), app.url(path));
    if method != Method::GET {
        req = if path.starts_with("/api/") {
            req.json(&json!({}))
        } else {
            req.form(&[("unused", "")])
        };
    }
    let res = if method == Method::POST && path == "/login" {
        // The sign-in form carries its pre-session token.
        let fields = [
            ("email", login.email.as_str()),
            ("password", login.password.as_str()),
        ];
        app.post_login_with(c, &[], &fields).await
    } else {
        req.send().await.unwrap()
    };
    let status = res.status();
    match status.as_u16() {
        401 => Outcome::Unauthorized,
        403 => Outcome::Forbidden,
        303 if location(&res).starts_with("/login?next=") => Outcome::ToLogin,
        _ => Outcome::Passed(status),
    }
}

#[tokio::test]
async fn every_route_for_every_role_and_anonymous() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id.to_string();
    let source = app.source().create().await.id.to_string();
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Matrix quote")
        .create()
        .await;
    let target = app.new_user(Role::Viewer, "Matrix Target").await;
    let login = app.new_user(Role::Viewer, "Matrix Login").await;
    let mut conn = app.db.conn().await;
    let target_token = claimdesk::models::session::tokens_for(&mut conn, target.id)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let ids = Ids {
        claim: claim.id.to_string(),
        story,
        source,
        target_user: target.id.to_string(),
        target_token,
    };

    let mut callers: Vec<(Option<Role>, reqwest::Client)> = vec![(None, client())];
    for role in Role::ALL {
        let u = app
            .new_user(role, &format!("Matrix {}", role.label()))
            .await;
        callers.push((Some(role), bearer_client(&u.token)));
    }

    let mut cases = Vec::new();
    // The routes as registered, each judged by the matrix's own rule.
    for route in claimdesk::web::routes::table() {
        let (method, template) = (route.method.as_str(), route.pattern.as_str());
        let need = MATRIX
            .iter()
            .find(|(m, p, _)| *m == method && *p == template)
            .map(|(_, _, n)| *n)
            .unwrap_or_else(|| panic!("{method} {template} has no row in the matrix"));
        for (role, c) in &callers {
            cases.push((method, template, need, *role, c.clone()));
        }
    }
    let (app, ids, login) = (&app, &ids, &login);
    let results: Vec<_> = futures::stream::iter(cases)
        .map(|(method, template, need, role, c)| async move {
            let path = concrete(template, ids);
            let got = send(&c, app, method, &path, login).await;
            (method, template, need, role, got)
        })
        .buffer_unordered(6)
        .collect()
        .await;

    let mut failures = Vec::new();
    for (method, template, need, role, got) in results {
        let who = role.map_or("anonymous", |r| r.as_str());
        let ok = match (need, role) {
            (Public, _) => matches!(got, Outcome::Passed(_)),
            (_, None) if template.starts_with("/api/") => got == Outcome::Unauthorized,
            (_, None) => got == Outcome::ToLogin,
            (need, Some(r)) if allows(r, need) => matches!(got, Outcome::Passed(_)),
            (_, Some(_)) => got == Outcome::Forbidden,
        };
        // Getting past the gate must never mean crashing behind it.
        let crashed = matches!(got, Outcome::Passed(s) if s.is_server_error());
        if !ok || crashed {
            failures.push(format!(
                "{method} {template} as {who} (needs {need:?}): got {got:?}"
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of the permission matrix failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------------------ workflow roles

/// A status change to `to` as `api`'s user, based on the current version.
async fn status(api: &Api, app: &TestApp, id: &str, to: &str) -> reqwest::Response {
    let reason = format!("moving to {to}");
    app.status(id, to.parse().unwrap(), &reason)
        .by(api)
        .send()
        .await
}

async fn current_status(app: &TestApp, id: &str) -> (Status, i32) {
    let c = app.get_claim(id).await;
    (c.status, c.version)
}

#[tokio::test]
async fn reporters_start_reviews_but_only_editors_give_or_reopen_verdicts() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Workflow").create().await.id.to_string();
    let source = app.source().create().await.id.to_string();
    let id = app
        .claim(&story)
        .source(&source)
        .quote("A claim to check")
        .create()
        .await
        .id
        .to_string();
    let reporter = app.api_as(&app.user(Role::Reporter).create().await);
    let viewer = app.api_as(&app.user(Role::Viewer).create().await);
    let editor = &app.api();

    // Viewers change nothing.
    assert_eq!(status(&viewer, &app, &id, "in_review").await.status(), 403);

    // Reporters start a review and may send it back …
    assert_eq!(
        status(&reporter, &app, &id, "in_review").await.status(),
        200
    );
    assert_eq!(
        status(&reporter, &app, &id, "unverified").await.status(),
        200
    );
    assert_eq!(
        status(&reporter, &app, &id, "in_review").await.status(),
        200
    );
    let before = current_status(&app, &id).await;
    assert_eq!(before.0, Status::InReview);

    // … but never give a verdict, and a refusal changes nothing.
    for verdict in [
        "verified",
        "false",
        "corroborated",
        "disputed",
        "unverifiable",
    ] {
        let res = status(&reporter, &app, &id, verdict).await;
        let body: ApiError = read(res, 403).await;
        assert_eq!(body.error, "forbidden", "reporter → {verdict}");
    }
    assert_eq!(current_status(&app, &id).await, before);

    // Editors give the verdict.
    assert_eq!(status(editor, &app, &id, "verified").await.status(), 200);
    let verdict = current_status(&app, &id).await;
    assert_eq!(verdict.0, Status::Verified);

    // Reopening is for editors too.
    assert_eq!(
        status(&reporter, &app, &id, "in_review").await.status(),
        403
    );
    assert_eq!(current_status(&app, &id).await, verdict);
    assert_eq!(status(editor, &app, &id, "in_review").await.status(), 200);
    assert_eq!(current_status(&app, &id).await.0, Status::InReview);

    // One history entry per allowed change, none for the refused ones.
    let d = app.get_claim(&id).await;
    assert_eq!(d.entries(Action::StatusChanged).len(), 5);
}

#[tokio::test]
async fn the_reporters_status_form_offers_no_verdicts_and_posting_one_is_refused() {
    let app = TestApp::spawn().await;
    let id = app.fixture().await.claim.id.to_string();
    assert_eq!(
        status(&app.api(), &app, &id, "in_review").await.status(),
        200
    );
    let reporter = app.new_user(Role::Reporter, "Rafa Reporter").await;
    let browser = app.sign_in(&reporter).await;

    let page = browser.page(&format!("/claims/{id}")).await;
    let offered = page.attrs("select#status option", "value");
    assert!(
        offered.contains(&"unverified".into()),
        "send back is offered"
    );
    assert!(!offered.contains(&"verified".into()), "no verdicts offered");
    let (_, version) = current_status(&app, &id).await;

    let res = browser
        .post_form(
            &format!("/claims/{id}/status"),
            &[
                ("status", "verified"),
                ("reason", "I am sure"),
                ("evidence", ""),
                ("version", &version.to_string()),
            ],
        )
        .await;
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("editors"));
    assert_eq!(current_status(&app, &id).await, (Status::InReview, version));
}
