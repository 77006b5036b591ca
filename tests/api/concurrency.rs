//! No lost edits: versions, ETag / If-Match, 409 / 412 / 428, and truly
//! concurrent status changes where exactly one wins.

use crate::helpers::{input_value, textarea, TestApp};
use crate::kit::{etag, read, Action, ApiError, Claim, Page, Status};
use claimdesk::domain::Role;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Barrier;
use uuid::Uuid;

/// The hidden `version` field of a form page's main form.
fn form_version(html: &str) -> String {
    let page = Page::parse(html);
    let versions = page.attrs("form input[name=version]", "value");
    assert!(!versions.is_empty(), "a version field");
    versions[0].clone()
}

async fn audit_count(app: &TestApp, action: &str, object: Uuid) -> usize {
    let f = claimdesk::models::audit::AuditFilter {
        action: Some(action.into()),
        object_id: Some(object),
        ..Default::default()
    };
    claimdesk::models::audit::list(&mut app.db.conn().await, &f, 1000)
        .await
        .unwrap()
        .len()
}

// ------------------------------------------------------------ ETag

#[tokio::test]
async fn reads_send_an_etag_that_is_the_version() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    for path in [f.claim.path(), f.source.path(), f.story.path()] {
        let res = app.get(&path).await;
        let tag = etag(&res);
        let body: Value = read(res, 200).await;
        assert_eq!(tag, format!("\"{}\"", body["version"]), "{path}");
    }
}

// ------------------------------------------------------------ 428

#[tokio::test]
async fn writes_without_a_version_are_refused_with_428() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let (mut claim, mut source, mut story) = (f.claim.body(), f.source.body(), f.story.body());
    claim.quote = "Blind overwrite".into();
    source.name = "Blind overwrite".into();
    story.title = "Blind overwrite".into();
    (claim.version, source.version, story.version) = (None, None, None);
    let cases = [
        (f.claim.path(), serde_json::to_value(&claim).unwrap()),
        (f.source.path(), serde_json::to_value(&source).unwrap()),
        (f.story.path(), serde_json::to_value(&story).unwrap()),
    ];
    for (path, body) in &cases {
        let res = app.put_json(path, body).await;
        let err: ApiError = read(res, 428).await;
        assert_eq!(err.error, "precondition_required", "PUT {path}");
    }
    // A status change with no version at all (the kit would fill one in).
    let res = app
        .post_json(
            &format!("{}/status", f.claim.path()),
            &json!({"status": "in_review", "reason": "no version"}),
        )
        .await;
    assert_eq!(res.status(), 428);
    for (path, _) in &cases {
        let body = app.get_json(path).await;
        assert_eq!(body["version"], 1, "{path} unchanged");
        assert!(!body.to_string().contains("Blind overwrite"));
    }
    assert_eq!(app.get_claim(&f.claim).await.status, Status::Unverified);
}

// ------------------------------------------------------------ 409 / 412

#[tokio::test]
async fn a_stale_version_field_gets_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let path = f.claim.path();
    let edit = |quote: &str| {
        let mut b = f.claim.body();
        b.quote = quote.into();
        b
    };
    let res = app.put_json(&path, &edit("First editor's wording.")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"2\"");

    let res = app.put_json(&path, &edit("Second editor's wording.")).await;
    let err: ApiError = read(res, 409).await;
    assert_eq!(err.error, "conflict");
    assert!(err.message.contains("version 2"));
    let now = app.get_claim(&f.claim).await;
    assert_eq!(now.quote, "First editor's wording.");
    assert_eq!(now.version, 2);
    assert_eq!(now.entries(Action::Edited).len(), 1);
    assert_eq!(audit_count(&app, "update", f.claim.id).await, 1);

    // Status change with a stale version.
    let res = app
        .status(&f.claim, Status::InReview, "stale")
        .version(1)
        .send()
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.get_claim(&f.claim).await.status, Status::Unverified);

    // Sources and stories alike.
    let affiliated = |a: &str| {
        let mut b = f.source.body();
        b.affiliation = Some(a.into());
        b
    };
    let sp = f.source.path();
    assert_eq!(app.put_json(&sp, &affiliated("A")).await.status(), 200);
    assert_eq!(app.put_json(&sp, &affiliated("B")).await.status(), 409);
    let stored = app.get_source(&f.source).await;
    assert_eq!(stored.affiliation.as_deref(), Some("A"));

    let titled = |t: &str| {
        let mut b = f.story.body();
        b.title = t.into();
        b
    };
    let tp = f.story.path();
    assert_eq!(app.put_json(&tp, &titled("Title A")).await.status(), 200);
    assert_eq!(app.put_json(&tp, &titled("Title B")).await.status(), 409);
    assert_eq!(app.get_story(&f.story).await.title, "Title A");
}

#[tokio::test]
async fn a_failed_if_match_gets_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let (mut claim, mut source, mut story) = (f.claim.body(), f.source.body(), f.story.body());
    claim.quote = "If-Match wording".into();
    source.name = "If-Match source".into();
    story.title = "If-Match title".into();
    // The version travels in If-Match only.
    (claim.version, source.version, story.version) = (None, None, None);
    let targets = [
        (
            f.claim.path(),
            serde_json::to_value(&claim).unwrap(),
            "quote",
        ),
        (
            f.source.path(),
            serde_json::to_value(&source).unwrap(),
            "name",
        ),
        (
            f.story.path(),
            serde_json::to_value(&story).unwrap(),
            "title",
        ),
    ];
    for (path, body, field) in targets {
        let res = app.get(&path).await;
        let tag = etag(&res);
        let before: Value = res.json().await.unwrap();

        // A tag from the past, and one this API never issued.
        for stale in ["\"0\"", "W/\"7\"", "\"garbage\""] {
            let res = app
                .client
                .put(app.url(&path))
                .header("If-Match", stale)
                .json(&body)
                .send()
                .await
                .unwrap();
            let err: ApiError = read(res, 412).await;
            assert_eq!(err.error, "precondition_failed", "{path} If-Match {stale}");
        }
        let now = app.get_json(&path).await;
        assert_eq!(now[field], before[field], "{path} unchanged");
        assert_eq!(now["version"], before["version"]);

        // The current tag goes through and a new one comes back.
        let res = app
            .client
            .put(app.url(&path))
            .header("If-Match", &tag)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{path}");
        let new_tag = etag(&res);
        assert_ne!(new_tag, tag);
        assert_eq!(app.get_json(&path).await[field], body[field]);
        // … and the old tag is now stale.
        let res = app
            .client
            .put(app.url(&path))
            .header("If-Match", &tag)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 412);
    }
    // If-Match wins over a body version.
    let res = app
        .client
        .post(app.url(&format!("{}/status", f.claim.path())))
        .header("If-Match", "\"1\"")
        .json(&json!({"status": "in_review", "reason": "r", "version": 2}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 412);
}

// ------------------------------------------------------------ races

/// Fires all requests at once (released together by a barrier) and returns
/// their statuses and bodies.
async fn all_at_once(reqs: Vec<reqwest::RequestBuilder>) -> Vec<(u16, String)> {
    let barrier = Arc::new(Barrier::new(reqs.len()));
    let tasks: Vec<_> = reqs
        .into_iter()
        .map(|r| {
            let barrier = barrier.clone();
            tokio::spawn(async move {
                barrier.wait().await;
                let res = r.send().await.unwrap();
                (res.status().as_u16(), res.text().await.unwrap())
            })
        })
        .collect();
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

/// The one accepted answer of a race, as the claim it returned.
fn winner(results: &[(u16, String)]) -> Claim {
    let won = results.iter().find(|(s, _)| *s == 200).expect("a winner");
    serde_json::from_str(&won.1).unwrap()
}

fn tally(results: &[(u16, String)]) -> (usize, usize, Vec<u16>) {
    let ok = results
        .iter()
        .filter(|(s, _)| *s == 200 || *s == 303)
        .count();
    let conflict = results.iter().filter(|(s, _)| *s == 409).count();
    let other = results
        .iter()
        .map(|(s, _)| *s)
        .filter(|s| ![200, 303, 409].contains(s))
        .collect();
    (ok, conflict, other)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_status_changes_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let mut editors = vec![app.client.clone()];
    for _ in 0..3 {
        let u = app.user(Role::Editor).create().await;
        editors.push(app.api_as(&u).client);
    }
    let url = app.url(&format!("{}/status", f.claim.path()));

    // Round 1: everyone starts the review from version 1.
    let reqs = (0..20)
        .map(|i| {
            editors[i % editors.len()].post(&url).json(&json!({
                "status": "in_review", "reason": format!("review by racer {i}"), "version": 1,
            }))
        })
        .collect();
    let results = all_at_once(reqs).await;
    assert_eq!(tally(&results), (1, 19, vec![]), "{results:?}");
    let claim = app.get_claim(&f.claim).await;
    assert_eq!(claim.status, Status::InReview);
    assert_eq!(claim.version, 2);
    assert_eq!(claim.entries(Action::StatusChanged).len(), 1);
    assert_eq!(audit_count(&app, "status_change", f.claim.id).await, 1);
    // The history records the winner's reason, and the winner only.
    let won = winner(&results);
    assert!(claim.history[0].reason.is_some());
    assert_eq!(won.history[0].reason, claim.history[0].reason);

    // Round 2: different verdicts, all from version 2.
    let verdicts = [
        "verified",
        "false",
        "disputed",
        "corroborated",
        "unverifiable",
    ];
    let reqs = (0..20)
        .map(|i| {
            editors[i % editors.len()].post(&url).json(&json!({
                "status": verdicts[i % verdicts.len()],
                "reason": format!("verdict by racer {i}"),
                "evidence": [format!("https://example.org/evidence/{i}")],
                "version": 2,
            }))
        })
        .collect();
    let results = all_at_once(reqs).await;
    assert_eq!(tally(&results), (1, 19, vec![]), "{results:?}");
    let won = winner(&results);
    let claim = app.get_claim(&f.claim).await;
    assert_eq!(claim.status, won.status);
    assert_eq!(claim.version, 3);
    assert_eq!(claim.entries(Action::StatusChanged).len(), 2);
    assert_eq!(audit_count(&app, "status_change", f.claim.id).await, 2);
    // Only the winner's evidence was kept.
    let evidence: Vec<_> = claim.history.iter().flat_map(|h| &h.evidence).collect();
    assert_eq!(evidence.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_edits_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let reqs = (0..20)
        .map(|i| {
            let mut edit = f.claim.body();
            edit.quote = format!("Wording number {i}");
            app.client.put(app.url(&f.claim.path())).json(&edit)
        })
        .collect();
    let results = all_at_once(reqs).await;
    assert_eq!(tally(&results), (1, 19, vec![]), "{results:?}");
    let claim = app.get_claim(&f.claim).await;
    assert_eq!(claim.quote, winner(&results).quote);
    assert_eq!(claim.version, 2);
    assert_eq!(audit_count(&app, "update", f.claim.id).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_status_forms_one_wins_and_the_rest_keep_their_reason() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let u = app.user(Role::Reporter).name("Form Racer").create().await;
    let browser = app.sign_in(&u).await;
    let page = browser.page(&format!("/claims/{}", f.claim.id)).await;
    let version = page.form("form:has(#reason)").field("version").to_owned();
    assert_eq!(version, "1");

    let url = app.url(&format!("/claims/{}/status", f.claim.id));
    let reqs = (0..20)
        .map(|i| {
            browser.client.post(&url).form(&[
                ("csrf_token", browser.csrf.clone()),
                ("status", "in_review".into()),
                ("reason", format!("Racer {i} <checks> & reviews")),
                ("evidence", format!("https://example.org/form/{i}")),
                ("version", version.clone()),
            ])
        })
        .collect();
    let results = all_at_once(reqs).await;
    assert_eq!(tally(&results), (1, 19, vec![]), "{:?}", {
        results.iter().map(|(s, _)| *s).collect::<Vec<_>>()
    });
    for (i, (status, html)) in results.iter().enumerate() {
        if *status != 409 {
            continue;
        }
        // The loser's input is kept, the other editor's change is shown, and
        // the form now carries the current version.
        assert!(!textarea(html, "reason").contains('<'), "escaped");
        let page = Page::parse(html);
        let form = page.form("form:has(#reason)");
        assert_eq!(
            form.field("reason"),
            format!("Racer {i} <checks> & reviews")
        );
        assert_eq!(
            form.field("evidence"),
            format!("https://example.org/form/{i}")
        );
        assert!(page.shows("Another editor changed this record"));
        assert!(page.exists(".status-line"));
        assert_eq!(form.field("version"), "2");
    }
    let claim = app.get_claim(&f.claim).await;
    assert_eq!(claim.status, Status::InReview);
    assert_eq!(claim.version, 2);
    assert_eq!(claim.entries(Action::StatusChanged).len(), 1);
    assert_eq!(claim.history[0].actor_name.as_deref(), Some("Form Racer"));
    assert_eq!(audit_count(&app, "status_change", f.claim.id).await, 1);
}

// ------------------------------------------------------------ stale forms

#[tokio::test]
async fn a_stale_source_form_gets_409_keeps_the_input_and_can_be_reapplied() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let edit_path = format!("/sources/{}/edit", f.source.id);
    let version = form_version(&app.html(&edit_path).await);

    // Meanwhile another editor changes the source.
    let other = app.api_as(&app.user(Role::Editor).create().await);
    let mut theirs = f.source.body();
    theirs.affiliation = Some("Their affiliation".into());
    let res = other.put_json(&f.source.path(), &theirs).await;
    assert_eq!(res.status(), 200);

    let mine = |version: &str| {
        [
            ("name", f.source.name.clone()),
            ("source_type", "military".to_owned()),
            ("affiliation", "My affiliation".to_owned()),
            ("description", "My careful description".to_owned()),
            ("version", version.to_owned()),
        ]
    };
    let res = app.api().post_form(&edit_path, &mine(&version)).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    let page = Page::parse(&html);
    assert!(page.shows("Another editor changed this record"));
    assert!(page.shows("Their affiliation"), "their change is shown");
    assert_eq!(input_value(&html, "affiliation"), "My affiliation");
    assert_eq!(textarea(&html, "description"), "My careful description");
    let stored = app.get_source(&f.source).await;
    assert_eq!(stored.affiliation.as_deref(), Some("Their affiliation"));
    assert_eq!(stored.description, None);

    // Resubmitting the re-rendered form applies the change in one step.
    let new_version = form_version(&html);
    assert_eq!(new_version, "2");
    let res = app.api().post_form(&edit_path, &mine(&new_version)).await;
    assert_eq!(res.status(), 303);
    let stored = app.get_source(&f.source).await;
    assert_eq!(stored.affiliation.as_deref(), Some("My affiliation"));
    assert_eq!(stored.version, 3);
}

#[tokio::test]
async fn a_stale_story_form_gets_409_keeps_the_input_and_can_be_reapplied() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let edit_path = format!("/stories/{}/edit", f.story.id);
    let version = form_version(&app.html(&edit_path).await);

    let mut theirs = f.story.body();
    theirs.title = "Their title".into();
    let res = app.put_json(&f.story.path(), &theirs).await;
    assert_eq!(res.status(), 200);

    let mine = |v: &str| {
        [
            ("title", "My title".to_owned()),
            ("outlet", "AFP".to_owned()),
            ("notes", "My notes".to_owned()),
            ("version", v.to_owned()),
        ]
    };
    let res = app.api().post_form(&edit_path, &mine(&version)).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(Page::parse(&html).shows("Their title"));
    assert_eq!(input_value(&html, "title"), "My title");
    assert_eq!(textarea(&html, "notes"), "My notes");
    assert_eq!(app.get_story(&f.story).await.title, "Their title");
    let res = app
        .api()
        .post_form(&edit_path, &mine(&form_version(&html)))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get_story(&f.story).await.title, "My title");
}

#[tokio::test]
async fn a_stale_claim_edit_form_gets_409_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let f = app.fixture().await;
    let edit_path = format!("/claims/{}/edit", f.claim.id);
    let version = form_version(&app.html(&edit_path).await);

    let mut theirs = f.claim.body();
    theirs.quote = "Their wording.".into();
    let res = app.put_json(&f.claim.path(), &theirs).await;
    assert_eq!(res.status(), 200);

    let form = |v: &str| {
        [
            ("story_id", f.story.id.to_string()),
            ("source_id", f.source.id.to_string()),
            ("quote", "My wording.".to_owned()),
            ("version", v.to_owned()),
        ]
    };
    let res = app.api().post_form(&edit_path, &form(&version)).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(
        Page::parse(&html).shows("Their wording."),
        "their change is shown"
    );
    assert_eq!(textarea(&html, "quote"), "My wording.");
    assert_eq!(app.get_claim(&f.claim).await.quote, "Their wording.");
    let res = app
        .api()
        .post_form(&edit_path, &form(&form_version(&html)))
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get_claim(&f.claim).await.quote, "My wording.");
}
