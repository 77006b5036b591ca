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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_binary_logs_one_line_per_request_with_status_and_latency() {
    let db = TestDb::new().await;
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdesk"))
        .args([
            "--database-url",
            &db.url,
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "1",
        ])
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/healthz");
    let started = Instant::now();
    let status = loop {
        match client().get(&url).send().await {
            Ok(res) => break res.status(),
            Err(_) if started.elapsed() < Duration::from_secs(30) => {
                tokio::time::sleep(Duration::from_millis(100)).await
            }
            Err(e) => panic!("server did not start: {e}"),
        }
    };
    assert_eq!(status, 200);
    // Let the request's span close, then stop the server (this child only).
    tokio::time::sleep(Duration::from_millis(300)).await;
    child.start_kill().unwrap();
    let out = child.wait_with_output().await.unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = log.lines().filter(|l| l.contains("/healthz")).collect();
    assert_eq!(lines.len(), 1, "one line per request:\n{log}");
    assert!(lines[0].contains("http.status_code=200"), "{}", lines[0]);
    assert!(lines[0].contains("time.busy="), "{}", lines[0]);
}
