//! `/api/sources`: list, get (with status counts), create, replace.

use super::{invalid, status_counts, tagged, versioned_write, StatusCount};
use crate::db::DbPool;
use crate::domain::drafts::{SourceDraft, SourceInput};
use crate::domain::Access;
use crate::domain::SourceId;
use crate::error::{ApiError, ApiResult, AppError};
use crate::models::source::{self, Source};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::conn;
use crate::web::routes::Routes;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

pub fn routes(r: &mut Routes) {
    r.get("/sources", Access::Read, list)
        .post("/sources", Access::Contribute, create)
        .get("/sources/{id}", Access::Read, get)
        .put("/sources/{id}", Access::Contribute, replace);
}

#[derive(Serialize)]
struct SourceWithCount {
    #[serde(flatten)]
    source: Source,
    claim_count: i64,
}

async fn list(pool: web::Data<DbPool>) -> ApiResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = source::list_with_counts(&mut c).await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|(source, claim_count)| SourceWithCount {
            source,
            claim_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Serialize)]
struct SourceDetail {
    #[serde(flatten)]
    source: Source,
    status_counts: Vec<StatusCount>,
}

async fn get(pool: web::Data<DbPool>, id: web::Path<SourceId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let source = source::find(&mut c, id).await?;
    let counts = status_counts(&source::status_counts(&mut c, id).await?);
    let version = source.version;
    let detail = SourceDetail {
        source,
        status_counts: counts,
    };
    Ok(tagged(StatusCode::OK, version).json(detail))
}

fn name_taken(e: diesel::result::Error) -> ApiError {
    ApiError(AppError::on_constraint(
        e,
        source::NAME_CONSTRAINT,
        "name",
        "A source with this name already exists.",
    ))
}

async fn create(
    pool: web::Data<DbPool>,
    body: web::Json<SourceInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let draft = SourceDraft::parse(&body, "").map_err(invalid)?;
    let mut c = conn(&pool).await?;
    let s = source::create(&mut c, &draft, Actor::user(me.id, me.role))
        .await
        .map_err(name_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/sources/{}", s.id)))
        .json(s))
}

async fn replace(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    body: web::Json<SourceInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let draft = SourceDraft::parse(&body, "");
    let s = versioned_write(&req, body.version, draft, name_taken, async |d, v| {
        source::update(&mut c, id, d, v, actor).await
    })
    .await?;
    Ok(tagged(StatusCode::OK, s.version).json(s))
}
