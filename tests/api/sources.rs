//! Sources over the API and the source pages.

use crate::helpers::{field_error, input_value, location, textarea, unescape, TestApp};
use crate::kit::{read, ApiError, Page, Source, SourceType, Status};
use serde_json::json;

#[tokio::test]
async fn create_source_via_api_returns_201_with_location_and_fields() {
    let app = TestApp::spawn().await;

    let res = app
        .post_json(
            "/api/sources",
            &json!({
                "name": "Syrian Observatory for Human Rights",
                "source_type": "monitor",
                "affiliation": "Britain-based war monitor",
                "description": "Relies on a network of sources inside Syria."
            }),
        )
        .await;

    let loc = location(&res);
    let body: Source = read(res, 201).await;
    assert_eq!(loc, body.path());
    assert_eq!(body.name, "Syrian Observatory for Human Rights");
    assert_eq!(body.source_type, SourceType::Monitor);
    assert_eq!(
        body.affiliation.as_deref(),
        Some("Britain-based war monitor")
    );
    let got = app.get_source(&body).await;
    assert_eq!(got.source, body);
    assert_eq!(got.track_record.by_status.len(), 7);
}

#[tokio::test]
async fn every_source_type_is_accepted_and_an_unknown_one_is_422() {
    let app = TestApp::spawn().await;
    let types = [
        "government",
        "military",
        "armed_group",
        "monitor",
        "international",
        "foreign_government",
        "media",
        "witness",
        "anonymous",
        "other",
    ];

    // Sent as raw strings: the kit's enum would hide a spelling the API dropped.
    for t in types {
        let res = app
            .post_json(
                "/api/sources",
                &json!({ "name": format!("source {t}"), "source_type": t }),
            )
            .await;
        assert_eq!(res.status(), 201, "{t}");
    }
    let res = app
        .post_json(
            "/api/sources",
            &json!({ "name": "x", "source_type": "rebels" }),
        )
        .await;

    read::<ApiError>(res, 422).await.field("source_type");
    assert_eq!(app.sources().await.len(), types.len());
}

#[tokio::test]
async fn duplicate_source_name_in_any_case_is_422_on_name() {
    let app = TestApp::spawn().await;
    app.source().name("Syrian Army").create().await;

    let res = app.source().name("  syrian army ").send().await;

    let body: ApiError = read(res, 422).await;
    assert!(body.field("name").contains("already exists"));
    assert_eq!(app.sources().await.len(), 1);
}

#[tokio::test]
async fn source_name_over_200_characters_is_422_on_name() {
    let app = TestApp::spawn().await;

    let ok = app.source().name(&"ج".repeat(200)).send().await;
    let too_long = app.source().name(&"n".repeat(201)).send().await;

    assert_eq!(ok.status(), 201);
    let body: ApiError = read(too_long, 422).await;
    assert!(body.field("name").contains("200"));
}

#[tokio::test]
async fn put_source_replaces_it_and_refuses_a_taken_name() {
    let app = TestApp::spawn().await;
    let source = app.source().name("Syrian army").create().await;
    app.source().name("Syrian presidency").create().await;
    let named = |name: &str, version| {
        let mut b = source.body();
        (b.name, b.version) = (name.into(), Some(version));
        b
    };

    let renamed = app
        .put_json(&source.path(), &named("Syrian Arab Army", 1))
        .await;
    let clash = app
        .put_json(&source.path(), &named("SYRIAN PRESIDENCY", 2))
        .await;
    let missing = app
        .put_json(
            &format!("/api/sources/{}", uuid::Uuid::new_v4()),
            &named("x", 1),
        )
        .await;

    assert_eq!(read::<Source>(renamed, 200).await.name, "Syrian Arab Army");
    read::<ApiError>(clash, 422).await.field("name");
    assert_eq!(missing.status(), 404);
    assert_eq!(app.get_source(&source).await.name, "Syrian Arab Army");
}

#[tokio::test]
async fn new_source_form_creates_the_source_and_redirects_to_it() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form(
            "/sources",
            &[
                ("name", "Hassan Abdel Ghani"),
                ("source_type", "armed_group"),
                ("affiliation", "HTS-led alliance"),
                ("description", ""),
            ],
        )
        .await;

    assert_eq!(res.status(), 303);
    let to = location(&res);
    let id: uuid::Uuid = to.strip_prefix("/sources/").unwrap().parse().unwrap();
    let page = app.view(&to).await;
    assert!(page.shows("Hassan Abdel Ghani"));
    assert!(page.shows("Armed group / rebels"));
    assert!(page.shows("HTS-led alliance"));
    let api = app.get_source(id).await;
    assert_eq!(api.source_type, SourceType::ArmedGroup);
    assert_eq!(api.description, None);
}

#[tokio::test]
async fn duplicate_name_on_the_form_is_422_with_input_kept() {
    let app = TestApp::spawn().await;
    app.source()
        .name("United Nations")
        .kind(SourceType::International)
        .create()
        .await;

    let res = app
        .post_form(
            "/sources",
            &[
                ("name", "UNITED NATIONS"),
                ("source_type", "international"),
                ("description", "Kept <text>"),
            ],
        )
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(field_error(&page, "name").is_some_and(|m| m.contains("already exists")));
    assert_eq!(input_value(&page, "name"), "UNITED NATIONS");
    assert_eq!(
        Page::parse(&page).attrs("select#source_type option[selected]", "value"),
        ["international"]
    );
    assert_eq!(unescape(textarea(&page, "description")), "Kept <text>");
}

#[tokio::test]
async fn invalid_source_form_reports_each_field() {
    let app = TestApp::spawn().await;

    let res = app
        .post_form("/sources", &[("name", " "), ("source_type", "bogus")])
        .await;

    assert_eq!(res.status(), 422);
    let page = res.text().await.unwrap();
    assert!(field_error(&page, "name").is_some());
    assert!(field_error(&page, "source_type").is_some());
    assert!(app.sources().await.is_empty());
}

#[tokio::test]
async fn source_edit_form_saves_and_redirects() {
    let app = TestApp::spawn().await;
    let id = app.source().name("Syrian army").create().await.id;

    let page = app.view(&format!("/sources/{id}/edit")).await;
    let form = page.form("form:has(#name)");
    let res = app
        .post_form(
            &format!("/sources/{id}/edit"),
            &[
                ("name", "Syrian Arab Army"),
                ("source_type", "military"),
                ("version", form.field("version")),
            ],
        )
        .await;

    assert_eq!(form.field("name"), "Syrian army");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/sources/{id}"));
    assert!(app
        .view(&format!("/sources/{id}"))
        .await
        .shows("Syrian Arab Army"));
}

#[tokio::test]
async fn source_page_lists_its_claims_and_counts_by_status() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let monitor = app.source().name("Observatory").create().await;
    let other = app.source().name("Syrian army").create().await;
    for (source, quote) in [
        (&monitor, "826 people killed"),
        (&monitor, "111 civilians killed"),
        (&monitor, "rebels 20 km away"),
        (&other, "claim by the army only"),
    ] {
        let claim = app.claim(&story).source(source).quote(quote).create().await;
        if quote == "826 people killed" {
            app.give(&claim, Status::Disputed, "army denies", &[]).await;
        }
    }

    let page = app.view(&format!("/sources/{}", monitor.id)).await;
    let api = app.get_source(&monitor).await;

    let mut quotes = page.select_texts("table.claims td.quote");
    quotes.sort();
    assert_eq!(
        quotes,
        [
            "111 civilians killed",
            "826 people killed",
            "rebels 20 km away"
        ]
    );
    assert!(page.select_texts("p").contains(&"3 claims".to_owned()));
    let summary = page.select_texts(".summary-bar li");
    for s in ["Unverified 2", "Disputed 1", "Verified 0"] {
        assert!(summary.contains(&s.to_owned()), "{s} in {summary:?}");
    }
    let count = |s: Status| api.track_record.count(s);
    assert_eq!(count(Status::Unverified), 2);
    assert_eq!(count(Status::Disputed), 1);
}

#[tokio::test]
async fn sources_list_shows_claim_counts() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let monitor = app.source().name("Observatory").create().await;
    let army = app.source().name("Syrian army").create().await;
    app.source().name("Jordanian government").create().await;
    for (source, quote) in [(&monitor, "a"), (&monitor, "b"), (&army, "c")] {
        app.claim(&story).source(source).quote(quote).create().await;
    }

    let page = app.view("/sources").await;
    let api = app.sources().await;

    // Name and Claims cells, row by row.
    let names = page.select_texts("td[data-label=Name]");
    let claims = page.select_texts("td[data-label=Claims]");
    let rows: Vec<_> = names.iter().zip(&claims).collect();
    let count_of = |name: &str| rows.iter().find(|(n, _)| *n == name).unwrap().1.as_str();
    assert_eq!(count_of("Observatory"), "2");
    assert_eq!(count_of("Syrian army"), "1");
    assert_eq!(count_of("Jordanian government"), "0");
    let counts: Vec<(String, i64)> = api
        .iter()
        .map(|s| (s.name.clone(), s.claim_count))
        .collect();
    assert_eq!(
        counts,
        vec![
            ("Jordanian government".to_owned(), 0),
            ("Observatory".to_owned(), 2),
            ("Syrian army".to_owned(), 1),
        ],
        "by name, with counts"
    );
}

#[tokio::test]
async fn unknown_source_is_404_json_and_404_page() {
    let app = TestApp::spawn().await;
    let id = uuid::Uuid::new_v4();

    let api = app.get(&format!("/api/sources/{id}")).await;
    let (status, page) = app.page(&format!("/sources/{id}")).await;
    let (bad, _) = app.page("/sources/nope").await;

    assert_eq!(read::<ApiError>(api, 404).await.error, "not_found");
    assert_eq!(status, 404);
    assert!(Page::parse(&page).shows("Not found"));
    assert_eq!(bad, 404);
}
