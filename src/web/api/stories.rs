//! `/api/stories`: list, get (with status counts), create, replace.

use super::{invalid, status_counts, tagged, versioned_write, StatusCount};
use crate::db::DbPool;
use crate::domain::drafts::{StoryDraft, StoryInput};
use crate::domain::Access;
use crate::domain::StoryId;
use crate::error::{ApiError, ApiResult, AppError};
use crate::models::story::{self, Story};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::conn;
use crate::web::routes::Routes;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

pub fn routes(r: &mut Routes) {
    r.get("/stories", Access::Read, list)
        .post("/stories", Access::Contribute, create)
        .get("/stories/{id}", Access::Read, get)
        .put("/stories/{id}", Access::Contribute, replace);
}

#[derive(Serialize)]
struct StoryWithCount {
    #[serde(flatten)]
    story: Story,
    claim_count: i64,
}

async fn list(pool: web::Data<DbPool>) -> ApiResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = story::list_with_counts(&mut c).await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|(story, claim_count)| StoryWithCount { story, claim_count })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

#[derive(Serialize)]
struct StoryDetail {
    #[serde(flatten)]
    story: Story,
    status_counts: Vec<StatusCount>,
}

async fn get(pool: web::Data<DbPool>, id: web::Path<StoryId>) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let story = story::find(&mut c, id).await?;
    let counts = status_counts(&story::status_counts(&mut c, id).await?);
    let version = story.version;
    let detail = StoryDetail {
        story,
        status_counts: counts,
    };
    Ok(tagged(StatusCode::OK, version).json(detail))
}

fn url_taken(e: diesel::result::Error) -> ApiError {
    ApiError(AppError::on_constraint(
        e,
        story::URL_CONSTRAINT,
        "url",
        "A story with this URL is already recorded.",
    ))
}

async fn create(
    pool: web::Data<DbPool>,
    body: web::Json<StoryInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let draft = StoryDraft::parse(&body).map_err(invalid)?;
    let mut c = conn(&pool).await?;
    let s = story::create(&mut c, &draft, Actor::user(me.id, me.role))
        .await
        .map_err(url_taken)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/stories/{}", s.id)))
        .json(s))
}

async fn replace(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    body: web::Json<StoryInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let draft = StoryDraft::parse(&body);
    let s = versioned_write(&req, body.version, draft, url_taken, async |d, v| {
        story::update(&mut c, id, d, v, actor).await
    })
    .await?;
    Ok(tagged(StatusCode::OK, s.version).json(s))
}
