//! The counts a source's track record is computed from (domain::track_record).

use crate::domain::track_record::{self, Group, TrackRecord};
use crate::domain::{ClaimStatus, SourceId, StoryId};
use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Date, Float8, Int8, Nullable, Text, Uuid};
use diesel_async::{AsyncPgConnection, RunQueryDsl};

#[derive(QueryableByName)]
struct Row {
    #[diesel(sql_type = crate::db::schema::sql_types::ClaimStatus)]
    status: ClaimStatus,
    #[diesel(sql_type = Date)]
    month: NaiveDate,
    #[diesel(sql_type = Uuid)]
    story_id: StoryId,
    #[diesel(sql_type = Text)]
    title: String,
    #[diesel(sql_type = Bool)]
    contested: bool,
    #[diesel(sql_type = Int8)]
    n: i64,
}

#[derive(QueryableByName)]
struct Median {
    #[diesel(sql_type = Nullable<Float8>)]
    seconds: Option<f64>,
}

/// Grouped in SQL so a source with many claims costs a handful of rows.
/// Months are of the claimed date, else of the logged date (UTC).
pub async fn track_record(conn: &mut AsyncPgConnection, id: SourceId) -> QueryResult<TrackRecord> {
    let rows: Vec<Row> = diesel::sql_query(
        "SELECT c.status, \
                date_trunc('month', coalesce(c.claimed_at, c.created_at) AT TIME ZONE 'UTC')::date AS month, \
                c.story_id, s.title, claim_is_contested(c.id) AS contested, count(*) AS n \
           FROM claims c JOIN stories s ON s.id = c.story_id \
          WHERE c.source_id = $1 \
          GROUP BY 1, 2, 3, 4, 5",
    )
    .bind::<Uuid, _>(id)
    .load(conn)
    .await?;
    // Time to verdict: logged → first status change to a final status.
    let median: Median = diesel::sql_query(
        "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM v.at - c.created_at))::float8 AS seconds \
           FROM claims c \
           JOIN LATERAL (SELECT min(h.created_at) AS at FROM claim_history h \
                          WHERE h.claim_id = c.id AND h.action = 'status_changed' \
                            AND h.to_status NOT IN ('unverified', 'in_review')) v ON v.at IS NOT NULL \
          WHERE c.source_id = $1",
    )
    .bind::<Uuid, _>(id)
    .get_result(conn)
    .await?;
    let groups: Vec<Group> = rows
        .into_iter()
        .map(|r| Group {
            status: r.status,
            month: r.month,
            story_id: r.story_id,
            story_title: r.title,
            contested: r.contested,
            count: r.n,
        })
        .collect();
    Ok(track_record::compute(&groups, median.seconds))
}
