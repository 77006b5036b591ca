//! The Admiralty grade: set by editors with a reason, every change kept,
//! audited; the record's suggestion is shown and never applied.

use crate::helpers::TestApp;
use crate::kit::{read, ApiError, Status};
use claimdesk::domain::Role;

#[tokio::test]
async fn grade_changes_are_kept_with_who_when_and_why() {
    let app = TestApp::spawn().await;
    let s = app.source().create().await;
    assert_eq!(app.get_source(&s).await.grade, None);

    let got: serde_json::Value = read(
        app.grade_source(&app.api(), &s, "b", "Reliable on casualty counts")
            .await,
        200,
    )
    .await;
    assert_eq!(got["grade"], "B");
    let got: serde_json::Value = read(
        app.grade_source(&app.api(), &s, "D", "Two false reports in December")
            .await,
        200,
    )
    .await;
    assert_eq!(got["grade"], "D");
    // The same grade again records nothing.
    read::<serde_json::Value>(app.grade_source(&app.api(), &s, "D", "again").await, 200).await;

    let detail = app.get_source(&s).await;
    assert!(detail.version > s.version, "a grade is a new version");
    let h = &detail.grade_history;
    assert_eq!(h.len(), 2);
    assert_eq!((h[0].from.as_deref(), h[0].to.as_str()), (None, "B"));
    assert_eq!((h[1].from.as_deref(), h[1].to.as_str()), (Some("B"), "D"));
    assert_eq!(h[1].reason, "Two false reports in December");
    assert!(h[1].by.is_some() && h[1].by_id.is_some());
    crate::helpers::assert_utc(&h[1].at, "grade change time");
    let audited = app
        .count(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'grade_change' AND object_id = '{}'",
            s.id
        ))
        .await;
    assert_eq!(audited, 2);

    // The source page shows the grade and its history; the claim page the letter.
    let page = app.view(&format!("/sources/{}", s.id)).await;
    assert!(page.text("#grade-current").contains('D'));
    assert_eq!(page.count("#grade-history tbody tr"), 2);
    let story = app.story().create().await;
    let claim = app.claim(&story).source(&s).create().await;
    let cp = app.view(&format!("/claims/{}", claim.id)).await;
    assert_eq!(cp.select_texts(".badge.grade"), ["D"]);
    assert_eq!(app.get_claim(&claim).await.source.id, s.id);
}

#[tokio::test]
async fn a_grade_needs_a_reason_and_a_letter_from_a_to_f() {
    let app = TestApp::spawn().await;
    let s = app.source().create().await;
    let err: ApiError = read(app.grade_source(&app.api(), &s, "B", " ").await, 422).await;
    assert!(!err.field("reason").is_empty());
    for bad in ["G", "", "AB", "1"] {
        let err: ApiError = read(app.grade_source(&app.api(), &s, bad, "r").await, 422).await;
        assert!(err.field("grade").contains("A"), "{bad}: {err:?}");
    }
    assert_eq!(
        app.grade_source(&app.api(), uuid::Uuid::new_v4(), "B", "r")
            .await
            .status(),
        404
    );
    assert_eq!(app.get_source(&s).await.grade, None);
    assert!(app.get_source(&s).await.grade_history.is_empty());
}

#[tokio::test]
async fn only_editors_and_admins_grade() {
    let app = TestApp::spawn().await;
    let s = app.source().create().await;
    for role in [Role::Viewer, Role::Reporter] {
        let u = app.user(role).create().await;
        let res = app.grade_source(&app.api_as(&u), &s, "A", "trust me").await;
        assert_eq!(res.status(), 403, "{role:?}");
    }
    let admin = app.user(Role::Admin).create().await;
    assert_eq!(
        app.grade_source(&app.api_as(&admin), &s, "A", "ok")
            .await
            .status(),
        200
    );

    let reporter = app.user(Role::Reporter).create().await;
    let session = app.sign_in(&reporter).await;
    assert!(!session
        .page(&format!("/sources/{}", s.id))
        .await
        .exists("form#grade-form"));
}

#[tokio::test]
async fn the_suggestion_is_shown_with_its_why_but_the_grade_stays_unset() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let s = app.source().create().await;
    for i in 0..6 {
        let c = app
            .claim(&story)
            .source(&s)
            .quote(&format!("claim {i}"))
            .create()
            .await;
        let verdict = if i < 5 {
            Status::Verified
        } else {
            Status::False
        };
        app.give(&c, verdict, "checked", &["https://example.org/proof"])
            .await;
    }
    let detail = app.get_source(&s).await;
    assert_eq!(detail.grade, None, "never set silently");
    assert_eq!(detail.track_record.suggested_grade.grade, "B");
    assert!(
        detail.track_record.suggested_grade.why.contains("5 of 6"),
        "{:?}",
        detail.track_record.suggested_grade
    );
    let page = app.view(&format!("/sources/{}", s.id)).await;
    assert!(page.text("#grade-suggested").contains("5 of 6"));
    assert!(page.text("#grade-current").contains("Not graded"));

    let few = app.source().create().await;
    let suggestion = app.get_source(&few).await.track_record.suggested_grade;
    assert_eq!(suggestion.grade, "F");
}

#[tokio::test]
async fn the_grade_form_sets_the_grade_and_keeps_input_on_errors() {
    let app = TestApp::spawn().await;
    let s = app.source().create().await;
    let editor = app.user(Role::Editor).create().await;
    let session = app.sign_in(&editor).await;
    let path = format!("/sources/{}/grade", s.id);
    let res = session
        .post_form(&path, &[("grade", "C"), ("reason", "")])
        .await;
    assert_eq!(res.status(), 422);
    let page = crate::kit::Page::parse(&res.text().await.unwrap());
    assert!(page.field_error("reason").is_some());
    assert_eq!(
        page.attr("select#grade option[selected]", "value")
            .as_deref(),
        Some("C")
    );

    let res = session
        .post_form(&path, &[("grade", "C"), ("reason", "Mixed record")])
        .await;
    assert_eq!(res.status(), 303);
    assert_eq!(app.get_source(&s).await.grade.as_deref(), Some("C"));
    let report = app.view(&format!("/sources/{}/report", s.id)).await;
    assert!(report.text("#report-grade").contains('C'));
    let md = app
        .api()
        .get(&format!("/sources/{}/report?format=md", s.id))
        .await
        .text()
        .await
        .unwrap();
    assert!(md.contains("Reliability grade: **C**"), "{md}");
}

#[tokio::test]
async fn grade_history_and_aliases_travel_through_the_json_export_and_import() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let s = app.source().name("Ahmed al-Sharaa").create().await;
    app.set_aliases(&app.api(), &s, &["Abu Mohammed al-Jolani"])
        .await;
    app.grade_source(&app.api(), &s, "C", "Few checks so far")
        .await;
    app.grade_source(&app.api(), &s, "B", "Held up in December")
        .await;
    app.claim(&story)
        .source(&s)
        .quote("We will take Damascus")
        .create()
        .await;

    let (_, body) = crate::exports::download(&app.client, &app, "format=json").await;
    let doc: serde_json::Value = serde_json::from_slice(&body).unwrap();
    let exported = &doc["claims"][0]["source"];
    assert_eq!(exported["grade"], "B");
    assert_eq!(
        exported["aliases"],
        serde_json::json!(["Abu Mohammed al-Jolani"])
    );
    assert_eq!(exported["grade_history"].as_array().map(Vec::len), Some(2));

    let target = TestApp::spawn().await;
    let actor = claimdesk::models::Actor::user(target.user.id, Role::Editor);
    let report = claimdesk::json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(body),
        actor,
        true,
    )
    .await
    .unwrap();
    assert!(report.committed, "{report:?}");
    let found = target.search_sources("jolani").await;
    assert_eq!(found.len(), 1, "the alias came back");
    let id: uuid::Uuid = found[0]["id"].as_str().unwrap().parse().unwrap();
    let got = target.get_source(id).await;
    assert_eq!(got.grade.as_deref(), Some("B"));
    let moves: Vec<(Option<&str>, &str, &str)> = got
        .grade_history
        .iter()
        .map(|h| (h.from.as_deref(), h.to.as_str(), h.reason.as_str()))
        .collect();
    assert_eq!(
        moves,
        [
            (None, "C", "Few checks so far"),
            (Some("C"), "B", "Held up in December")
        ]
    );
    assert!(
        got.grade_history.iter().all(|h| h.by.is_some()),
        "graders keep their names"
    );
}
