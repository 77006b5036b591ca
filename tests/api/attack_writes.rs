//! Attacks on what the desk writes and hands on (issue 7, "Writes"):
//! hostile URLs and text in Markdown reports and ClaimReview, HTML forms
//! without a version, NUL bytes and invalid UTF-8, reports cut at 5,000
//! claims, and the order of evidence.

use crate::exports::download;
use crate::helpers::{unescape, TestApp};
use crate::kit::{read, ApiError, Page, SourceType, Status};
use claimdesk::domain::Role;
use diesel_async::RunQueryDsl;
use serde_json::{json, Value};

const PAYLOAD: &str = "https://example.org/x><img src=x onerror=alert(1)>";

/// Every `<` in the Markdown opens an autolink whose target cannot close
/// early or carry markup: `<http(s)://…>` with no space, quote or bracket.
fn assert_no_live_html(md: &str, what: &str) {
    assert!(!md.contains("<img"), "{what} carries <img:\n{md}");
    assert!(!md.contains("<script"), "{what} carries <script:\n{md}");
    let mut rest = md;
    while let Some(at) = rest.find('<') {
        let tail = &rest[at + 1..];
        let end = tail
            .find('>')
            .unwrap_or_else(|| panic!("{what}: unclosed < in\n{md}"));
        let target = &tail[..end];
        assert!(
            (target.starts_with("https://") || target.starts_with("http://"))
                && !target.contains(['<', ' ', '"', '\'', '\n', '\r', '`'])
                && target.is_ascii(),
            "{what}: raw < that is not a clean autolink: <{target}>\n{md}"
        );
        rest = &tail[end + 1..];
    }
}

#[tokio::test]
async fn urls_are_stored_normalised_and_markdown_reports_carry_no_live_html() {
    let app = TestApp::spawn().await;
    let story = app
        .story()
        .title("Story <b>bold</b> *x*")
        .url(PAYLOAD)
        .create()
        .await;
    let stored = app.get_story(&story).await;
    assert_eq!(
        stored.url.as_deref(),
        Some("https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
    );
    let source = app
        .source()
        .name("Source <img src=x onerror=alert(2)>")
        .kind(SourceType::Witness)
        .create()
        .await;
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Line one\r# Injected heading\r\n<script>alert(3)</script>\u{2028}- list")
        .create()
        .await;
    let id = claim.id;
    let detail = app
        .give(
            &claim,
            Status::False,
            "Reason <img src=x onerror=alert(4)>\r\n\r\n<div>block</div>",
            &[PAYLOAD, "https://example.org/ok?a=1&b=2"],
        )
        .await;
    assert_eq!(
        detail.history[0].evidence,
        [
            "https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E",
            "https://example.org/ok?a=1&b=2"
        ]
    );
    let (story, source) = (story.id, source.id);

    // The review URL goes through the same rule.
    let res = app.set_review_url(&id.to_string(), PAYLOAD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        app.get_claim(id).await.review_url.as_deref(),
        Some("https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E")
    );

    // Rows stored before this rule hold the raw text: output must be safe anyway.
    let legacy = app
        .story()
        .title("Legacy story")
        .url("https://example.org/legacy")
        .create()
        .await;
    let old = app
        .claim(&legacy)
        .source(source)
        .quote("Old claim")
        .create()
        .await;
    app.give(&old, Status::Verified, "Old", &["https://example.org/old"])
        .await;
    let (legacy, old) = (legacy.id.to_string(), old.id);
    let raw = PAYLOAD.replace('\'', "''");
    app.sql(&format!(
        "UPDATE stories SET url = '{raw}' WHERE id = '{legacy}'"
    ))
    .await;
    app.sql(&format!(
        "UPDATE evidence SET url = '{raw} \"q\"' WHERE claim_id = '{old}'"
    ))
    .await;

    for path in [
        format!("/stories/{story}/report?format=md"),
        format!("/stories/{legacy}/report?format=md"),
        format!("/sources/{source}/report?format=md"),
    ] {
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200, "{path}");
        let md = res.text().await.unwrap();
        assert_no_live_html(&md, &path);
        // No stored text starts a line of its own.
        for line in md.lines() {
            assert!(!line.starts_with("# Injected"), "{path}: {line}");
            assert!(!line.starts_with("- list"), "{path}: {line}");
            assert!(!line.starts_with("<div"), "{path}: {line}");
        }
        if path.contains(&legacy) {
            assert!(
                md.contains("<https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E>"),
                "{md}"
            );
        }
    }
    let md = app
        .get(&format!("/stories/{story}/report?format=md"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        md.starts_with("# Story &lt;b&gt;bold&lt;/b&gt; \\*x\\*\n"),
        "{md}"
    );
    assert!(
        md.contains("  - Evidence: <https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E>"),
        "{md}"
    );
    assert!(
        md.contains("  - Evidence: <https://example.org/ok?a=1&b=2>"),
        "{md}"
    );
}

#[tokio::test]
async fn the_bulk_claimreview_export_is_safe_inside_a_script_block() {
    let app = TestApp::spawn().await;
    let story = app
        .story()
        .title("ClaimReview story")
        .url(PAYLOAD)
        .create()
        .await;
    let source = app
        .source()
        .name("</script><script>alert(1)</script> & co")
        .create()
        .await;
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("Quote </script><img src=x onerror=alert(1)> \u{2028}\u{2029} &amp;")
        .create()
        .await;
    app.give(&claim, Status::False, "Contradicted", &[]).await;
    let id = claim.id;
    let (_, body) = download(&app.client, &app, "format=claimreview").await;
    let text = String::from_utf8(body).unwrap();
    for c in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
        assert!(!text.contains(c), "{c:?} in the export:\n{text}");
    }
    let v: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v[0]["itemReviewed"]["author"]["name"],
        "</script><script>alert(1)</script> & co"
    );
    assert!(v[0]["claimReviewed"]
        .as_str()
        .unwrap()
        .contains("</script><img"));

    // The claim page's JSON-LD follows the same rule (one function for both).
    let page = app.view(&format!("/claims/{id}")).await;
    let area = page.exact_text("#claimreview-jsonld");
    for c in ['<', '>', '&', '\u{2028}', '\u{2029}'] {
        assert!(!area.contains(c), "{c:?} in the page's JSON-LD:\n{area}");
    }
}

/// A form's fields, owned.
type Form = Vec<(&'static str, String)>;

/// (status, body) of a form POST.
async fn post(app: &TestApp, path: &str, form: &[(&str, &str)]) -> (u16, String) {
    let res = app.post_form(path, form).await;
    let status = res.status().as_u16();
    (status, unescape(&res.text().await.unwrap()))
}

#[tokio::test]
async fn html_forms_without_a_version_are_refused_with_428_and_keep_the_input() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Versioned story").create().await;
    let source = app.source().name("Versioned source").create().await;
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("The original wording")
        .create()
        .await;
    let id = claim.id;
    let (story, source) = (story.id.to_string(), source.id.to_string());

    for version in [None, Some(""), Some("abc"), Some("1.0")] {
        let with = |mut f: Form| {
            if let Some(v) = version {
                f.push(("version", v.to_owned()));
            }
            f
        };
        let cases: Vec<(String, Form, &str)> = vec![
            (
                format!("/claims/{id}/edit"),
                with(vec![
                    ("story_id", story.clone()),
                    ("source_id", source.clone()),
                    ("quote", "Blind overwrite of the quote".into()),
                ]),
                "Blind overwrite of the quote",
            ),
            (
                format!("/claims/{id}/status"),
                with(vec![
                    ("status", "in_review".into()),
                    ("reason", "Blind status reason".into()),
                ]),
                "Blind status reason",
            ),
            (
                format!("/sources/{source}/edit"),
                with(vec![
                    ("name", "Blind source name".into()),
                    ("source_type", "military".into()),
                ]),
                "Blind source name",
            ),
            (
                format!("/stories/{story}/edit"),
                with(vec![
                    ("title", "Blind story title".into()),
                    ("outlet", "AFP".into()),
                ]),
                "Blind story title",
            ),
        ];
        for (path, form, typed) in cases {
            let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
            let res = app.post_form(&path, &form).await;
            assert_eq!(res.status(), 428, "{path} with version {version:?}");
            let page = Page::parse(&res.text().await.unwrap());
            assert!(
                page.select("form input, form textarea").iter().any(|e| {
                    e.value().attr("value") == Some(typed) || crate::kit::html::text_of(*e) == typed
                }),
                "{path}: the input is kept"
            );
            assert!(
                page.shows("without the version"),
                "{path}: the page says why"
            );
            // The re-rendered form carries the current version, so a
            // conscious resubmission goes through.
            assert!(
                page.attrs("form input[name=version]", "value")
                    .contains(&"1".to_owned()),
                "{path}: current version in the form"
            );
        }
    }
    // Nothing was written.
    let c = app.get_claim(id).await;
    assert_eq!((c.version, c.status), (1, Status::Unverified));
    assert_eq!(c.quote, "The original wording");
    let s = app.get_source(c.source_id).await;
    assert_eq!((s.version, s.name.as_str()), (1, "Versioned source"));
    let st = app.get_story(c.story_id).await;
    assert_eq!((st.version, st.title.as_str()), (1, "Versioned story"));

    // The browser flow (the forms send their version) still works.
    for (path, form) in [
        (
            format!("/claims/{id}/edit"),
            vec![
                ("story_id", story.as_str()),
                ("source_id", source.as_str()),
                ("quote", "Edited wording"),
                ("version", "1"),
            ],
        ),
        (
            format!("/claims/{id}/status"),
            vec![
                ("status", "in_review"),
                ("reason", "Checking"),
                ("version", "2"),
            ],
        ),
        (
            format!("/sources/{source}/edit"),
            vec![
                ("name", "Renamed"),
                ("source_type", "military"),
                ("version", "1"),
            ],
        ),
        (
            format!("/stories/{story}/edit"),
            vec![("title", "Retitled"), ("outlet", "AFP"), ("version", "1")],
        ),
    ] {
        let res = app.post_form(&path, &form).await;
        assert_eq!(res.status(), 303, "{path}: {}", res.text().await.unwrap());
    }
    let c = app.get_claim(id).await;
    assert_eq!((c.version, c.status), (3, Status::InReview));
}

#[tokio::test]
async fn nul_bytes_are_refused_with_422_or_400_never_500() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let source = app.source().create().await;
    let claim = app
        .claim(&story)
        .source(&source)
        .quote("A clean claim")
        .create()
        .await;
    let (story, source, id) = (story.id, source.id.to_string(), claim.id);
    let nul = "before\u{0}after";

    // JSON fields: 422 with the field named.
    let json_cases = [
        (
            "/api/claims".to_owned(),
            json!({ "story_id": story, "source_id": source, "quote": nul }),
            "quote",
        ),
        (
            "/api/claims".to_owned(),
            json!({ "story_id": story, "source_id": source, "quote": "q", "summary": nul }),
            "summary",
        ),
        (
            "/api/claims".to_owned(),
            json!({ "story_id": story, "source_id": source, "quote": "q2", "claimed_where": nul }),
            "claimed_where",
        ),
        (
            "/api/claims".to_owned(),
            json!({ "story_id": story, "source_id": source, "quote": "q3",
                    "figures": [{ "label": nul, "min": 3 }] }),
            "figures",
        ),
        (
            "/api/sources".to_owned(),
            json!({ "name": nul, "source_type": "witness" }),
            "name",
        ),
        (
            "/api/sources".to_owned(),
            json!({ "name": "ok", "source_type": "witness", "affiliation": nul }),
            "affiliation",
        ),
        (
            "/api/stories".to_owned(),
            json!({ "title": nul, "outlet": "AFP" }),
            "title",
        ),
        (
            "/api/stories".to_owned(),
            json!({ "title": "ok", "outlet": "AFP", "notes": nul }),
            "notes",
        ),
        (
            format!("/api/claims/{id}/status"),
            json!({ "status": "in_review", "reason": nul, "version": 1 }),
            "reason",
        ),
    ];
    for (path, body, field) in json_cases {
        let res = app.post_json(&path, &body).await;
        let err: ApiError = read(res, 422).await;
        assert!(
            err.field(field).contains("control characters"),
            "{path}: {err:?}"
        );
    }

    // Forms: 422, the message on the field, the rest of the input kept.
    let (status, body) = post(
        &app,
        &format!("/stories/{story}/claims"),
        &[
            ("source_id", &source),
            ("quote", nul),
            ("summary", "Kept summary"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("control characters") && body.contains("Kept summary"));
    let (status, body) = post(
        &app,
        "/sources",
        &[
            ("name", nul),
            ("source_type", "witness"),
            ("affiliation", "Kept affiliation"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(body.contains("control characters") && body.contains("Kept affiliation"));
    let (status, body) = post(
        &app,
        &format!("/claims/{id}/status"),
        &[("status", "in_review"), ("reason", nul), ("version", "1")],
    )
    .await;
    assert_eq!(status, 422, "{body}");

    // Query strings: 400.
    for path in [
        "/?q=%00",
        "/?q=a%00b",
        "/api/claims?q=%00",
        "/export?format=csv&q=%00",
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 400, "{path}");
    }
    let res = app.get("/api/claims?q=%00").await;
    assert_eq!(read::<ApiError>(res, 400).await.error, "bad_request");
    let admin = app.api_as(&app.user(Role::Admin).create().await);
    for path in [
        "/admin/audit?action=%00",
        "/admin/audit?object_type=claim%00",
    ] {
        let res = admin.get(path).await;
        assert_eq!(res.status(), 400, "{path}");
    }
    let res = admin.get("/admin/audit?action=create").await;
    assert_eq!(res.status(), 200);

    // Nothing with a NUL got in, and the claim is untouched.
    assert_eq!(app.get_claim(id).await.version, 1);
    assert_eq!(app.list_claims("").await.len(), 1);
}

#[tokio::test]
async fn invalid_utf8_in_a_form_is_refused_not_stored_as_replacement_characters() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().create().await.id;
    let form = "application/x-www-form-urlencoded";

    let body = format!("source_id={source}&quote=Bad%FF%FEbytes");
    let res = app
        .post_raw(&format!("/stories/{story}/claims"), form, body.into_bytes())
        .await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("not valid UTF-8"));

    // Raw (not percent-encoded) invalid bytes too.
    let mut body = format!("source_id={source}&quote=Raw").into_bytes();
    body.extend_from_slice(&[0xC3, 0x28]);
    let res = app
        .post_raw(&format!("/stories/{story}/claims"), form, body)
        .await;
    assert_eq!(res.status(), 400);

    let res = app
        .post_raw(
            "/sources",
            form,
            b"name=Broken%C3&source_type=witness".to_vec(),
        )
        .await;
    assert_eq!(res.status(), 400);

    // Valid UTF-8, percent-encoded, still goes through.
    let body = format!("source_id={source}&quote=%D8%AF%D9%85%D8%B4%D9%82+awaits");
    let res = app
        .post_raw(&format!("/stories/{story}/claims"), form, body.into_bytes())
        .await;
    assert_eq!(res.status(), 303);

    let claims = app.list_claims("").await;
    assert_eq!(claims.len(), 1);
    assert_eq!(claims[0].quote, "دمشق awaits");
    let sources: Value = app.get_json("/api/sources").await;
    let text = sources.to_string();
    assert!(
        !text.contains('\u{FFFD}') && !text.contains("Broken"),
        "{text}"
    );
    // A query string with invalid UTF-8 is refused as well.
    let res = app.get("/api/claims?q=%FF").await;
    assert_eq!(res.status(), 400);
}

#[tokio::test]
async fn reports_say_how_many_claims_they_leave_out() {
    let app = TestApp::spawn().await;
    let story = app.story().title("Huge story").create().await.id;
    let source = app.source().create().await.id;
    app.sql(&format!(
        "INSERT INTO claims (id, story_id, source_id, quote, created_at, updated_at) \
             SELECT gen_random_uuid(), '{story}', '{source}', 'Claim number ' || i, \
                    now() - i * interval '1 second', now() \
             FROM generate_series(1, 5001) AS i"
    ))
    .await;

    let html = unescape(&app.html(&format!("/stories/{story}/report")).await);
    assert!(
        html.contains("Showing 5,000 of 5,001 claims."),
        "story HTML"
    );
    assert!(html.contains(&format!("href=\"/export?format=csv&story={story}\"")));
    let md = app
        .get(&format!("/stories/{story}/report?format=md"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        md.contains("Showing 5,000 of 5,001 claims."),
        "story Markdown"
    );
    assert!(
        md.contains(&format!("/export?format=csv&story={story}>")),
        "story Markdown links the full export"
    );

    let html = unescape(&app.html(&format!("/sources/{source}/report")).await);
    assert!(
        html.contains("Showing 5,000 of 5,001 claims."),
        "source HTML"
    );
    assert!(html.contains("5001 claims, 0 with a verdict."));
    assert!(html.contains(&format!("href=\"/export?format=csv&source={source}\"")));
    let md = app
        .get(&format!("/sources/{source}/report?format=md"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        md.contains("Showing 5,000 of 5,001 claims."),
        "source Markdown"
    );

    // A report that holds everything says nothing of the kind.
    let small = app.story().title("Small story").create().await;
    app.claim(&small)
        .source(source)
        .quote("Only claim")
        .create()
        .await;
    let page = app.view(&format!("/stories/{}/report", small.id)).await;
    assert!(!page.shows("Showing"));
}

/// Evidence links (to e.example) inside `css`, in page order.
fn links_in(page: &Page, css: &str) -> Vec<String> {
    page.links_in(css)
        .into_iter()
        .filter(|h| h.starts_with("https://e.example/"))
        .collect()
}

#[tokio::test]
async fn evidence_keeps_the_order_it_was_given_in_everywhere() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let claim = app.claim(&story).quote("Ordered claim").create().await;
    let (story, id) = (story.id, claim.id);
    let given = [
        "https://e.example/z",
        "https://e.example/a",
        "https://e.example/m",
        "https://e.example/b",
        "https://e.example/y",
    ];
    app.status(id, Status::InReview, "Links in a chosen order")
        .evidence(&given)
        .apply()
        .await;
    // The form gives links one per line, in the same way.
    let form_links = "https://e.example/f3\nhttps://e.example/f1\nhttps://e.example/f2";
    let (status, _) = post(
        &app,
        &format!("/claims/{id}/status"),
        &[
            ("status", "false"),
            ("reason", "Verdict"),
            ("evidence", form_links),
            ("version", "2"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    // A dump and restore, VACUUM FULL or any rewrite stores rows in another
    // order (here: alphabetical): the order shown must not depend on it.
    for q in [
        "CREATE TABLE evidence_copy AS SELECT * FROM evidence ORDER BY url",
        "DELETE FROM evidence",
        "INSERT INTO evidence SELECT * FROM evidence_copy ORDER BY url",
        "DROP TABLE evidence_copy",
        "ANALYZE evidence",
    ] {
        app.sql(q).await;
    }
    let want: Vec<String> = given
        .iter()
        .map(|s| s.to_string())
        .chain(form_links.lines().map(str::to_owned))
        .collect();

    // API: per history entry.
    let d = app.get_claim(id).await;
    assert_eq!(d.history[0].evidence, want[5..]);
    assert_eq!(d.history[1].evidence, want[..5]);
    // Claim page (newest entry first).
    let page = app.view(&format!("/claims/{id}")).await;
    let mut newest_first = want[5..].to_vec();
    newest_first.extend_from_slice(&want[..5]);
    assert_eq!(links_in(&page, "#history"), newest_first);
    // Reports: oldest change first.
    let report = app.view(&format!("/stories/{story}/report")).await;
    assert_eq!(links_in(&report, ".report-claims"), want);
    let md = app
        .get(&format!("/stories/{story}/report?format=md"))
        .await
        .text()
        .await
        .unwrap();
    let md_links: Vec<String> = md
        .lines()
        .filter_map(|l| l.strip_prefix("  - Evidence: <"))
        .map(|l| l.trim_end_matches('>').to_owned())
        .collect();
    assert_eq!(md_links, want);
    // Exports: the flat list and the nested history.
    let (_, body) = download(&app.client, &app, "format=json").await;
    let v: Value = serde_json::from_slice(&body).unwrap();
    let c = &v["claims"][0];
    assert_eq!(c["evidence"], json!(want));
    let nested: Vec<Value> = c["history"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|h| h["evidence"].as_array().unwrap().clone())
        .collect();
    assert_eq!(json!(nested), json!(want));
    let (_, body) = download(&app.client, &app, "format=ndjson").await;
    let line: Value = serde_json::from_slice(body.split(|b| *b == b'\n').next().unwrap()).unwrap();
    assert_eq!(line["evidence"], json!(want));
}

#[derive(diesel::QueryableByName)]
struct Positioned {
    #[diesel(sql_type = diesel::sql_types::Text)]
    url: String,
    #[diesel(sql_type = diesel::sql_types::Integer)]
    position: i32,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_evidence_migration_backfills_positions_in_stored_order() {
    use claimdesk::db::MIGRATIONS;
    use diesel::migration::{Migration, MigrationConnection, MigrationSource};
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use diesel_async::{AsyncConnection, AsyncPgConnection};
    use diesel_migrations::MigrationHarness;

    let db = crate::helpers::TestDb::blank().await;
    // Versions as diesel reads them from the directory names, digits only.
    let digits = |v: String| v.chars().filter(char::is_ascii_digit).collect::<String>();
    let mine = "20241207000001";
    // Every migration before this one (`true`), or this one and the rest.
    let run = |before_mine: bool| {
        let url = db.url.clone();
        async move {
            let conn = AsyncPgConnection::establish(&url).await.unwrap();
            let mut w: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
            tokio::task::spawn_blocking(move || {
                let mut all = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap();
                all.sort_by_key(|m| digits(m.name().version().to_string()));
                w.setup().unwrap();
                for m in all {
                    if (digits(m.name().version().to_string()).as_str() < mine) == before_mine {
                        w.run_migration(&*m).unwrap();
                    }
                }
            })
            .await
            .unwrap();
        }
    };
    run(true).await;
    let mut conn = db.conn().await;
    for q in [
        "INSERT INTO stories (id, title, outlet) VALUES ('00000000-0000-0000-0000-000000000001', 's', 'o')",
        "INSERT INTO sources (id, name, source_type) VALUES ('00000000-0000-0000-0000-000000000002', 'n', 'witness')",
        "INSERT INTO claims (id, story_id, source_id, quote) VALUES ('00000000-0000-0000-0000-000000000003', \
         '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 'q')",
        // Well-formed status changes: later migrations check history rows' shape.
        "INSERT INTO claim_history (id, claim_id, action, from_status, to_status, reason, created_at) VALUES \
         ('00000000-0000-0000-0000-000000000004', '00000000-0000-0000-0000-000000000003', 'status_changed', 'unverified', 'in_review', 'r', '2024-12-07T10:00:00Z'), \
         ('00000000-0000-0000-0000-000000000005', '00000000-0000-0000-0000-000000000003', 'status_changed', 'in_review', 'verified', 'r', '2024-12-07T11:00:00Z')",
        "INSERT INTO evidence (id, claim_id, history_id, url, created_at) VALUES \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004', 'https://e.example/3', '2024-12-07T10:00:00Z'), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004', 'https://e.example/1', '2024-12-07T10:00:00Z'), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004', 'https://e.example/2', '2024-12-07T10:00:00Z'), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000005', 'https://e.example/b', '2024-12-07T11:00:00Z'), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000005', 'https://e.example/a', '2024-12-07T11:00:00Z'), \
         (gen_random_uuid(), '00000000-0000-0000-0000-000000000003', NULL, 'https://e.example/orphan', '2024-12-07T09:00:00Z')",
    ] {
        diesel::sql_query(q).execute(&mut conn).await.unwrap();
    }
    run(false).await;
    let rows: Vec<Positioned> = diesel::sql_query(
        "SELECT url, position FROM evidence ORDER BY history_id NULLS FIRST, position",
    )
    .load(&mut conn)
    .await
    .unwrap();
    let got: Vec<(&str, i32)> = rows.iter().map(|r| (r.url.as_str(), r.position)).collect();
    assert_eq!(
        got,
        vec![
            ("https://e.example/orphan", 0),
            ("https://e.example/3", 0),
            ("https://e.example/1", 1),
            ("https://e.example/2", 2),
            ("https://e.example/b", 0),
            ("https://e.example/a", 1),
        ]
    );
    // NOT NULL and unique per history entry from now on.
    let dup = diesel::sql_query(
        "INSERT INTO evidence (id, claim_id, history_id, url, position) VALUES (gen_random_uuid(), \
         '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004', 'https://e.example/x', 1)",
    )
    .execute(&mut conn)
    .await;
    assert!(dup.is_err());
    let null = diesel::sql_query(
        "INSERT INTO evidence (id, claim_id, history_id, url) VALUES (gen_random_uuid(), \
         '00000000-0000-0000-0000-000000000003', '00000000-0000-0000-0000-000000000004', 'https://e.example/x')",
    )
    .execute(&mut conn)
    .await;
    assert!(null.is_err());
}
