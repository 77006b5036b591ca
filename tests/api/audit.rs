//! The audit trail: one row per write with actor, action, object and
//! before/after; append-only in the database; shown on the claim page and on
//! the admin audit page.

use crate::helpers::{TestApp, TEST_PASSWORD};
use crate::kit::{Page, Status};
use claimdesk::domain::Role;
use claimdesk::models::audit::{AuditFilter, AuditRow};
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};
use uuid::Uuid;

/// Every audit row, oldest first.
async fn all_rows(app: &TestApp) -> Vec<AuditRow> {
    let mut rows =
        claimdesk::models::audit::list(&mut app.db.conn().await, &AuditFilter::default(), 100_000)
            .await
            .unwrap();
    rows.reverse();
    rows
}

/// Reads the trail as it grows.
struct Trail {
    seen: i64,
}

impl Trail {
    async fn start(app: &TestApp) -> Trail {
        Trail {
            seen: all_rows(app).await.last().map_or(0, |r| r.id),
        }
    }

    /// The rows written since the last call.
    async fn new_rows(&mut self, app: &TestApp) -> Vec<AuditRow> {
        let rows: Vec<_> = all_rows(app)
            .await
            .into_iter()
            .filter(|r| r.id > self.seen)
            .collect();
        if let Some(r) = rows.last() {
            self.seen = r.id;
        }
        rows
    }

    /// Exactly one new row, with this actor, action and object.
    async fn one(
        &mut self,
        app: &TestApp,
        what: &str,
        actor: Option<claimdesk::domain::UserId>,
        action: &str,
        object_type: &str,
        object_id: Option<Uuid>,
    ) -> AuditRow {
        let rows = self.new_rows(app).await;
        assert_eq!(
            rows.len(),
            1,
            "{what}: expected exactly one audit row, got {:#?}",
            rows
        );
        let r = rows.into_iter().next().unwrap();
        assert_eq!(r.actor_id, actor, "{what}: actor");
        assert_eq!(r.action.as_str(), action, "{what}: action");
        assert_eq!(r.object_type.as_str(), object_type, "{what}: object type");
        if object_id.is_some() {
            assert_eq!(r.object_id, object_id, "{what}: object id");
        } else {
            assert!(r.object_id.is_some(), "{what}: an object id");
        }
        r
    }
}

fn before(r: &AuditRow) -> &Value {
    r.before.as_ref().expect("a before value")
}

fn after(r: &AuditRow) -> &Value {
    r.after.as_ref().expect("an after value")
}

#[tokio::test]
async fn every_content_write_leaves_exactly_one_row() {
    let app = TestApp::spawn().await;
    let editor = Some(app.user.id);
    let reporter = app.user(Role::Reporter).create().await;
    let reporter_api = app.api_as(&reporter);
    let mut trail = Trail::start(&app).await;

    // Story: create and update.
    let story = app.story().title("Audit story").create().await;
    let story_id = story.id;
    let r = trail
        .one(
            &app,
            "story create",
            editor,
            "create",
            "story",
            Some(story_id),
        )
        .await;
    assert!(r.before.is_none());
    assert_eq!(after(&r)["title"], "Audit story");
    let mut retitle = story.body();
    retitle.title = "Audit story, retitled".into();
    let res = app.put_json(&story.path(), &retitle).await;
    assert_eq!(res.status(), 200);
    let r = trail
        .one(
            &app,
            "story update",
            editor,
            "update",
            "story",
            Some(story_id),
        )
        .await;
    assert_eq!(before(&r)["title"], "Audit story");
    assert_eq!(after(&r)["title"], "Audit story, retitled");
    assert_eq!(after(&r)["version"], 2);

    // Story through the HTML form, by a reporter.
    let res = reporter_api
        .post_form("/stories", &[("title", "Form story"), ("outlet", "BBC")])
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "story form",
            Some(reporter.id),
            "create",
            "story",
            None,
        )
        .await;
    assert_eq!(after(&r)["outlet"], "BBC");

    // Source: create and update.
    let source = app.source().name("Audit source").create().await;
    let source_id = source.id;
    let r = trail
        .one(
            &app,
            "source create",
            editor,
            "create",
            "source",
            Some(source_id),
        )
        .await;
    assert_eq!(after(&r)["name"], "Audit source");
    let mut affiliated = source.body();
    affiliated.affiliation = Some("Ministry".into());
    let res = reporter_api.put_json(&source.path(), &affiliated).await;
    assert_eq!(res.status(), 200);
    let r = trail
        .one(
            &app,
            "source update",
            Some(reporter.id),
            "update",
            "source",
            Some(source_id),
        )
        .await;
    assert_eq!(before(&r)["affiliation"], Value::Null);
    assert_eq!(after(&r)["affiliation"], "Ministry");

    // Claim: create, edit, a no-op edit, status change with evidence.
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Audit quote")
        .create()
        .await;
    let claim_id = claim.id;
    let r = trail
        .one(
            &app,
            "claim create",
            editor,
            "create",
            "claim",
            Some(claim_id),
        )
        .await;
    assert_eq!(after(&r)["claim"]["quote"], "Audit quote");
    assert_eq!(after(&r)["claim"]["status"], "unverified");

    let mut edit = claim.body();
    edit.quote = "Audit quote, corrected".into();
    let res = reporter_api.put_json(&claim.path(), &edit).await;
    assert_eq!(res.status(), 200);
    let r = trail
        .one(
            &app,
            "claim edit",
            Some(reporter.id),
            "update",
            "claim",
            Some(claim_id),
        )
        .await;
    assert_eq!(before(&r)["claim"]["quote"], "Audit quote");
    assert_eq!(after(&r)["claim"]["quote"], "Audit quote, corrected");

    edit.version = Some(2);
    let res = app.put_json(&claim.path(), &edit).await;
    assert_eq!(res.status(), 200);
    assert!(
        trail.new_rows(&app).await.is_empty(),
        "an edit that changes nothing writes nothing"
    );

    let res = app
        .status(&claim, Status::InReview, "Checking with the ministry")
        .evidence(&["https://example.org/statement"])
        .version(2)
        .send()
        .await;
    assert_eq!(res.status(), 200);
    let r = trail
        .one(
            &app,
            "status change",
            editor,
            "status_change",
            "claim",
            Some(claim_id),
        )
        .await;
    assert_eq!(before(&r)["status"], "unverified");
    assert_eq!(after(&r)["status"], "in_review");
    assert_eq!(after(&r)["reason"], "Checking with the ministry");
    assert_eq!(
        after(&r)["evidence"],
        json!(["https://example.org/statement"])
    );

    // The published fact-check's address.
    let res = app
        .set_review_url(&claim_id.to_string(), "https://example.org/fact-check/1")
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "review url",
            editor,
            "review_url",
            "claim",
            Some(claim_id),
        )
        .await;
    assert_eq!(before(&r)["review_url"], Value::Null);
    assert_eq!(after(&r)["review_url"], "https://example.org/fact-check/1");

    // A claim added on the story page with a new source: the source and the
    // claim are two writes, each audited once.
    let res = reporter_api
        .post_form(
            &format!("/stories/{story_id}/claims"),
            &[
                ("quote", "Second claim"),
                ("new_source_name", "Brand new source"),
                ("new_source_type", "witness"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    let rows = trail.new_rows(&app).await;
    let kinds: Vec<_> = rows
        .iter()
        .map(|r| (r.action.as_str(), r.object_type.as_str(), r.actor_id))
        .collect();
    assert_eq!(
        kinds,
        [
            ("create", "source", Some(reporter.id)),
            ("create", "claim", Some(reporter.id))
        ]
    );

    // Refused writes leave nothing.
    let res = app
        .status(&claim, Status::Verified, "sure")
        // Version 4: the review URL set above now bumps the version too.
        .version(4)
        .by(&reporter_api)
        .send()
        .await;
    assert_eq!(res.status(), 403);
    let mut stale = story.body();
    stale.title = "stale".into();
    let res = app.put_json(&story.path(), &stale).await;
    assert_eq!(res.status(), 409);
    assert!(trail.new_rows(&app).await.is_empty());
}

#[tokio::test]
async fn every_account_write_leaves_exactly_one_row() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).create().await;
    let admin_api = app.api_as(&admin);
    let mut trail = Trail::start(&app).await;

    // User create: the password appears nowhere.
    let res = admin_api
        .post_form(
            "/admin/users",
            &[
                ("email", "newbie@example.org"),
                ("name", "New Reporter"),
                ("role", "reporter"),
            ],
        )
        .await;
    assert_eq!(res.status(), 201);
    let newbie =
        claimdesk::models::user::find_by_email(&mut app.db.conn().await, "newbie@example.org")
            .await
            .unwrap()
            .unwrap();
    let r = trail
        .one(
            &app,
            "user create",
            Some(admin.id),
            "user_create",
            "user",
            Some(newbie.id.into()),
        )
        .await;
    assert_eq!(after(&r)["email"], "newbie@example.org");
    assert_eq!(after(&r)["role"], "reporter");
    let text = after(&r).to_string();
    assert!(
        !text.contains("argon2") && !text.contains("password"),
        "{text}"
    );

    // Role change.
    let res = admin_api
        .post_form(
            &format!("/admin/users/{}/role", newbie.id),
            &[("role", "editor")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "role change",
            Some(admin.id),
            "role_change",
            "user",
            Some(newbie.id.into()),
        )
        .await;
    assert_eq!(before(&r)["role"], "reporter");
    assert_eq!(after(&r)["role"], "editor");

    // Disable, enable.
    let res = admin_api
        .post_form(&format!("/admin/users/{}/disable", newbie.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "disable",
            Some(admin.id),
            "user_disable",
            "user",
            Some(newbie.id.into()),
        )
        .await;
    assert_eq!(before(&r)["disabled_at"], Value::Null);
    assert!(after(&r)["disabled_at"].is_string());
    let res = admin_api
        .post_form(&format!("/admin/users/{}/enable", newbie.id), &[("x", "")])
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "enable",
            Some(admin.id),
            "user_enable",
            "user",
            Some(newbie.id.into()),
        )
        .await;
    assert_eq!(after(&r)["disabled_at"], Value::Null);

    // Password reset by the admin.
    let res = admin_api
        .post_form(
            &format!("/admin/users/{}/password", newbie.id),
            &[("x", "")],
        )
        .await;
    assert_eq!(res.status(), 200);
    trail
        .one(
            &app,
            "reset",
            Some(admin.id),
            "password_reset",
            "user",
            Some(newbie.id.into()),
        )
        .await;

    // Failed login (known account): no actor, the account as object, never
    // the password tried.
    let u = app.new_user(Role::Viewer, "Audit Viewer").await;
    trail.new_rows(&app).await;
    let res = app.post_login(&u.email, "hunter2 is my guess").await;
    assert_eq!(res.status(), 401);
    let r = trail
        .one(
            &app,
            "failed login",
            None,
            "login_failed",
            "user",
            Some(u.id.into()),
        )
        .await;
    assert_eq!(after(&r)["email"], u.email.as_str());
    assert!(!after(&r).to_string().contains("hunter2"));
    // Unknown account: still recorded, without an object.
    let res = app.post_login("nobody@example.org", "hunter2 again").await;
    assert_eq!(res.status(), 401);
    let rows = trail.new_rows(&app).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].action.as_str(), "login_failed");
    assert_eq!(rows[0].actor_id, None);
    assert_eq!(rows[0].object_id, None);
    assert_eq!(after(&rows[0])["email"], "nobody@example.org");

    // Login.
    let mut browser = app.sign_in(&u).await;
    trail
        .one(
            &app,
            "login",
            Some(u.id),
            "login",
            "user",
            Some(u.id.into()),
        )
        .await;

    // Token create and revoke: the secret never lands in the trail.
    let res = browser
        .post_form("/profile/tokens", &[("name", "audited token")])
        .await;
    assert_eq!(res.status(), 201);
    let secret = Page::parse(&res.text().await.unwrap()).text("#new-token");
    let r = trail
        .one(
            &app,
            "token create",
            Some(u.id),
            "token_create",
            "api_token",
            None,
        )
        .await;
    assert_eq!(after(&r)["name"], "audited token");
    assert!(!after(&r).to_string().contains(&secret));
    let token_id = r.object_id.unwrap();
    let res = browser
        .post_form(&format!("/profile/tokens/{token_id}/revoke"), &[])
        .await;
    assert_eq!(res.status(), 303);
    let r = trail
        .one(
            &app,
            "token revoke",
            Some(u.id),
            "token_revoke",
            "api_token",
            Some(token_id),
        )
        .await;
    assert!(after(&r)["revoked_at"].is_string());

    // Own password change.
    let res = browser
        .post_form(
            "/profile/password",
            &[
                ("current_password", TEST_PASSWORD),
                ("new_password", "a brand new passphrase"),
            ],
        )
        .await;
    assert_eq!(res.status(), 303);
    trail
        .one(
            &app,
            "password change",
            Some(u.id),
            "password_change",
            "user",
            Some(u.id.into()),
        )
        .await;

    // Logout (the session is the fresh one set by the password change).
    browser.renew_csrf().await;
    let res = browser.post_form("/logout", &[]).await;
    assert_eq!(res.status(), 303);
    trail
        .one(
            &app,
            "logout",
            Some(u.id),
            "logout",
            "user",
            Some(u.id.into()),
        )
        .await;

    // Reads leave nothing.
    admin_api.get("/admin/users").await;
    admin_api.get("/admin/audit").await;
    assert!(trail.new_rows(&app).await.is_empty());
}

#[tokio::test]
async fn the_database_refuses_to_rewrite_the_trail() {
    let app = TestApp::spawn().await;
    let mut conn = app.db.conn().await;
    let count = all_rows(&app).await.len();
    assert!(count > 0, "the test user's creation is audited");
    for q in [
        // A value of the enum: an unknown one would be refused before the trigger.
        "UPDATE audit_log SET action = 'logout'",
        "UPDATE audit_log SET actor_id = NULL",
        "DELETE FROM audit_log",
        "DELETE FROM audit_log WHERE id = (SELECT max(id) FROM audit_log)",
        "TRUNCATE audit_log",
        "TRUNCATE audit_log CASCADE",
    ] {
        let err = diesel::sql_query(q).execute(&mut conn).await.expect_err(q);
        assert!(err.to_string().contains("append-only"), "{q}: {err}");
    }
    let rows = all_rows(&app).await;
    assert_eq!(rows.len(), count);
    assert!(rows.iter().all(|r| r.action.as_str() != "logout"));
}

#[tokio::test]
async fn the_claim_page_names_who_changed_what() {
    let app = TestApp::spawn().await;
    let reporter = app
        .user(Role::Reporter)
        .name("Rosa Reporter")
        .create()
        .await;
    let story = app.story().create().await;
    let claim = app.claim(&story).quote("History quote").create().await;
    app.status(&claim, Status::InReview, "Rosa starts the review")
        .version(1)
        .by(&app.api_as(&reporter))
        .apply()
        .await;
    app.status(&claim, Status::False, "Editor rules it false")
        .version(2)
        .apply()
        .await;

    let page = app.view(&format!("/claims/{}", claim.id)).await;
    // Newest first: the verdict, the review, the creation.
    let who = page.select_texts("#history .who");
    assert_eq!(who, ["Test Editor", "Rosa Reporter", "Test Editor"]);
    assert_eq!(
        page.select_texts("#history .reason"),
        ["Editor rules it false", "Rosa starts the review"]
    );

    // The API carries the same names.
    let d = app.get_claim(&claim).await;
    let names: Vec<_> = d.history.iter().map(|h| h.actor_name.clone()).collect();
    let names: Vec<_> = names.iter().map(|n| n.as_deref().unwrap()).collect();
    assert_eq!(names, ["Test Editor", "Rosa Reporter", "Test Editor"]);
    assert_eq!(d.history[1].actor_id, Some(reporter.id));
}

/// The Action, Who and Object cells of the audit page's rows.
fn audit_cells(page: &Page, label: &str) -> Vec<String> {
    page.select_texts(&format!("td[data-label={label}]"))
}

#[tokio::test]
async fn the_admin_audit_page_lists_and_filters() {
    let app = TestApp::spawn().await;
    let admin = app.user(Role::Admin).create().await;
    let admin_api = app.api_as(&admin);
    let reporter = app
        .user(Role::Reporter)
        .name("Filter Reporter")
        .create()
        .await;
    let story = app.story().create().await;
    let claim = app.claim(&story).quote("Filter quote").create().await;
    let claim_id = claim.id.to_string();
    app.status(&claim, Status::InReview, "filter me")
        .version(1)
        .by(&app.api_as(&reporter))
        .apply()
        .await;
    app.sign_in(&reporter).await;

    let page = |q: String| admin_api.page_owned(format!("/admin/audit{q}"));

    let all = page(String::new()).await;
    let actions = audit_cells(&all, "Action");
    for a in ["user_create", "create", "status_change", "login"] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // Newest first.
    assert_eq!(actions[0], "login");

    let by_user = page(format!("?user={}", reporter.id)).await;
    let who = audit_cells(&by_user, "Who");
    assert_eq!(who, ["Filter Reporter", "Filter Reporter"]);
    assert_eq!(audit_cells(&by_user, "Action"), ["login", "status_change"]);

    let by_action = page("?action=create".into()).await;
    let actions = audit_cells(&by_action, "Action");
    assert_eq!(actions.len(), 3, "story, source, claim: {actions:?}");
    assert!(actions.iter().all(|a| a == "create"));

    let by_object = page(format!("?object={claim_id}")).await;
    let objects = audit_cells(&by_object, "Object");
    assert_eq!(objects.len(), 2, "{objects:?}");
    assert!(objects.iter().all(|o| o.contains(&claim_id)));

    let by_type = page("?object_type=claim&action=status_change".into()).await;
    assert_eq!(audit_cells(&by_type, "Action"), ["status_change"]);
    assert!(by_type.shows("filter me"));

    let today = chrono::Utc::now().date_naive();
    let dated = page(format!("?from={today}&to={today}&user={}", reporter.id)).await;
    assert_eq!(audit_cells(&dated, "Action").len(), 2);
    let past = today - chrono::Duration::days(3);
    let old = page(format!("?to={past}")).await;
    assert!(audit_cells(&old, "Action").is_empty());

    let res = admin_api.get("/admin/audit?user=not-a-uuid").await;
    assert_eq!(res.status(), 400);

    // Nobody but admins reads it, and there is no way to change it.
    let res = app.api_as(&reporter).get("/admin/audit").await;
    assert_eq!(res.status(), 403);
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let res = admin_api
            .client
            .request(method.clone(), admin_api.url("/admin/audit"))
            .send()
            .await
            .unwrap();
        assert!(
            matches!(res.status().as_u16(), 403..=405),
            "{method} /admin/audit: {}",
            res.status()
        );
    }
}
