//! Spreadsheet import: preview (create / duplicate / invalid with line
//! numbers), correction, the all-or-nothing confirm, the round trip through
//! the CSV export, and the same from the command line.

use crate::exports::{download, new_claim, new_story, Csv, TRICKY};
use crate::helpers::{bearer_client, location, textarea, unescape, TestApp};
use crate::kit::{SourceType, Status};
use claimdesk::domain::Role;
use serde_json::json;
use std::time::Duration;

// ------------------------------------------------------------------ helpers

/// A multipart/form-data body with one file field named `file`.
pub fn multipart(filename: &str, content: &[u8]) -> (String, Vec<u8>) {
    let boundary = format!("claimdesk-test-{}", uuid::Uuid::new_v4().simple());
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// POST /import{query} with `content` as the file.
pub async fn upload_with(
    c: &reqwest::Client,
    app: &TestApp,
    query: &str,
    content: &[u8],
) -> reqwest::Response {
    let (content_type, body) = multipart("claims.csv", content);
    c.post(app.url(&format!("/import{query}")))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

/// Uploads and returns the new import's id (from the redirect to its preview).
pub async fn upload(c: &reqwest::Client, app: &TestApp, content: &[u8]) -> String {
    let res = upload_with(c, app, "", content).await;
    assert_eq!(res.status(), 303, "upload");
    let to = location(&res);
    to.strip_prefix("/imports/")
        .unwrap_or_else(|| panic!("redirected to {to}"))
        .to_owned()
}

pub async fn preview(c: &reqwest::Client, app: &TestApp, id: &str) -> String {
    let res = c
        .get(app.url(&format!("/imports/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "preview {id}");
    res.text().await.unwrap()
}

pub async fn confirm(c: &reqwest::Client, app: &TestApp, id: &str) -> reqwest::Response {
    c.post(app.url(&format!("/imports/{id}/confirm")))
        .form(&[("unused", "")])
        .send()
        .await
        .unwrap()
}

pub async fn revise(
    c: &reqwest::Client,
    app: &TestApp,
    id: &str,
    content: &str,
) -> reqwest::Response {
    c.post(app.url(&format!("/imports/{id}")))
        .form(&[("content", content)])
        .send()
        .await
        .unwrap()
}

/// The number in `<strong id="{id}">`.
fn count(html: &str, id: &str) -> usize {
    let open = format!("id=\"{id}\">");
    let at = html.find(&open).unwrap_or_else(|| panic!("no #{id}")) + open.len();
    html[at..at + html[at..].find('<').unwrap()]
        .parse()
        .unwrap()
}

/// (create, duplicates, invalid) as the preview shows them.
pub fn counts(html: &str) -> (usize, usize, usize) {
    (
        count(html, "count-create"),
        count(html, "count-duplicates"),
        count(html, "count-invalid"),
    )
}

/// The invalid-rows table: (line, reason).
pub fn invalid_rows(html: &str) -> Vec<(u64, String)> {
    let Some(start) = html.find("id=\"inv-h\"") else {
        return Vec::new();
    };
    let table = &html[start..];
    let table = &table[..table.find("</section>").unwrap()];
    let line_open = "<td data-label=\"Line\">";
    let problem_open = "<td data-label=\"Problem\">";
    table
        .match_indices(line_open)
        .map(|(at, _)| {
            let rest = &table[at + line_open.len()..];
            let line = rest[..rest.find("</td>").unwrap()].parse().unwrap();
            let p = &rest[rest.find(problem_open).unwrap() + problem_open.len()..];
            (line, unescape(&p[..p.find("</td>").unwrap()]))
        })
        .collect()
}

/// (claims, stories, sources) in the database.
pub async fn totals(app: &TestApp) -> (i64, i64, i64) {
    use claimdesk::db::schema::{claims, sources, stories};
    use diesel::prelude::*;
    use diesel_async::RunQueryDsl;
    let mut conn = app.db.conn().await;
    (
        claims::table.count().get_result(&mut conn).await.unwrap(),
        stories::table.count().get_result(&mut conn).await.unwrap(),
        sources::table.count().get_result(&mut conn).await.unwrap(),
    )
}

// ---------------------------------------------------------------- preview

const PREVIEW_CSV: &str =
    "quote,source_type,source_name,story_title,story_outlet,status,status_reason
Fresh claim one,government,Existing source,Import story,AFP,,
Already here,government,existing SOURCE,Import story,AFP,,
Bad type,bogus,Someone,Import story,AFP,,
\"Multi-line
quote, with a comma\",witness,New witness,Import story,AFP,in_review,Checking it
Fresh claim one,government,Existing source,Import story,AFP,,
False without a reason,government,Existing source,Import story,AFP,false,
,government,Existing source,Import story,AFP,,
Unknown status,government,Existing source,Import story,AFP,maybe,why not
";

#[tokio::test]
async fn preview_counts_new_duplicate_and_invalid_rows_by_line_then_confirms_once() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Import story").create().await.id;
    let source = app.source().name("Existing source").create().await.id;
    app.claim(story)
        .source(source)
        .quote("Already here")
        .create()
        .await;
    let before = totals(&app).await;

    let id = upload(&app.client, &app, PREVIEW_CSV.as_bytes()).await;
    let html = preview(&app.client, &app, &id).await;
    assert_eq!(counts(&html), (2, 2, 4), "create, duplicates, invalid");
    let invalid = invalid_rows(&html);
    let lines: Vec<u64> = invalid.iter().map(|(l, _)| *l).collect();
    // Line numbers in the file: the quoted row spans lines 5 and 6.
    assert_eq!(lines, vec![4, 8, 9, 10], "{invalid:?}");
    assert!(invalid[0].1.contains("type"), "{:?}", invalid[0]);
    assert!(invalid[1].1.contains("reason"), "{:?}", invalid[1]);
    assert!(invalid[2].1.contains("quote"), "{:?}", invalid[2]);
    assert!(invalid[3].1.contains("status"), "{:?}", invalid[3]);
    assert!(html.contains(&format!("action=\"/imports/{id}/confirm\"")));
    assert_eq!(totals(&app).await, before, "a preview writes nothing");

    let res = confirm(&app.client, &app, &id).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/imports/{id}"));
    let (claims, stories, sources) = totals(&app).await;
    assert_eq!(
        (claims, stories, sources),
        (before.0 + 2, before.1, before.2 + 1),
        "two claims, the existing story, one new source"
    );
    let html = preview(&app.client, &app, &id).await;
    assert!(html.contains("2 claims created, 6 rows skipped"), "{html}");
    assert!(!html.contains("/confirm\""), "no second confirm offered");

    // The imported claims, as the API sees them.
    let listed = app.list_claims(&format!("story={story}")).await;
    assert_eq!(listed.len(), 3);
    let fresh = listed
        .iter()
        .find(|c| c.quote == "Fresh claim one")
        .unwrap();
    assert_eq!(fresh.source.id, source);
    assert_eq!(fresh.status, Status::Unverified);
    let multi = listed
        .iter()
        .find(|c| c.quote == "Multi-line\nquote, with a comma")
        .unwrap();
    assert_eq!(multi.status, Status::InReview);
    assert_eq!(multi.source.source_type, SourceType::Witness);
    let d = app.get_claim(multi).await;
    assert!(d
        .history
        .iter()
        .any(|h| h.reason.as_deref() == Some("Checking it")));

    // Confirming twice imports nothing more; a confirmed import is final.
    let res = confirm(&app.client, &app, &id).await;
    assert_eq!(res.status(), 422);
    assert_eq!(totals(&app).await, (claims, stories, sources));
    let res = revise(&app.client, &app, &id, PREVIEW_CSV).await;
    assert_eq!(res.status(), 409);

    // The same file again: everything valid is now a duplicate.
    let again = upload(&app.client, &app, PREVIEW_CSV.as_bytes()).await;
    let html = preview(&app.client, &app, &again).await;
    assert_eq!(counts(&html), (0, 4, 4));
    assert!(!html.contains("/confirm\""), "nothing to import");

    // Not a CSV of claims at all: one clear error, nothing to confirm.
    let bad = upload(&app.client, &app, b"name,age\nx,1\n").await;
    let html = preview(&app.client, &app, &bad).await;
    assert!(html.contains("Missing column"), "{html}");
    assert_eq!(counts(&html), (0, 0, 0));
    let res = confirm(&app.client, &app, &bad).await;
    assert_eq!(res.status(), 422);
    assert_eq!(totals(&app).await, (claims, stories, sources));
}

// -------------------------------------------------------- all-or-nothing

const REPORTER_CSV: &str = "story_title,story_outlet,source_name,source_type,quote,status,status_reason
Reporter import story,Reuters,Reporter new source,witness,First reporter row,,
Reporter import story,Reuters,Reporter new source,witness,Second reporter row,in_review,Looking into it
Reporter import story,Reuters,Reporter new source,witness,Third reporter row,verified,I am sure
";

#[tokio::test]
async fn a_failing_row_imports_nothing_and_the_corrected_upload_then_goes_through() {
    let app = TestApp::spawn().await;
    let reporter = bearer_client(&app.new_user(Role::Reporter, "Rex Reporter").await.token);
    let before = totals(&app).await;

    let id = upload(&reporter, &app, REPORTER_CSV.as_bytes()).await;
    let html = preview(&reporter, &app, &id).await;
    // Reporters may not give verdicts: the preview says so for that row.
    assert_eq!(counts(&html), (2, 0, 1));
    assert!(html.contains("cannot import a verdict"));

    // A failure part-way through (here a constraint the second row breaks)
    // writes nothing: not the story, the source or the first claim.
    let mut conn = app.db.conn().await;
    let add = "ALTER TABLE claims ADD CONSTRAINT test_refuse_second CHECK (quote <> 'Second reporter row')";
    diesel_async::RunQueryDsl::execute(diesel::sql_query(add), &mut conn)
        .await
        .unwrap();
    let res = confirm(&reporter, &app, &id).await;
    assert_eq!(res.status(), 500);
    assert_eq!(totals(&app).await, before, "all or nothing");
    let drop = "ALTER TABLE claims DROP CONSTRAINT test_refuse_second";
    diesel_async::RunQueryDsl::execute(diesel::sql_query(drop), &mut conn)
        .await
        .unwrap();

    // The upload is not lost: the preview still offers it for correction.
    let html = preview(&reporter, &app, &id).await;
    assert_eq!(counts(&html), (2, 0, 1));
    assert!(unescape(textarea(&html, "content")).contains("Third reporter row,verified,I am sure"));
    assert!(html.contains(&format!("action=\"/imports/{id}/confirm\"")));

    let corrected = REPORTER_CSV.replace("verified,I am sure", "in_review,Needs a second look");
    let res = revise(&reporter, &app, &id, &corrected).await;
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/imports/{id}"));
    let html = preview(&reporter, &app, &id).await;
    assert_eq!(counts(&html), (3, 0, 0));
    assert_eq!(unescape(textarea(&html, "content")), corrected);

    let res = confirm(&reporter, &app, &id).await;
    assert_eq!(res.status(), 303);
    let after = totals(&app).await;
    assert_eq!(after, (before.0 + 3, before.1 + 1, before.2 + 1));
    let statuses: Vec<Status> = app
        .list_claims("")
        .await
        .iter()
        .rev()
        .map(|c| c.status)
        .collect();
    assert_eq!(
        statuses,
        [Status::Unverified, Status::InReview, Status::InReview]
    );

    // A confirmed import cannot be confirmed twice.
    let res = confirm(&reporter, &app, &id).await;
    assert_eq!(res.status(), 422);
    assert_eq!(totals(&app).await, after);
}

/// The hidden token is the first thing inside the form whose tag contains
/// `action`, and no form action carries the token in its query string.
fn token_first_in_form(html: &str, action: &str, csrf: &str) {
    assert!(!html.contains("?csrf_token="), "token in a URL: {html}");
    let at = html
        .find(action)
        .unwrap_or_else(|| panic!("no {action} in {html}"));
    let rest = &html[at..];
    let inside = rest[rest.find('>').unwrap() + 1..].trim_start();
    let field = format!("<input type=\"hidden\" name=\"csrf_token\" value=\"{csrf}\">");
    assert!(inside.starts_with(&field), "{inside}");
}

#[tokio::test]
async fn a_browser_session_imports_with_the_token_first_in_each_form() {
    let app = TestApp::spawn().await;
    let (c, csrf) = app.login(&app.user.email, &app.user.password).await;
    let page = c
        .get(app.url("/import"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    token_first_in_form(&page, "action=\"/import\"", &csrf);
    let content = b"story_title,source_name,source_type,quote\nSession story,Session source,media,From a session\n";

    let res = upload_with(&c, &app, "", content).await;
    assert_eq!(res.status(), 403, "no token, no upload");
    let res = upload_with(&c, &app, &format!("?csrf_token={csrf}"), content).await;
    assert_eq!(res.status(), 403, "not in the query string");
    let res = upload_with_token(&c, &app, &csrf, content).await;
    assert_eq!(res.status(), 303);
    let id = location(&res).strip_prefix("/imports/").unwrap().to_owned();

    // The correction form carries the token in its body, too.
    let html = c
        .get(app.url(&format!("/imports/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    token_first_in_form(&html, &format!("action=\"/imports/{id}\""), &csrf);
    token_first_in_form(&html, &format!("action=\"/imports/{id}/confirm\""), &csrf);
    let fixed = "story_title,source_name,source_type,quote\nSession story,Session source,media,Corrected in the form\n";
    let res = revise(&c, &app, &id, fixed).await;
    assert_eq!(res.status(), 403, "no token, no revision");
    let res = c
        .post(app.url(&format!("/imports/{id}")))
        .form(&[("csrf_token", csrf.as_str()), ("content", fixed)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);

    let res = confirm(&c, &app, &id).await;
    assert_eq!(res.status(), 403, "confirm needs the token");
    let res = c
        .post(app.url(&format!("/imports/{id}/confirm")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let claims = app.list_claims("").await;
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].quote, "Corrected in the form");
}

/// POST /import as a browser does: the `csrf_token` field first, then the file.
async fn upload_with_token(
    c: &reqwest::Client,
    app: &TestApp,
    csrf: &str,
    content: &[u8],
) -> reqwest::Response {
    let boundary = "----claimdeskTestBoundary7MA4YWxkTrZu0gW";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"claims.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(content);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    c.post(app.url("/import"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap()
}

// ------------------------------------------------------------- round trip

/// The tricky quotes on a story with a URL, with summaries, dates, places
/// and verdicts (no evidence: the CSV carries only its count).
async fn round_trip_claims(app: &TestApp) {
    let story = new_story(
        app,
        "Round trip: \"ring of steel\", Damascus",
        Some("https://example.org/news/round-trip"),
    )
    .await;
    let sources = [
        app.source().kind(SourceType::Witness).create().await.id,
        app.source().kind(SourceType::Monitor).create().await.id,
        app.source().kind(SourceType::Military).create().await.id,
    ];
    let statuses = ["false", "in_review", "verified", "unverified", "disputed"];
    for (i, quote) in TRICKY.iter().enumerate() {
        let mut body = json!({
            "story_id": story,
            "source_id": sources[i % 3],
            "quote": quote,
            "is_paraphrase": i % 4 == 1,
        });
        if i % 3 == 0 {
            body["summary"] = json!(format!("-Summary {i}, \"quoted\"\nover two lines"));
            body["claimed_at"] = json!("2024-12-07T10:30:00Z");
            body["claimed_where"] = json!("@Damascus, state TV");
        }
        let id = new_claim(app, body).await;
        let status = statuses[i % statuses.len()];
        let reason = format!("+Reason {i}, with \"quotes\"");
        app.give(&id, status.parse().unwrap(), &reason, &[]).await;
    }
}

#[tokio::test]
async fn export_then_import_into_an_empty_database_then_export_gives_the_same_rows() {
    let source = TestApp::spawn_seeded().await;
    round_trip_claims(&source).await;
    let (_, original) = download(&source.client, &source, "format=csv").await;
    let original = Csv::parse(&original);
    assert!(original.rows.len() > 40, "seeds plus the tricky claims");
    // Upload the Excel flavour: the BOM must not get in the way.
    let (_, with_bom) = download(&source.client, &source, "format=csv&bom=1").await;

    let target = TestApp::spawn().await;
    assert_eq!(totals(&target).await.0, 0);
    let id = upload(&target.client, &target, &with_bom).await;
    let html = preview(&target.client, &target, &id).await;
    assert_eq!(
        counts(&html),
        (original.rows.len(), 0, 0),
        "{:?}",
        invalid_rows(&html)
    );
    let res = confirm(&target.client, &target, &id).await;
    assert_eq!(res.status(), 303);

    let (_, again) = download(&target.client, &target, "format=csv").await;
    let again = Csv::parse(&again);
    assert_eq!(again.header, original.header);
    let (a, b) = (original.without_ids(), again.without_ids());
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(&b) {
        assert_eq!(x, y, "a row changed on the round trip");
    }

    // Importing the same file again finds only duplicates.
    let id = upload(&target.client, &target, &with_bom).await;
    let html = preview(&target.client, &target, &id).await;
    assert_eq!(counts(&html), (0, original.rows.len(), 0));
}

// -------------------------------------------------------------------- CLI

pub async fn cli(args: &[&str], envs: &[(&str, &str)]) -> (bool, String, String) {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdesk"));
    cmd.args(args).kill_on_drop(true);
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .unwrap_or_else(|_| panic!("claimdesk {args:?} did not finish"))
        .unwrap();
    (
        out.status.success(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn temp_file(ext: &str) -> std::path::PathBuf {
    std::env::temp_dir().join(format!(
        "claimdesk-test-{}.{ext}",
        uuid::Uuid::new_v4().simple()
    ))
}

#[tokio::test]
async fn the_cli_exports_to_a_file_or_stdout_and_imports_with_yes() {
    let source = TestApp::spawn_seeded().await;
    round_trip_claims(&source).await;
    let db = source.db.url.clone();
    let out = temp_file("csv");
    let out_s = out.to_str().unwrap();

    // export --out: the same bytes as the download.
    let (ok, _, err) = cli(
        &[
            "--database-url",
            &db,
            "export",
            "--format",
            "csv",
            "--out",
            out_s,
        ],
        &[],
    )
    .await;
    assert!(ok, "export failed: {err}");
    let file = std::fs::read(&out).unwrap();
    let (_, http) = download(&source.client, &source, "format=csv").await;
    assert_eq!(file, http, "CLI and HTTP exports differ");

    // To stdout, filtered; logging (even verbose) never mixes into the data.
    let story = source.list_claims("").await[0].story.id.to_string();
    let (ok, stdout, err) = cli(
        &[
            "--database-url",
            &db,
            "export",
            "--format",
            "claimreview",
            "--story",
            &story,
        ],
        // The test server's public address is where it listens.
        &[
            ("RUST_LOG", "debug"),
            ("CLAIMDESK_PUBLIC_BASE_URL", source.addr.as_str()),
        ],
    )
    .await;
    assert!(ok, "export failed: {err}");
    let (_, http) = download(
        &source.client,
        &source,
        &format!("format=claimreview&story={story}"),
    )
    .await;
    assert_eq!(stdout.as_bytes(), &http[..]);
    let (ok, stdout, err) = cli(
        &[
            "--database-url",
            &db,
            "export",
            "--format",
            "ndjson",
            "--status",
            "verified",
        ],
        &[],
    )
    .await;
    assert!(ok, "export failed: {err}");
    let verified = source.list_claims("status=verified").await.len();
    assert!(verified > 0);
    assert_eq!(stdout.lines().count(), verified);
    assert!(stdout
        .lines()
        .all(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["status"] == "verified"));
    let (ok, _, err) = cli(&["--database-url", &db, "export", "--format", "xml"], &[]).await;
    assert!(!ok && err.contains("--format"), "{err}");

    // import without --yes: a preview only.
    let target = TestApp::spawn().await;
    let tdb = target.db.url.clone();
    let rows = Csv::parse(&file).rows.len();
    let (ok, stdout, err) = cli(&["--database-url", &tdb, "import", out_s], &[]).await;
    assert!(ok, "import failed: {err}");
    assert!(
        stdout.contains(&format!(
            "to create: {rows}  already recorded: 0  invalid: 0"
        )),
        "{stdout}"
    );
    assert!(stdout.contains("nothing written"), "{stdout}");
    assert_eq!(totals(&target).await.0, 0);

    // --yes imports everything; the database then exports the same rows.
    let (ok, stdout, err) = cli(&["--database-url", &tdb, "import", out_s, "--yes"], &[]).await;
    assert!(ok, "import failed: {err}");
    assert!(
        stdout.contains(&format!("imported {rows} claims, skipped 0 rows")),
        "{stdout}"
    );
    let (_, again) = download(&target.client, &target, "format=csv").await;
    assert_eq!(
        Csv::parse(&again).without_ids(),
        Csv::parse(&file).without_ids()
    );

    // Again: all duplicates, nothing written.
    let (ok, stdout, _) = cli(&["--database-url", &tdb, "import", out_s, "--yes"], &[]).await;
    assert!(ok);
    assert!(
        stdout.contains(&format!("imported 0 claims, skipped {rows} rows")),
        "{stdout}"
    );
    assert_eq!(totals(&target).await.0, rows as i64);

    // Invalid rows are listed by line; a file without the columns fails.
    let bad = temp_file("csv");
    std::fs::write(
        &bad,
        "story_title,source_name,source_type,quote\nS,N,bogus,Q\nS,N,media,Fine\n",
    )
    .unwrap();
    let bad_s = bad.to_str().unwrap();
    let (ok, stdout, _) = cli(&["--database-url", &tdb, "import", bad_s], &[]).await;
    assert!(ok);
    assert!(stdout.contains("invalid: 1"), "{stdout}");
    assert!(stdout.contains("line 2: "), "{stdout}");
    std::fs::write(&bad, "name,age\nx,1\n").unwrap();
    let (ok, _, err) = cli(&["--database-url", &tdb, "import", bad_s, "--yes"], &[]).await;
    assert!(!ok && err.contains("Missing column"), "{err}");
    assert_eq!(totals(&target).await.0, rows as i64);

    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&bad);
}
