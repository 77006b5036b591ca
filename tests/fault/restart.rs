//! PostgreSQL restarts (fast, then immediate) under a read/write load:
//! no acknowledged write is lost, and no request gets a 500; while the
//! database is away the answer is 503 with Retry-After.

use crate::app::{id_of, send, App, Tally};
use crate::cluster::{report, Cluster};
use claimdesk::db::embedded::ShutdownMode;
use diesel::sql_types::{Array, Integer, Text};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const WRITERS: usize = 8;
const READERS: usize = 4;
/// Load before the first restart, between the two, and after the second.
const PHASE: Duration = Duration::from_secs(5);

/// A status change the server acknowledged: the claim reached `version`
/// with `status`.
#[derive(Clone)]
struct AckedStatus {
    claim: uuid::Uuid,
    version: i32,
    status: &'static str,
}

#[derive(Default)]
struct Acked {
    created: Mutex<Vec<uuid::Uuid>>,
    statuses: Mutex<Vec<AckedStatus>>,
}

struct Load {
    app: Arc<App>,
    story: String,
    source: String,
    tally: Tally,
    acked: Acked,
    stop: AtomicBool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn restarts_lose_no_acknowledged_write_and_answer_no_500() {
    let _serial = crate::serial().await;
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let app = Arc::new(App::start(&cluster).await);
    let (story, source) = app.story_and_source().await;
    let load = Arc::new(Load {
        app: app.clone(),
        story,
        source,
        tally: Tally::default(),
        acked: Acked::default(),
        stop: AtomicBool::new(false),
    });
    let mut tasks = Vec::new();
    for writer in 0..WRITERS {
        tasks.push(tokio::spawn(write_loop(load.clone(), writer)));
    }
    for reader in 0..READERS {
        tasks.push(tokio::spawn(read_loop(load.clone(), reader)));
    }

    let start = Instant::now();
    tokio::time::sleep(PHASE).await;
    let fast = Instant::now();
    cluster.restart(ShutdownMode::Fast).await;
    let fast = fast.elapsed();
    tokio::time::sleep(PHASE).await;
    let immediate = Instant::now();
    cluster.restart(ShutdownMode::Immediate).await;
    let immediate = immediate.elapsed();
    tokio::time::sleep(PHASE).await;
    load.stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.expect("a load task");
    }
    let ran = start.elapsed();

    let figures = load.tally.snapshot();
    let created = load.acked.created.lock().expect("acks").clone();
    let statuses = load.acked.statuses.lock().expect("acks").clone();
    report(&format!(
        "fault/restart: {ran:.1?} of load ({WRITERS} writers, {READERS} readers), \
         pg_ctl restart -m fast took {fast:.1?}, -m immediate {immediate:.1?}\n  {figures}\n  \
         acknowledged writes: {} claims created, {} status changes",
        created.len(),
        statuses.len()
    ));

    let lost = lost_writes(&app, &created, &statuses).await;
    report(&format!(
        "fault/restart: acknowledged writes missing from the database: {}",
        lost.len()
    ));
    assert!(lost.is_empty(), "acknowledged writes lost: {lost:?}");
    assert!(
        !created.is_empty() && !statuses.is_empty(),
        "the load acknowledged no write at all: {figures}"
    );
    assert_eq!(figures.internal, 0, "500s during restarts: {figures}");
    assert_eq!(
        figures.unavailable_bare, 0,
        "503 without Retry-After: {figures}"
    );
    assert!(
        figures.other.is_empty() && figures.transport == 0,
        "unexpected answers during restarts: {figures}"
    );
    // The app is serving again without being restarted itself.
    let health = send(app.client.get(app.url("/healthz"))).await;
    assert_eq!(health.status, Some(200), "healthz after the restarts");
}

/// Creates a claim, then gives it a verdict through review; after any
/// failed step it moves on to a new claim (a 503 may hide a committed
/// change, and the next write would then carry a stale version).
async fn write_loop(load: Arc<Load>, writer: usize) {
    let app = &load.app;
    let mut n = 0u64;
    while !load.stop.load(Ordering::Relaxed) {
        n += 1;
        let body = serde_json::json!({
            "story_id": load.story,
            "source_id": load.source,
            "quote": format!("Writer {writer} claim {n}: the ring of steel holds"),
        });
        let created = send(app.client.post(app.url("/api/claims")).json(&body)).await;
        load.tally.record("POST /api/claims", &created);
        let Some(claim) = created.ok().then(|| created.json()).flatten() else {
            pause_after_failure().await;
            continue;
        };
        let id: uuid::Uuid = id_of(&claim).parse().expect("a claim id");
        load.acked.created.lock().expect("acks").push(id);
        let mut version = claim["version"].as_i64().unwrap_or(1) as i32;
        for status in ["in_review", "verified"] {
            let body = serde_json::json!({
                "status": status,
                "reason": format!("fault suite, writer {writer}"),
                "version": version,
            });
            let path = format!("/api/claims/{id}/status");
            let changed = send(app.client.post(app.url(&path)).json(&body)).await;
            load.tally.record("POST /api/claims/{id}/status", &changed);
            let Some(after) = changed.ok().then(|| changed.json()).flatten() else {
                pause_after_failure().await;
                break;
            };
            version = after["version"].as_i64().expect("a version") as i32;
            let acked = AckedStatus {
                claim: id,
                version,
                status,
            };
            load.acked.statuses.lock().expect("acks").push(acked);
        }
    }
}

/// The board page and the API list, one after the other.
async fn read_loop(load: Arc<Load>, reader: usize) {
    let app = &load.app;
    let paths = ["/", "/api/claims?limit=50", "/api/stories"];
    let mut n = reader;
    while !load.stop.load(Ordering::Relaxed) {
        let path = paths[n % paths.len()];
        n += 1;
        let res = send(app.client.get(app.url(path))).await;
        load.tally.record(path, &res);
        if !res.ok() {
            pause_after_failure().await;
        }
    }
}

/// Like a client honouring Retry-After, only shorter, to keep probing.
async fn pause_after_failure() {
    tokio::time::sleep(Duration::from_millis(50)).await;
}

#[derive(diesel::QueryableByName)]
struct Missing {
    #[diesel(sql_type = Text)]
    what: String,
}

/// Every acknowledged create is a row; every acknowledged status change is
/// the audit row written in its transaction, and the claim is at least at
/// that version.
async fn lost_writes(app: &App, created: &[uuid::Uuid], statuses: &[AckedStatus]) -> Vec<String> {
    use diesel_async::RunQueryDsl as _;
    let mut conn = app.db().await;
    let mut lost: Vec<Missing> = diesel::sql_query(
        "SELECT 'claim ' || w.id::text AS what FROM unnest($1::uuid[]) AS w(id) \
         WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = w.id)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(created)
    .load(&mut conn)
    .await
    .expect("check acknowledged creates");
    let ids: Vec<uuid::Uuid> = statuses.iter().map(|s| s.claim).collect();
    let versions: Vec<i32> = statuses.iter().map(|s| s.version).collect();
    let names: Vec<&str> = statuses.iter().map(|s| s.status).collect();
    let missing_changes: Vec<Missing> = diesel::sql_query(
        "SELECT format('status change of %s to %s (version %s)', w.id, w.status, w.version) AS what \
         FROM unnest($1::uuid[], $2::int[], $3::text[]) AS w(id, version, status) \
         WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = w.id AND c.version >= w.version) \
            OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.object_type = 'claim' \
                 AND a.object_id = w.id AND a.action = 'status_change' \
                 AND (a.after->>'version')::int = w.version AND a.after->>'status' = w.status)",
    )
    .bind::<Array<diesel::sql_types::Uuid>, _>(&ids)
    .bind::<Array<Integer>, _>(&versions)
    .bind::<Array<Text>, _>(&names)
    .load(&mut conn)
    .await
    .expect("check acknowledged status changes");
    lost.extend(missing_changes);
    lost.into_iter().map(|m| m.what).collect()
}
