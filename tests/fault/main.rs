//! Fault suite: each test starts a private PostgreSQL cluster and the real
//! `claimdesk serve` process against it, then breaks something:
//!
//! - `restart`: `pg_ctl restart -m fast`, then `-m immediate`, under a
//!   read/write load: no acknowledged write lost, no 500.
//! - `sigstop`: every PostgreSQL process stopped: every request answers
//!   503 within the configured bound, and the app recovers after SIGCONT.
//! - `kill9`: the app killed mid-write: versions, history and audit agree.
//!
//! Without PostgreSQL server binaries the tests are skipped, unless `CI`
//! is set. They run one at a time (their timings should not share two
//! cores with each other) and print their figures to stderr.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod app;
mod cluster;
mod kill9;
mod restart;
mod sigstop;

/// Held for the whole of a test: the scenarios run one after the other.
async fn serial() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    LOCK.lock().await
}
