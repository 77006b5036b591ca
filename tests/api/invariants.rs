//! The database enforces what the code assumes: `version` / `updated_at`
//! are bumped by a trigger on every edit of an editable column, and only then.

use crate::helpers::TestApp;
use chrono::{DateTime, Utc};
use claimdesk::db::schema::{claims, stories, users};
use claimdesk::domain::Role;
use diesel::prelude::*;
use diesel_async::RunQueryDsl;
use uuid::Uuid;

async fn story_version(app: &TestApp, id: Uuid) -> (i32, DateTime<Utc>) {
    let mut conn = app.db.conn().await;
    stories::table
        .find(id)
        .select((stories::version, stories::updated_at))
        .first(&mut conn)
        .await
        .unwrap()
}

#[tokio::test]
async fn plain_sql_edit_of_an_editable_column_bumps_version() {
    let app = TestApp::spawn().await;
    let id: Uuid = app.story().create().await.id;
    let (v0, t0) = story_version(&app, id).await;
    let mut conn = app.db.conn().await;
    diesel::sql_query("UPDATE stories SET title = 'Renamed by SQL' WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .execute(&mut conn)
        .await
        .unwrap();
    let (v1, t1) = story_version(&app, id).await;
    assert_eq!(v1, v0 + 1);
    assert!(t1 >= t0);
    // A no-op write (same value) is not an edit.
    diesel::sql_query("UPDATE stories SET title = 'Renamed by SQL' WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .execute(&mut conn)
        .await
        .unwrap();
    assert_eq!(story_version(&app, id).await.0, v1);
}

#[tokio::test]
async fn bookkeeping_updates_do_not_bump_version() {
    let app = TestApp::spawn().await;
    let user = app.new_user(Role::Editor, "Locked editor").await;
    let mut conn = app.db.conn().await;
    let before: i32 = users::table
        .find(user.id)
        .select(users::version)
        .first(&mut conn)
        .await
        .unwrap();
    diesel::sql_query("UPDATE users SET locked_until = now() + interval '1 hour' WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(user.id)
        .execute(&mut conn)
        .await
        .unwrap();
    let after: i32 = users::table
        .find(user.id)
        .select(users::version)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, before);
}

#[tokio::test]
async fn setting_a_review_url_changes_the_claims_version() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let claim = app.claim(&story).quote("A checked claim.").create().await;
    let id: Uuid = claim.id;
    let mut conn = app.db.conn().await;
    let before: i32 = claims::table
        .find(id)
        .select(claims::version)
        .first(&mut conn)
        .await
        .unwrap();
    let res = app
        .set_review_url(&id.to_string(), "https://example.org/fact-check/9")
        .await;
    assert_eq!(res.status(), 303);
    let after: i32 = claims::table
        .find(id)
        .select(claims::version)
        .first(&mut conn)
        .await
        .unwrap();
    assert_eq!(after, before + 1);
}

#[tokio::test]
async fn a_javascript_url_is_refused_by_the_database() {
    let app = TestApp::spawn().await;
    let id: Uuid = app.story().create().await.id;
    let mut conn = app.db.conn().await;
    let err = diesel::sql_query("UPDATE stories SET url = 'javascript:alert(1)' WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .execute(&mut conn)
        .await
        .expect_err("the CHECK refuses a javascript: URL");
    assert!(err.to_string().contains("stories_url_http"), "{err}");
}
