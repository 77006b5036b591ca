//! The database's own rules, checked with plain SQL (no app code in the
//! way): versions bumped by triggers (figures included, once per edit),
//! history rows shaped by their action, actions limited to their enums,
//! times from the database clock, and migrations that keep the data.

use crate::helpers::{TestApp, TestDb};
use chrono::{DateTime, Utc};
use claimdesk::db::schema::{claims, users};
use claimdesk::domain::{AuditAction, AuditObjectType, HistoryAction, Role};
use diesel::prelude::*;
use diesel::sql_types::{Array, Text, Timestamptz, Uuid as SqlUuid};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use serde_json::json;
use uuid::Uuid;

/// A claim created through the API (version 1, one `created` history row).
async fn new_claim(app: &TestApp, quote: &str) -> Uuid {
    let story = app.story().create().await;
    app.claim(&story).quote(quote).create().await.id
}

async fn version(conn: &mut AsyncPgConnection, id: Uuid) -> (i32, DateTime<Utc>) {
    claims::table
        .find(id)
        .select((claims::version, claims::updated_at))
        .first(conn)
        .await
        .unwrap()
}

async fn sql(conn: &mut AsyncPgConnection, q: &str, id: Uuid) -> QueryResult<usize> {
    diesel::sql_query(q)
        .bind::<SqlUuid, _>(id)
        .execute(conn)
        .await
}

const ADD_FIGURE: &str =
    "INSERT INTO claim_figures (id, claim_id, label, qualifier, value, position) \
     VALUES (gen_random_uuid(), $1, 'killed', 'exact', 10, 0)";

// ------------------------------------------------------------ versions

#[tokio::test]
async fn an_update_by_sql_bumps_the_claims_version_and_time() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Plain SQL edit").await;
    let mut conn = app.db.conn().await;
    let (v0, t0) = version(&mut conn, id).await;
    sql(
        &mut conn,
        "UPDATE claims SET summary = 'by hand' WHERE id = $1",
        id,
    )
    .await
    .unwrap();
    let (v1, t1) = version(&mut conn, id).await;
    assert_eq!(v1, v0 + 1);
    assert!(t1 > t0, "{t0} then {t1}");
    // Each statement is an edit of its own.
    sql(
        &mut conn,
        "UPDATE claims SET status = 'in_review' WHERE id = $1",
        id,
    )
    .await
    .unwrap();
    assert_eq!(version(&mut conn, id).await.0, v0 + 2);
}

#[tokio::test]
async fn a_figures_only_change_bumps_the_claim() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Figures by SQL").await;
    let mut conn = app.db.conn().await;
    let (v0, t0) = version(&mut conn, id).await;
    sql(&mut conn, ADD_FIGURE, id).await.unwrap();
    let (v1, t1) = version(&mut conn, id).await;
    assert_eq!(v1, v0 + 1, "insert");
    assert!(t1 > t0);
    let change = "UPDATE claim_figures SET value = 12 WHERE claim_id = $1";
    sql(&mut conn, change, id).await.unwrap();
    assert_eq!(version(&mut conn, id).await.0, v0 + 2, "update");
    // Rewriting a figure with its own values changes nothing.
    sql(&mut conn, change, id).await.unwrap();
    assert_eq!(version(&mut conn, id).await.0, v0 + 2, "no-op update");
    sql(
        &mut conn,
        "DELETE FROM claim_figures WHERE claim_id = $1",
        id,
    )
    .await
    .unwrap();
    assert_eq!(version(&mut conn, id).await.0, v0 + 3, "delete");
}

#[tokio::test]
async fn one_edit_of_wording_and_figures_is_one_bump() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Wording and figures").await;
    let mut conn = app.db.conn().await;
    sql(&mut conn, ADD_FIGURE, id).await.unwrap();
    let (v0, _) = version(&mut conn, id).await;
    conn.transaction::<_, diesel::result::Error, _>(async |c| {
        sql(c, "UPDATE claims SET quote = 'Reworded' WHERE id = $1", id).await?;
        sql(c, "DELETE FROM claim_figures WHERE claim_id = $1", id).await?;
        sql(c, ADD_FIGURE, id).await?;
        sql(c, ADD_FIGURE, id).await
    })
    .await
    .unwrap();
    assert_eq!(version(&mut conn, id).await.0, v0 + 1);
}

#[tokio::test]
async fn figures_written_with_a_new_claim_leave_it_at_version_one() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await.id;
    let source = app.source().create().await.id;
    let res = app
        .post_json(
            "/api/claims",
            &json!({
                "story_id": story, "source_id": source, "quote": "Two figures",
                "figures": [{ "label": "a", "min": 1 }, { "label": "b", "min": 2 }]
            }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["version"], 1, "{body}");
}

#[tokio::test]
async fn an_api_edit_of_figures_alone_bumps_once_and_is_recorded() {
    let app = TestApp::spawn().await;
    let story = app.story().create().await;
    let claim = app.claim(&story).quote("Counted").create().await;
    let (id, story, source) = (claim.id, claim.story_id, claim.source_id);
    let edit = |figures: serde_json::Value, quote: &str, version: i64| {
        json!({ "story_id": story, "source_id": source, "quote": quote,
                "figures": figures, "version": version })
    };
    let res = app
        .put_json(
            &format!("/api/claims/{id}"),
            &edit(json!([{ "label": "dead", "min": 3 }]), "Counted", 1),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["version"], 2, "the answer carries the bumped version");
    assert_eq!(res_history_keys(&body), vec!["figures"]);
    // Wording and figures together: still one bump.
    let res = app
        .put_json(
            &format!("/api/claims/{id}"),
            &edit(json!([{ "label": "dead", "min": 4 }]), "Recounted", 2),
        )
        .await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["version"], 3, "{body}");
    assert_eq!(res_history_keys(&body), vec!["figures", "quote"]);
}

/// The fields the newest history entry (an edit) changed, sorted.
fn res_history_keys(claim: &serde_json::Value) -> Vec<String> {
    let newest = &claim["history"][0];
    assert_eq!(newest["action"], "edited", "{claim}");
    let mut keys: Vec<String> = newest["changes"]
        .as_object()
        .unwrap()
        .keys()
        .cloned()
        .collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn bookkeeping_and_no_op_writes_do_not_bump() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Untouched").await;
    let user = app.new_user(Role::Editor, "Bookkeeping editor").await;
    let mut conn = app.db.conn().await;
    let (v0, t0) = version(&mut conn, id).await;
    sql(
        &mut conn,
        "UPDATE claims SET quote = quote, status = status WHERE id = $1",
        id,
    )
    .await
    .unwrap();
    assert_eq!(version(&mut conn, id).await, (v0, t0));

    let user_version = async |conn: &mut AsyncPgConnection| -> i32 {
        users::table
            .find(user.id)
            .select(users::version)
            .first(conn)
            .await
            .unwrap()
    };
    let before = user_version(&mut conn).await;
    for q in [
        "UPDATE users SET locked_until = now() + interval '15 minutes' WHERE id = $1",
        "UPDATE users SET locked_until = NULL WHERE id = $1",
        "UPDATE sessions SET last_seen_at = now() WHERE user_id = $1",
        "UPDATE api_tokens SET last_used_at = now() WHERE user_id = $1",
    ] {
        sql(&mut conn, q, user.id.into()).await.unwrap();
    }
    assert_eq!(user_version(&mut conn).await, before);
}

// ------------------------------------------------------------ history shape

/// Inserts one history row for `claim`; the error text on refusal.
async fn insert_history(
    conn: &mut AsyncPgConnection,
    claim: Uuid,
    columns: &str,
    values: &str,
) -> Result<(), String> {
    let q = format!(
        "INSERT INTO claim_history (id, claim_id, {columns}) VALUES (gen_random_uuid(), $1, {values})"
    );
    sql(conn, &q, claim)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn ill_formed_history_rows_are_refused() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Shaped history").await;
    let mut conn = app.db.conn().await;
    let cols = "action, from_status, to_status, reason, changes";
    for (what, values, constraint) in [
        (
            "status change without a reason",
            "'status_changed', 'unverified', 'in_review', NULL, NULL",
            "claim_history_status_changed_shape",
        ),
        (
            "status change with a blank reason",
            "'status_changed', 'unverified', 'in_review', '   ', NULL",
            "claim_history_status_changed_shape",
        ),
        (
            "status change without from",
            "'status_changed', NULL, 'in_review', 'why', NULL",
            "claim_history_status_changed_shape",
        ),
        (
            "status change to where it was",
            "'status_changed', 'in_review', 'in_review', 'why', NULL",
            "claim_history_status_changed_shape",
        ),
        (
            "edit without a diff",
            "'edited', NULL, NULL, NULL, NULL",
            "claim_history_edited_shape",
        ),
        (
            "edit whose diff is not an object",
            "'edited', NULL, NULL, NULL, '[\"quote\"]'",
            "claim_history_edited_shape",
        ),
        (
            "edit with a status move",
            "'edited', 'unverified', 'in_review', NULL, '{}'",
            "claim_history_edited_shape",
        ),
        (
            "creation without a status",
            "'created', NULL, NULL, NULL, NULL",
            "claim_history_created_shape",
        ),
        (
            "creation with a diff",
            "'created', NULL, 'unverified', NULL, '{}'",
            "claim_history_created_shape",
        ),
    ] {
        let err = insert_history(&mut conn, id, cols, values)
            .await
            .expect_err(what);
        assert!(err.contains(constraint), "{what}: {err}");
    }
    // The shapes every writer uses are accepted.
    for values in [
        "'created', NULL, 'unverified', NULL, NULL",
        "'edited', NULL, NULL, NULL, '{\"quote\": {\"from\": \"a\", \"to\": \"b\"}}'",
        "'status_changed', 'unverified', 'in_review', 'Checking', NULL",
    ] {
        insert_history(&mut conn, id, cols, values)
            .await
            .unwrap_or_else(|e| panic!("{values}: {e}"));
    }
}

#[tokio::test]
async fn unknown_actions_are_refused_by_the_enums() {
    let app = TestApp::spawn().await;
    let id = new_claim(&app, "Enum history").await;
    let mut conn = app.db.conn().await;
    let err = insert_history(
        &mut conn,
        id,
        "action, to_status",
        "'deleted', 'unverified'",
    )
    .await
    .expect_err("an action outside the enum");
    assert!(err.contains("history_action"), "{err}");
    for (values, type_name) in [
        ("'nothing_happened', 'claim'", "audit_action"),
        ("'create', 'planet'", "audit_object_type"),
    ] {
        let q = format!("INSERT INTO audit_log (action, object_type) VALUES ({values})");
        let err = diesel::sql_query(q)
            .execute(&mut conn)
            .await
            .expect_err(values)
            .to_string();
        assert!(err.contains(type_name), "{values}: {err}");
    }
}

#[derive(QueryableByName)]
struct Labels {
    #[diesel(sql_type = Array<Text>)]
    labels: Vec<String>,
}

#[tokio::test]
async fn the_rust_enums_and_the_postgres_enums_have_the_same_values() {
    let db = TestDb::new().await;
    let mut conn = db.conn().await;
    let mut labels = async |type_name: &str| -> Vec<String> {
        let q = format!("SELECT enum_range(NULL::{type_name})::text[] AS labels");
        diesel::sql_query(q)
            .get_result::<Labels>(&mut conn)
            .await
            .unwrap()
            .labels
    };
    let names = |all: &[&str]| all.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let history: Vec<&str> = HistoryAction::ALL.iter().map(|a| a.as_str()).collect();
    let actions: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
    let objects: Vec<&str> = AuditObjectType::ALL.iter().map(|a| a.as_str()).collect();
    assert_eq!(labels("history_action").await, names(&history));
    assert_eq!(labels("audit_action").await, names(&actions));
    assert_eq!(labels("audit_object_type").await, names(&objects));
}

// ------------------------------------------------------------ clock

#[derive(QueryableByName, Debug)]
struct Times {
    #[diesel(sql_type = Timestamptz)]
    created_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    updated_at: DateTime<Utc>,
    #[diesel(sql_type = Timestamptz)]
    began: DateTime<Utc>,
}

#[tokio::test]
async fn created_at_is_set_by_the_database_clock() {
    let app = TestApp::spawn().await;
    let story: Uuid = app.story().create().await.id;
    let source: Uuid = app.source().create().await.id;
    let mut conn = app.db.conn().await;
    let (claim, first, second, audit) = conn
        .transaction::<_, diesel::result::Error, _>(async |c| {
            let claim: Times = diesel::sql_query(
                "INSERT INTO claims (id, story_id, source_id, quote) \
                 VALUES (gen_random_uuid(), $1, $2, 'Clocked') \
                 RETURNING created_at, updated_at, now() AS began",
            )
            .bind::<SqlUuid, _>(story)
            .bind::<SqlUuid, _>(source)
            .get_result(c)
            .await?;
            // Two statements of one transaction: two distinct, ordered times,
            // so a history written in one transaction reads back in order.
            let history = "INSERT INTO claim_history (id, claim_id, action, to_status) \
                 SELECT gen_random_uuid(), id, 'created', 'unverified' FROM claims WHERE quote = 'Clocked' \
                 RETURNING created_at, created_at AS updated_at, now() AS began";
            let first: Times = diesel::sql_query(history).get_result(c).await?;
            let second: Times = diesel::sql_query(history).get_result(c).await?;
            let audit: Times = diesel::sql_query(
                "INSERT INTO audit_log (action, object_type) VALUES ('create', 'claim') \
                 RETURNING at AS created_at, at AS updated_at, now() AS began",
            )
            .get_result(c)
            .await?;
            Ok((claim, first, second, audit))
        })
        .await
        .unwrap();
    assert!(claim.created_at >= claim.began, "{claim:?}");
    assert_eq!(claim.created_at, claim.updated_at, "one INSERT, one time");
    assert!(first.created_at > claim.created_at, "{claim:?} {first:?}");
    assert!(second.created_at > first.created_at, "{first:?} {second:?}");
    assert_eq!(audit.created_at, audit.began, "{audit:?}");
}

// ------------------------------------------------------------ migrations

#[derive(QueryableByName, Debug, PartialEq)]
struct Row {
    #[diesel(sql_type = Text)]
    line: String,
}

pub(crate) async fn lines(conn: &mut AsyncPgConnection, q: &str) -> Vec<String> {
    diesel::sql_query(q)
        .load::<Row>(conn)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.line)
        .collect()
}

/// Runs the migrations named before `first` (`Before`), from `first` on
/// (`From`), or reverts those from `first` on, newest first (`Revert`).
#[derive(Clone, Copy, PartialEq)]
pub(crate) enum Step {
    Before,
    From,
    Revert,
}

pub(crate) async fn migrate(url: &str, first: &'static str, step: Step) {
    use claimdesk::db::MIGRATIONS;
    use diesel::migration::{Migration, MigrationConnection, MigrationSource};
    use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
    use diesel_migrations::MigrationHarness;

    let conn = AsyncPgConnection::establish(url).await.unwrap();
    let mut w: AsyncConnectionWrapper<AsyncPgConnection> = conn.into();
    tokio::task::spawn_blocking(move || {
        let digits = |m: &dyn Migration<diesel::pg::Pg>| -> String {
            let v = m.name().version().to_string();
            v.chars().filter(char::is_ascii_digit).collect()
        };
        let mut all = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap();
        all.sort_by_key(|m| digits(&**m));
        w.setup().unwrap();
        if step == Step::Revert {
            all.reverse();
        }
        for m in all {
            let mine = digits(&*m).as_str() >= first;
            match step {
                Step::Before if !mine => w.run_migration(&*m).map(drop).unwrap(),
                Step::From if mine => w.run_migration(&*m).map(drop).unwrap(),
                Step::Revert if mine => w.revert_migration(&*m).map(drop).unwrap(),
                _ => {}
            }
        }
    })
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enum_and_shape_migrations_keep_every_row_and_revert_to_text() {
    let db = TestDb::blank().await;
    let first = "20241212000001";
    migrate(&db.url, first, Step::Before).await;
    let mut conn = db.conn().await;
    for q in [
        "INSERT INTO stories (id, title, outlet) VALUES ('00000000-0000-0000-0000-000000000001', 's', 'o')",
        "INSERT INTO sources (id, name, source_type) VALUES ('00000000-0000-0000-0000-000000000002', 'n', 'witness')",
        "INSERT INTO claims (id, story_id, source_id, quote) VALUES ('00000000-0000-0000-0000-000000000003', \
         '00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002', 'q')",
        // An edit imported without its diff, as JSON imports could write it.
        "INSERT INTO claim_history (id, claim_id, action, from_status, to_status, reason, changes, created_at) VALUES \
         ('00000000-0000-0000-0000-000000000011', '00000000-0000-0000-0000-000000000003', 'created', NULL, 'unverified', NULL, NULL, '2024-12-01T10:00:00Z'), \
         ('00000000-0000-0000-0000-000000000012', '00000000-0000-0000-0000-000000000003', 'edited', NULL, NULL, NULL, NULL, '2024-12-01T11:00:00Z'), \
         ('00000000-0000-0000-0000-000000000013', '00000000-0000-0000-0000-000000000003', 'edited', NULL, NULL, NULL, '{\"quote\": {\"from\": \"p\", \"to\": \"q\"}}', '2024-12-01T12:00:00Z'), \
         ('00000000-0000-0000-0000-000000000014', '00000000-0000-0000-0000-000000000003', 'status_changed', 'unverified', 'in_review', 'Checking', NULL, '2024-12-01T13:00:00Z')",
        "INSERT INTO audit_log (action, object_type, object_id) VALUES \
         ('create', 'claim', '00000000-0000-0000-0000-000000000003'), ('login_failed', 'user', NULL), \
         ('token_create', 'api_token', NULL), ('import', 'import', NULL)",
    ] {
        diesel::sql_query(q).execute(&mut conn).await.unwrap();
    }
    let history =
        "SELECT concat_ws(' ', action, from_status, to_status, reason, changes::text) AS line \
                   FROM claim_history ORDER BY id";
    let audit = "SELECT action || ' ' || object_type AS line FROM audit_log ORDER BY id";
    let history_before = lines(&mut conn, history).await;
    let audit_before = lines(&mut conn, audit).await;

    migrate(&db.url, first, Step::From).await;
    let mut expected = history_before.clone();
    expected[1] = "edited {}".into();
    assert_eq!(lines(&mut conn, history).await, expected);
    assert_eq!(lines(&mut conn, audit).await, audit_before);
    let types = "SELECT table_name || '.' || column_name || ' ' || udt_name AS line \
                 FROM information_schema.columns \
                 WHERE (table_name, column_name) IN (('claim_history', 'action'), \
                       ('audit_log', 'action'), ('audit_log', 'object_type')) ORDER BY 1";
    assert_eq!(
        lines(&mut conn, types).await,
        vec![
            "audit_log.action audit_action",
            "audit_log.object_type audit_object_type",
            "claim_history.action history_action",
        ]
    );

    migrate(&db.url, first, Step::Revert).await;
    assert_eq!(lines(&mut conn, history).await, expected);
    assert_eq!(lines(&mut conn, audit).await, audit_before);
    assert_eq!(
        lines(&mut conn, types).await,
        vec![
            "audit_log.action text",
            "audit_log.object_type text",
            "claim_history.action text",
        ]
    );
}
