//! Exports (CSV, JSON, NDJSON, ClaimReview JSON-LD), read back with
//! independent parsers (the `csv` crate, serde_json) and compared with what
//! the API says about the same claims.

use crate::helpers::{textarea, unescape, TestApp};
use crate::kit::{read, Claim, SourceType, Status};
use claimdesk::domain::ClaimStatus;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};

// ------------------------------------------------------------------ helpers

/// The CSV export's columns, in order: the test's own statement of them.
pub const CSV_HEADER: [&str; 17] = [
    "id",
    "story_title",
    "story_url",
    "story_outlet",
    "source_name",
    "source_type",
    "quote",
    "is_paraphrase",
    "summary",
    "status",
    "status_reason",
    "claimed_at",
    "claimed_where",
    "created_at",
    "updated_at",
    "evidence_count",
    "figures",
];

/// Quotes that break naive CSV writers or spreadsheets.
pub const TRICKY: [&str; 10] = [
    "He said, \"we will hold Homs\", then left",
    "First line\nsecond line, with a comma",
    "دمشق تنتظركم يا أبطال",
    "Victory 🎉🔥 for everyone 👍🏽",
    "=HYPERLINK(\"http://evil.example\",\"click\")",
    "+963 dead",
    "-20 soldiers withdrew",
    "@everyone look at this",
    "'=written with an apostrophe already",
    "'plain apostrophe, kept as it is",
];

/// How a CSV cell must look for a value: a value a spreadsheet would run as
/// a formula (even behind apostrophes) gets one leading `'`, so that the
/// import can undo exactly that.
pub fn neutralised(v: &str) -> String {
    if v.trim_start_matches('\'')
        .starts_with(['=', '+', '-', '@', '\t', '\r'])
    {
        format!("'{v}")
    } else {
        v.to_owned()
    }
}

/// A parsed CSV file: header and rows (every row as long as the header).
pub struct Csv {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn parse(bytes: &[u8]) -> Csv {
        assert!(!bytes.starts_with(b"\xEF\xBB\xBF"), "unexpected BOM");
        let mut r = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(bytes);
        let header = r.headers().unwrap().iter().map(str::to_owned).collect();
        let rows = r
            .records()
            .map(|rec| rec.unwrap().iter().map(str::to_owned).collect())
            .collect();
        Csv { header, rows }
    }

    pub fn maps(&self) -> Vec<BTreeMap<String, String>> {
        self.rows
            .iter()
            .map(|r| self.header.iter().cloned().zip(r.iter().cloned()).collect())
            .collect()
    }

    /// Rows without the columns that differ between databases.
    pub fn without_ids(&self) -> Vec<Vec<String>> {
        let keep: Vec<usize> = self
            .header
            .iter()
            .enumerate()
            // `figures` is for reading; the CSV import does not take it back.
            .filter(|(_, h)| !matches!(h.as_str(), "id" | "created_at" | "updated_at" | "figures"))
            .map(|(i, _)| i)
            .collect();
        self.rows
            .iter()
            .map(|r| keep.iter().map(|&i| r[i].clone()).collect())
            .collect()
    }
}

/// GET /export?{query} with `c`; must answer 200. Returns headers and body.
pub async fn download(
    c: &reqwest::Client,
    app: &TestApp,
    query: &str,
) -> (reqwest::header::HeaderMap, Vec<u8>) {
    let res = c
        .get(app.url(&format!("/export?{query}")))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "GET /export?{query}");
    let headers = res.headers().clone();
    (headers, res.bytes().await.unwrap().to_vec())
}

pub fn header<'a>(h: &'a reqwest::header::HeaderMap, name: &str) -> &'a str {
    h.get(name)
        .unwrap_or_else(|| panic!("no {name} header"))
        .to_str()
        .unwrap()
}

/// A story with an outlet and (optionally) a URL; returns its id.
pub async fn new_story(app: &TestApp, title: &str, url: Option<&str>) -> String {
    let story = app.story().title(title);
    let story = match url {
        Some(url) => story.url(url),
        None => story,
    };
    story.create().await.id.to_string()
}

/// A claim from a full API body; returns its id.
pub async fn new_claim(app: &TestApp, body: Value) -> String {
    let res = app.post_json("/api/claims", &body).await;
    read::<Claim>(res, 201).await.id.to_string()
}

/// The latest status change of an API claim detail: (reason, time).
pub fn latest_change(d: &Value) -> Option<(String, String)> {
    d["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|h| h["action"] == "status_changed")
        .max_by_key(|h| ts(&h["created_at"]))
        .map(|h| {
            (
                h["reason"].as_str().unwrap_or_default().to_owned(),
                h["created_at"].as_str().unwrap().to_owned(),
            )
        })
}

/// Evidence links of an API claim detail, oldest first.
pub fn evidence_of(d: &Value) -> Vec<Value> {
    let mut h: Vec<&Value> = d["history"].as_array().unwrap().iter().collect();
    h.sort_by_key(|h| ts(&h["created_at"]));
    h.iter()
        .flat_map(|h| h["evidence"].as_array().unwrap().iter().cloned())
        .collect()
}

/// An RFC 3339 timestamp from the API.
pub fn ts(v: &Value) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap())
        .unwrap()
        .with_timezone(&chrono::Utc)
}

/// An RFC 3339 timestamp (or null) as the CSV writes it: seconds, `Z`.
fn secs(v: &Value) -> String {
    v.as_str()
        .map(|s| {
            chrono::DateTime::parse_from_rfc3339(s)
                .unwrap()
                .with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
        .unwrap_or_default()
}

fn text(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_owned()
}

/// Ten tricky claims on one story, with verdicts, reasons and evidence.
pub struct Fixture {
    pub story: String,
    pub story_url: String,
    /// (quote, claim id), in creation order.
    pub claims: Vec<(String, String)>,
}

pub const EVIDENCE: [&str; 3] = [
    "https://example.org/footage/1",
    "https://example.org/footage/2?a=1&b=2",
    "https://example.org/witnesses",
];

pub async fn tricky_fixture(app: &TestApp) -> Fixture {
    let story_url = "https://example.org/news/ring-of-steel";
    let story = new_story(app, "Exports: \"ring of steel\", Damascus", Some(story_url)).await;
    let sources = [
        app.source()
            .kind(SourceType::Witness)
            .create()
            .await
            .id
            .to_string(),
        app.source()
            .name("@SyriaMonitor")
            .kind(SourceType::Monitor)
            .create()
            .await
            .id
            .to_string(),
        app.source()
            .kind(SourceType::Military)
            .create()
            .await
            .id
            .to_string(),
    ];
    let mut claims = Vec::new();
    for (i, quote) in TRICKY.iter().enumerate() {
        let mut body = json!({
            "story_id": story,
            "source_id": sources[i % 3],
            "quote": quote,
            "is_paraphrase": i == 3,
        });
        if i == 0 {
            body["summary"] = json!("=1+1 summary, with \"quotes\"");
            body["claimed_at"] = json!("2024-12-07T10:30:00Z");
            body["claimed_where"] = json!("Damascus, state TV");
        }
        claims.push((quote.to_string(), new_claim(app, body).await));
    }
    app.give(
        &claims[0].1,
        Status::False,
        "Footage shows, \"clearly\", otherwise",
        &EVIDENCE[..2],
    )
    .await;
    app.give(
        &claims[1].1,
        Status::InReview,
        "Checking the second line",
        &[],
    )
    .await;
    app.give(
        &claims[2].1,
        Status::Verified,
        "=Confirmed by two witnesses",
        &EVIDENCE[2..],
    )
    .await;
    app.give(
        &claims[4].1,
        Status::Disputed,
        "-contested by the army",
        &[],
    )
    .await;
    Fixture {
        story,
        story_url: story_url.into(),
        claims,
    }
}

/// Compares one CSV row with the API's view of the claim.
async fn check_csv_row(app: &TestApp, row: &BTreeMap<String, String>) {
    let id = &row["id"];
    let d = app.get_json(&format!("/api/claims/{id}")).await;
    let (reason, _) = latest_change(&d).unwrap_or_default();
    let expected: BTreeMap<&str, String> = [
        ("id", text(&d["id"])),
        ("story_title", text(&d["story"]["title"])),
        ("story_url", text(&d["story"]["url"])),
        ("story_outlet", text(&d["story"]["outlet"])),
        ("source_name", text(&d["source"]["name"])),
        ("source_type", text(&d["source"]["source_type"])),
        ("quote", text(&d["quote"])),
        ("is_paraphrase", d["is_paraphrase"].to_string()),
        ("summary", text(&d["summary"])),
        ("status", text(&d["status"])),
        ("status_reason", reason),
        ("claimed_at", secs(&d["claimed_at"])),
        ("claimed_where", text(&d["claimed_where"])),
        ("created_at", secs(&d["created_at"])),
        ("updated_at", secs(&d["updated_at"])),
        ("evidence_count", evidence_of(&d).len().to_string()),
    ]
    .into_iter()
    .collect();
    for (col, value) in expected {
        assert_eq!(row[col], neutralised(&value), "column {col} of claim {id}");
    }
}

// -------------------------------------------------------------------- CSV

#[tokio::test]
async fn csv_export_parses_back_to_the_claims_with_formulas_neutralised() {
    let app = TestApp::spawn().await;
    let f = tricky_fixture(&app).await;

    let (h, body) = download(&app.client, &app, "format=csv").await;
    assert_eq!(header(&h, "content-type"), "text/csv; charset=utf-8");
    let disposition = header(&h, "content-disposition");
    assert!(
        disposition.starts_with("attachment") && disposition.contains("claims.csv"),
        "{disposition}"
    );
    assert!(!body.starts_with(b"\xEF\xBB\xBF"), "no BOM unless asked");

    let csv = Csv::parse(&body);
    assert_eq!(csv.header, CSV_HEADER);
    assert_eq!(csv.rows.len(), TRICKY.len());
    let rows = csv.maps();
    // Oldest first, as created.
    let ids: Vec<&str> = rows.iter().map(|r| r["id"].as_str()).collect();
    let created: Vec<&str> = f.claims.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, created);
    for row in &rows {
        check_csv_row(&app, row).await;
    }

    // Spot checks against the literal inputs, not only the API.
    let by_id: BTreeMap<&str, &BTreeMap<String, String>> =
        rows.iter().map(|r| (r["id"].as_str(), r)).collect();
    for (quote, id) in &f.claims {
        let cell = &by_id[id.as_str()]["quote"];
        if quote
            .trim_start_matches('\'')
            .starts_with(['=', '+', '-', '@'])
        {
            assert_eq!(cell, &format!("'{quote}"), "formula neutralised");
        } else {
            assert_eq!(cell, quote, "kept exactly");
        }
        assert_eq!(by_id[id.as_str()]["story_url"], f.story_url);
    }
    let first = by_id[f.claims[0].1.as_str()];
    assert_eq!(first["summary"], "'=1+1 summary, with \"quotes\"");
    assert_eq!(first["status"], "false");
    assert_eq!(
        first["status_reason"],
        "Footage shows, \"clearly\", otherwise"
    );
    assert_eq!(first["evidence_count"], "2");
    assert_eq!(first["claimed_at"], "2024-12-07T10:30:00Z");
    assert_eq!(first["claimed_where"], "Damascus, state TV");
    assert_eq!(first["source_type"], "witness");
    let verified = by_id[f.claims[2].1.as_str()];
    assert_eq!(verified["status_reason"], "'=Confirmed by two witnesses");
    assert_eq!(verified["evidence_count"], "1");
    assert_eq!(
        by_id[f.claims[1].1.as_str()]["source_name"],
        "'@SyriaMonitor"
    );
    assert_eq!(by_id[f.claims[3].1.as_str()]["is_paraphrase"], "true");

    // RFC 4180 on the wire: fields with commas, quotes or newlines are
    // quoted, inner quotes doubled, and the text is UTF-8.
    let raw = String::from_utf8(body.clone()).unwrap();
    assert!(raw.contains("\"He said, \"\"we will hold Homs\"\", then left\""));
    assert!(raw.contains("\"First line\nsecond line, with a comma\""));
    assert!(raw.contains("\"Exports: \"\"ring of steel\"\", Damascus\""));
    assert!(raw.contains("دمشق تنتظركم يا أبطال"));
    assert!(raw.contains("Victory 🎉🔥 for everyone 👍🏽"));
    for line in raw.lines() {
        assert!(
            !line.starts_with(['=', '+', '-', '@']) && !line.contains(",=") && !line.contains(",+"),
            "a cell starts with a formula trigger: {line}"
        );
    }

    // bom=1: the same bytes behind Excel's UTF-8 byte-order mark.
    let (_, with_bom) = download(&app.client, &app, "format=csv&bom=1").await;
    assert_eq!(&with_bom[..3], b"\xEF\xBB\xBF");
    assert_eq!(&with_bom[3..], &body[..]);
    let (_, bom0) = download(&app.client, &app, "format=csv&bom=0").await;
    assert_eq!(bom0, body);
}

#[tokio::test]
async fn exports_respect_story_source_status_and_type_filters() {
    let app = TestApp::spawn().await;
    let a = app.story().create().await.id.to_string();
    let b = app.story().create().await.id.to_string();
    let gov = app.source().create().await.id.to_string();
    let wit = app
        .source()
        .kind(SourceType::Witness)
        .create()
        .await
        .id
        .to_string();
    let claim = |story: &str, source: &str, quote: &str| json!({ "story_id": story, "source_id": source, "quote": quote });
    let a1 = new_claim(&app, claim(&a, &gov, "a1")).await;
    let a2 = new_claim(&app, claim(&a, &wit, "a2")).await;
    let b1 = new_claim(&app, claim(&b, &gov, "b1")).await;
    let b2 = new_claim(&app, claim(&b, &wit, "b2")).await;
    app.give(&a2, Status::InReview, "looking", &[]).await;
    app.give(&b1, Status::False, "wrong", &[]).await;

    let cases: Vec<(String, Vec<&String>)> = vec![
        (String::new(), vec![&a1, &a2, &b1, &b2]),
        (format!("story={a}"), vec![&a1, &a2]),
        (format!("source={wit}"), vec![&a2, &b2]),
        ("status=unverified".into(), vec![&a1, &b2]),
        ("source_type=witness".into(), vec![&a2, &b2]),
        (format!("story={b}&status=false"), vec![&b1]),
        (format!("story={a}&source={gov}"), vec![&a1]),
        ("status=verified".into(), vec![]),
    ];
    for (filter, want) in cases {
        let want: BTreeSet<&str> = want.iter().map(|s| s.as_str()).collect();
        let (_, body) = download(&app.client, &app, &format!("format=csv&{filter}")).await;
        let csv = Csv::parse(&body);
        assert_eq!(csv.header, CSV_HEADER, "header even when empty ({filter})");
        let got: BTreeSet<String> = csv.maps().into_iter().map(|r| r["id"].clone()).collect();
        let got: BTreeSet<&str> = got.iter().map(String::as_str).collect();
        assert_eq!(got, want, "csv {filter}");

        // The same set as the API's board query with the same filter.
        let api: BTreeSet<String> = app
            .list_claims(&filter)
            .await
            .iter()
            .map(|c| c.id.to_string())
            .collect();
        let api: BTreeSet<&str> = api.iter().map(String::as_str).collect();
        assert_eq!(api, want, "api {filter}");

        let (_, body) = download(&app.client, &app, &format!("format=json&{filter}")).await;
        let doc: Value = serde_json::from_slice(&body).unwrap();
        let got: BTreeSet<&str> = doc["claims"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["id"].as_str().unwrap())
            .collect();
        assert_eq!(got, want, "json {filter}");
    }

    // A filter that does not parse is refused, never ignored.
    for bad in [
        "format=csv&status=bogus",
        "format=csv&story=nope",
        "format=xml",
    ] {
        let res = app.get(&format!("/export?{bad}")).await;
        assert_eq!(res.status(), 400, "{bad}");
    }
}

// ------------------------------------------------------------ JSON/NDJSON

#[tokio::test]
async fn json_and_ndjson_nest_source_story_evidence_and_full_history() {
    let app = TestApp::spawn().await;
    let f = tricky_fixture(&app).await;

    let (h, body) = download(&app.client, &app, "format=json").await;
    assert_eq!(header(&h, "content-type"), "application/json");
    assert!(header(&h, "content-disposition").contains("claims.json"));
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc["schema"], "claimdesk.export/2");
    let claims = doc["claims"].as_array().unwrap();
    assert_eq!(claims.len(), TRICKY.len());

    for (c, (quote, id)) in claims.iter().zip(&f.claims) {
        // Exact text, never neutralised: JSON has no formulas.
        assert_eq!(c["id"], id.as_str());
        assert_eq!(c["quote"], quote.as_str());
        let d = app.get_json(&format!("/api/claims/{id}")).await;
        for k in [
            "id",
            "story_id",
            "source_id",
            "quote",
            "is_paraphrase",
            "summary",
            "claimed_at",
            "claimed_where",
            "status",
            "created_at",
            "updated_at",
            "version",
            "review_url",
        ] {
            assert_eq!(c[k], d[k], "{k} of {id}");
        }
        // The export's source adds its aliases and grade history.
        for (k, v) in d["source"].as_object().unwrap() {
            assert_eq!(&c["source"][k], v, "nested source: {k}");
        }
        assert!(c["source"]["aliases"].is_array() && c["source"]["grade_history"].is_array());
        assert!(c["source"]["name"].is_string() && c["source"]["source_type"].is_string());
        assert_eq!(c["story"], d["story"], "nested story");
        assert_eq!(c["story"]["id"], f.story.as_str());
        assert_eq!(c["story"]["url"], f.story_url.as_str());
        assert_eq!(c["figures"], d["figures"]);
        assert_eq!(
            c["evidence"].as_array().unwrap(),
            &evidence_of(&d),
            "evidence links of {id}"
        );
        let latest = latest_change(&d);
        assert_eq!(
            c["status_reason"],
            latest.as_ref().map_or(Value::Null, |l| json!(l.0))
        );
        assert_eq!(
            c["status_changed_at"],
            latest.as_ref().map_or(Value::Null, |l| json!(l.1))
        );
        // Full history, oldest first.
        let mut api_history = d["history"].as_array().unwrap().clone();
        api_history.sort_by_key(|h| ts(&h["created_at"]));
        assert_eq!(
            c["history"].as_array().unwrap(),
            &api_history,
            "history of {id}"
        );
        assert_eq!(c["history"][0]["action"], "created");
    }
    let first = &claims[0];
    assert_eq!(first["summary"], "=1+1 summary, with \"quotes\"");
    assert_eq!(first["status"], "false");
    assert_eq!(
        first["status_reason"],
        "Footage shows, \"clearly\", otherwise"
    );
    assert_eq!(first["evidence"], json!(EVIDENCE[..2]));
    let steps: Vec<(&Value, &Value)> = first["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| (&h["from_status"], &h["to_status"]))
        .collect();
    assert_eq!(
        steps,
        vec![
            (&Value::Null, &json!("unverified")),
            (&json!("unverified"), &json!("in_review")),
            (&json!("in_review"), &json!("false")),
        ]
    );
    assert_eq!(claims[2]["status_reason"], "=Confirmed by two witnesses");
    assert_eq!(claims[1]["source"]["name"], "@SyriaMonitor");

    // NDJSON: the same objects, one per line.
    let (h, nd) = download(&app.client, &app, "format=ndjson").await;
    assert_eq!(header(&h, "content-type"), "application/x-ndjson");
    let text = String::from_utf8(nd).unwrap();
    assert!(text.ends_with('\n'));
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert_eq!(&lines, claims);

    // Empty selections are still valid documents.
    let other = app.story().create().await.id.to_string();
    let (_, body) = download(&app.client, &app, &format!("format=json&story={other}")).await;
    let doc: Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(doc, json!({ "schema": "claimdesk.export/2", "claims": [] }));
    let (_, body) = download(&app.client, &app, &format!("format=ndjson&story={other}")).await;
    assert!(body.is_empty());
}

// ------------------------------------------------------------ ClaimReview

/// (status, ratingValue, alternateName, source type, author @type).
const VERDICTS: [(&str, i64, &str, &str, &str); 5] = [
    ("false", 1, "False", "witness", "Person"),
    ("disputed", 2, "Disputed", "anonymous", "Person"),
    (
        "unverifiable",
        3,
        "Unverifiable",
        "government",
        "Organization",
    ),
    (
        "corroborated",
        4,
        "Corroborated",
        "armed_group",
        "Organization",
    ),
    ("verified", 5, "Verified", "media", "Organization"),
];

const LONG_QUOTE: &str = "There is a very strong security and military cordon on the far edges \
of Damascus and its countryside, and nobody can break it";

fn date_of(ts: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(ts)
        .unwrap()
        .with_timezone(&chrono::Utc)
        .date_naive()
        .to_string()
}

#[tokio::test]
async fn claimreview_has_every_verdict_typed_as_schema_org_expects_and_no_open_claims() {
    let app = TestApp::spawn().await;
    let story_url = "https://example.org/news/verdicts";
    let story = new_story(&app, "Verdicts story", Some(story_url)).await;
    let bare_story = new_story(&app, "Story without a URL", None).await;

    // Open claims, which must never appear.
    let open_source = app
        .source()
        .kind(SourceType::Other)
        .create()
        .await
        .id
        .to_string();
    let unverified = new_claim(
        &app,
        json!({ "story_id": story, "source_id": open_source, "quote": "Still unverified" }),
    )
    .await;
    let in_review = new_claim(
        &app,
        json!({ "story_id": story, "source_id": open_source, "quote": "Still in review" }),
    )
    .await;
    app.give(&in_review, Status::InReview, "looking", &[]).await;

    // One claim per verdict, each from a different kind of source.
    let mut verdicts = Vec::new();
    for (i, (status, value, label, source_type, author_type)) in VERDICTS.iter().enumerate() {
        let source_name = format!("Source {i} ({source_type})");
        let source = app
            .source()
            .name(&source_name)
            .kind(source_type.parse().unwrap())
            .create()
            .await
            .id
            .to_string();
        let quote = match *status {
            "unverifiable" => LONG_QUOTE.to_owned(),
            _ => format!("The {status} claim, number {i}"),
        };
        let mut body = json!({ "story_id": story, "source_id": source, "quote": quote });
        if *status == "disputed" {
            body["summary"] = json!("Rebels say they hold Homs");
        }
        if *status == "false" {
            body["claimed_at"] = json!("2024-12-06T08:00:00Z");
        }
        let id = new_claim(&app, body).await;
        let verdict = status.parse().unwrap();
        app.give(&id, verdict, &format!("Reason for {status}"), &[])
            .await;
        verdicts.push((
            id,
            *status,
            *value,
            *label,
            source_name,
            *author_type,
            quote,
        ));
    }
    // The editor records where the corroborated fact-check was published.
    let published = "https://factcheck.example.org/2024/12/homs-corroborated";
    let corroborated = verdicts[3].0.clone();
    let res = app
        .set_review_url(&corroborated.to_string(), published)
        .await;
    assert_eq!(res.status(), 303);
    let res = app
        .set_review_url(&corroborated.to_string(), "javascript:alert(1)")
        .await;
    assert_eq!(res.status(), 422, "only http(s) URLs");
    // A verdict on a story without a URL has no appearance.
    let bare_source = app
        .source()
        .kind(SourceType::Media)
        .create()
        .await
        .id
        .to_string();
    let bare = new_claim(
        &app,
        json!({ "story_id": bare_story, "source_id": bare_source, "quote": "Bare verdict" }),
    )
    .await;
    app.give(&bare, Status::Verified, "checked", &[]).await;

    let (h, body) = download(&app.client, &app, "format=claimreview").await;
    assert_eq!(header(&h, "content-type"), "application/ld+json");
    assert!(header(&h, "content-disposition").contains("claimreview.jsonld"));
    let reviews: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(reviews.len(), VERDICTS.len() + 1, "one review per verdict");

    let default_url = |id: &str| format!("{}/claims/{id}", app.addr);
    for r in &reviews {
        for open in [&unverified, &in_review] {
            assert_ne!(r["url"], default_url(open), "open claim {open} exported");
        }
    }
    let find = |url: &str| {
        reviews
            .iter()
            .find(|r| r["url"] == url)
            .unwrap_or_else(|| panic!("no review with url {url}"))
    };

    for (id, status, value, label, source_name, author_type, quote) in &verdicts {
        let url = if *status == "corroborated" {
            published.to_owned()
        } else {
            default_url(id)
        };
        let r = find(&url);
        let d = app.get_json(&format!("/api/claims/{id}")).await;
        assert_eq!(r["@context"], "https://schema.org");
        assert_eq!(r["@type"], "ClaimReview");

        let reviewed = r["claimReviewed"].as_str().unwrap();
        assert!(
            reviewed.chars().count() < 75,
            "claimReviewed too long: {reviewed}"
        );
        match *status {
            "disputed" => assert_eq!(reviewed, "Rebels say they hold Homs", "summary first"),
            "unverifiable" => {
                let cut = reviewed.strip_suffix('…').expect("an ellipsis");
                assert!(quote.starts_with(cut), "{reviewed}");
                let next = quote[cut.len()..].chars().next().unwrap();
                assert!(next.is_whitespace(), "cut inside a word: {reviewed}");
            }
            _ => assert_eq!(reviewed, quote),
        }

        let rating = &r["reviewRating"];
        assert_eq!(rating["@type"], "Rating");
        assert_eq!(rating["ratingValue"], json!(value), "{status}");
        assert_eq!(rating["bestRating"], json!(5));
        assert_eq!(rating["worstRating"], json!(1));
        assert_eq!(rating["alternateName"], *label);
        assert!(rating["name"].as_str().is_some_and(|n| !n.is_empty()));

        assert_eq!(r["author"]["@type"], "Organization");
        assert!(r["author"]["name"].as_str().is_some_and(|n| !n.is_empty()));
        assert!(r["author"]["url"]
            .as_str()
            .is_some_and(|u| u.starts_with("http")));
        let (_, changed_at) = latest_change(&d).unwrap();
        assert_eq!(r["datePublished"], date_of(&changed_at), "verdict date");

        let item = &r["itemReviewed"];
        assert_eq!(item["@type"], "Claim");
        assert_eq!(item["author"]["@type"], *author_type, "{status}");
        assert_eq!(item["author"]["name"], source_name.as_str());
        assert_eq!(item["appearance"]["url"], story_url);
        assert_eq!(item["firstAppearance"]["url"], story_url);
        assert!(item["appearance"]["@type"].is_string());
        if *status == "false" {
            assert_eq!(item["datePublished"], "2024-12-06");
        } else {
            assert!(item.get("datePublished").is_none());
        }
    }

    let bare_review = find(&default_url(&bare));
    assert!(bare_review["itemReviewed"].get("appearance").is_none());
    assert!(bare_review["itemReviewed"].get("firstAppearance").is_none());

    // Reopening a verdict takes the claim out of the ClaimReview export.
    app.status(&verdicts[4].0, Status::InReview, "new footage")
        .apply()
        .await;
    let (_, body) = download(&app.client, &app, "format=claimreview").await;
    let reviews: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(reviews.len(), VERDICTS.len());
    assert!(reviews
        .iter()
        .all(|r| r["url"] != default_url(&verdicts[4].0)));

    // Only open claims: an empty array.
    let (_, body) = download(&app.client, &app, "format=claimreview&status=in_review").await;
    assert_eq!(serde_json::from_slice::<Value>(&body).unwrap(), json!([]));
}

#[test]
fn the_rating_scale_is_the_documented_mapping() {
    let expected = [
        (ClaimStatus::False, 1, "False"),
        (ClaimStatus::Disputed, 2, "Disputed"),
        (ClaimStatus::Unverifiable, 3, "Unverifiable"),
        (ClaimStatus::Corroborated, 4, "Corroborated"),
        (ClaimStatus::Verified, 5, "Verified"),
    ];
    for (s, v, label) in expected {
        assert_eq!(claimdesk::export::claimreview::rating(s), Some((v, label)));
    }
    for s in [ClaimStatus::Unverified, ClaimStatus::InReview] {
        assert_eq!(claimdesk::export::claimreview::rating(s), None);
    }
}

#[tokio::test]
async fn the_claim_page_shows_script_safe_claimreview_only_with_a_verdict() {
    let app = TestApp::spawn().await;
    let story = new_story(&app, "Markup story", Some("https://example.org/markup")).await;
    let source = app
        .source()
        .kind(SourceType::Witness)
        .create()
        .await
        .id
        .to_string();
    let quote = "Breaking </script><script>alert(1)</script> & more";
    let id = new_claim(
        &app,
        json!({ "story_id": story, "source_id": source, "quote": quote }),
    )
    .await;

    let page = app.view(&format!("/claims/{id}")).await;
    assert!(!page.exists("#claimreview-jsonld"), "no box yet");
    assert!(page.shows("once the claim has a verdict"));
    app.give(&id, Status::InReview, "looking", &[]).await;
    let page = app.view(&format!("/claims/{id}")).await;
    assert!(!page.exists("#claimreview-jsonld"), "no box in review");

    app.status(&id, Status::Disputed, "Contradicted by footage")
        .apply()
        .await;
    let page = app.html(&format!("/claims/{id}")).await;
    assert!(
        !page.contains("</script><script>alert(1)"),
        "raw markup in page"
    );
    let boxed = unescape(textarea(&page, "claimreview-jsonld"));
    assert!(!boxed.contains('<'), "a raw < in the JSON-LD: {boxed}");
    assert!(boxed.contains("\\u003c/script\\u003e"), "{boxed}");
    let v: Value = serde_json::from_str(&boxed).unwrap();
    assert_eq!(v["claimReviewed"], quote);
    assert_eq!(v["@type"], "ClaimReview");
    assert_eq!(v["reviewRating"]["ratingValue"], json!(2));
    assert_eq!(v["itemReviewed"]["author"]["@type"], "Person");

    // The box holds exactly what the export publishes for this claim.
    let (_, body) = download(
        &app.client,
        &app,
        &format!("format=claimreview&story={story}"),
    )
    .await;
    let exported: Vec<Value> = serde_json::from_slice(&body).unwrap();
    assert_eq!(exported, vec![v.clone()]);

    // The fact-check URL recorded on the page becomes the review's url …
    let url = "https://factcheck.example.org/markup";
    let res = app.set_review_url(&id.to_string(), url).await;
    assert_eq!(res.status(), 303);
    let page = app.view(&format!("/claims/{id}")).await;
    let v: Value = serde_json::from_str(&page.exact_text("#claimreview-jsonld")).unwrap();
    assert_eq!(v["url"], url);
    // … and clearing it falls back to the desk's own address.
    let res = app.set_review_url(&id.to_string(), "").await;
    assert_eq!(res.status(), 303);
    let page = app.view(&format!("/claims/{id}")).await;
    let v: Value = serde_json::from_str(&page.exact_text("#claimreview-jsonld")).unwrap();
    assert_eq!(v["url"], format!("{}/claims/{id}", app.addr));
}

// -------------------------------------------------------------- streaming

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

#[tokio::test]
async fn a_large_csv_export_streams_every_row() {
    use diesel_async::RunQueryDsl;
    const N: i64 = 20_000;
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id.to_string();
    let source = app.source().create().await.id.to_string();
    let mut conn = app.db.conn().await;
    diesel::sql_query(format!(
        "INSERT INTO claims (id, story_id, source_id, quote, created_at, updated_at) \
         SELECT gen_random_uuid(), '{story}', '{source}', 'Bulk claim, number ' || g, \
                now() - interval '1 day' + g * interval '1 millisecond', now() \
         FROM generate_series(1, {N}) AS g"
    ))
    .execute(&mut conn)
    .await
    .unwrap();
    let n: Vec<Count> = diesel::sql_query("SELECT count(*) AS n FROM claims")
        .load(&mut conn)
        .await
        .unwrap();
    assert_eq!(n[0].n, N);

    let started = std::time::Instant::now();
    let res = app.get("/export?format=csv").await;
    assert_eq!(res.status(), 200);
    // Streamed: no length known up front.
    assert!(res.headers().get("content-length").is_none());
    let body = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[..]);
    let mut count = 0;
    let mut ids = BTreeSet::new();
    let mut first_and_last = Vec::new();
    for rec in reader.records() {
        let rec = rec.unwrap();
        assert_eq!(rec.len(), CSV_HEADER.len());
        ids.insert(rec[0].to_owned());
        if count == 0 || count == N - 1 {
            first_and_last.push(rec[6].to_owned());
        }
        count += 1;
    }
    assert_eq!(count, N, "every row exported");
    assert_eq!(ids.len() as i64, N, "no row twice");
    assert_eq!(
        first_and_last,
        vec!["Bulk claim, number 1", &format!("Bulk claim, number {N}")]
    );
    eprintln!("{N} claims exported as CSV in {:?}", started.elapsed());
}
