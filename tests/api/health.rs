use crate::helpers::{admin, bearer_client, client, spawn_server, url_for, TestApp, TestDb};
use std::time::{Duration, Instant};

#[tokio::test]
async fn healthz_is_ok_when_the_database_answers() {
    let app = TestApp::spawn().await;
    let res = app.get("/healthz").await;
    assert_eq!(res.status(), 200);
}

#[tokio::test]
async fn database_down_gives_503_quickly_and_recovers_when_it_is_back() {
    // A database that does not exist yet stands in for a server that is down.
    let db = TestDb::new().await;
    let missing = format!("{}_later", db.name);
    let url = url_for(&db.url, &missing);
    let (addr, _handle) = spawn_server(&url);
    // A bearer token makes the server ask the database who is calling.
    let anonymous = client();
    let client = bearer_client("cd_unknown");
    assert_eq!(
        anonymous
            .get(format!("{addr}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );

    let started = Instant::now();
    let res = client.get(format!("{addr}/")).send().await.unwrap();
    assert_eq!(res.status(), 503);
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "503 took {:?}",
        started.elapsed()
    );
    assert!(res
        .text()
        .await
        .unwrap()
        .contains("database is unavailable"));
    assert_eq!(
        client
            .get(format!("{addr}/healthz"))
            .send()
            .await
            .unwrap()
            .status(),
        503
    );
    let api = client
        .get(format!("{addr}/api/claims"))
        .send()
        .await
        .unwrap();
    assert_eq!(api.status(), 503);
    assert_eq!(
        api.json::<serde_json::Value>().await.unwrap()["error"],
        "unavailable"
    );

    // The database comes back: the same server recovers by itself.
    let mut conn = admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("CREATE DATABASE {missing} TEMPLATE {}", db.name)),
        &mut conn,
    )
    .await
    .ok();
    drop(conn);
    let res = anonymous
        .get(format!("{addr}/healthz"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    // Back up: the same unknown token is now simply refused.
    let res = client
        .get(format!("{addr}/api/claims"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let mut conn = admin().await;
    diesel_async::RunQueryDsl::execute(
        diesel::sql_query(format!("DROP DATABASE {missing} WITH (FORCE)")),
        &mut conn,
    )
    .await
    .ok();
}
