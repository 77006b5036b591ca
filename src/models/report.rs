//! What the story and source reports need, read in a few queries.

use super::claim::ClaimFilter;
use super::export::{self, ExportClaim};
use diesel::QueryResult;
use diesel_async::AsyncPgConnection;

/// Upper bound on claims in one report; a story with more is a data export.
pub const MAX_CLAIMS: i64 = 5000;

pub async fn claims(
    conn: &mut AsyncPgConnection,
    f: &ClaimFilter,
) -> QueryResult<Vec<ExportClaim>> {
    export::batch(conn, f, None, MAX_CLAIMS, true).await
}
