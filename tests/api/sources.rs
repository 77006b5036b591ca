//! Sources over the API and the source pages.

use crate::helpers::{cell, field_error, input_value, location, textarea, unescape, TestApp};
use serde_json::{json, Value};

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

    assert_eq!(res.status(), 201);
    let loc = location(&res);
    let body: Value = res.json().await.unwrap();
    assert_eq!(
        loc,
        format!("/api/sources/{}", body["id"].as_str().unwrap())
    );
    assert_eq!(body["name"], "Syrian Observatory for Human Rights");
    assert_eq!(body["source_type"], "monitor");
    assert_eq!(body["affiliation"], "Britain-based war monitor");
    let got = app.get_json(&loc).await;
    assert_eq!(got["name"], body["name"]);
    assert_eq!(got["status_counts"].as_array().unwrap().len(), 7);
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

    for t in types {
        app.source_id(&format!("source {t}"), t).await;
    }
    let res = app
        .post_json(
            "/api/sources",
            &json!({ "name": "x", "source_type": "rebels" }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["source_type"].is_string());
    let list = app.get_json("/api/sources").await;
    assert_eq!(list["items"].as_array().unwrap().len(), types.len());
}

#[tokio::test]
async fn duplicate_source_name_in_any_case_is_422_on_name() {
    let app = TestApp::spawn().await;
    app.source_id("Syrian Army", "military").await;

    let res = app
        .post_json(
            "/api/sources",
            &json!({ "name": "  syrian army ", "source_type": "military" }),
        )
        .await;

    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert!(body["fields"]["name"]
        .as_str()
        .unwrap()
        .contains("already exists"));
    assert_eq!(
        app.get_json("/api/sources").await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[tokio::test]
async fn source_name_over_200_characters_is_422_on_name() {
    let app = TestApp::spawn().await;

    let ok = app
        .post_json(
            "/api/sources",
            &json!({ "name": "ج".repeat(200), "source_type": "other" }),
        )
        .await;
    let too_long = app
        .post_json(
            "/api/sources",
            &json!({ "name": "n".repeat(201), "source_type": "other" }),
        )
        .await;

    assert_eq!(ok.status(), 201);
    assert_eq!(too_long.status(), 422);
    let body: Value = too_long.json().await.unwrap();
    assert!(body["fields"]["name"].as_str().unwrap().contains("200"));
}

#[tokio::test]
async fn put_source_replaces_it_and_refuses_a_taken_name() {
    let app = TestApp::spawn().await;
    let id = app.source_id("Syrian army", "military").await;
    app.source_id("Syrian presidency", "government").await;

    let renamed = app
        .put_json(
            &format!("/api/sources/{id}"),
            &json!({ "name": "Syrian Arab Army", "source_type": "military", "version": 1 }),
        )
        .await;
    let clash = app
        .put_json(
            &format!("/api/sources/{id}"),
            &json!({ "name": "SYRIAN PRESIDENCY", "source_type": "military", "version": 2 }),
        )
        .await;
    let missing = app
        .put_json(
            &format!("/api/sources/{}", uuid::Uuid::new_v4()),
            &json!({ "name": "x", "source_type": "military", "version": 1 }),
        )
        .await;

    assert_eq!(renamed.status(), 200);
    assert_eq!(
        renamed.json::<Value>().await.unwrap()["name"],
        "Syrian Arab Army"
    );
    assert_eq!(clash.status(), 422);
    assert!(clash.json::<Value>().await.unwrap()["fields"]["name"].is_string());
    assert_eq!(missing.status(), 404);
    assert_eq!(
        app.get_json(&format!("/api/sources/{id}")).await["name"],
        "Syrian Arab Army"
    );
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
    let id = to.strip_prefix("/sources/").unwrap();
    let page = app.html(&to).await;
    assert!(page.contains("Hassan Abdel Ghani"));
    assert!(page.contains("Armed group / rebels"));
    assert!(page.contains("HTS-led alliance"));
    let api = app.get_json(&format!("/api/sources/{id}")).await;
    assert_eq!(api["source_type"], "armed_group");
    assert_eq!(api["description"], Value::Null);
}

#[tokio::test]
async fn duplicate_name_on_the_form_is_422_with_input_kept() {
    let app = TestApp::spawn().await;
    app.source_id("United Nations", "international").await;

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
    assert!(page.contains(r#"<option value="international" selected>"#));
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
    assert!(app.get_json("/api/sources").await["items"]
        .as_array()
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn source_edit_form_saves_and_redirects() {
    let app = TestApp::spawn().await;
    let id = app.source_id("Syrian army", "military").await;

    let form = app.html(&format!("/sources/{id}/edit")).await;
    let res = app
        .post_form(
            &format!("/sources/{id}/edit"),
            &[
                ("name", "Syrian Arab Army"),
                ("source_type", "military"),
                ("version", hidden_version(&form)),
            ],
        )
        .await;

    assert_eq!(input_value(&form, "name"), "Syrian army");
    assert_eq!(res.status(), 303);
    assert_eq!(location(&res), format!("/sources/{id}"));
    assert!(app
        .html(&format!("/sources/{id}"))
        .await
        .contains("Syrian Arab Army"));
}

#[tokio::test]
async fn source_page_lists_its_claims_and_counts_by_status() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let monitor = app.source_id("Observatory", "monitor").await;
    let other = app.source_id("Syrian army", "military").await;
    let a = app.claim_json(&story, &monitor, "826 people killed").await;
    app.claim_json(&story, &monitor, "111 civilians killed")
        .await;
    app.claim_json(&story, &monitor, "rebels 20 km away").await;
    app.claim_json(&story, &other, "claim by the army only")
        .await;
    let a = a["id"].as_str().unwrap();
    assert_eq!(app.set_status(a, "in_review", "r").await.status(), 200);
    assert_eq!(
        app.set_status(a, "disputed", "army denies").await.status(),
        200
    );

    let page = app.html(&format!("/sources/{monitor}")).await;
    let api = app.get_json(&format!("/api/sources/{monitor}")).await;

    for q in [
        "826 people killed",
        "111 civilians killed",
        "rebels 20 km away",
    ] {
        assert!(page.contains(q), "missing {q}");
    }
    assert!(!page.contains("claim by the army only"));
    assert!(page.contains("<p>3 claims</p>"));
    assert!(page.contains(r#"status-unverified">Unverified</span> <strong>2</strong>"#));
    assert!(page.contains(r#"status-disputed">Disputed</span> <strong>1</strong>"#));
    assert!(page.contains(r#"status-verified">Verified</span> <strong>0</strong>"#));
    let count = |s: &str| {
        api["status_counts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["status"] == s)
            .unwrap()["count"]
            .clone()
    };
    assert_eq!(count("unverified"), 2);
    assert_eq!(count("disputed"), 1);
}

#[tokio::test]
async fn sources_list_shows_claim_counts() {
    let app = TestApp::spawn().await;
    let story = app.story_id("S").await;
    let monitor = app.source_id("Observatory", "monitor").await;
    let army = app.source_id("Syrian army", "military").await;
    app.source_id("Jordanian government", "foreign_government")
        .await;
    app.claim_json(&story, &monitor, "a").await;
    app.claim_json(&story, &monitor, "b").await;
    app.claim_json(&story, &army, "c").await;

    let page = app.html("/sources").await;
    let api = app.get_json("/api/sources").await;

    let row = |id: &str| {
        let start = page.find(&format!("/sources/{id}\"")).unwrap();
        let rest = &page[start..];
        rest[..rest.find("</tr>").unwrap()].to_owned()
    };
    assert_eq!(cell(&row(&monitor), "Claims"), "2");
    assert_eq!(cell(&row(&army), "Claims"), "1");
    assert_eq!(
        cell(
            &page[page.find("Jordanian government").unwrap()..],
            "Claims"
        ),
        "0"
    );
    let counts: Vec<(String, i64)> = api["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["name"].as_str().unwrap().to_owned(),
                s["claim_count"].as_i64().unwrap(),
            )
        })
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

    assert_eq!(api.status(), 404);
    assert_eq!(api.json::<Value>().await.unwrap()["error"], "not_found");
    assert_eq!(status, 404);
    assert!(page.contains("Not found"));
    assert_eq!(bad, 404);
}

/// The `version` the edit form carries in its hidden field.
fn hidden_version(form: &str) -> &str {
    let marker = "name=\"version\" value=\"";
    let at = form.find(marker).expect("a version field") + marker.len();
    &form[at..at + form[at..].find('"').unwrap()]
}
