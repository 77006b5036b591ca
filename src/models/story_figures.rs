//! Every figure of a story's claims, with who gave it, for the story
//! figures page.

use super::claim::FigureRow;
use crate::db::schema::{claim_figures, claims, sources};
use crate::domain::figure_chart::SourcedFigure;
use crate::domain::StoryId;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// In the order the claims were logged, each claim's figures in order.
pub async fn for_story(
    conn: &mut AsyncPgConnection,
    story_id: StoryId,
) -> QueryResult<Vec<SourcedFigure>> {
    let rows: Vec<(FigureRow, String)> = claim_figures::table
        .inner_join(claims::table.inner_join(sources::table))
        .filter(claims::story_id.eq(story_id))
        .order((
            claims::created_at.asc(),
            claims::id.asc(),
            claim_figures::position.asc(),
        ))
        .select((FigureRow::as_select(), sources::name))
        .load(conn)
        .await?;
    rows.into_iter()
        .map(|(row, source_name)| {
            Ok(SourcedFigure {
                claim_id: row.claim_id,
                source_name,
                figure: row.into_figure()?,
            })
        })
        .collect()
}
