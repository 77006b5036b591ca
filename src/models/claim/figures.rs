//! A claim's figures, stored one row each in their order.

use crate::db::schema::claim_figures;
use crate::domain::figures::{Amount, AsOf, DatePrecision, Qualifier};
use crate::domain::{ClaimId, Figure, FigureId};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};

/// The stored columns of one figure (CHECK `claim_figures_amount_shape`
/// ties the numbers to the qualifier).
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = claim_figures)]
pub struct FigureRow {
    pub claim_id: ClaimId,
    label: String,
    unit: Option<String>,
    qualifier: Qualifier,
    value: Option<i64>,
    value_min: Option<i64>,
    value_max: Option<i64>,
    word: Option<String>,
    as_of: Option<chrono::NaiveDate>,
    as_of_precision: Option<DatePrecision>,
}

impl FigureRow {
    /// The figure; a row the constraints should have refused is an error,
    /// not a guess.
    pub fn into_figure(self) -> QueryResult<Figure> {
        let amount = Amount::from_parts(
            self.qualifier,
            self.value,
            self.value_min,
            self.value_max,
            self.word,
        )
        .map_err(|e| diesel::result::Error::DeserializationError(e.into()))?;
        Ok(Figure {
            label: self.label,
            unit: self.unit,
            amount,
            as_of: self
                .as_of
                .map(|d| AsOf::new(d, self.as_of_precision.unwrap_or(DatePrecision::Day))),
        })
    }
}

pub async fn figures_for(
    conn: &mut AsyncPgConnection,
    claim_id: ClaimId,
) -> QueryResult<Vec<Figure>> {
    let rows: Vec<FigureRow> = claim_figures::table
        .filter(claim_figures::claim_id.eq(claim_id))
        .order(claim_figures::position.asc())
        .select(FigureRow::as_select())
        .load(conn)
        .await?;
    rows.into_iter().map(FigureRow::into_figure).collect()
}

/// A `claim_figures` row: one figure of a claim, at its position.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = claim_figures)]
pub struct NewFigure<'a> {
    id: FigureId,
    claim_id: ClaimId,
    label: &'a str,
    unit: Option<&'a str>,
    qualifier: Qualifier,
    value: Option<i64>,
    value_min: Option<i64>,
    value_max: Option<i64>,
    word: Option<&'a str>,
    as_of: Option<chrono::NaiveDate>,
    as_of_precision: Option<DatePrecision>,
    position: i32,
}

impl NewFigure<'_> {
    /// The rows of one claim's figures, in the order given.
    pub fn for_claim(claim_id: ClaimId, figures: &[Figure]) -> impl Iterator<Item = NewFigure<'_>> {
        figures.iter().enumerate().map(move |(i, f)| {
            let bounds = f.amount.bounds();
            NewFigure {
                id: FigureId::new_v4(),
                claim_id,
                label: &f.label,
                unit: f.unit.as_deref(),
                qualifier: f.qualifier(),
                value: f.amount.value(),
                value_min: bounds.map(|b| b.0),
                value_max: bounds.map(|b| b.1),
                word: f.amount.word(),
                as_of: f.as_of.map(|a| a.date),
                as_of_precision: f.as_of.map(|a| a.precision),
                position: i as i32,
            }
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
