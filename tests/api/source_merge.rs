//! Merging one source into another: claims, chains and grades move, the
//! merged name becomes an alias, history and audit keep both names.

use crate::helpers::TestApp;
use crate::kit::{read, Action, ApiError, SourceType};
use claimdesk::domain::Role;

#[tokio::test]
async fn merge_moves_claims_chains_and_grades_and_keeps_both_names() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let x = app
        .source()
        .name("Abu Mohammed al-Jolani")
        .kind(SourceType::ArmedGroup)
        .create()
        .await;
    let y = app
        .source()
        .name("Ahmed al-Sharaa")
        .kind(SourceType::ArmedGroup)
        .create()
        .await;
    let outlet = app
        .source()
        .name("AFP")
        .kind(SourceType::Media)
        .create()
        .await;
    let c1 = app
        .claim(&story)
        .source(&x)
        .quote("Our goal is Damascus")
        .create()
        .await;
    let c2 = app
        .claim(&story)
        .source(&x)
        .quote("We will protect minorities")
        .create()
        .await;
    let on_y = app
        .claim(&story)
        .source(&outlet)
        .quote("AFP relays the leader")
        .create()
        .await;
    app.sql(&format!(
        "INSERT INTO claim_chain (claim_id, position, source_id) VALUES ('{}', 0, '{}')",
        on_y.id, x.id
    ))
    .await;
    let res = app
        .grade_source(&app.api(), &x, "C", "Known to exaggerate")
        .await;
    assert_eq!(res.status(), 200);

    let res = app
        .merge_source(&app.api(), &x, &y, "Same person: nom de guerre")
        .await;
    let got: serde_json::Value = read(res, 200).await;
    assert_eq!(got["id"], y.id.to_string());
    assert_eq!(
        got["aliases"],
        serde_json::json!(["Abu Mohammed al-Jolani"])
    );
    assert_eq!(
        got["grade_history"][0]["to"], "C",
        "grade history moved: {got}"
    );
    assert_eq!(got["track_record"]["total"], 2);

    for c in [&c1, &c2] {
        let claim = app.get_claim(c).await;
        assert_eq!(claim.source_id, y.id);
        let edits = claim.entries(Action::Edited);
        let changes = edits[0].changes.as_ref().unwrap();
        assert_eq!(changes["source"].from, "Abu Mohammed al-Jolani");
        assert_eq!(changes["source"].to, "Ahmed al-Sharaa");
    }
    let page = app.view(&format!("/claims/{}", c1.id)).await;
    assert!(
        page.shows("source: Abu Mohammed al-Jolani → Ahmed al-Sharaa"),
        "the claim's history names both sources"
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM claim_chain WHERE source_id = '{}'",
            y.id
        ))
        .await,
        1
    );
    assert_eq!(
        app.count(&format!(
            "SELECT count(*) AS n FROM audit_log WHERE action = 'source_merge' AND object_id = '{}' \
               AND after->'merged'->>'name' = 'Abu Mohammed al-Jolani' AND after->'into'->>'name' = 'Ahmed al-Sharaa' \
               AND after->>'reason' = 'Same person: nom de guerre'",
            x.id
        ))
        .await,
        1
    );

    // The tombstone points at Y, lists hide it, its page redirects.
    let old = app.get_source(&x).await;
    assert_eq!(old.merged_into, Some(y.id));
    assert!(app.sources().await.iter().all(|s| s.id != x.id));
    let res = app.api().get(&format!("/sources/{}", x.id)).await;
    assert_eq!(res.status(), 301);
    assert_eq!(crate::helpers::location(&res), format!("/sources/{}", y.id));
    // Searching the old name finds Y.
    let found = app.search_sources("jolani").await;
    assert_eq!(found.len(), 1);
    assert_eq!(found[0]["id"], y.id.to_string());
    // A claim sent against the tombstone lands on Y.
    let late = app
        .claim(&story)
        .source(&x)
        .quote("A late claim")
        .create()
        .await;
    assert_eq!(late.source_id, y.id);
}

#[tokio::test]
async fn merge_refusals_are_404_422_and_403() {
    let app = TestApp::spawn().await;
    let x = app.source().create().await;
    let y = app.source().create().await;
    let z = app.source().create().await;
    let unknown = uuid::Uuid::new_v4();

    let res = app.merge_source(&app.api(), unknown, &y, "why").await;
    assert_eq!(res.status(), 404);
    let err: ApiError = read(app.merge_source(&app.api(), &x, unknown, "why").await, 422).await;
    assert!(!err.field("into").is_empty());
    let err: ApiError = read(app.merge_source(&app.api(), &x, &x, "why").await, 422).await;
    assert!(err.field("into").contains("itself"));
    let err: ApiError = read(app.merge_source(&app.api(), &x, &y, "  ").await, 422).await;
    assert!(!err.field("reason").is_empty());
    let res = app
        .api()
        .post_json(
            &format!("/api/sources/{}/merge", x.id),
            &serde_json::json!({ "into": "nope", "reason": "r" }),
        )
        .await;
    assert_eq!(res.status(), 422);

    let reporter = app.user(Role::Reporter).create().await;
    let res = app
        .merge_source(&app.api_as(&reporter), &x, &y, "why")
        .await;
    assert_eq!(res.status(), 403);
    let viewer = app.user(Role::Viewer).create().await;
    assert_eq!(
        app.merge_source(&app.api_as(&viewer), &x, &y, "why")
            .await
            .status(),
        403
    );

    assert_eq!(
        app.merge_source(&app.api(), &x, &y, "same").await.status(),
        200
    );
    // Into a merged source, or merging a merged source again: refused.
    let err: ApiError = read(app.merge_source(&app.api(), &z, &x, "why").await, 422).await;
    assert!(err.field("into").contains("merged"));
    let err: ApiError = read(app.merge_source(&app.api(), &x, &z, "why").await, 422).await;
    assert!(err.field("into").contains("already merged"));
    // A tombstone takes no edits and no grade.
    let old = app.get_source(&x).await;
    assert_eq!(
        app.api().put_json(&old.path(), &old.body()).await.status(),
        422
    );
    assert_eq!(
        app.grade_source(&app.api(), &x, "B", "r").await.status(),
        422
    );
}

#[tokio::test]
async fn the_same_claim_on_both_sources_refuses_the_merge_and_moves_nothing() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let x = app.source().create().await;
    let y = app.source().create().await;
    app.claim(&story)
        .source(&x)
        .quote("Same words")
        .create()
        .await;
    app.claim(&story)
        .source(&y)
        .quote("Same words")
        .create()
        .await;
    let err: ApiError = read(app.merge_source(&app.api(), &x, &y, "dup").await, 422).await;
    assert!(err.field("into").contains("same claim"), "{err:?}");
    assert_eq!(app.get_source(&x).await.merged_into, None);
    assert_eq!(app.get_source(&x).await.track_record.total, 1);
}

#[tokio::test]
async fn concurrent_claims_and_merges_lose_nothing() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let x = app.source().create().await;
    let y = app.source().create().await;
    let w = app.source().create().await;
    for i in 0..5 {
        app.claim(&story)
            .source(&x)
            .quote(&format!("early {i}"))
            .create()
            .await;
    }
    let writes = (0..20).map(|i| {
        app.claim(&story)
            .source(&x)
            .quote(&format!("racing {i}"))
            .send()
    });
    let merges = async {
        let api = app.api();
        let a = app.merge_source(&api, &x, &y, "same");
        let b = app.merge_source(&api, &x, &w, "same");
        let (a, b) = futures_util::join!(a, b);
        (a.status().as_u16(), b.status().as_u16())
    };
    let (results, (a, b)) = futures_util::join!(futures_util::future::join_all(writes), merges);
    assert!(results.iter().all(|r| r.status() == 201));
    let mut codes = [a, b];
    codes.sort();
    assert_eq!(codes, [200, 422], "exactly one merge of X wins");
    let on_x = app
        .count(&format!(
            "SELECT count(*) AS n FROM claims WHERE source_id = '{}'",
            x.id
        ))
        .await;
    assert_eq!(on_x, 0, "no claim left on the tombstone");
    let total = app
        .count(&format!(
            "SELECT count(*) AS n FROM claims WHERE source_id IN ('{}', '{}')",
            y.id, w.id
        ))
        .await;
    assert_eq!(total, 25);
}

#[tokio::test]
async fn the_merge_form_on_the_source_page_merges_and_reports_errors() {
    let app = TestApp::spawn().await;
    let x = app.source().name("Syrian Observatory").create().await;
    let y = app
        .source()
        .name("Syrian Observatory for Human Rights")
        .create()
        .await;
    let editor = app.user(Role::Editor).create().await;
    let session = app.sign_in(&editor).await;
    let page = session.page(&format!("/sources/{}", x.id)).await;
    assert!(page.exists("form#merge-form"));

    let path = format!("/sources/{}/merge", x.id);
    let res = session
        .post_form(&path, &[("into", &y.id.to_string()), ("reason", "")])
        .await;
    assert_eq!(res.status(), 422);
    let page = crate::kit::Page::parse(&res.text().await.unwrap());
    assert!(page.field_error("merge-reason").is_some());

    let res = session
        .post_form(
            &path,
            &[("into", &y.id.to_string()), ("reason", "Same monitor")],
        )
        .await;
    assert_eq!(res.status(), 303);
    let page = session.page(&format!("/sources/{}", y.id)).await;
    assert_eq!(page.select_texts(".aliases .alias"), ["Syrian Observatory"]);

    let reporter = app.user(Role::Reporter).create().await;
    let rs = app.sign_in(&reporter).await;
    assert!(!rs
        .page(&format!("/sources/{}", y.id))
        .await
        .exists("form#merge-form"));
}
