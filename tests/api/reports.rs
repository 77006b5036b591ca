//! Story and source reports (HTML and Markdown), and what a read-only
//! viewer may do with reports, exports and the import.

use crate::exports::{download, header, new_claim, new_story, Csv};
use crate::helpers::{bearer_client, unescape, TestApp};
use crate::imports::multipart;
use crate::kit::{SourceType, Status};
use claimdesk::domain::{ClaimStatus, Role};
use serde_json::{json, Value};

/// The count shown next to a status badge in the report's summary bar.
fn summary_count(html: &str, status: ClaimStatus) -> i64 {
    let bar = &html[html.find("class=\"summary-bar\"").expect("a summary bar")..];
    let bar = &bar[..bar.find("</ul>").unwrap()];
    let badge = format!(
        "<span class=\"badge status-{}\">{}</span> <strong>",
        status.as_str(),
        status.label()
    );
    let at = bar
        .find(&badge)
        .unwrap_or_else(|| panic!("no {status} in the summary bar: {bar}"))
        + badge.len();
    bar[at..at + bar[at..].find("</strong>").unwrap()]
        .parse()
        .unwrap()
}

/// The HTML of the `<section … aria-label="{label}">` element.
fn section<'a>(html: &'a str, label: &str) -> &'a str {
    let open = format!("aria-label=\"{label}\">");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no section {label}"));
    let rest = &html[start..];
    &rest[..rest.find("</section>").unwrap()]
}

/// Counts per status as the Markdown writes them ("False: 1 · …").
fn markdown_count(md: &str, status: ClaimStatus) -> i64 {
    let line = md
        .lines()
        .find(|l| l.starts_with("**Claims by status:**"))
        .expect("a counts line");
    let key = format!("{}: ", status.label());
    let at = line.find(&key).unwrap() + key.len();
    line[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

#[tokio::test]
async fn story_report_has_counts_claims_by_source_and_a_timeline_also_as_markdown() {
    let app = TestApp::spawn().await;
    let story = new_story(&app, "Report story", Some("https://example.org/report")).await;
    let gov = app
        .source()
        .name("Report ministry")
        .create()
        .await
        .id
        .to_string();
    let wit = app
        .source()
        .name("Report witness")
        .kind(SourceType::Witness)
        .create()
        .await
        .id
        .to_string();
    let claim = |source: &str, quote: &str| json!({ "story_id": story, "source_id": source, "quote": quote });
    let c1 = new_claim(&app, claim(&gov, "The road to Homs is open")).await;
    let c2 = new_claim(&app, claim(&gov, "Our lines are holding")).await;
    let c3 = new_claim(&app, claim(&wit, "I saw tanks leave the city")).await;
    new_claim(&app, claim(&wit, "Nobody is left at the checkpoint")).await;
    app.give(
        &c1,
        Status::False,
        "Footage shows the road closed",
        &["https://example.org/footage/road"],
    )
    .await;
    app.give(&c2, Status::InReview, "Asking a second source", &[])
        .await;
    app.give(&c3, Status::Verified, "Confirmed by satellite images", &[])
        .await;

    let page = app.view(&format!("/stories/{story}/report")).await;
    assert_eq!(page.text("h1"), "Report story");
    let html = unescape(page.raw());
    assert!(html.contains("https://example.org/report"));
    let expected_counts = [
        (ClaimStatus::Unverified, 1),
        (ClaimStatus::InReview, 1),
        (ClaimStatus::Verified, 1),
        (ClaimStatus::Corroborated, 0),
        (ClaimStatus::Disputed, 0),
        (ClaimStatus::False, 1),
        (ClaimStatus::Unverifiable, 0),
    ];
    for (s, n) in expected_counts {
        assert_eq!(summary_count(&html, s), n, "summary count for {s}");
    }

    // Claims grouped by source, each with its status and reason.
    let ministry = section(&html, "Report ministry");
    assert!(ministry.contains("type-government"));
    for text in [
        "The road to Homs is open",
        "Our lines are holding",
        "Footage shows the road closed",
        "Asking a second source",
        "href=\"https://example.org/footage/road\"",
        "status-false",
        "status-in_review",
    ] {
        assert!(ministry.contains(text), "ministry group lacks {text}");
    }
    assert!(!ministry.contains("I saw tanks"));
    let witness = section(&html, "Report witness");
    assert!(witness.contains("type-witness"));
    for text in [
        "I saw tanks leave the city",
        "Nobody is left at the checkpoint",
        "Confirmed by satellite images",
        "status-verified",
        "status-unverified",
    ] {
        assert!(witness.contains(text), "witness group lacks {text}");
    }

    // The timeline: every status change with its reason, oldest first.
    let timeline = &html[html.find("class=\"timeline\"").unwrap()..];
    let reasons = [
        "Checking",
        "Footage shows the road closed",
        "Asking a second source",
        "Checking",
        "Confirmed by satellite images",
    ];
    let mut from = 0;
    for r in reasons {
        let tag = format!("<p class=\"reason\">{r}</p>");
        let at = timeline[from..]
            .find(&tag)
            .unwrap_or_else(|| panic!("timeline lacks {r} (in order)"))
            + from;
        from = at + tag.len();
    }
    assert_eq!(timeline.matches("<p class=\"reason\">").count(), 5);
    assert!(timeline.contains("Test Editor"), "who made the change");

    // Markdown: an attachment with the same content.
    let res = app.get(&format!("/stories/{story}/report?format=md")).await;
    assert_eq!(res.status(), 200);
    assert!(header(res.headers(), "content-type").starts_with("text/markdown"));
    let disposition = header(res.headers(), "content-disposition").to_owned();
    assert!(
        disposition.starts_with("attachment") && disposition.ends_with(".md\""),
        "{disposition}"
    );
    let md = res.text().await.unwrap();
    assert!(md.starts_with("# Report story\n"), "{md}");
    for (s, n) in expected_counts {
        assert_eq!(markdown_count(&md, s), n, "markdown count for {s}");
    }
    for text in [
        "## Report ministry (Government)",
        "## Report witness (Witness / resident)",
        "- **False** — “The road to Homs is open”",
        "- **In review** — “Our lines are holding”",
        "- **Verified** — “I saw tanks leave the city”",
        "- **Unverified** — “Nobody is left at the checkpoint”",
        "  - Reason: Footage shows the road closed",
        "  - Reason: Confirmed by satellite images",
        "  - Evidence: <https://example.org/footage/road>",
        "<https://example.org/report>",
        "## Timeline of status changes",
    ] {
        assert!(md.contains(text), "markdown lacks {text:?}:\n{md}");
    }
    let timeline_md = &md[md.find("## Timeline").unwrap()..];
    assert_eq!(
        timeline_md.lines().filter(|l| l.starts_with("- ")).count(),
        5
    );
    assert!(timeline_md.contains("Unverified → In review"));
    assert!(timeline_md.contains("In review → False"));
    assert!(timeline_md.contains(": Confirmed by satellite images"));
    // Sources appear in the same order in both.
    assert!(md.find("## Report ministry").unwrap() < md.find("## Report witness").unwrap());
    assert!(html.find("Report ministry").unwrap() < html.find("Report witness").unwrap());

    // A story that does not exist.
    let (status, _) = app
        .page(&format!("/stories/{}/report", uuid::Uuid::new_v4()))
        .await;
    assert_eq!(status, 404);
}

/// (count, share) of the track-record row for a verdict.
fn track_row(html: &str, status: ClaimStatus) -> (String, String) {
    let table = &html[html.find("track-record").unwrap()..];
    let start = table
        .find(&format!("status-{}\"", status.as_str()))
        .unwrap_or_else(|| panic!("no row for {status}"));
    let row = &table[start..];
    let row = &row[..row.find("</tr>").unwrap()];
    let cell = |label: &str| {
        let open = format!("<td data-label=\"{label}\">");
        let at = row.find(&open).unwrap() + open.len();
        row[at..at + row[at..].find("</td>").unwrap()].to_owned()
    };
    (cell("Claims"), cell("Share"))
}

#[tokio::test]
async fn source_report_shows_counts_and_shares_per_verdict() {
    let app = TestApp::spawn().await;
    let s1 = app.story().create().await.id.to_string();
    let s2 = app
        .story()
        .title("Track story two")
        .create()
        .await
        .id
        .to_string();
    let source = app
        .source()
        .name("Track ministry")
        .create()
        .await
        .id
        .to_string();
    let other = app
        .source()
        .kind(SourceType::Witness)
        .create()
        .await
        .id
        .to_string();
    let mut ids = Vec::new();
    for (story, quote) in [
        (&s1, "First false claim"),
        (&s1, "Second false claim"),
        (&s2, "A verified claim"),
        (&s2, "An open claim"),
    ] {
        ids.push(
            new_claim(
                &app,
                json!({ "story_id": story, "source_id": source, "quote": quote }),
            )
            .await,
        );
    }
    new_claim(
        &app,
        json!({ "story_id": s1, "source_id": other, "quote": "Not this source" }),
    )
    .await;
    app.give(&ids[0], Status::False, "Contradicted", &[]).await;
    app.give(&ids[1], Status::False, "Also contradicted", &[])
        .await;
    app.give(&ids[2], Status::Verified, "Confirmed", &[]).await;

    let html = app.html(&format!("/sources/{source}/report")).await;
    assert!(html.contains("Track ministry"));
    assert!(html.contains("4 claims, 3 with a verdict."), "{html}");
    let expected = [
        (ClaimStatus::False, "2", "67 %"),
        (ClaimStatus::Verified, "1", "33 %"),
        (ClaimStatus::Corroborated, "0", "0 %"),
        (ClaimStatus::Disputed, "0", "0 %"),
        (ClaimStatus::Unverifiable, "0", "0 %"),
    ];
    for (s, n, share) in expected {
        assert_eq!(track_row(&html, s), (n.into(), share.into()), "{s}");
    }
    for quote in [
        "First false claim",
        "Second false claim",
        "A verified claim",
        "An open claim",
    ] {
        assert!(html.contains(quote), "{quote}");
    }
    assert!(!html.contains("Not this source"));

    let res = app
        .get(&format!("/sources/{source}/report?format=md"))
        .await;
    assert_eq!(res.status(), 200);
    assert!(header(res.headers(), "content-type").starts_with("text/markdown"));
    assert!(header(res.headers(), "content-disposition").starts_with("attachment"));
    let md = res.text().await.unwrap();
    assert!(md.starts_with("# Track ministry (Government)"), "{md}");
    for (s, n, share) in expected {
        let row = format!("| {} | {n} | {share} |", s.label());
        assert!(md.contains(&row), "markdown lacks {row}:\n{md}");
    }
    for text in [
        "- **False** — “First false claim”",
        "  - Reason: Also contradicted",
        "- **Unverified** — “An open claim”",
        "  - Story: Track story two",
    ] {
        assert!(md.contains(text), "markdown lacks {text:?}:\n{md}");
    }
    assert!(!md.contains("Not this source"));

    // A source with no verdicts yet: shares are 0, not NaN.
    let html = app.html(&format!("/sources/{other}/report")).await;
    assert_eq!(
        track_row(&html, ClaimStatus::False),
        ("0".into(), "0 %".into())
    );
}

#[tokio::test]
async fn a_viewer_reads_reports_and_downloads_exports_but_cannot_import() {
    let app = TestApp::spawn().await;
    let story = app
        .story()
        .title("Viewer story")
        .create()
        .await
        .id
        .to_string();
    let source = app
        .source()
        .name("Viewer source")
        .create()
        .await
        .id
        .to_string();
    let id = app
        .claim(&story)
        .source(&source)
        .quote("Seen by a viewer")
        .create()
        .await
        .id;
    app.give(&id, Status::Verified, "checked", &[]).await;
    let viewer = bearer_client(&app.new_user(Role::Viewer, "Vera Viewer").await.token);

    for path in [
        format!("/stories/{story}/report"),
        format!("/stories/{story}/report?format=md"),
        format!("/sources/{source}/report"),
        format!("/sources/{source}/report?format=md"),
    ] {
        let res = viewer.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status(), 200, "viewer GET {path}");
    }
    for format in ["csv", "json", "ndjson", "claimreview"] {
        let (_, body) = download(&viewer, &app, &format!("format={format}")).await;
        match format {
            "csv" => assert_eq!(Csv::parse(&body).rows.len(), 1),
            "ndjson" => assert_eq!(body.iter().filter(|b| **b == b'\n').count(), 1),
            "json" => {
                let v: Value = serde_json::from_slice(&body).unwrap();
                assert_eq!(v["claims"].as_array().unwrap().len(), 1);
            }
            _ => {
                let v: Vec<Value> = serde_json::from_slice(&body).unwrap();
                assert_eq!(v.len(), 1);
            }
        }
    }

    // Importing writes claims: not for viewers.
    let res = viewer.get(app.url("/import")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let (content_type, body) = multipart(
        "claims.csv",
        b"story_title,source_name,source_type,quote\nViewer story,Viewer source,government,Sneaky\n",
    );
    let res = viewer
        .post(app.url("/import"))
        .header("Content-Type", content_type)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let mut conn = app.db.conn().await;
    assert_eq!(claimdesk::models::claim::count(&mut conn).await.unwrap(), 1);
    let n: i64 = {
        use claimdesk::db::schema::imports;
        use diesel::prelude::*;
        use diesel_async::RunQueryDsl;
        imports::table.count().get_result(&mut conn).await.unwrap()
    };
    assert_eq!(n, 0, "nothing was stored");
}
