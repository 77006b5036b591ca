//! Figures with qualifiers through the API, the form's one-line grammar,
//! the pages, the CSV column and the JSON export (v2) and import (v1, v2).

use crate::exports::download;
use crate::helpers::{unescape, TestApp};
use crate::kit::{read, ApiError, Figure, Page};
use claimdesk::domain::Role;
use claimdesk::json_import;
use claimdesk::models::Actor;
use serde_json::{json, Value};

/// One figure of each qualifier, with a unit, a word and both precisions.
fn every_kind() -> Vec<Figure> {
    vec![
        Figure::new("people displaced", 370_000).dated("2024-12-07"),
        Figure::with("at_least", "people killed", 826).dated("2024-12-07"),
        Figure::with("at_most", "distance of rebels from Damascus", 20).unit("km"),
        Figure::with("about", "troops", 2000),
        Figure {
            as_of: Some("2024-12-01".into()),
            as_of_precision: Some("month".into()),
            ..Figure::range("displaced in Homs", 300, 500)
        },
        Figure::vague("Syrian soldiers", "hundreds"),
    ]
}

#[tokio::test]
async fn every_qualifier_is_stored_and_returned_as_sent() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;

    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Figures of every kind")
        .figures(every_kind())
        .create()
        .await;

    assert_eq!(claim.figures, every_kind());
    assert_eq!(app.get_claim(&claim).await.figures, every_kind());
    let page = app.view(&format!("/claims/{}", claim.id)).await;
    assert_eq!(
        page.select_texts("ul.figures li"),
        [
            "370,000 people displaced as of 7 Dec 2024",
            "at least 826 people killed as of 7 Dec 2024",
            "distance of rebels from Damascus: within 20 km",
            "about 2,000 troops",
            "300–500 displaced in Homs as of Dec 2024",
            "hundreds of Syrian soldiers",
        ]
    );
}

#[tokio::test]
async fn a_figure_that_does_not_hold_together_is_422_on_figures() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;

    for (figure, says) in [
        (
            json!({"label": "x", "qualifier": "at_least", "min": 3}),
            "one `value`",
        ),
        (
            json!({"label": "x", "qualifier": "range", "min": 5, "max": 5}),
            "low to high",
        ),
        (json!({"label": "x", "qualifier": "vague"}), "word"),
        (json!({"label": "x", "value": -1}), "negative"),
        (
            json!({"label": "x", "value": 1, "as_of": "Dec 2024"}),
            "as_of",
        ),
    ] {
        let res = app
            .post_json(
                "/api/claims",
                &json!({"story_id": story.id, "source_id": source.id, "quote": "q",
                        "figures": [{"label": "fine", "value": 1}, figure]}),
            )
            .await;
        let err = read::<ApiError>(res, 422).await;
        let msg = err.field("figures");
        assert!(
            msg.starts_with("Figure 2:") && msg.contains(says),
            "{figure}: {msg}"
        );
    }
}

#[tokio::test]
async fn the_edit_form_prefills_lines_that_save_back_unchanged() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Round trip")
        .figures(every_kind())
        .create()
        .await;

    let html = app
        .get(&format!("/claims/{}/edit", claim.id))
        .await
        .text()
        .await
        .unwrap();
    let lines = unescape(crate::helpers::textarea(&html, "figures"));
    assert_eq!(
        lines.lines().collect::<Vec<_>>(),
        [
            "370,000 people displaced @2024-12-07",
            "at least 826 people killed @2024-12-07",
            "within 20 km distance of rebels from Damascus",
            "about 2,000 troops",
            "300-500 displaced in Homs @2024-12",
            "hundreds of Syrian soldiers",
        ]
    );
    let (s, so) = (story.id.to_string(), source.id.to_string());
    let form = [
        ("story_id", s.as_str()),
        ("source_id", so.as_str()),
        ("quote", "Round trip, reworded"),
        ("figures", lines.as_str()),
        ("version", "1"),
    ];
    let res = app
        .post_form(&format!("/claims/{}/edit", claim.id), &form)
        .await;
    assert_eq!(res.status(), 303);
    let after = app.get_claim(&claim).await;
    assert_eq!(after.quote, "Round trip, reworded");
    assert_eq!(after.figures, every_kind());
    let edit = &after.history[0];
    assert!(edit
        .changes
        .as_ref()
        .is_some_and(|c| !c.contains_key("figures")));
}

#[tokio::test]
async fn a_bad_line_in_the_form_is_named_with_the_input_kept() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    let (s, so) = (story.id.to_string(), source.id.to_string());
    let typed = "at least 826 killed\nwithin twenty km of Damascus";
    let form = [
        ("story_id", s.as_str()),
        ("source_id", so.as_str()),
        ("quote", "Bad line"),
        ("figures", typed),
    ];
    let res = app
        .post_form(&format!("/stories/{}/claims", story.id), &form)
        .await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    let error = Page::parse(&html)
        .field_error("figures")
        .unwrap_or_default();
    assert!(
        error.contains("Line 2") && error.contains("twenty"),
        "{error}"
    );
    assert_eq!(unescape(crate::helpers::textarea(&html, "figures")), typed);
}

#[tokio::test]
async fn the_csv_export_has_a_figures_column_in_reader_phrasing() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    app.claim(&story)
        .source(&source)
        .quote("CSV figures")
        .figures(every_kind())
        .create()
        .await;

    let (_, body) = download(&app.client, &app, "format=csv").await;
    let body = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&body);
    let mut r = csv::Reader::from_reader(body);
    let header = r.headers().unwrap().clone();
    let col = header.iter().position(|h| h == "figures").unwrap();
    let row = r.records().next().unwrap().unwrap();
    assert_eq!(
        &row[col],
        "370,000 people displaced (as of 7 Dec 2024); at least 826 people killed \
         (as of 7 Dec 2024); distance of rebels from Damascus: within 20 km; \
         about 2,000 troops; 300–500 displaced in Homs (as of Dec 2024); \
         hundreds of Syrian soldiers"
    );
}

async fn import(target: &TestApp, body: Vec<u8>) -> json_import::JsonImportReport {
    let actor = Actor::user(target.user.id, Role::Editor);
    json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(body),
        actor,
        true,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_v2_export_imports_with_every_qualifier_kept() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    app.claim(&story)
        .source(&source)
        .quote("Export me")
        .figures(every_kind())
        .create()
        .await;
    let (_, body) = download(&app.client, &app, "format=json").await;
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["schema"], "claimdesk.export/2");
    let sent: Vec<Figure> = serde_json::from_value(doc["claims"][0]["figures"].clone()).unwrap();
    assert_eq!(sent, every_kind());

    let target = TestApp::spawn().await;
    let report = import(&target, body).await;
    assert!(report.committed && report.created == 1, "{report:?}");
    let (_, again) = download(&target.client, &target, "format=json").await;
    let again: Value = serde_json::from_slice(&again).unwrap();
    assert_eq!(again["claims"][0]["figures"], doc["claims"][0]["figures"]);
}

#[tokio::test]
async fn a_v1_file_imports_its_figures_as_exact_values_and_ranges() {
    let target = TestApp::spawn().await;
    let claim = json!({
        "quote": "Old export", "status": "unverified",
        "source": {"name": "Old monitor", "source_type": "monitor"},
        "story": {"title": "Old story", "outlet": "AFP"},
        "figures": [
            {"label": "killed", "min": 826, "as_of": "2024-12-07"},
            {"label": "displaced", "min": 300, "max": 500},
            {"label": "troops", "min": 2000, "max": 2000}
        ]
    });
    let body =
        serde_json::to_vec(&json!({"schema": "claimdesk.export/1", "claims": [claim]})).unwrap();
    let report = import(&target, body).await;
    assert!(report.committed && report.created == 1, "{report:?}");

    let rows = target.list_claims("").await;
    let got = target.get_claim(&rows[0]).await;
    assert_eq!(
        got.figures,
        [
            Figure::new("killed", 826).dated("2024-12-07"),
            Figure::range("displaced", 300, 500),
            Figure::new("troops", 2000),
        ]
    );
}

/// Today's figures become `exact` (a single value, or a "range" whose ends
/// agree) or `range`, with a day precision, without bumping any claim's
/// version; down.sql goes back to min/max, dropping only vague figures.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_migration_turns_values_into_exact_and_ranges_and_reverts() {
    use crate::invariants_db::{lines, migrate, Step};
    use diesel_async::RunQueryDsl;

    let db = crate::helpers::TestDb::blank().await;
    let first = "20241214000001";
    migrate(&db.url, first, Step::Before).await;
    let mut conn = db.conn().await;
    for q in [
        "INSERT INTO stories (id, title, outlet) VALUES ('00000000-0000-0000-0000-000000000001', 's', 'o')",
        "INSERT INTO sources (id, name, source_type) VALUES ('00000000-0000-0000-0000-000000000002', 'n', 'witness')",
        "INSERT INTO claims (id, story_id, source_id, quote) VALUES ('00000000-0000-0000-0000-000000000003', \
         '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 'q')",
        "INSERT INTO claim_figures (id, claim_id, label, value_min, value_max, as_of, position) VALUES \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'killed', 826, NULL, '2024-12-07', 0), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'displaced', 300, 500, NULL, 1), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'troops', 2000, 2000, NULL, 2)",
    ] {
        diesel::sql_query(q).execute(&mut conn).await.unwrap();
    }
    let version = "SELECT version::text AS line FROM claims";
    let before = lines(&mut conn, version).await;

    migrate(&db.url, first, Step::From).await;
    let figures = "SELECT concat_ws(' ', label, qualifier, value, value_min, value_max, as_of, \
                   as_of_precision) AS line FROM claim_figures ORDER BY position";
    assert_eq!(
        lines(&mut conn, figures).await,
        [
            "killed exact 826 2024-12-07 day",
            "displaced range 300 500",
            "troops exact 2000"
        ]
    );
    assert_eq!(lines(&mut conn, version).await, before);
    // The constraints hold the shape: a range with a value is refused.
    let bad = "INSERT INTO claim_figures (id, claim_id, label, qualifier, value, value_min, value_max, position) \
               VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'x', 'range', 1, 1, 2, 3)";
    assert!(diesel::sql_query(bad).execute(&mut conn).await.is_err());
    diesel::sql_query(
        "INSERT INTO claim_figures (id, claim_id, label, qualifier, word, unit, position) \
         VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'soldiers', 'vague', 'hundreds', NULL, 3), \
                (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'distance', 'at_most', NULL, 'km', 4)",
    )
    .execute(&mut conn)
    .await
    .unwrap_err();
    diesel::sql_query(
        "INSERT INTO claim_figures (id, claim_id, label, qualifier, word, value, position) \
         VALUES (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'soldiers', 'vague', 'hundreds', NULL, 3), \
                (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', 'distance', 'at_most', NULL, 20, 4)",
    )
    .execute(&mut conn)
    .await
    .unwrap();

    migrate(&db.url, first, Step::Revert).await;
    let old = "SELECT concat_ws(' ', label, value_min, value_max, as_of) AS line \
               FROM claim_figures ORDER BY position";
    assert_eq!(
        lines(&mut conn, old).await,
        [
            "killed 826 2024-12-07",
            "displaced 300 500",
            "troops 2000",
            "distance 20"
        ]
    );
}
