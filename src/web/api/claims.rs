//! `/api/claims`: list (board filters, keyset cursor), get, create, replace,
//! and status changes.

use super::{parse_id, Precondition};
use crate::db::DbPool;
use crate::domain::drafts::{ClaimDraft, ClaimInput, FiguresInput, SourceInput, StatusChangeInput};
use crate::domain::Access;
use crate::domain::Figure;
use crate::error::{ApiError, ApiResult};
use crate::models::claim::{self, ClaimRow};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::conn;
use crate::web::forms::{ClaimQuery, Query};
use crate::web::routes::Routes;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

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
    id: uuid::Uuid,
    status: actix_web::http::StatusCode,
) -> ApiResult<HttpResponse> {
    let mut c = conn(pool).await?;
    let d = claim::find_detail(&mut c, id).await?;
    let mut res = HttpResponse::build(status);
    res.insert_header(("ETag", format!("\"{}\"", d.claim.version)));
    if status == actix_web::http::StatusCode::CREATED {
        res.insert_header(("Location", format!("/api/claims/{id}")));
    }
    Ok(res.json(d))
}

async fn get(pool: web::Data<DbPool>, id: web::Path<String>) -> ApiResult<HttpResponse> {
    detail_response(&pool, parse_id(&id)?, actix_web::http::StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NewSourceJson {
    pub name: String,
    pub source_type: String,
    pub affiliation: Option<String>,
    pub description: Option<String>,
}

/// Body of create and replace.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClaimJson {
    pub story_id: String,
    pub source_id: Option<String>,
    pub new_source: Option<NewSourceJson>,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<String>,
    pub claimed_where: Option<String>,
    pub figures: Vec<Figure>,
    /// The version the client last saw; a stale one is refused with 409.
    pub version: Option<i32>,
}

impl ClaimJson {
    fn to_input(&self) -> ClaimInput {
        ClaimInput {
            story_id: self.story_id.clone(),
            source_id: self.source_id.clone().unwrap_or_default(),
            new_source: self.new_source.as_ref().map(|s| SourceInput {
                name: s.name.clone(),
                source_type: s.source_type.clone(),
                affiliation: s.affiliation.clone(),
                description: s.description.clone(),
            }),
            quote: self.quote.clone(),
            is_paraphrase: self.is_paraphrase,
            summary: self.summary.clone(),
            claimed_at: self.claimed_at.clone(),
            claimed_where: self.claimed_where.clone(),
            figures: FiguresInput::List(self.figures.clone()),
        }
    }

    fn draft(&self) -> ApiResult<ClaimDraft> {
        ClaimDraft::parse(&self.to_input())
            .map_err(|e| ApiError(crate::error::AppError::Validation(e)))
    }
}

async fn create(
    pool: web::Data<DbPool>,
    body: web::Json<ClaimJson>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let draft = body.draft()?;
    let created = {
        let mut c = conn(&pool).await?;
        claim::create(&mut c, &draft, Actor::user(me.id, me.role)).await?
    };
    detail_response(&pool, created.id, actix_web::http::StatusCode::CREATED).await
}

async fn replace(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: web::Json<ClaimJson>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let pre = Precondition::from(&req, body.version)?;
    let draft = body.draft()?;
    {
        let mut c = conn(&pool).await?;
        pre.write(async |v| {
            claim::update(&mut c, id, &draft, Some(v), Actor::user(me.id, me.role)).await
        })
        .await
        .map_err(|e| pre.stale(e))?;
    }
    detail_response(&pool, id, actix_web::http::StatusCode::OK).await
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusJson {
    pub status: String,
    pub reason: String,
    pub evidence: Vec<String>,
    pub version: Option<i32>,
}

async fn change_status(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    body: web::Json<StatusJson>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = parse_id(&id)?;
    let pre = Precondition::from(&req, body.version)?;
    let input = StatusChangeInput {
        status: body.status.clone(),
        reason: body.reason.clone(),
        evidence: body.evidence.join("\n"),
    };
    {
        let mut c = conn(&pool).await?;
        pre.write(async |v| {
            claim::change_status(&mut c, id, &input, Some(v), Actor::user(me.id, me.role)).await
        })
        .await
        .map_err(|e| pre.stale(e))?;
    }
    detail_response(&pool, id, actix_web::http::StatusCode::OK).await
}
