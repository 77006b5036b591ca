//! Straight SQL against a test's database: to set up states the app would
//! not write itself, and to count what it did write.

use crate::helpers::{TestApp, TestDb};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// The `n` of `query` on a connection the caller holds (to poll, or to
/// read inside its own transaction).
pub async fn count_on(conn: &mut AsyncPgConnection, query: &str) -> i64 {
    diesel::sql_query(query)
        .get_result::<Count>(conn)
        .await
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .n
}

impl TestDb {
    /// Runs `query`; panics with the query and the error when it fails.
    pub async fn sql(&self, query: &str) {
        diesel::sql_query(query)
            .execute(&mut self.conn().await)
            .await
            .unwrap_or_else(|e| panic!("{query}: {e}"));
    }

    /// The `n` of `query` (`SELECT count(*) AS n ...`).
    pub async fn count(&self, query: &str) -> i64 {
        count_on(&mut self.conn().await, query).await
    }
}

impl TestApp {
    pub async fn sql(&self, query: &str) {
        self.db.sql(query).await
    }

    pub async fn count(&self, query: &str) -> i64 {
        self.db.count(query).await
    }
}
