//! Streaming downloads: CSV, JSON, NDJSON and ClaimReview JSON-LD, from the
//! board's filters, a story or a source. The body is produced batch by
//! batch, so the download starts at once and memory stays flat.

use crate::db::DbPool;
use crate::domain::Access;
use crate::error::{AppError, AppResult};
use crate::export::driver::Exporter;
use crate::export::{Format, Publisher};
use crate::web::access::CurrentUser;
use crate::web::forms::ClaimQuery;
use crate::web::routes::Routes;
use actix_web::web::Bytes;
use actix_web::{web, HttpResponse};

pub fn routes(r: &mut Routes) {
    r.get("/export", Access::Read, download);
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
pub struct ExportQuery {
    pub format: String,
    /// Any value but "0" adds a UTF-8 byte-order mark to CSV (for Excel).
    pub bom: String,
    #[serde(flatten)]
    pub claims: ClaimQuery,
}

struct State {
    pool: DbPool,
    exporter: Exporter,
}

async fn next(mut st: State) -> Option<(Result<Bytes, actix_web::Error>, State)> {
    if st.exporter.is_done() {
        return None;
    }
    // Each batch, checkout included, is bounded by the query timeout.
    let chunk = st.exporter.next_chunk_from(&st.pool).await;
    match chunk {
        Ok(Some(bytes)) => Some((Ok(Bytes::from(bytes)), st)),
        Ok(None) => None,
        Err(e) => {
            // Headers are gone already; abort the body so the client sees a failed download.
            tracing::error!(error = %e, "export failed mid-stream");
            Some((
                Err(e.into()),
                State {
                    exporter: finished(st.exporter),
                    ..st
                },
            ))
        }
    }
}

fn finished(mut e: Exporter) -> Exporter {
    e.abort();
    e
}

async fn download(
    pool: web::Data<DbPool>,
    publisher: web::Data<Publisher>,
    q: crate::web::forms::Query<ExportQuery>,
    _me: CurrentUser,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let format = Format::parse(&q.format).ok_or_else(|| {
        AppError::BadRequest("Choose format=csv, json, ndjson or claimreview.".into())
    })?;
    let filter = q.claims.to_filter()?;
    let bom = !q.bom.is_empty() && q.bom != "0";
    let exporter = Exporter::new(format, filter, publisher.get_ref().clone(), bom);
    let state = State {
        pool: pool.get_ref().clone(),
        exporter,
    };
    let body = futures_util::stream::unfold(state, next);
    Ok(HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{}\"", format.file_name()),
        ))
        .insert_header(("Cache-Control", "no-store"))
        .streaming(body))
}
