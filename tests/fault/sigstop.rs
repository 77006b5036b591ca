//! A hung database (every PostgreSQL process SIGSTOPped): every request
//! still answers, with a 503, within the configured bound, and the app
//! recovers by itself once the database runs again. A test of a bound, not
//! of speed.

use crate::app::{bearer_client, id_of, send, App, Outcome, QUERY_TIMEOUT};
use crate::cluster::{report, Cluster};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Slack for scheduling on a loaded CI machine; the bound itself is the
/// server's configuration.
const MARGIN: Duration = Duration::from_secs(2);
/// `/healthz` must give up on the database within a second.
const HEALTH_LIMIT: Duration = Duration::from_secs(1);
const REQUESTS: u32 = 30;
/// Requests start over this window; the database stays stopped longer, so
/// a request that waits for it cannot be rescued by the SIGCONT in time.
const LAUNCH_EVERY: Duration = Duration::from_millis(200);
const MIN_STOPPED: Duration = Duration::from_secs(10);
const RECOVERY_LIMIT: Duration = Duration::from_secs(10);

#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Health,
    Board,
    ApiList,
    ApiClaim,
    ApiWrite,
}

impl Kind {
    const ALL: [Kind; 5] = [
        Kind::Health,
        Kind::Board,
        Kind::ApiList,
        Kind::ApiClaim,
        Kind::ApiWrite,
    ];

    fn bound(self) -> Duration {
        match self {
            Kind::Health => HEALTH_LIMIT + MARGIN,
            _ => QUERY_TIMEOUT + MARGIN,
        }
    }
}

struct Target {
    app: Arc<App>,
    story: String,
    source: String,
    claim: String,
}

impl Target {
    async fn request(&self, client: &reqwest::Client, kind: Kind, n: u32) -> Outcome {
        let app = &self.app;
        let req = match kind {
            Kind::Health => client.get(app.url("/healthz")),
            Kind::Board => client.get(app.url("/")),
            Kind::ApiList => client.get(app.url("/api/claims?limit=20")),
            Kind::ApiClaim => client.get(app.url(&format!("/api/claims/{}", self.claim))),
            Kind::ApiWrite => client
                .post(app.url("/api/claims"))
                .json(&serde_json::json!({
                    "story_id": self.story,
                    "source_id": self.source,
                    "quote": format!("Written while the database is stopped, #{n}"),
                })),
        };
        send(req).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_stopped_database_gets_503_within_the_bound_then_recovers() {
    let _serial = crate::serial().await;
    let Some(cluster) = Cluster::start().await else {
        return;
    };
    let app = Arc::new(App::start(&cluster).await);
    let (story, source) = app.story_and_source().await;
    let claim = app
        .post_ok(
            "/api/claims",
            serde_json::json!({ "story_id": story, "source_id": source, "quote": "Before the stop" }),
        )
        .await;
    let target = Arc::new(Target {
        app: app.clone(),
        story,
        source,
        claim: id_of(&claim),
    });
    // A timeout well past the bound: a hang shows as a hang, not an error.
    let token_client = bearer_client(&app.token, QUERY_TIMEOUT + MARGIN * 3);
    // Warm pools, several connections each: idle connections are what a
    // request to a stopped server hangs on.
    for round in 0..3u32 {
        let batch = (0..10u32).map(|n| {
            let kind = Kind::ALL[n as usize % Kind::ALL.len()];
            let (target, client) = (target.clone(), token_client.clone());
            tokio::spawn(async move {
                (
                    kind,
                    target.request(&client, kind, 1000 + round * 10 + n).await,
                )
            })
        });
        for task in batch.collect::<Vec<_>>() {
            let (kind, o) = task.await.expect("a warm-up request");
            assert!(
                o.ok(),
                "{kind:?} before the stop: {:?} {}",
                o.status,
                o.body
            );
        }
    }

    let frozen = cluster.freeze();
    let stopped_at = Instant::now();
    let mut running = Vec::new();
    for n in 0..REQUESTS {
        let kind = Kind::ALL[n as usize % Kind::ALL.len()];
        let (target, client) = (target.clone(), token_client.clone());
        running.push(tokio::spawn(async move {
            (kind, target.request(&client, kind, n).await)
        }));
        tokio::time::sleep(LAUNCH_EVERY).await;
    }
    let mut outcomes = Vec::new();
    for task in running {
        outcomes.push(task.await.expect("a request task"));
    }
    let all_answered_after = stopped_at.elapsed();
    if let Some(rest) = MIN_STOPPED.checked_sub(stopped_at.elapsed()) {
        tokio::time::sleep(rest).await;
    }
    let processes = frozen.len();
    let stopped_for = stopped_at.elapsed();
    frozen.thaw();
    let recovery = recover(&target, &token_client).await;

    report(&format!(
        "fault/sigstop: {processes} PostgreSQL processes stopped for {stopped_for:.1?}; \
         {REQUESTS} requests, the last answered {all_answered_after:.1?} after the stop; \
         bound {:?} (CLAIMDESK_QUERY_TIMEOUT_MS) + {MARGIN:?}, /healthz {HEALTH_LIMIT:?} + {MARGIN:?}\n{}\n  \
         recovered after SIGCONT in {recovery:.1?}",
        QUERY_TIMEOUT,
        summary(&outcomes)
    ));

    let late: Vec<String> = outcomes
        .iter()
        .filter(|(kind, o)| o.status.is_none() || o.elapsed > kind.bound())
        .map(|(kind, o)| format!("{kind:?} after {:.1?}: {}", o.elapsed, describe(o)))
        .collect();
    assert!(
        late.is_empty(),
        "{} of {REQUESTS} requests did not answer within their bound:\n  {}",
        late.len(),
        late.join("\n  ")
    );
    let not_503: Vec<String> = outcomes
        .iter()
        .filter(|(_, o)| o.status != Some(503))
        .map(|(kind, o)| format!("{kind:?}: {}", describe(o)))
        .collect();
    assert!(
        not_503.is_empty(),
        "answers other than 503 while the database was stopped:\n  {}",
        not_503.join("\n  ")
    );
}

/// Time until `/healthz`, a read and a write all succeed again.
async fn recover(target: &Target, client: &reqwest::Client) -> Duration {
    let start = Instant::now();
    for kind in [Kind::Health, Kind::ApiList, Kind::ApiWrite] {
        loop {
            let o = target.request(client, kind, 9000).await;
            if o.ok() {
                break;
            }
            assert!(
                start.elapsed() < RECOVERY_LIMIT,
                "{kind:?} still fails {RECOVERY_LIMIT:?} after SIGCONT: {}",
                describe(&o)
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    start.elapsed()
}

fn describe(o: &Outcome) -> String {
    match (o.status, &o.error) {
        (Some(s), _) => format!("{s} {}", o.body.chars().take(200).collect::<String>()),
        (None, Some(e)) => format!("no answer ({e})"),
        (None, None) => "no answer".into(),
    }
}

/// One line per kind: statuses and the slowest answer.
fn summary(outcomes: &[(Kind, Outcome)]) -> String {
    let mut by_kind: BTreeMap<Kind, (BTreeMap<String, u32>, Duration)> = BTreeMap::new();
    for (kind, o) in outcomes {
        let entry = by_kind.entry(*kind).or_default();
        let status = o.status.map_or("no answer".into(), |s| s.to_string());
        *entry.0.entry(status).or_default() += 1;
        entry.1 = entry.1.max(o.elapsed);
    }
    by_kind
        .iter()
        .map(|(kind, (statuses, slowest))| {
            format!(
                "  {kind:?}: {statuses:?}, slowest {slowest:.2?} (bound {:?})",
                kind.bound()
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}
