//! Drives an export batch by batch, so memory stays flat whatever the
//! number of rows; used by the streaming download and by the CLI.

use super::{claimreview, csv, json, Format, Publisher};
use crate::db::deadline::bounded_for;
use crate::db::DbPool;
use crate::error::AppError;
use crate::models::claim::{ClaimFilter, Cursor};
use crate::models::export::{self, ExportClaim, BATCH};
use diesel_async::AsyncPgConnection;
use std::time::Duration;

pub struct Exporter {
    pub format: Format,
    pub filter: ClaimFilter,
    pub publisher: Publisher,
    pub bom: bool,
    after: Option<Cursor>,
    emitted: usize,
    started: bool,
    done: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("writing CSV: {0}")]
    Csv(#[from] ::csv::Error),
    #[error("writing JSON: {0}")]
    Json(#[from] serde_json::Error),
}

impl Exporter {
    pub fn new(format: Format, filter: ClaimFilter, publisher: Publisher, bom: bool) -> Self {
        Exporter {
            format,
            filter,
            publisher,
            bom,
            after: None,
            emitted: 0,
            started: false,
            done: false,
        }
    }

    pub fn is_done(&self) -> bool {
        self.done
    }

    /// Stops after a failure: nothing more will be produced.
    pub fn abort(&mut self) {
        self.done = true;
    }

    /// The next chunk of output, or `None` when everything was written.
    pub async fn next_chunk(
        &mut self,
        conn: &mut AsyncPgConnection,
    ) -> Result<Option<Vec<u8>>, ExportError> {
        if self.done {
            return Ok(None);
        }
        let batch = export::batch(
            conn,
            &self.filter,
            self.after,
            BATCH,
            self.format.needs_history(),
        )
        .await?;
        self.after = batch.last().map(|c| Cursor {
            created_at: c.claim.created_at,
            id: c.claim.id,
        });
        let mut out = if self.started {
            Vec::new()
        } else {
            self.opening()
        };
        self.started = true;
        out.extend(self.body(&batch)?);
        if (batch.len() as i64) < BATCH {
            self.done = true;
            out.extend(self.closing());
        }
        Ok(Some(out))
    }

    /// [`Exporter::next_chunk`] on a pooled connection, the checkout and the
    /// batch bounded by the pool's query timeout: a long export is never cut
    /// off as a whole, but no batch waits on a hung database for longer.
    pub async fn next_chunk_from(&mut self, pool: &DbPool) -> Result<Option<Vec<u8>>, AppError> {
        bounded_for(pool.query_timeout(), async {
            let mut conn = pool.get().await?;
            Ok(self.next_chunk(&mut conn).await?)
        })
        .await?
    }

    /// [`Exporter::next_chunk`] with each batch bounded by `limit` (the CLI).
    pub async fn next_chunk_within(
        &mut self,
        conn: &mut AsyncPgConnection,
        limit: Duration,
    ) -> Result<Option<Vec<u8>>, AppError> {
        Ok(bounded_for(limit, self.next_chunk(conn)).await??)
    }

    fn opening(&self) -> Vec<u8> {
        match self.format {
            Format::Csv if self.bom => csv::BOM.to_vec(),
            Format::Json => json::open().into_bytes(),
            Format::ClaimReview => b"[".to_vec(),
            _ => Vec::new(),
        }
    }

    fn closing(&self) -> Vec<u8> {
        match self.format {
            Format::Json => json::CLOSE.as_bytes().to_vec(),
            Format::ClaimReview => b"]\n".to_vec(),
            _ => Vec::new(),
        }
    }

    fn body(&mut self, batch: &[ExportClaim]) -> Result<Vec<u8>, ExportError> {
        let first = self.emitted == 0;
        let out = match self.format {
            Format::Csv => csv::write(batch, first)?,
            Format::Json => json::elements(batch, first)?,
            Format::Ndjson => json::lines(batch)?,
            Format::ClaimReview => {
                let mut out = Vec::new();
                for r in batch
                    .iter()
                    .filter_map(|c| claimreview::review(c, &self.publisher))
                {
                    if self.emitted > 0 {
                        out.push(b',');
                    }
                    claimreview::write_script_safe(&mut out, &r)?;
                    self.emitted += 1;
                }
                return Ok(out);
            }
        };
        self.emitted += batch.len().max(1);
        Ok(out)
    }
}
