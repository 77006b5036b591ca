//! No lost edits: versions, ETag / If-Match, 409 / 412 / 428, and truly
//! concurrent status changes where exactly one wins.

use crate::helpers::{bearer_client, input_value, textarea, unescape, TestApp};
use claimdesk::domain::Role;
use serde_json::{json, Value};
use std::sync::Arc;
use tokio::sync::Barrier;

struct Fixture {
    story: String,
    source: String,
    claim: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let story = app.story_id("Concurrency story").await;
    let source = app.source_id("Concurrency source", "government").await;
    let claim = app
        .claim_json(&story, &source, "The original wording.")
        .await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    Fixture {
        story,
        source,
        claim,
    }
}

fn etag(res: &reqwest::Response) -> String {
    res.headers()
        .get("etag")
        .expect("an ETag")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Text content with HTML escapes (named and numeric) undone.
fn decode(s: &str) -> String {
    let mut out = String::new();
    let mut rest = s;
    while let Some(at) = rest.find("&#") {
        out.push_str(&rest[..at]);
        let end = at + rest[at..].find(';').unwrap();
        let code = &rest[at + 2..end];
        let n = match code.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).unwrap(),
            None => code.parse().unwrap(),
        };
        out.push(char::from_u32(n).unwrap());
        rest = &rest[end + 1..];
    }
    out.push_str(rest);
    unescape(&out)
}

/// The hidden `version` field of a form page.
fn form_version(html: &str) -> String {
    let marker = "name=\"version\" value=\"";
    let start = html.find(marker).expect("a version field") + marker.len();
    html[start..start + html[start..].find('"').unwrap()].to_owned()
}

fn status_changes(claim: &Value) -> usize {
    claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "status_changed")
        .count()
}

async fn audit_count(app: &TestApp, action: &str, object: &str) -> usize {
    let f = claimdesk::models::audit::AuditFilter {
        action: Some(action.into()),
        object_id: Some(uuid::Uuid::parse_str(object).unwrap()),
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
    let f = fixture(&app).await;
    for path in [
        format!("/api/claims/{}", f.claim),
        format!("/api/sources/{}", f.source),
        format!("/api/stories/{}", f.story),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200);
        let tag = etag(&res);
        let body: Value = res.json().await.unwrap();
        assert_eq!(tag, format!("\"{}\"", body["version"]), "{path}");
    }
}

// ------------------------------------------------------------ 428

#[tokio::test]
async fn writes_without_a_version_are_refused_with_428() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let cases = [
        (
            format!("/api/claims/{}", f.claim),
            json!({"story_id": f.story, "source_id": f.source, "quote": "Blind overwrite"}),
        ),
        (
            format!("/api/sources/{}", f.source),
            json!({"name": "Blind overwrite", "source_type": "government"}),
        ),
        (
            format!("/api/stories/{}", f.story),
            json!({"title": "Blind overwrite", "outlet": "AFP"}),
        ),
    ];
    for (path, body) in &cases {
        let res = app.put_json(path, body).await;
        assert_eq!(res.status(), 428, "PUT {path}");
        let err: Value = res.json().await.unwrap();
        assert_eq!(err["error"], "precondition_required");
    }
    let res = app
        .post_json(
            &format!("/api/claims/{}/status", f.claim),
            &json!({"status": "in_review", "reason": "no version"}),
        )
        .await;
    assert_eq!(res.status(), 428);
    for (path, _) in &cases {
        let body = app.get_json(path).await;
        assert_eq!(body["version"], 1, "{path} unchanged");
        assert!(!body.to_string().contains("Blind overwrite"));
    }
    assert_eq!(
        app.get_json(&format!("/api/claims/{}", f.claim)).await["status"],
        "unverified"
    );
}

// ------------------------------------------------------------ 409 / 412

#[tokio::test]
async fn a_stale_version_field_gets_409_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let path = format!("/api/claims/{}", f.claim);
    let edit = |quote: &str, version: i64| json!({"story_id": f.story, "source_id": f.source, "quote": quote, "version": version});
    let res = app
        .put_json(&path, &edit("First editor's wording.", 1))
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(etag(&res), "\"2\"");

    let res = app
        .put_json(&path, &edit("Second editor's wording.", 1))
        .await;
    assert_eq!(res.status(), 409);
    let err: Value = res.json().await.unwrap();
    assert_eq!(err["error"], "conflict");
    assert!(err["message"].as_str().unwrap().contains("version 2"));
    let now = app.get_json(&path).await;
    assert_eq!(now["quote"], "First editor's wording.");
    assert_eq!(now["version"], 2);
    let edits = now["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "edited")
        .count();
    assert_eq!(edits, 1);
    assert_eq!(audit_count(&app, "update", &f.claim).await, 1);

    // Status change with a stale version.
    let res = app
        .post_json(
            &format!("{path}/status"),
            &json!({"status": "in_review", "reason": "stale", "version": 1}),
        )
        .await;
    assert_eq!(res.status(), 409);
    assert_eq!(app.get_json(&path).await["status"], "unverified");

    // Sources and stories alike.
    let sp = format!("/api/sources/{}", f.source);
    let s1 = json!({"name": "Concurrency source", "source_type": "government", "affiliation": "A", "version": 1});
    let s2 = json!({"name": "Concurrency source", "source_type": "government", "affiliation": "B", "version": 1});
    assert_eq!(app.put_json(&sp, &s1).await.status(), 200);
    assert_eq!(app.put_json(&sp, &s2).await.status(), 409);
    assert_eq!(app.get_json(&sp).await["affiliation"], "A");

    let tp = format!("/api/stories/{}", f.story);
    let t1 = json!({"title": "Title A", "outlet": "AFP", "version": 1});
    let t2 = json!({"title": "Title B", "outlet": "AFP", "version": 1});
    assert_eq!(app.put_json(&tp, &t1).await.status(), 200);
    assert_eq!(app.put_json(&tp, &t2).await.status(), 409);
    assert_eq!(app.get_json(&tp).await["title"], "Title A");
}

#[tokio::test]
async fn a_failed_if_match_gets_412_and_changes_nothing() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let targets = [
        (
            format!("/api/claims/{}", f.claim),
            json!({"story_id": f.story, "source_id": f.source, "quote": "If-Match wording"}),
            "quote",
        ),
        (
            format!("/api/sources/{}", f.source),
            json!({"name": "If-Match source", "source_type": "government"}),
            "name",
        ),
        (
            format!("/api/stories/{}", f.story),
            json!({"title": "If-Match title", "outlet": "AFP"}),
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
            assert_eq!(res.status(), 412, "{path} If-Match {stale}");
            let err: Value = res.json().await.unwrap();
            assert_eq!(err["error"], "precondition_failed");
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
        .post(app.url(&format!("/api/claims/{}/status", f.claim)))
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
    let f = fixture(&app).await;
    let mut editors = vec![app.client.clone()];
    for i in 0..3 {
        let u = app
            .new_user(Role::Editor, &format!("Racing Editor {i}"))
            .await;
        editors.push(bearer_client(&u.token));
    }
    let path = format!("/api/claims/{}", f.claim);
    let url = app.url(&format!("{path}/status"));

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
    let claim = app.get_json(&path).await;
    assert_eq!(claim["status"], "in_review");
    assert_eq!(claim["version"], 2);
    assert_eq!(status_changes(&claim), 1);
    assert_eq!(audit_count(&app, "status_change", &f.claim).await, 1);
    // The history records the winner's reason, and the winner only.
    let winner = results.iter().find(|(s, _)| *s == 200).unwrap();
    let won: Value = serde_json::from_str(&winner.1).unwrap();
    let reason = claim["history"][0]["reason"].as_str().unwrap();
    assert_eq!(won["history"][0]["reason"], reason);

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
    let winner: Value =
        serde_json::from_str(&results.iter().find(|(s, _)| *s == 200).unwrap().1).unwrap();
    let claim = app.get_json(&path).await;
    assert_eq!(claim["status"], winner["status"]);
    assert_eq!(claim["version"], 3);
    assert_eq!(status_changes(&claim), 2);
    assert_eq!(audit_count(&app, "status_change", &f.claim).await, 2);
    // Only the winner's evidence was kept.
    let evidence: Vec<_> = claim["history"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["evidence"].as_array().unwrap().clone())
        .collect();
    assert_eq!(evidence.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_edits_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let path = format!("/api/claims/{}", f.claim);
    let reqs = (0..20)
        .map(|i| {
            app.client.put(app.url(&path)).json(&json!({
                "story_id": f.story, "source_id": f.source,
                "quote": format!("Wording number {i}"), "version": 1,
            }))
        })
        .collect();
    let results = all_at_once(reqs).await;
    assert_eq!(tally(&results), (1, 19, vec![]), "{results:?}");
    let winner: Value =
        serde_json::from_str(&results.iter().find(|(s, _)| *s == 200).unwrap().1).unwrap();
    let claim = app.get_json(&path).await;
    assert_eq!(claim["quote"], winner["quote"]);
    assert_eq!(claim["version"], 2);
    assert_eq!(audit_count(&app, "update", &f.claim).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn twenty_concurrent_status_forms_one_wins_and_the_rest_keep_their_reason() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let u = app.new_user(Role::Reporter, "Form Racer").await;
    let (browser, csrf) = app.login(&u.email, &u.password).await;
    let page = browser
        .get(app.url(&format!("/claims/{}", f.claim)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let version = form_version(&page);
    assert_eq!(version, "1");

    let url = app.url(&format!("/claims/{}/status", f.claim));
    let reqs = (0..20)
        .map(|i| {
            browser.post(&url).form(&[
                ("csrf_token", csrf.clone()),
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
        let reason = decode(textarea(html, "reason"));
        assert_eq!(reason, format!("Racer {i} <checks> & reviews"));
        assert_eq!(
            decode(textarea(html, "evidence")),
            format!("https://example.org/form/{i}")
        );
        assert!(html.contains("Another editor changed this record"));
        assert!(html.contains("status-line"));
        assert_eq!(form_version(html), "2");
    }
    let claim = app.get_json(&format!("/api/claims/{}", f.claim)).await;
    assert_eq!(claim["status"], "in_review");
    assert_eq!(claim["version"], 2);
    assert_eq!(status_changes(&claim), 1);
    assert_eq!(claim["history"][0]["actor_name"], "Form Racer");
    assert_eq!(audit_count(&app, "status_change", &f.claim).await, 1);
}

// ------------------------------------------------------------ stale forms

#[tokio::test]
async fn a_stale_source_form_gets_409_keeps_the_input_and_can_be_reapplied() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let edit_path = format!("/sources/{}/edit", f.source);
    let page = app.html(&edit_path).await;
    let version = form_version(&page);

    // Meanwhile another editor changes the source.
    let other = bearer_client(&app.new_user(Role::Editor, "Other Editor").await.token);
    let res = other
        .put(app.url(&format!("/api/sources/{}", f.source)))
        .json(
            &json!({"name": "Concurrency source", "source_type": "government",
                      "affiliation": "Their affiliation", "version": 1}),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);

    let mine = [
        ("name", "Concurrency source"),
        ("source_type", "government"),
        ("affiliation", "My affiliation"),
        ("description", "My careful description"),
        ("version", version.as_str()),
    ];
    let res = app.post_form(&edit_path, &mine).await;
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("Another editor changed this record"));
    assert!(html.contains("Their affiliation"), "their change is shown");
    assert_eq!(input_value(&html, "affiliation"), "My affiliation");
    assert_eq!(textarea(&html, "description"), "My careful description");
    let stored = app.get_json(&format!("/api/sources/{}", f.source)).await;
    assert_eq!(stored["affiliation"], "Their affiliation");
    assert_eq!(stored["description"], Value::Null);

    // Resubmitting the re-rendered form applies the change in one step.
    let new_version = form_version(&html);
    assert_eq!(new_version, "2");
    let resubmit = [
        ("name", "Concurrency source"),
        ("source_type", "government"),
        ("affiliation", "My affiliation"),
        ("description", "My careful description"),
        ("version", new_version.as_str()),
    ];
    let res = app.post_form(&edit_path, &resubmit).await;
    assert_eq!(res.status(), 303);
    let stored = app.get_json(&format!("/api/sources/{}", f.source)).await;
    assert_eq!(stored["affiliation"], "My affiliation");
    assert_eq!(stored["version"], 3);
}

#[tokio::test]
async fn a_stale_story_form_gets_409_keeps_the_input_and_can_be_reapplied() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let edit_path = format!("/stories/{}/edit", f.story);
    let version = form_version(&app.html(&edit_path).await);

    let res = app
        .put_json(
            &format!("/api/stories/{}", f.story),
            &json!({"title": "Their title", "outlet": "AFP", "version": 1}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let mine = |v: &str| {
        vec![
            ("title".to_owned(), "My title".to_owned()),
            ("outlet".to_owned(), "AFP".to_owned()),
            ("notes".to_owned(), "My notes".to_owned()),
            ("version".to_owned(), v.to_owned()),
        ]
    };
    let res = app
        .client
        .post(app.url(&edit_path))
        .form(&mine(&version))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("Their title"));
    assert_eq!(input_value(&html, "title"), "My title");
    assert_eq!(textarea(&html, "notes"), "My notes");
    assert_eq!(
        app.get_json(&format!("/api/stories/{}", f.story)).await["title"],
        "Their title"
    );
    let res = app
        .client
        .post(app.url(&edit_path))
        .form(&mine(&form_version(&html)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get_json(&format!("/api/stories/{}", f.story)).await["title"],
        "My title"
    );
}

#[tokio::test]
async fn a_stale_claim_edit_form_gets_409_and_keeps_the_input() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let edit_path = format!("/claims/{}/edit", f.claim);
    let version = form_version(&app.html(&edit_path).await);

    let res = app
        .put_json(
            &format!("/api/claims/{}", f.claim),
            &json!({"story_id": f.story, "source_id": f.source,
                    "quote": "Their wording.", "version": 1}),
        )
        .await;
    assert_eq!(res.status(), 200);

    let form = |v: &str| {
        vec![
            ("story_id".to_owned(), f.story.clone()),
            ("source_id".to_owned(), f.source.clone()),
            ("quote".to_owned(), "My wording.".to_owned()),
            ("version".to_owned(), v.to_owned()),
        ]
    };
    let res = app
        .client
        .post(app.url(&edit_path))
        .form(&form(&version))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 409);
    let html = res.text().await.unwrap();
    assert!(html.contains("Their wording."), "their change is shown");
    assert_eq!(textarea(&html, "quote"), "My wording.");
    let stored = app.get_json(&format!("/api/claims/{}", f.claim)).await;
    assert_eq!(stored["quote"], "Their wording.");
    let res = app
        .client
        .post(app.url(&edit_path))
        .form(&form(&form_version(&html)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get_json(&format!("/api/claims/{}", f.claim)).await["quote"],
        "My wording."
    );
}
