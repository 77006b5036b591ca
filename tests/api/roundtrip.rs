//! JSON and NDJSON round trips: export → import into an empty database →
//! export again keeps everything the export holds (ids and the import's own
//! `updated_at` aside), through the library function and the binary; bad
//! records are reported by position with nothing written; a second import
//! adds nothing.

use crate::exports::download;
use crate::helpers::{unescape, TestApp};
use crate::kit::{Figure, SourceBody, SourceType, Status};
use claimdesk::domain::Role;
use claimdesk::json_import::{self, JsonImportError, Position};
use claimdesk::models::Actor;
use serde_json::{json, Value};
use std::time::Duration;

// ------------------------------------------------------------------ helpers

/// Reasons that must stay with their own entries after the round trip.
const FIRST_VERDICT: &str = "Doctored: the footage is from Idlib in 2020";
const SECOND_VERDICT: &str = "Confirmed by two witnesses and satellite images";
const REOPEN: &str = "New footage surfaced";
/// Deliberately not in alphabetical or any sortable order.
const LINKS_FALSE: [&str; 3] = [
    "https://example.org/z-geolocation",
    "https://example.org/a-archive",
    "https://example.org/m-reverse-search",
];
const LINKS_VERIFIED: [&str; 2] = [
    "https://witness.example.org/2",
    "https://witness.example.org/1",
];
const REVIEW_URL: &str = "https://factcheck.example.org/ring-of-steel";

/// A source desk with everything the export holds: a story with every
/// field and one without a URL, sources with affiliation and description,
/// figures (a count, a range with an as-of date), an edit, a verdict
/// reopened and given again by two editors with different reasons and
/// ordered evidence, a send-back, and a review URL.
async fn rich_source() -> TestApp {
    let app = TestApp::spawn().await;
    let vera = app.api_as(&app.user(Role::Editor).name("Vera Verdict").create().await);
    let story = app
        .story()
        .title("Syria says it is setting up 'ring of steel' around Damascus")
        .url("https://www.afp.com/en/syria-ring-of-steel")
        .published_at("2024-12-08T06:12:00Z")
        .dateline("Beirut")
        .notes("Wire copy; updated twice.\nSecond line of notes.")
        .create()
        .await;
    let story2 = app
        .story()
        .title("Rebels enter Homs")
        .outlet("Reuters")
        .create()
        .await;
    let ministry = app
        .source()
        .name("Syrian Defence Ministry")
        .affiliation("Government of Syria")
        .description("Statements on state television")
        .create()
        .await;
    let monitor = app
        .source()
        .name("Syrian Observatory for Human Rights")
        .kind(SourceType::Monitor)
        .affiliation("UK-based monitor")
        .create()
        .await;

    let displaced = Figure::range("displaced", 300, 500).dated("2024-12-07");
    let main = app
        .claim(&story)
        .source(&ministry)
        .quote("There is a very strong, solid defensive ring around Damascus")
        .paraphrase()
        .summary("Army says Damascus is ringed")
        .claimed_at("2024-12-07T18:30:00Z")
        .claimed_where("state television")
        .figures([Figure::new("troops", 2000), displaced])
        .create()
        .await;
    // An edit: an `edited` entry with its changes.
    let mut edit = main.body();
    edit.summary = Some("Army says Damascus is ringed by troops".into());
    let res = app.put_json(&main.path(), &edit).await;
    assert_eq!(res.status(), 200, "edit");
    let step = |status, reason| app.status(&main, status, reason);
    step(Status::InReview, "Checking the footage").apply().await;
    step(Status::False, FIRST_VERDICT)
        .evidence(&LINKS_FALSE)
        .by(&vera)
        .apply()
        .await;
    step(Status::InReview, REOPEN).apply().await;
    step(Status::Verified, SECOND_VERDICT)
        .evidence(&LINKS_VERIFIED)
        .by(&vera)
        .apply()
        .await;
    let res = app.set_review_url(&main.id.to_string(), REVIEW_URL).await;
    assert_eq!(res.status(), 303, "review url");

    let sent_back = app
        .claim(&story2)
        .source(&monitor)
        .quote("At least 826 people were killed")
        .figures([Figure::new("killed", 826)])
        .create()
        .await;
    app.status(&sent_back, Status::InReview, "Cross-checking")
        .by(&vera)
        .apply()
        .await;
    app.status(&sent_back, Status::Unverified, "Not enough sources yet")
        .apply()
        .await;
    let rania = SourceBody {
        description: Some("Resident of Homs".into()),
        ..SourceBody::new("Rania", SourceType::Witness)
    };
    app.claim(&story2)
        .new_source_body(rania)
        .quote("Damascus awaits you 🎉 — دمشق تنتظركم")
        .create()
        .await;
    app
}

/// An export without what legitimately differs between databases: ids
/// (also those inside an edit's `changes`) and `updated_at`, which is the
/// time of the import itself.
fn normalised(mut v: Value) -> Value {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(m) => {
                m.retain(|k, _| !(k == "id" || k.ends_with("_id") || k == "updated_at"));
                m.values_mut().for_each(strip);
            }
            Value::Array(a) => a.iter_mut().for_each(strip),
            _ => {}
        }
    }
    strip(&mut v);
    v
}

fn json_claims(body: &[u8]) -> Value {
    let v: Value = serde_json::from_slice(body).unwrap();
    assert_eq!(v["schema"], "claimdesk.export/2");
    normalised(v["claims"].clone())
}

fn ndjson_claims(body: &[u8]) -> Value {
    let lines: Vec<Value> = std::str::from_utf8(body)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    normalised(Value::Array(lines))
}

async fn cli(args: &[&str]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdesk"));
    cmd.args(args).kill_on_drop(true);
    let out = tokio::time::timeout(Duration::from_secs(120), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("claimdesk {args:?} did not finish"))
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn temp_file(ext: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "claimdesk-roundtrip-{}.{ext}",
        uuid::Uuid::new_v4().simple()
    ))
}

/// (stories, sources, claims, history rows, evidence rows, audit rows).
async fn counts(app: &TestApp) -> [i64; 6] {
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    let mut out = [0; 6];
    for (i, t) in [
        "stories",
        "sources",
        "claims",
        "claim_history",
        "evidence",
        "audit_log",
    ]
    .iter()
    .enumerate()
    {
        let rows: Vec<N> = diesel_async::RunQueryDsl::load(
            diesel::sql_query(format!("SELECT count(*) AS n FROM {t}")),
            &mut conn,
        )
        .await
        .unwrap();
        out[i] = rows[0].n;
    }
    out
}

// -------------------------------------------------------------------- tests

#[tokio::test]
async fn json_export_imports_into_an_empty_desk_and_exports_the_same() {
    let source = rich_source().await;
    let (_, json_a) = download(&source.client, &source, "format=json").await;
    let (_, ndjson_a) = download(&source.client, &source, "format=ndjson").await;
    let expected = json_claims(&json_a);
    assert_eq!(expected.as_array().unwrap().len(), 3);
    assert_eq!(ndjson_claims(&ndjson_a), expected);

    // The target desk is empty but for an account with the e-mail of the
    // source's "Test Editor"; "Vera Verdict" has no account there.
    let target = TestApp::spawn().await;
    assert_eq!(counts(&target).await[..5], [0, 0, 0, 0, 0]);
    let actor = Actor::user(target.user.id, Role::Editor);
    let report = json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(json_a.clone()),
        actor,
        true,
    )
    .await
    .unwrap();
    assert!(report.committed, "{report:?}");
    assert_eq!(
        (
            report.records,
            report.created,
            report.skipped,
            report.invalid
        ),
        (3, 3, 0, 0)
    );
    assert_eq!((report.stories_created, report.sources_created), (2, 3));
    assert_eq!((report.actors_matched, report.actors_imported), (1, 1));

    let (_, json_b) = download(&target.client, &target, "format=json").await;
    let (_, ndjson_b) = download(&target.client, &target, "format=ndjson").await;
    assert_eq!(json_claims(&json_b), expected);
    assert_eq!(ndjson_claims(&ndjson_b), expected);

    // Spelled out, what must not be confused or lost.
    let main = &expected[0];
    let steps: Vec<(Value, Value, Value, Value)> = main["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["action"].clone(),
                h["to_status"].clone(),
                h["reason"].clone(),
                h["actor_name"].clone(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        vec![
            (
                json!("created"),
                json!("unverified"),
                Value::Null,
                json!("Test Editor")
            ),
            (
                json!("edited"),
                Value::Null,
                Value::Null,
                json!("Test Editor")
            ),
            (
                json!("status_changed"),
                json!("in_review"),
                json!("Checking the footage"),
                json!("Test Editor")
            ),
            (
                json!("status_changed"),
                json!("false"),
                json!(FIRST_VERDICT),
                json!("Vera Verdict")
            ),
            (
                json!("status_changed"),
                json!("in_review"),
                json!(REOPEN),
                json!("Test Editor")
            ),
            (
                json!("status_changed"),
                json!("verified"),
                json!(SECOND_VERDICT),
                json!("Vera Verdict")
            ),
        ]
    );
    assert_eq!(main["history"][3]["evidence"], json!(LINKS_FALSE));
    assert_eq!(main["history"][5]["evidence"], json!(LINKS_VERIFIED));
    assert_eq!(
        main["history"][3]["actor_email"],
        "vera.verdict@example.org"
    );
    assert_eq!(main["review_url"], REVIEW_URL);
    assert_eq!(main["status_reason"], SECOND_VERDICT);
    assert_eq!(
        main["figures"][1],
        json!({"label": "displaced", "unit": null, "qualifier": "range", "value": null,
               "min": 300, "max": 500, "word": null,
               "as_of": "2024-12-07", "as_of_precision": "day"})
    );
    assert_eq!(main["story"]["dateline"], "Beirut");
    assert_eq!(main["source"]["affiliation"], "Government of Syria");

    // The matched actor is the target's own account; the other is recorded
    // as imported and shown so on the claim page.
    let claims_b: Value = serde_json::from_slice(&json_b).unwrap();
    let hist_b = &claims_b["claims"][0]["history"];
    assert_eq!(hist_b[2]["actor_id"], json!(target.user.id));
    assert_eq!(hist_b[3]["actor_id"], Value::Null);
    let id_b = claims_b["claims"][0]["id"].as_str().unwrap();
    let page = unescape(&target.html(&format!("/claims/{id_b}")).await);
    assert!(page.contains("Vera Verdict (imported)"), "claim page");
    assert!(!page.contains("Test Editor (imported)"), "claim page");

    // Importing the same export again adds nothing (the NDJSON one neither).
    let before = counts(&target).await;
    for (body, format) in [(json_a, "json"), (ndjson_a.clone(), "ndjson")] {
        let again = json_import::import_json(
            &mut target.db.conn().await,
            std::io::Cursor::new(body),
            actor,
            true,
        )
        .await
        .unwrap();
        assert_eq!(
            (
                again.created,
                again.skipped,
                again.stories_created,
                again.sources_created
            ),
            (0, 3, 0, 0),
            "{format}"
        );
        assert_eq!(again.history_entries, 0, "{format}");
    }
    let after = counts(&target).await;
    assert_eq!(before[..5], after[..5], "a second import wrote claims");
    let (_, json_c) = download(&target.client, &target, "format=json").await;
    assert_eq!(json_claims(&json_c), expected);

    // NDJSON through the binary into a third empty desk: the preview writes
    // nothing, `--yes` imports, the export matches.
    let third = TestApp::spawn().await;
    let file = temp_file("ndjson");
    std::fs::write(&file, &ndjson_a).unwrap();
    let path = file.to_str().unwrap();
    let (ok, stdout, err) = cli(&["--database-url", &third.db.url, "import", path]).await;
    assert!(ok, "{err}");
    assert!(stdout.contains("to create: 3"), "{stdout}");
    assert!(stdout.contains("nothing written"), "{stdout}");
    assert_eq!(counts(&third).await[..5], [0, 0, 0, 0, 0]);
    let (ok, stdout, err) = cli(&["--database-url", &third.db.url, "import", path, "--yes"]).await;
    assert!(ok, "{err}");
    assert!(stdout.contains("imported 3 claims"), "{stdout}");
    let (_, ndjson_d) = download(&third.client, &third, "format=ndjson").await;
    assert_eq!(ndjson_claims(&ndjson_d), expected);
    let _ = std::fs::remove_file(&file);
}

#[tokio::test]
async fn invalid_records_are_reported_by_position_and_nothing_is_written() {
    let source = rich_source().await;
    let (_, json_a) = download(&source.client, &source, "format=json").await;
    let (_, ndjson_a) = download(&source.client, &source, "format=ndjson").await;
    let target = TestApp::spawn().await;
    let empty = counts(&target).await;
    let actor = Actor::user(target.user.id, Role::Editor);

    // claims[1]: a javascript: link in its history; claims[2] is fine.
    let mut doc: Value = serde_json::from_slice(&json_a).unwrap();
    doc["claims"][1]["history"][1]["evidence"] = json!(["javascript:alert(1)"]);
    let report = json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(serde_json::to_vec(&doc).unwrap()),
        actor,
        true,
    )
    .await
    .unwrap();
    assert!(!report.committed);
    assert_eq!((report.records, report.created, report.invalid), (3, 2, 1));
    assert_eq!(report.errors[0].position, Position::Index(1));
    assert!(
        report.errors[0].message.contains("history[1].evidence[0]"),
        "{:?}",
        report.errors
    );
    assert_eq!(counts(&target).await, empty, "an invalid record wrote");

    // NDJSON: a NUL byte on line 3 (after a blank line), a verdict whose
    // history ends elsewhere on line 4; reported by physical line.
    let lines: Vec<&str> = std::str::from_utf8(&ndjson_a).unwrap().lines().collect();
    let mut nul: Value = serde_json::from_str(lines[1]).unwrap();
    nul["quote"] = json!("At least\u{0} 826");
    let mut wrong: Value = serde_json::from_str(lines[0]).unwrap();
    wrong["status"] = json!("false");
    let body = format!("{}\n\n{}\n{}\n", lines[2], nul, wrong);
    let report = json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(body.clone().into_bytes()),
        actor,
        true,
    )
    .await
    .unwrap();
    let where_: Vec<(Position, bool)> = report
        .errors
        .iter()
        .map(|e| {
            (
                e.position,
                e.message.contains("NUL") || e.message.contains("ends at"),
            )
        })
        .collect();
    assert_eq!(
        where_,
        vec![(Position::Line(3), true), (Position::Line(4), true)],
        "{:?}",
        report.errors
    );
    assert_eq!(counts(&target).await, empty);

    // The binary says the same and fails, writing nothing.
    let file = temp_file("ndjson");
    std::fs::write(&file, &body).unwrap();
    let (ok, stdout, _) = cli(&[
        "--database-url",
        &target.db.url,
        "import",
        file.to_str().unwrap(),
        "--yes",
    ])
    .await;
    assert!(!ok);
    assert!(
        stdout.contains("line 3:") && stdout.contains("line 4:"),
        "{stdout}"
    );
    assert_eq!(counts(&target).await, empty);
    let _ = std::fs::remove_file(&file);

    // A reporter may not bring verdicts in; a file that is not JSON at all
    // or of another schema is one clear error, never a 500 or a write.
    let report = json_import::import_json(
        &mut target.db.conn().await,
        std::io::Cursor::new(json_a.clone()),
        Actor::user(target.user.id, Role::Reporter),
        true,
    )
    .await
    .unwrap();
    assert!(report
        .errors
        .iter()
        .any(|e| e.position == Position::Index(0) && e.message.contains("role")));
    for (bad, says) in [
        (
            &b"{\"schema\":\"claimdesk.export/1\",\"claims\":[{\"quote\":"[..],
            "not a readable JSON export",
        ),
        (&b"{\"schema\":\"other/9\",\"claims\":[]}"[..], "other/9"),
        (&b"   "[..], "empty"),
    ] {
        let err = json_import::import_json(
            &mut target.db.conn().await,
            std::io::Cursor::new(bad.to_vec()),
            actor,
            true,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, JsonImportError::File(m) if m.contains(says)),
            "{err:?}"
        );
    }
    assert_eq!(counts(&target).await, empty);
}

#[tokio::test]
async fn concurrent_imports_of_one_file_create_each_claim_once() {
    let source = rich_source().await;
    let (_, json_a) = download(&source.client, &source, "format=json").await;
    let target = TestApp::spawn().await;
    let actor = Actor::user(target.user.id, Role::Editor);
    let (mut c1, mut c2) = (target.db.conn().await, target.db.conn().await);
    let (a, b) = tokio::join!(
        json_import::import_json(&mut c1, std::io::Cursor::new(json_a.clone()), actor, true),
        json_import::import_json(&mut c2, std::io::Cursor::new(json_a.clone()), actor, true),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    let mut created = [a.created, b.created];
    created.sort();
    assert_eq!(created, [0, 3]);
    assert_eq!(a.skipped + b.skipped, 3);
    assert_eq!(a.stories_created + b.stories_created, 2);
    assert_eq!(counts(&target).await[..3], [2, 3, 3]);
}

#[tokio::test]
async fn an_oversized_claim_is_refused_without_reading_it_whole() {
    let target = TestApp::spawn().await;
    let empty = counts(&target).await;
    let actor = Actor::user(target.user.id, Role::Editor);
    let huge = "x".repeat(json_import::MAX_RECORD_BYTES as usize + 10);
    let claim = json!({"quote": huge, "status": "unverified",
                       "source": {"name": "S", "source_type": "other"},
                       "story": {"title": "T", "outlet": "O"}});
    let doc =
        serde_json::to_vec(&json!({"schema": "claimdesk.export/1", "claims": [claim]})).unwrap();
    let lines = format!("{claim}\n").into_bytes();
    for body in [doc, lines] {
        let err = json_import::import_json(
            &mut target.db.conn().await,
            std::io::Cursor::new(body),
            actor,
            true,
        )
        .await
        .unwrap_err();
        assert!(
            matches!(&err, JsonImportError::File(m) if m.contains("larger than") || m.contains("longer than")),
            "{err:?}"
        );
    }
    assert_eq!(counts(&target).await, empty);
}

/// The web import page takes the JSON and NDJSON exports back too: the
/// same round trip, through `/import`, and an invalid file writes nothing.
#[tokio::test]
async fn the_import_page_takes_a_json_export_back() {
    let source = rich_source().await;
    let (_, ndjson_a) = download(&source.client, &source, "format=ndjson").await;
    let expected = ndjson_claims(&ndjson_a);

    let target = TestApp::spawn().await;
    let upload = |name: &'static str, body: Vec<u8>| {
        let (content_type, form) = crate::imports::multipart(name, &body);
        target
            .client
            .post(target.url("/import"))
            .header("Content-Type", content_type)
            .body(form)
    };
    // A broken record: nothing is written, the page names its line.
    let mut broken = ndjson_a.clone();
    broken.extend_from_slice(b"{\"quote\": 5}\n");
    let res = upload("desk.ndjson", broken).send().await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("Nothing was imported"), "{html}");
    assert!(html.contains("line 4"), "{html}");
    assert_eq!(counts(&target).await[..5], [0, 0, 0, 0, 0]);

    let res = upload("desk.ndjson", ndjson_a.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("Imported 3 new claims"), "{html}");
    let (_, ndjson_b) = download(&target.client, &target, "format=ndjson").await;
    assert_eq!(ndjson_claims(&ndjson_b), expected);

    // Twice adds nothing.
    let res = upload("desk.ndjson", ndjson_a).send().await.unwrap();
    assert!(res.text().await.unwrap().contains("Imported 0 new claims"));
}
