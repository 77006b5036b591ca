//! `kill -9` of the app in the middle of concurrent edits and status
//! changes: every claim's version, history and audit trail still agree,
//! nothing acknowledged is missing, and the app starts again.
//!
//! The invariant, from src/models/claim.rs: a claim is created at version 1
//! with one `created` history row (to_status = unverified) and a `create`
//! audit row; every edit that changes something and every status change
//! bumps the version by one and writes, in the same transaction, one
//! history row (`edited` / `status_changed`) and one audit row (`update` /
//! `status_change`) carrying the new version. Rows of one transaction share
//! their `xmin`.

use crate::app::{id_of, send, App};
use crate::cluster::{report, Cluster};
use diesel::sql_types::{Array, Integer, Text};
use diesel_async::AsyncPgConnection;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const CLAIMS: usize = 12;
const WORKERS: usize = 8;
/// Load before the kill; long enough for a few hundred writes.
const LOAD: Duration = Duration::from_secs(4);

#[derive(Default)]
struct Counts {
    requests: AtomicU64,
    acked: AtomicU64,
    conflicts: AtomicU64,
    other: AtomicU64,
    cut_off: AtomicU64,
}

struct Load {
    client: reqwest::Client,
    /// `http://127.0.0.1:<port>`: the tasks must not own the process.
    base: String,
    claims: Vec<String>,
    counts: Counts,
    /// (claim, version) of every acknowledged write.
    acked: Mutex<Vec<(uuid::Uuid, i32)>>,
    unexpected: Mutex<Vec<String>>,
    killed: AtomicBool,
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kill_9_mid_write_leaves_versions_history_and_audit_in_agreement() {
    let _serial = crate::serial().await;
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let mut app = App::start(&cluster).await;
    let (story, source) = app.story_and_source().await;
    let mut claims = Vec::new();
    for n in 0..CLAIMS {
        let body = serde_json::json!({
            "story_id": story, "source_id": source, "quote": format!("Claim {n} under fire"),
        });
        claims.push(id_of(&app.post_ok("/api/claims", body).await));
    }
    let load = Arc::new(Load {
        client: app.client.clone(),
        base: app.url(""),
        claims,
        counts: Counts::default(),
        acked: Mutex::new(Vec::new()),
        unexpected: Mutex::new(Vec::new()),
        killed: AtomicBool::new(false),
    });
    let tasks: Vec<_> = (0..WORKERS)
        .map(|w| tokio::spawn(work(load.clone(), w)))
        .collect();
    tokio::time::sleep(LOAD).await;
    load.killed.store(true, Ordering::SeqCst);
    app.kill9().await;
    for task in tasks {
        task.await.expect("a load task");
    }

    let c = &load.counts;
    let acked = load.acked.lock().expect("acks").clone();
    let mut conn = app.db().await;
    let story_id: uuid::Uuid = story.parse().expect("a story id");
    let rows = row_counts(&mut conn, story_id).await;
    report(&format!(
        "fault/kill9: {} requests in {LOAD:?} ({WORKERS} workers on {CLAIMS} claims): {} acknowledged \
         writes, {} × 409 conflicts, {} other, {} cut off by kill -9; database: {rows}",
        c.requests.load(Ordering::Relaxed),
        c.acked.load(Ordering::Relaxed),
        c.conflicts.load(Ordering::Relaxed),
        c.other.load(Ordering::Relaxed),
        c.cut_off.load(Ordering::Relaxed),
    ));

    let unexpected = load.unexpected.lock().expect("unexpected").clone();
    assert!(
        unexpected.is_empty(),
        "unexpected answers before the kill:\n  {}",
        unexpected.join("\n  ")
    );
    assert!(
        acked.len() >= CLAIMS,
        "too few writes were acknowledged to test anything: {}",
        acked.len()
    );
    let broken = violations(&mut conn, story_id, &acked).await;
    report(&format!(
        "fault/kill9: invariant violations after kill -9: {}",
        broken.len()
    ));
    assert!(
        broken.is_empty(),
        "claims whose version, history and audit disagree after kill -9:\n  {}",
        broken.join("\n  ")
    );

    // The app comes back on the same database and serves what it holds.
    app.restart_after_kill(&cluster).await;
    for id in &load.claims {
        let res = send(app.client.get(app.url(&format!("/api/claims/{id}")))).await;
        assert_eq!(res.status, Some(200), "GET claim {id} after the restart");
        let body = res.json().expect("a claim");
        let in_db = version_in_db(&mut conn, id).await;
        assert_eq!(
            body["version"].as_i64(),
            Some(i64::from(in_db)),
            "claim {id}"
        );
    }
}

/// Reads a claim, then edits it or moves its status on, with the version
/// it read; runs until the server is gone.
async fn work(load: Arc<Load>, worker: usize) {
    let (client, base) = (&load.client, &load.base);
    let mut n = 0usize;
    loop {
        n += 1;
        let pick = (uuid::Uuid::new_v4().as_u128() % CLAIMS as u128) as usize;
        let id = &load.claims[pick];
        let current = send(client.get(format!("{base}/api/claims/{id}"))).await;
        if !record(&load, "GET claim", &current) {
            return;
        }
        let Some(claim) = current.json().filter(|_| current.ok()) else {
            continue;
        };
        let version = claim["version"].as_i64().unwrap_or(0);
        let req = if n.is_multiple_of(3) {
            let body = serde_json::json!({
                "story_id": claim["story_id"],
                "source_id": claim["source_id"],
                "quote": claim["quote"],
                "summary": format!("Edit {n} by worker {worker}"),
                "version": version,
            });
            client.put(format!("{base}/api/claims/{id}")).json(&body)
        } else {
            let to = next_status(claim["status"].as_str().unwrap_or(""), n);
            let body = serde_json::json!({
                "status": to,
                "reason": format!("Step {n} by worker {worker}"),
                "version": version,
            });
            client
                .post(format!("{base}/api/claims/{id}/status"))
                .json(&body)
        };
        let written = send(req).await;
        if !record(&load, "write", &written) {
            return;
        }
        if let Some(after) = written.json().filter(|_| written.ok()) {
            let version = after["version"].as_i64().expect("a version") as i32;
            let claim = id.parse().expect("a claim id");
            load.acked.lock().expect("acks").push((claim, version));
        }
    }
}

/// Counts an answer; false once the server is gone.
fn record(load: &Load, what: &str, o: &crate::app::Outcome) -> bool {
    let c = &load.counts;
    c.requests.fetch_add(1, Ordering::Relaxed);
    match o.status {
        Some(s) if (200..300).contains(&s) => {
            if what == "write" {
                c.acked.fetch_add(1, Ordering::Relaxed);
            }
        }
        // Two workers raced on one claim: the stale version lost, as it must.
        Some(409) => {
            c.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        Some(s) => {
            c.other.fetch_add(1, Ordering::Relaxed);
            let mut unexpected = load.unexpected.lock().expect("unexpected");
            if unexpected.len() < 8 {
                unexpected.push(format!("{what} -> {s}: {}", o.body));
            }
        }
        None if load.killed.load(Ordering::SeqCst) => {
            c.cut_off.fetch_add(1, Ordering::Relaxed);
            return false;
        }
        None => {
            c.other.fetch_add(1, Ordering::Relaxed);
            let mut unexpected = load.unexpected.lock().expect("unexpected");
            unexpected.push(format!("{what}: no answer before the kill: {:?}", o.error));
            return false;
        }
    }
    true
}

/// A valid next step for an editor, varied by `n`.
fn next_status(current: &str, n: usize) -> &'static str {
    match current {
        "unverified" => "in_review",
        "in_review" => ["verified", "disputed", "false", "unverified"][n % 4],
        _ => "in_review",
    }
}

#[derive(diesel::QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

async fn lines(
    conn: &mut AsyncPgConnection,
    query: diesel::query_builder::BoxedSqlQuery<
        '_,
        diesel::pg::Pg,
        diesel::query_builder::SqlQuery,
    >,
) -> Vec<String> {
    use diesel_async::RunQueryDsl as _;
    query
        .load::<Line>(conn)
        .await
        .expect("an invariant query")
        .into_iter()
        .map(|l| l.line)
        .collect()
}

async fn row_counts(conn: &mut AsyncPgConnection, story: uuid::Uuid) -> String {
    let query = diesel::sql_query(
        "SELECT format('%s claims, %s history rows, %s claim audit rows', \
           (SELECT count(*) FROM claims WHERE story_id = $1), \
           (SELECT count(*) FROM claim_history h JOIN claims c ON c.id = h.claim_id WHERE c.story_id = $1), \
           (SELECT count(*) FROM audit_log a JOIN claims c ON c.id = a.object_id \
              WHERE a.object_type = 'claim' AND c.story_id = $1)) AS line",
    )
    .into_boxed()
    .bind::<diesel::sql_types::Uuid, _>(story);
    lines(conn, query).await.join("")
}

async fn version_in_db(conn: &mut AsyncPgConnection, id: &str) -> i32 {
    #[derive(diesel::QueryableByName)]
    struct Version {
        #[diesel(sql_type = Integer)]
        version: i32,
    }
    use diesel_async::RunQueryDsl as _;
    let id: uuid::Uuid = id.parse().expect("a claim id");
    diesel::sql_query("SELECT version FROM claims WHERE id = $1")
        .bind::<diesel::sql_types::Uuid, _>(id)
        .get_result::<Version>(conn)
        .await
        .expect("the claim's version")
        .version
}

/// Each query returns one line per violation, among the claims of `story`.
const INVARIANTS: [&str; 6] = [
    // version = 1 + the history rows that bumped it; exactly one `created`.
    "SELECT format('claim %s: version %s, %s edited/status_changed rows, %s created rows', \
       c.id, c.version, \
       count(h.id) FILTER (WHERE h.action IN ('edited', 'status_changed')), \
       count(h.id) FILTER (WHERE h.action = 'created')) AS line \
     FROM claims c LEFT JOIN claim_history h ON h.claim_id = c.id \
     WHERE c.story_id = $1 GROUP BY c.id, c.version \
     HAVING c.version <> 1 + count(h.id) FILTER (WHERE h.action IN ('edited', 'status_changed')) \
        OR count(h.id) FILTER (WHERE h.action = 'created') <> 1",
    // The current status is where the last status entry went.
    "SELECT format('claim %s: status %s, last history entry says %s', c.id, c.status, last.to_status) AS line \
     FROM claims c LEFT JOIN LATERAL (SELECT h.to_status FROM claim_history h \
       WHERE h.claim_id = c.id AND h.to_status IS NOT NULL \
       ORDER BY h.created_at DESC, h.id DESC LIMIT 1) last ON true \
     WHERE c.story_id = $1 AND last.to_status IS DISTINCT FROM c.status",
    // Each status change starts where the previous one ended.
    "SELECT format('claim %s: history %s goes from %s, but the previous entry ended at %s', \
       x.claim_id, x.id, x.from_status, x.prev) AS line \
     FROM (SELECT h.*, lag(h.to_status) OVER (PARTITION BY h.claim_id ORDER BY h.created_at, h.id) AS prev \
           FROM claim_history h JOIN claims c ON c.id = h.claim_id \
           WHERE c.story_id = $1 AND h.to_status IS NOT NULL) x \
     WHERE x.action = 'status_changed' AND x.from_status IS DISTINCT FROM x.prev",
    // Each history row has its audit row, written by the same transaction.
    "SELECT format('claim %s: history %s (%s) has no audit row in its transaction', h.claim_id, h.id, h.action) AS line \
     FROM claim_history h JOIN claims c ON c.id = h.claim_id \
     WHERE c.story_id = $1 AND NOT EXISTS (SELECT 1 FROM audit_log a \
       WHERE a.object_type = 'claim' AND a.object_id = h.claim_id AND a.xmin::text = h.xmin::text \
         AND a.action::text = CASE h.action WHEN 'created' THEN 'create' WHEN 'edited' THEN 'update' \
                                      WHEN 'status_changed' THEN 'status_change' END)",
    // ... and no such audit row exists without its history row.
    "SELECT format('claim %s: audit %s (%s) has no history row in its transaction', a.object_id, a.id, a.action) AS line \
     FROM audit_log a JOIN claims c ON c.id = a.object_id \
     WHERE a.object_type = 'claim' AND c.story_id = $1 \
       AND a.action IN ('create', 'update', 'status_change') \
       AND NOT EXISTS (SELECT 1 FROM claim_history h WHERE h.claim_id = a.object_id AND h.xmin::text = a.xmin::text)",
    // The audited versions are 2, 3, … version: no gap, none twice.
    "SELECT format('claim %s: version %s, audited versions %s', c.id, c.version, v.versions) AS line \
     FROM claims c LEFT JOIN LATERAL (SELECT array_agg(n ORDER BY n) AS versions \
       FROM (SELECT coalesce((a.after->>'version')::int, (a.after->'claim'->>'version')::int) AS n \
             FROM audit_log a WHERE a.object_type = 'claim' AND a.object_id = c.id \
               AND a.action IN ('update', 'status_change')) audited) v ON true \
     WHERE c.story_id = $1 AND v.versions IS DISTINCT FROM \
       (SELECT array_agg(g ORDER BY g) FROM generate_series(2, c.version) g)",
];

async fn violations(
    conn: &mut AsyncPgConnection,
    story: uuid::Uuid,
    acked: &[(uuid::Uuid, i32)],
) -> Vec<String> {
    let mut found = Vec::new();
    for sql in INVARIANTS {
        let query = diesel::sql_query(sql)
            .into_boxed()
            .bind::<diesel::sql_types::Uuid, _>(story);
        found.extend(lines(conn, query).await);
    }
    // Nothing acknowledged is missing.
    let ids: Vec<uuid::Uuid> = acked.iter().map(|a| a.0).collect();
    let versions: Vec<i32> = acked.iter().map(|a| a.1).collect();
    let query = diesel::sql_query(
        "SELECT format('claim %s: acknowledged version %s is not in the database', w.id, w.version) AS line \
         FROM unnest($1::uuid[], $2::int[]) AS w(id, version) \
         WHERE NOT EXISTS (SELECT 1 FROM claims c WHERE c.id = w.id AND c.version >= w.version) \
            OR NOT EXISTS (SELECT 1 FROM audit_log a WHERE a.object_type = 'claim' AND a.object_id = w.id \
                 AND coalesce((a.after->>'version')::int, (a.after->'claim'->>'version')::int) = w.version)",
    )
    .into_boxed()
    .bind::<Array<diesel::sql_types::Uuid>, _>(ids)
    .bind::<Array<Integer>, _>(versions);
    found.extend(lines(conn, query).await);
    found
}
