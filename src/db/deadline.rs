//! Client-side deadlines for database work.
//!
//! A server-side `statement_timeout` cannot help when the server itself is
//! stopped or unreachable, so the client bounds its own waiting. Each HTTP
//! request runs inside a [`Budget`] (set up by `web::deadline`): the clock
//! runs only while the request holds or waits for a pooled connection, so
//! time spent elsewhere (a queue of password hashes, a slow upload) never
//! turns into a 503. When the budget is spent the request is dropped and
//! every connection it held is detached from the pool and closed (with a
//! cancel request sent to the server), never handed to the next request.
//!
//! Long work (streaming exports, import confirmations) wraps each batch in
//! [`bounded`] instead. A long route's request budget ([`Budget::long`])
//! covers what comes before its long work (authentication) and stops
//! counting once the work begins ([`long_work_begins`]: the handler's first
//! checkout through `web::conn`, or its first [`bounded`] batch), since the
//! route may then hold one connection (one transaction) across all batches.

use crate::error::AppError;
use std::future::Future;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::sync::Notify;

/// The query timeout used where no request or pool names one.
pub const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_millis(3000);

/// What `/healthz` may wait on the database, whatever the query timeout:
/// with the request's own overhead the answer comes within a second.
pub const HEALTH_TIMEOUT: Duration = Duration::from_millis(800);

tokio::task_local! {
    static CURRENT: Arc<Budget>;
}

/// How much database time one unit of work (a request, a batch) may use.
#[derive(Debug)]
pub struct Budget {
    /// The query timeout: the whole budget, or (when not enforced) the
    /// bound [`bounded`] gives each batch.
    limit: Duration,
    /// Whether the request itself is cut off when the budget is spent.
    enforced: bool,
    /// Whether [`long_work_begins`] lifts the budget (long routes).
    lifted_by_batches: bool,
    state: Mutex<State>,
    changed: Notify,
}

#[derive(Debug, Default)]
struct State {
    /// Database time spent in finished stretches of activity.
    used: Duration,
    /// Connections held plus checkouts waiting.
    active: usize,
    /// Start of the current stretch of activity.
    since: Option<Instant>,
    /// The work was abandoned: its connections must not be reused.
    fired: bool,
    /// A long route's work began: the request budget no longer runs.
    lifted: bool,
}

/// Where a budget stands, for the watchdog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Remaining {
    /// No connection is held or awaited: the clock is stopped.
    Idle,
    /// The clock runs; this much is left.
    Running(Duration),
}

impl Budget {
    /// A budget that cuts the request off after `limit` of database time.
    pub fn enforced(limit: Duration) -> Arc<Budget> {
        Arc::new(Budget::new(limit, true, false))
    }

    /// A long route's budget: enforced until its long work begins, after
    /// which each [`bounded`] batch is bounded by `limit` instead.
    pub fn long(limit: Duration) -> Arc<Budget> {
        Arc::new(Budget::new(limit, true, true))
    }

    /// Never cut off as a whole; `limit` bounds each batch wrapped in
    /// [`bounded`].
    pub fn exempt(limit: Duration) -> Arc<Budget> {
        Arc::new(Budget::new(limit, false, false))
    }

    fn new(limit: Duration, enforced: bool, lifted_by_batches: bool) -> Budget {
        Budget {
            limit,
            enforced,
            lifted_by_batches,
            state: Mutex::new(State::default()),
            changed: Notify::new(),
        }
    }

    pub fn limit(&self) -> Duration {
        self.limit
    }

    pub fn is_enforced(&self) -> bool {
        self.enforced
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // A panic while holding this tiny lock cannot leave the counters
        // half-written in a way that matters; keep going.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Marks the work abandoned: connections it holds are discarded.
    pub fn fire(&self) {
        self.state().fired = true;
        self.changed.notify_waiters();
    }

    pub fn has_fired(&self) -> bool {
        self.state().fired
    }

    /// The long work begins: a long route's budget stops running from now on.
    fn lift(&self) {
        if self.lifted_by_batches {
            self.state().lifted = true;
            self.changed.notify_waiters();
        }
    }

    pub fn remaining(&self) -> Remaining {
        let s = self.state();
        if s.lifted {
            return Remaining::Idle;
        }
        match s.since {
            None => Remaining::Idle,
            Some(since) => Remaining::Running(self.limit.saturating_sub(s.used + since.elapsed())),
        }
    }

    fn enter(self: &Arc<Self>) -> Activity {
        {
            let mut s = self.state();
            s.active += 1;
            if s.since.is_none() {
                s.since = Some(Instant::now());
            }
        }
        self.changed.notify_waiters();
        Activity(Arc::clone(self))
    }

    fn leave(&self) {
        {
            let mut s = self.state();
            s.active = s.active.saturating_sub(1);
            if s.active == 0 {
                if let Some(since) = s.since.take() {
                    s.used += since.elapsed();
                }
            }
        }
        self.changed.notify_waiters();
    }

    /// Resolves once the budget is spent (never while the clock is stopped).
    pub async fn spent(&self) {
        loop {
            // Registered before the state is read, so no change is missed.
            let changed = self.changed.notified();
            match self.remaining() {
                Remaining::Running(left) if left.is_zero() => return,
                Remaining::Running(left) => {
                    tokio::select! {
                        _ = tokio::time::sleep(left) => {}
                        _ = changed => {}
                    }
                }
                Remaining::Idle => changed.await,
            }
        }
    }
}

/// One connection held (or awaited) on behalf of a budget; the clock runs
/// while any exists.
#[derive(Debug)]
pub struct Activity(Arc<Budget>);

impl Activity {
    pub fn budget(&self) -> &Budget {
        &self.0
    }
}

impl Drop for Activity {
    fn drop(&mut self) {
        self.0.leave();
    }
}

/// The budget of the work running on this task, if any.
pub fn current() -> Option<Arc<Budget>> {
    CURRENT.try_with(Arc::clone).ok()
}

/// Starts counting one connection against the current budget, if any.
pub(crate) fn enter() -> Option<Activity> {
    CURRENT.try_with(|b| b.enter()).ok()
}

/// On a long route, its long work begins: from now on the request as a
/// whole is no longer cut off, only each [`bounded`] batch. Elsewhere a
/// no-op. Called by `web::conn` (handlers' checkouts) and by [`bounded`].
pub fn long_work_begins() {
    let _ = CURRENT.try_with(|b| b.lift());
}

/// Marks the current work's connections for discarding (after an error that
/// says the connection is unusable).
pub fn poison() {
    let _ = CURRENT.try_with(|b| b.fire());
}

/// Runs `fut` with `budget` as the current budget.
pub async fn scope<F: Future>(budget: Arc<Budget>, fut: F) -> F::Output {
    CURRENT.scope(budget, fut).await
}

fn timed_out(limit: Duration) -> AppError {
    AppError::Unavailable(format!(
        "the database did not answer within {} ms",
        limit.as_millis()
    ))
}

/// Runs one batch of database work (checkouts and queries) with the query
/// timeout of the current request (or [`DEFAULT_QUERY_TIMEOUT`] outside
/// one). On expiry the batch is dropped, its connections (and the request's
/// others) are discarded, and the result is a 503 [`AppError::Unavailable`].
///
/// ```ignore
/// let rows = bounded(async {
///     let mut c = pool.get().await?;
///     models::thing::batch(&mut c, after).await.map_err(AppError::from)
/// })
/// .await??;
/// ```
pub async fn bounded<F: Future>(fut: F) -> Result<F::Output, AppError> {
    let limit = current().map_or(DEFAULT_QUERY_TIMEOUT, |b| b.limit());
    bounded_for(limit, fut).await
}

/// [`bounded`] with an explicit limit.
pub async fn bounded_for<F: Future>(limit: Duration, fut: F) -> Result<F::Output, AppError> {
    let outer = current();
    long_work_begins();
    let inner = Budget::exempt(limit);
    // Boxed so the batch can be dropped *after* the deadline is marked fired:
    // its connections then see the mark when they are dropped.
    let mut work = Box::pin(scope(Arc::clone(&inner), fut));
    match tokio::time::timeout(limit, &mut work).await {
        Ok(out) => Ok(out),
        Err(_) => {
            inner.fire();
            if let Some(outer) = outer {
                outer.fire();
            }
            drop(work);
            Err(timed_out(limit))
        }
    }
}

/// When long work last showed progress (it beats between its batches).
#[derive(Debug, Clone)]
pub struct Heartbeat(Arc<Mutex<Instant>>);

impl Default for Heartbeat {
    fn default() -> Self {
        Heartbeat(Arc::new(Mutex::new(Instant::now())))
    }
}

impl Heartbeat {
    pub fn beat(&self) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn since(&self) -> Duration {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).elapsed()
    }
}

/// Runs long work that holds one connection (one transaction) across its
/// batches and calls `beat.beat()` between them. Each stretch between two
/// beats may take the current query timeout; past it the whole work is
/// dropped from outside (so no ROLLBACK is sent down a hung connection),
/// its connections are discarded, and the result is a 503.
pub async fn between_beats<F: Future>(beat: &Heartbeat, fut: F) -> Result<F::Output, AppError> {
    let outer = current();
    let limit = outer.as_ref().map_or(DEFAULT_QUERY_TIMEOUT, |b| b.limit());
    long_work_begins();
    beat.beat();
    let mut work = Box::pin(fut);
    loop {
        let left = limit.saturating_sub(beat.since());
        if left.is_zero() {
            if let Some(outer) = &outer {
                outer.fire();
            }
            drop(work);
            return Err(timed_out(limit));
        }
        if let Ok(out) = tokio::time::timeout(left, &mut work).await {
            return Ok(out);
        }
    }
}

/// Runs a whole request under `budget`; when an enforced budget is spent
/// the request is dropped (connections discarded) and `None` is returned.
pub async fn run_request<F: Future>(budget: Arc<Budget>, fut: F) -> Option<F::Output> {
    let mut work = Box::pin(scope(Arc::clone(&budget), fut));
    if !budget.is_enforced() {
        return Some(work.await);
    }
    tokio::select! {
        biased;
        out = &mut work => Some(out),
        _ = budget.spent() => {
            budget.fire();
            drop(work);
            None
        }
    }
}

/// The error a request gets when its budget is spent.
pub fn expired(budget: &Budget) -> AppError {
    timed_out(budget.limit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: Duration = Duration::from_millis(1);

    #[tokio::test]
    async fn the_clock_runs_only_while_a_connection_is_held() {
        let b = Budget::enforced(MS * 300);
        assert_eq!(b.remaining(), Remaining::Idle);
        let a = b.enter();
        tokio::time::sleep(MS * 100).await;
        drop(a);
        assert_eq!(b.remaining(), Remaining::Idle);
        // Time without a connection (a hash queue) costs nothing.
        tokio::time::sleep(MS * 400).await;
        let _a = b.enter();
        match b.remaining() {
            Remaining::Running(left) => {
                assert!(left <= MS * 200 && left > MS * 100, "{left:?}")
            }
            Remaining::Idle => panic!("clock should run"),
        }
    }

    #[tokio::test]
    async fn an_enforced_request_is_cut_off_after_its_database_time() {
        let b = Budget::enforced(MS * 200);
        let started = Instant::now();
        let out = run_request(Arc::clone(&b), async {
            tokio::time::sleep(MS * 300).await; // no connection: free
            let _held = enter();
            std::future::pending::<()>().await;
        })
        .await;
        assert!(out.is_none());
        assert!(b.has_fired());
        let took = started.elapsed();
        assert!(took >= MS * 500 && took < MS * 1500, "{took:?}");
    }

    #[tokio::test]
    async fn a_quick_request_is_untouched() {
        let b = Budget::enforced(MS * 500);
        let out = run_request(Arc::clone(&b), async {
            let _held = enter();
            tokio::time::sleep(MS * 20).await;
            7
        })
        .await;
        assert_eq!(out, Some(7));
        assert!(!b.has_fired());
    }

    #[tokio::test]
    async fn bounded_fires_its_own_and_the_outer_budget() {
        let outer = Budget::exempt(MS * 100);
        let res = scope(Arc::clone(&outer), async {
            bounded(async {
                let inner = current().map(|b| b.limit());
                assert_eq!(inner, Some(MS * 100));
                std::future::pending::<()>().await
            })
            .await
        })
        .await;
        assert!(matches!(res, Err(AppError::Unavailable(_))));
        assert!(outer.has_fired());
    }

    #[tokio::test]
    async fn a_long_route_is_bounded_until_its_batches_start() {
        // Before any batch: cut off like any request.
        let b = Budget::long(MS * 100);
        let out = run_request(Arc::clone(&b), async {
            let _held = enter();
            std::future::pending::<()>().await;
        })
        .await;
        assert!(out.is_none());
        // Holding its connection across batches: only each batch is bounded.
        let b = Budget::long(MS * 100);
        let out = run_request(Arc::clone(&b), async {
            let _held = enter();
            for _ in 0..4 {
                bounded(tokio::time::sleep(MS * 60)).await?;
            }
            bounded(std::future::pending::<()>()).await
        })
        .await;
        assert!(matches!(out, Some(Err(AppError::Unavailable(_)))));
    }

    #[tokio::test]
    async fn a_long_route_runs_on_once_its_handler_starts() {
        let b = Budget::long(MS * 50);
        let out = run_request(Arc::clone(&b), async {
            let _auth = enter(); // authentication: bounded
            drop(_auth);
            long_work_begins(); // the handler's first checkout
            let _held = enter();
            tokio::time::sleep(MS * 200).await;
            2
        })
        .await;
        assert_eq!(out, Some(2));
    }

    #[tokio::test]
    async fn an_exempt_request_runs_to_the_end() {
        let b = Budget::exempt(MS * 10);
        let out = run_request(Arc::clone(&b), async {
            let _held = enter();
            tokio::time::sleep(MS * 100).await;
            1
        })
        .await;
        assert_eq!(out, Some(1));
    }
}
