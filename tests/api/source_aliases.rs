//! Source aliases: one name space with every source's name, search by any
//! alias, the seed's HTS leader, and races for the same name.

use crate::helpers::TestApp;
use crate::kit::{read, ApiError, Source, SourceType};
use claimdesk::domain::Role;
use serde_json::json;

fn names(items: &[serde_json::Value]) -> Vec<String> {
    items
        .iter()
        .map(|i| i["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn aliases_are_stored_returned_and_found_by_search_in_any_case() {
    let app = TestApp::spawn().await;
    let leader = app
        .source()
        .name("Ahmed al-Sharaa")
        .kind(SourceType::ArmedGroup)
        .create()
        .await;
    app.source().name("Hassan Abdel Ghani").create().await;

    let res = app
        .set_aliases(
            &app.api(),
            &leader,
            &["Abu Mohammed al-Jolani", " ", "abu mohammed AL-JOLANI"],
        )
        .await;
    assert_eq!(res.status(), 200);
    let got = app.get_source(&leader).await;
    assert_eq!(got.aliases, ["Abu Mohammed al-Jolani"]);
    assert!(
        got.version > leader.version,
        "an alias change is a new version"
    );

    assert_eq!(
        names(&app.search_sources("jolani").await),
        ["Ahmed al-Sharaa"]
    );
    assert_eq!(
        names(&app.search_sources("SHARAA").await),
        ["Ahmed al-Sharaa"]
    );
    assert!(app.search_sources("nobody at all").await.is_empty());
    let item = &app.search_sources("jolani").await[0];
    assert_eq!(item["aliases"], json!(["Abu Mohammed al-Jolani"]));

    // The list page and the claim form's picker find it by the alias too.
    let page = app.view("/sources?q=Jolani").await;
    assert_eq!(
        page.select_texts("table.list td[data-label=Name] a"),
        ["Ahmed al-Sharaa"]
    );
    let story = app.story().create().await;
    let story_page = app.view(&format!("/stories/{}", story.id)).await;
    let options = story_page.select_texts("select#source_id option");
    assert!(
        options
            .iter()
            .any(|o| o.contains("Ahmed al-Sharaa") && o.contains("Abu Mohammed al-Jolani")),
        "{options:?}"
    );

    // A PUT without `aliases` keeps them.
    let now = app.get_source(&leader).await;
    let res = app.api().put_json(&now.path(), &now.body()).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        app.get_source(&leader).await.aliases,
        ["Abu Mohammed al-Jolani"]
    );
}

#[tokio::test]
async fn a_new_claims_source_typed_as_an_alias_is_the_existing_source() {
    let app = TestApp::spawn().await;
    let leader = app.source().name("Ahmed al-Sharaa").create().await;
    app.set_aliases(&app.api(), &leader, &["Abu Mohammed al-Jolani"])
        .await;
    let story = app.story().create().await;
    let claim = app
        .claim(&story)
        .new_source("abu mohammed al-jolani", SourceType::ArmedGroup)
        .quote("We will take Damascus")
        .create()
        .await;
    assert_eq!(claim.source_id, leader.id);
}

#[tokio::test]
async fn an_alias_that_is_another_sources_name_or_alias_is_422_and_nothing_changes() {
    let app = TestApp::spawn().await;
    let a = app.source().name("Syrian army").create().await;
    let b = app.source().name("Syrian Arab Army command").create().await;
    app.set_aliases(&app.api(), &b, &["SAA"]).await;

    let err: ApiError = read(
        app.set_aliases(&app.api(), &a, &["syrian arab army COMMAND"])
            .await,
        422,
    )
    .await;
    assert!(err.field("aliases").contains("another source"), "{err:?}");
    let err: ApiError = read(app.set_aliases(&app.api(), &a, &["Army", "saa"]).await, 422).await;
    assert!(err.field("aliases").contains("saa"), "{err:?}");
    assert!(
        app.get_source(&a).await.aliases.is_empty(),
        "all or nothing"
    );

    // And a new source may not take an alias as its name.
    let res = app.source().name("SAA").send().await;
    let err: ApiError = read(res, 422).await;
    assert!(err.field("name").contains("already exists"), "{err:?}");
    // Nor a renamed one.
    let mut body = app.get_source(&a).await.body();
    body.name = "Saa".into();
    let err: ApiError = read(app.api().put_json(&a.path(), &body).await, 422).await;
    assert!(!err.field("name").is_empty(), "{err:?}");
}

#[tokio::test]
async fn renaming_a_source_to_its_own_alias_keeps_one_name_space_row() {
    let app = TestApp::spawn().await;
    let s = app.source().name("Abu Mohammed al-Jolani").create().await;
    app.set_aliases(&app.api(), &s, &["Ahmed al-Sharaa"]).await;
    let now = app.get_source(&s).await;
    let mut body = serde_json::to_value(now.body()).unwrap();
    body["name"] = json!("Ahmed al-Sharaa");
    body["aliases"] = json!(["Abu Mohammed al-Jolani"]);
    let res = app.api().put_json(&s.path(), &body).await;
    let got: serde_json::Value = read(res, 200).await;
    assert_eq!(got["name"], "Ahmed al-Sharaa");
    assert_eq!(got["aliases"], json!(["Abu Mohammed al-Jolani"]));
    let rows = app
        .count(&format!(
            "SELECT count(*) AS n FROM source_names WHERE source_id = '{}'",
            s.id
        ))
        .await;
    assert_eq!(rows, 2);
}

#[tokio::test]
async fn concurrent_claims_on_one_alias_leave_exactly_one_owner() {
    let app = TestApp::spawn().await;
    let mut sources: Vec<Source> = Vec::new();
    for i in 0..8 {
        sources.push(app.source().name(&format!("Contender {i}")).create().await);
    }
    let api = app.api();
    let tries = sources
        .iter()
        .map(|s| app.set_aliases(&api, s, &["The Contested Name"]));
    let statuses: Vec<u16> = futures_util::future::join_all(tries)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 422),
        "{statuses:?}"
    );
    let owners = app
        .count("SELECT count(*) AS n FROM source_names WHERE name_key = 'the contested name'")
        .await;
    assert_eq!(owners, 1);
    // A new source racing for the same name loses too.
    let res = app.source().name("the contested NAME").send().await;
    assert_eq!(res.status(), 422);
}

#[tokio::test]
async fn viewers_cannot_change_aliases() {
    let app = TestApp::spawn().await;
    let s = app.source().create().await;
    let viewer = app.user(Role::Viewer).create().await;
    let res = app.set_aliases(&app.api_as(&viewer), &s, &["Other"]).await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn the_edit_form_shows_and_saves_aliases_one_a_line() {
    let app = TestApp::spawn().await;
    let s = app
        .source()
        .name("Ahmed al-Sharaa")
        .kind(SourceType::ArmedGroup)
        .create()
        .await;
    let editor = app.user(Role::Editor).create().await;
    let session = app.sign_in(&editor).await;
    let form = session
        .page(&format!("/sources/{}/edit", s.id))
        .await
        .form("form.source-form");
    let mut fields: Vec<(&str, &str)> = form
        .pairs()
        .into_iter()
        .filter(|(k, _)| *k != "csrf_token" && *k != "aliases")
        .collect();
    fields.push(("aliases", "Abu Mohammed al-Jolani\r\nJolani"));
    let res = session
        .post_form(&format!("/sources/{}/edit", s.id), &fields)
        .await;
    assert_eq!(
        res.status(),
        303,
        "{}",
        res.text().await.unwrap_or_default()
    );
    let page = session.page(&format!("/sources/{}", s.id)).await;
    assert_eq!(
        page.select_texts(".aliases .alias"),
        ["Abu Mohammed al-Jolani", "Jolani"]
    );
    let edit = session.page(&format!("/sources/{}/edit", s.id)).await;
    assert_eq!(
        edit.form("form.source-form").field("aliases"),
        "Abu Mohammed al-Jolani\nJolani"
    );
}

#[tokio::test]
async fn the_seeded_hts_leader_is_found_by_his_nom_de_guerre() {
    let app = TestApp::spawn_seeded().await;
    let found = app.search_sources("Abu Mohammed al-Jolani").await;
    assert_eq!(names(&found), ["Ahmed al-Sharaa"]);
    assert_eq!(found[0]["aliases"], json!(["Abu Mohammed al-Jolani"]));
    // A reload neither duplicates nor loses the alias.
    claimdesk::seed::load_builtin(&mut app.db.conn().await)
        .await
        .unwrap();
    assert_eq!(
        names(&app.search_sources("jolani").await),
        ["Ahmed al-Sharaa"]
    );
}
