//! `/api/claims`: list (board filters, keyset cursor), get, create, replace,
//! and status changes.

use super::{invalid, tagged, versioned_write};
use crate::db::DbPool;
use crate::domain::drafts::{ClaimDraft, ClaimInput, StatusChangeInput};
use crate::domain::Access;
use crate::domain::ClaimId;
use crate::error::{ApiError, ApiResult};
use crate::models::claim::{self, ClaimRow};
use crate::models::{Actor, WriteError};
use crate::web::access::CurrentUser;
use crate::web::conn;
use crate::web::forms::{ClaimQuery, Query};
use crate::web::routes::Routes;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

pub fn routes(r: &mut Routes) {
    r.get("/claims", Access::Read, list)
        .post("/claims", Access::Contribute, create)
        .get("/claims/{id}", Access::Read, get)
        .put("/claims/{id}", Access::Contribute, replace)
        .post("/claims/{id}/status", Access::Contribute, change_status);
}

#[derive(Serialize)]
pub struct ClaimList {
    pub items: Vec<ClaimRow>,
    /// Pass as `after` to get the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

async fn list(pool: web::Data<DbPool>, q: Query<ClaimQuery>) -> ApiResult<HttpResponse> {
    let filter = q.to_filter()?;
    let c = conn(&pool).await?;
    let page = claim::list(&c, &filter, q.limit.unwrap_or(50)).await?;
    Ok(HttpResponse::Ok().json(ClaimList {
        items: page.rows,
        next_cursor: page.next.map(|n| n.encode()),
    }))
}

async fn detail_response(
    pool: &DbPool,
    id: ClaimId,
    status: StatusCode,
) -> ApiResult<HttpResponse> {
    let mut c = conn(pool).await?;
    let d = claim::find_detail(&mut c, id).await?;
    let mut res = tagged(status, d.claim.version);
    if status == StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/claims/{id}")));
    }
    Ok(res.json(d))
}

async fn get(pool: web::Data<DbPool>, id: web::Path<ClaimId>) -> ApiResult<HttpResponse> {
    detail_response(&pool, id.into_inner(), StatusCode::OK).await
}

async fn create(
    pool: web::Data<DbPool>,
    body: web::Json<ClaimInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let draft = ClaimDraft::parse(&body).map_err(invalid)?;
    let created = {
        let mut c = conn(&pool).await?;
        claim::create(&mut c, &draft, Actor::user(me.id, me.role)).await?
    };
    detail_response(&pool, created.id, StatusCode::CREATED).await
}

/// A claim's database errors are already field messages where they can be.
fn db_error(e: diesel::result::Error) -> ApiError {
    WriteError::Db(e).into()
}

async fn replace(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<ClaimId>,
    body: web::Json<ClaimInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    {
        let mut c = conn(&pool).await?;
        let actor = Actor::user(me.id, me.role);
        let draft = ClaimDraft::parse(&body);
        versioned_write(&req, body.version, draft, db_error, async |d, v| {
            claim::update(&mut c, id, d, v, actor).await
        })
        .await?;
    }
    detail_response(&pool, id, StatusCode::OK).await
}

async fn change_status(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<ClaimId>,
    body: web::Json<StatusChangeInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    {
        let mut c = conn(&pool).await?;
        let actor = Actor::user(me.id, me.role);
        // Checked against the locked claim's status, inside the write.
        versioned_write(
            &req,
            body.version,
            Ok(&*body),
            db_error,
            async |input, v| claim::change_status(&mut c, id, input, v, actor).await,
        )
        .await?;
    }
    detail_response(&pool, id, StatusCode::OK).await
}
