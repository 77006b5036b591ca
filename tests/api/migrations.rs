//! Migrations only move forward in production, but every one must have a
//! working down.sql: revert them all on a migrated database and re-apply.

use crate::helpers::TestDb;
use claimdesk::db::MIGRATIONS;
use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use diesel_migrations::MigrationHarness;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_migration_reverts_and_reapplies() {
    let db = TestDb::blank().await;
    let conn = AsyncPgConnection::establish(&db.url).await.unwrap();
    let mut wrapper: AsyncConnectionWrapper<AsyncPgConnection> = AsyncConnectionWrapper::from(conn);
    let (applied, reverted, reapplied) = tokio::task::spawn_blocking(move || {
        let applied = wrapper.run_pending_migrations(MIGRATIONS).unwrap().len();
        let reverted = wrapper.revert_all_migrations(MIGRATIONS).unwrap().len();
        let reapplied = wrapper.run_pending_migrations(MIGRATIONS).unwrap().len();
        (applied, reverted, reapplied)
    })
    .await
    .unwrap();
    assert!(applied >= 5, "{applied} migrations");
    assert_eq!(reverted, applied);
    assert_eq!(reapplied, applied);
}
