//! The import under attack (issue 7, items 9, 10, 12, 18): someone else's
//! upload, hostile bytes, oversized files, concurrent uploads by one user,
//! a client that leaves; and the preview's paging, line numbers and
//! statuses, stored once at upload.

use crate::helpers::{bearer_client, create_user, location, unescape, TestApp, TestDb};
use crate::imports::{
    cli, confirm, counts, invalid_rows, multipart, preview, revise, temp_file, totals, upload,
    upload_with,
};
use crate::kit::Status;
use claimdesk::domain::Role;
use diesel::prelude::*;
use diesel_async::{AsyncConnection, RunQueryDsl};
use std::time::{Duration, Instant};

const HEADER: &str = "story_title,story_outlet,source_name,source_type,quote,status,status_reason";

/// `n` valid rows with distinct quotes.
fn rows(n: usize, tag: &str) -> String {
    let mut out = format!("{HEADER}\n");
    for i in 0..n {
        out.push_str(&format!(
            "Attack story,AFP,Source {},government,{tag} claim number {i},,\n",
            i % 50
        ));
    }
    out
}

/// Rows of each import table: (imports, import_rows).
async fn stored(db: &TestDb) -> (i64, i64) {
    use claimdesk::db::schema::{import_rows, imports};
    let mut conn = db.conn().await;
    (
        imports::table.count().get_result(&mut conn).await.unwrap(),
        import_rows::table
            .count()
            .get_result(&mut conn)
            .await
            .unwrap(),
    )
}

async fn audit_rows(db: &TestDb) -> i64 {
    use claimdesk::db::schema::audit_log;
    let mut conn = db.conn().await;
    audit_log::table
        .count()
        .get_result(&mut conn)
        .await
        .unwrap()
}

// ----------------------------------------------------------- ownership

#[tokio::test]
async fn another_reporter_gets_404_on_someone_elses_import_while_an_editor_may() {
    let app = TestApp::spawn().await;
    let owner = bearer_client(&app.new_user(Role::Reporter, "Owner Reporter").await.token);
    let other = bearer_client(&app.new_user(Role::Reporter, "Other Reporter").await.token);
    let content = rows(3, "Owned");
    let id = upload(&owner, &app, content.as_bytes()).await;
    let before = totals(&app).await;

    let res = other
        .get(app.url(&format!("/imports/{id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404, "view");
    let res = revise(&other, &app, &id, &rows(1, "Hijacked")).await;
    assert_eq!(res.status(), 404, "revise");
    let res = confirm(&other, &app, &id).await;
    assert_eq!(res.status(), 404, "confirm");
    // Same answer as for an import that does not exist.
    let res = other
        .get(app.url(&format!("/imports/{}", uuid::Uuid::new_v4())))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 404);
    assert_eq!(totals(&app).await, before, "nothing imported");
    let html = preview(&owner, &app, &id).await;
    assert_eq!(counts(&html), (3, 0, 0), "the owner's file is untouched");
    assert!(!html.contains("Hijacked"));

    // An editor reviews everyone's imports.
    let html = preview(&app.client, &app, &id).await;
    assert_eq!(counts(&html), (3, 0, 0));
    let res = confirm(&app.client, &app, &id).await;
    assert_eq!(res.status(), 303);
    assert_eq!(totals(&app).await.0, before.0 + 3);
}

// ------------------------------------------------------ lines and statuses

#[tokio::test]
async fn a_crlf_file_reports_the_physical_line_of_an_invalid_row() {
    let app = TestApp::spawn().await;
    // The app's own export is CRLF; a quoted cell spans lines 3 and 4.
    let content = format!(
        "{HEADER}\r\n\
         S,AFP,N,media,first,,\r\n\
         S,AFP,N,media,\"two\r\nlines\",,\r\n\
         \r\n\
         S,AFP,N,bogus,bad type,,\r\n"
    );
    let id = upload(&app.client, &app, content.as_bytes()).await;
    let html = preview(&app.client, &app, &id).await;
    assert_eq!(counts(&html), (2, 0, 1));
    let invalid = invalid_rows(&html);
    assert_eq!(invalid[0].0, 6, "{invalid:?}");
    assert!(invalid[0].1.contains("type"));
}

#[tokio::test]
async fn a_status_of_false_in_any_case_is_accepted() {
    let app = TestApp::spawn().await;
    let content = format!(
        "{HEADER}\nS,AFP,N,media,upper,FALSE,Debunked\nS,AFP,N,media,title,False,Debunked\n\
         S,AFP,N,media,mixed,In_Review,Checking\n"
    );
    let id = upload(&app.client, &app, content.as_bytes()).await;
    let html = preview(&app.client, &app, &id).await;
    assert_eq!(counts(&html), (3, 0, 0), "{:?}", invalid_rows(&html));
    assert_eq!(confirm(&app.client, &app, &id).await.status(), 303);
    let mut statuses: Vec<Status> = app.list_claims("").await.iter().map(|c| c.status).collect();
    statuses.sort();
    assert_eq!(statuses, [Status::InReview, Status::False, Status::False]);
}

// ------------------------------------------------------------------ CLI

#[tokio::test]
async fn the_cli_preview_writes_nothing() {
    let app = TestApp::spawn().await;
    let file = temp_file("csv");
    std::fs::write(&file, format!("{}S,AFP,N,bogus,bad,,\n", rows(5, "Shell"))).unwrap();
    let path = file.to_str().unwrap();
    let before = (
        stored(&app.db).await,
        audit_rows(&app.db).await,
        totals(&app).await,
    );

    let (ok, stdout, err) = cli(&["--database-url", &app.db.url, "import", path], &[]).await;
    assert!(ok, "{err}");
    assert!(
        stdout.contains("to create: 5  already recorded: 0  invalid: 1"),
        "{stdout}"
    );
    assert!(stdout.contains("line 7: "), "{stdout}");
    let after = (
        stored(&app.db).await,
        audit_rows(&app.db).await,
        totals(&app).await,
    );
    assert_eq!(after, before, "a preview writes nothing at all");

    // A NUL byte is one invalid row from the shell too, never a crash.
    std::fs::write(&file, format!("{}S,AFP,N,media,a\0b,,\n", rows(1, "Nul"))).unwrap();
    let (ok, stdout, err) = cli(
        &["--database-url", &app.db.url, "import", path, "--yes"],
        &[],
    )
    .await;
    assert!(ok, "{err}");
    assert!(
        stdout.contains("line 3: quote: contains a NUL byte"),
        "{stdout}"
    );
    assert!(
        stdout.contains("imported 1 claims, skipped 1 rows"),
        "{stdout}"
    );
    let _ = std::fs::remove_file(&file);
}

// ----------------------------------------------------------- hostile bytes

#[tokio::test]
async fn a_nul_byte_or_invalid_utf8_is_a_clear_error_not_a_500() {
    let app = TestApp::spawn().await;
    let before = stored(&app.db).await;
    let with_nul = format!("{HEADER}\nS,AFP,N,media,a\0b,,\n");
    let res = upload_with(&app.client, &app, "", with_nul.as_bytes()).await;
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("NUL byte (line 2)"), "{html}");
    let mut latin1 = format!("{HEADER}\nS,AFP,N,media,caf").into_bytes();
    latin1.extend_from_slice(b"\xe9,,\n");
    let res = upload_with(&app.client, &app, "", &latin1).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not UTF-8"));
    assert_eq!(stored(&app.db).await, before, "nothing stored");

    // The correction form refuses them too, and keeps the stored file.
    let id = upload(&app.client, &app, rows(1, "Clean").as_bytes()).await;
    let res = revise(&app.client, &app, &id, &with_nul).await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("NUL byte"));
    let res = app
        .post_raw(
            &format!("/imports/{id}"),
            "application/x-www-form-urlencoded",
            b"content=caf%E9".to_vec(),
        )
        .await;
    assert_eq!(res.status(), 422);
    assert!(res.text().await.unwrap().contains("not UTF-8"));
    assert_eq!(counts(&preview(&app.client, &app, &id).await), (1, 0, 0));
}

// ------------------------------------------------------------------ caps

/// A server with small import caps, and an editor's client for it.
async fn capped(
    max_bytes: usize,
    max_rows: u64,
) -> (
    TestDb,
    String,
    reqwest::Client,
    actix_web::dev::ServerHandle,
) {
    let db = TestDb::new().await;
    let user = create_user(&db, Role::Editor, "Capped Editor").await;
    let (addr, handle) = crate::helpers::spawn_server_tuned(&db.url, |s| {
        s.import = claimdesk::config::ImportLimits {
            import_max_bytes: max_bytes,
            import_max_rows: max_rows,
        }
    });
    (db, addr, bearer_client(&user.token), handle)
}

async fn post_file(c: &reqwest::Client, addr: &str, content: &[u8]) -> reqwest::Response {
    let (content_type, body) = multipart("claims.csv", content);
    c.post(format!("{addr}/import"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_row_and_byte_caps_answer_413_with_a_clear_page() {
    let (db, addr, c, handle) = capped(4000, 5).await;
    let res = post_file(&c, &addr, rows(6, "Six").as_bytes()).await;
    assert_eq!(res.status(), 413);
    let html = res.text().await.unwrap();
    assert!(html.contains("more than 5 rows"), "{html}");
    let big = format!("{HEADER}\nS,AFP,N,media,{},,\n", "x".repeat(5000));
    let res = post_file(&c, &addr, big.as_bytes()).await;
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("larger than"));
    assert_eq!(stored(&db).await, (0, 0), "nothing stored");

    // Within the caps it goes through; a correction over the cap is refused.
    let res = post_file(&c, &addr, rows(5, "Five").as_bytes()).await;
    assert_eq!(res.status(), 303);
    let at = location(&res);
    let res = c
        .post(format!("{addr}{at}"))
        .form(&[("content", rows(6, "Six").as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 413);
    assert!(res.text().await.unwrap().contains("more than 5 rows"));
    assert_eq!(stored(&db).await, (1, 5), "the stored preview is unchanged");
    drop(handle.stop(false));
}

// ------------------------------------------------------------ concurrency

#[tokio::test]
async fn two_concurrent_uploads_by_one_user_run_one_at_a_time() {
    let app = TestApp::spawn().await;
    let reporter = app.new_user(Role::Reporter, "Busy Reporter").await;
    let c = bearer_client(&reporter.token);

    // While an import of this user runs (its lock held), another is refused
    // with a clear 429; other users are not held up.
    let mut held = app.db.conn().await;
    diesel::sql_query("BEGIN").execute(&mut held).await.unwrap();
    diesel::sql_query(format!(
        "SELECT pg_advisory_xact_lock(727275, hashtext('{}'))",
        reporter.id
    ))
    .execute(&mut held)
    .await
    .unwrap();
    let res = upload_with(&c, &app, "", rows(2, "Second").as_bytes()).await;
    assert_eq!(res.status(), 429);
    assert!(res.headers().contains_key("retry-after"));
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("Another import of yours"));
    let other = upload(&app.client, &app, rows(2, "Editor").as_bytes()).await;
    let res = confirm(&c, &app, &other).await;
    assert_eq!(res.status(), 404, "not the reporter's");
    diesel::sql_query("COMMIT")
        .execute(&mut held)
        .await
        .unwrap();
    upload(&c, &app, rows(2, "After").as_bytes()).await;

    // Two real uploads at once: one runs, the other is refused.
    let big = rows(8000, "Race");
    let (a, b) = tokio::join!(
        upload_with(&c, &app, "", big.as_bytes()),
        upload_with(&c, &app, "", big.as_bytes())
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [303, 429]);
}

// ------------------------------------------------------------ the preview

#[tokio::test]
async fn preview_pages_show_row_150_of_300_invalid_rows_on_page_2() {
    let app = TestApp::spawn().await;
    let mut content = format!("{HEADER}\n");
    for i in 1..=300 {
        content.push_str(&format!("S,AFP,N,bogus,invalid number {i},,\n"));
    }
    let id = upload(&app.client, &app, content.as_bytes()).await;
    let first = preview(&app.client, &app, &id).await;
    assert_eq!(counts(&first), (0, 0, 300));
    let lines = |html: &str| invalid_rows(html).iter().map(|r| r.0).collect::<Vec<_>>();
    // Row n of the file is on line n + 1.
    assert_eq!(lines(&first), (2..=101).collect::<Vec<_>>());
    assert!(first.contains("Page 1 of 3"));
    let next = format!("href=\"/imports/{id}?create=1&duplicates=1&invalid=2#inv-h\"");
    assert!(unescape(&first).contains(&next), "{first}");
    let second = preview(&app.client, &app, &format!("{id}?invalid=2")).await;
    assert!(lines(&second).contains(&151), "{:?}", lines(&second));
    assert_eq!(lines(&second), (102..=201).collect::<Vec<_>>());
    let last = preview(&app.client, &app, &format!("{id}?invalid=99")).await;
    assert_eq!(
        lines(&last),
        (202..=301).collect::<Vec<_>>(),
        "past the end: the last page"
    );
}

#[tokio::test]
async fn the_preview_is_computed_once_at_upload_and_read_back_after() {
    use claimdesk::db::schema::imports;
    let app = TestApp::spawn().await;
    let id = upload(&app.client, &app, rows(3, "Once").as_bytes()).await;
    let uuid: uuid::Uuid = id.parse().unwrap();
    let previewed = |db: &TestDb| {
        let url = db.url.clone();
        async move {
            let mut conn = diesel_async::AsyncPgConnection::establish(&url)
                .await
                .unwrap();
            imports::table
                .find(uuid)
                .select(imports::previewed_at)
                .first::<Option<chrono::DateTime<chrono::Utc>>>(&mut conn)
                .await
                .unwrap()
        }
    };
    let at = previewed(&app.db).await;
    assert!(at.is_some());
    assert_eq!(stored(&app.db).await, (1, 3));

    // Someone records one of the rows meanwhile: opening the page does not
    // match the file again (it shows what was stored), and stores nothing.
    let story = app.story().title("Attack story").create().await.id;
    let source = app.source().name("Source 0").create().await.id;
    app.claim(story)
        .source(source)
        .quote("Once claim number 0")
        .create()
        .await;
    for _ in 0..2 {
        let html = preview(&app.client, &app, &id).await;
        assert_eq!(counts(&html), (3, 0, 0));
    }
    assert_eq!(previewed(&app.db).await, at);
    assert_eq!(stored(&app.db).await, (1, 3));

    // The confirm checks again and skips the row recorded since.
    assert_eq!(confirm(&app.client, &app, &id).await.status(), 303);
    let html = preview(&app.client, &app, &id).await;
    assert!(html.contains("2 claims created, 1 rows skipped"), "{html}");

    // Purging an import purges its preview.
    let mut conn = app.db.conn().await;
    diesel::delete(imports::table)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(stored(&app.db).await, (0, 0));
}

#[tokio::test]
async fn a_client_that_leaves_mid_preview_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let big = rows(20_000, "Left");
    // How long the whole preview takes here.
    let started = Instant::now();
    upload(&app.client, &app, big.as_bytes()).await;
    let full = started.elapsed();
    assert_eq!(stored(&app.db).await, (1, 20_000));
    // Over 1 MB, the file itself is not kept: its stored preview is enough.
    assert!(big.len() > 1024 * 1024);
    let id = {
        use claimdesk::db::schema::imports;
        let mut conn = app.db.conn().await;
        let (id, kept): (uuid::Uuid, bool) = imports::table
            .select((imports::id, imports::content_kept))
            .first(&mut conn)
            .await
            .unwrap();
        assert!(!kept);
        id
    };
    let html = preview(&app.client, &app, &id.to_string()).await;
    assert!(html.contains("not kept for correcting"), "{html}");
    assert!(!crate::kit::Page::parse(&html).exists("textarea"));

    let (content_type, body) = multipart("claims.csv", big.as_bytes());
    let quick = reqwest::Client::builder()
        .timeout(full / 5)
        .build()
        .unwrap();
    let res = quick
        .post(app.url("/import"))
        .bearer_auth(&app.user.token)
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await;
    assert!(res.is_err(), "the client gave up first");
    tokio::time::sleep(full * 2 + Duration::from_secs(1)).await;
    assert_eq!(
        stored(&app.db).await,
        (1, 20_000),
        "the abandoned upload left nothing"
    );
    // And its connection is not still busy.
    #[derive(diesel::QueryableByName)]
    struct Busy {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.db.conn().await;
    let busy: Busy = diesel::sql_query(
        "SELECT count(*) AS n FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid() AND state <> 'idle'",
    )
    .get_result(&mut conn)
    .await
    .unwrap();
    assert_eq!(busy.n, 0);
}
