//! A claim's figures, stored one row each in their order.

use crate::db::schema::claim_figures;
use crate::domain::{ClaimId, Figure, FigureId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

type FigureRow = (String, i64, Option<i64>, Option<chrono::NaiveDate>);

pub async fn figures_for(
    conn: &mut AsyncPgConnection,
    claim_id: ClaimId,
) -> QueryResult<Vec<Figure>> {
    let rows: Vec<FigureRow> = claim_figures::table
        .filter(claim_figures::claim_id.eq(claim_id))
        .order(claim_figures::position.asc())
        .select((
            claim_figures::label,
            claim_figures::value_min,
            claim_figures::value_max,
            claim_figures::as_of,
        ))
        .load(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(label, min, max, as_of)| Figure {
            label,
            min,
            max,
            as_of,
        })
        .collect())
}

/// A `claim_figures` row: one figure of a claim, at its position.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = claim_figures)]
pub struct NewFigure<'a> {
    id: FigureId,
    claim_id: ClaimId,
    label: &'a str,
    value_min: i64,
    value_max: Option<i64>,
    as_of: Option<chrono::NaiveDate>,
    position: i32,
}

impl NewFigure<'_> {
    /// The rows of one claim's figures, in the order given.
    pub fn for_claim(claim_id: ClaimId, figures: &[Figure]) -> impl Iterator<Item = NewFigure<'_>> {
        figures.iter().enumerate().map(move |(i, f)| NewFigure {
            id: FigureId::new_v4(),
            claim_id,
            label: &f.label,
            value_min: f.min,
            value_max: f.max,
            as_of: f.as_of,
            position: i as i32,
        })
    }
}

pub(super) async fn replace_figures(
    conn: &mut AsyncPgConnection,
    claim_id: ClaimId,
    figures: &[Figure],
) -> QueryResult<()> {
    diesel::delete(claim_figures::table.filter(claim_figures::claim_id.eq(claim_id)))
        .execute(conn)
        .await?;
    let rows: Vec<NewFigure> = NewFigure::for_claim(claim_id, figures).collect();
    diesel::insert_into(claim_figures::table)
        .values(rows)
        .execute(conn)
        .await?;
    Ok(())
}
