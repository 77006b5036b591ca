//! `/api/sources`: list (with `?q=` over names and aliases), get (with
//! aliases, grade history and track record), create, replace, merge, grade.

use super::{invalid, tagged, versioned_write};
use crate::db::DbPool;
use crate::domain::drafts::{SourceDraft, SourceInput};
use crate::domain::track_record::TrackRecord;
use crate::domain::Access;
use crate::domain::{FieldErrors, Grade, SourceId};
use crate::error::{ApiError, ApiResult};
use crate::models::source::grade::{self as grading, GradeChange};
use crate::models::source::{self, names, Source};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::conn;
use crate::web::routes::Routes;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use diesel_async::AsyncPgConnection;
use serde::{Deserialize, Serialize};

pub fn routes(r: &mut Routes) {
    r.get("/sources", Access::Read, list)
        .post("/sources", Access::Contribute, create)
        .get("/sources/{id}", Access::Read, get)
        .put("/sources/{id}", Access::Contribute, replace)
        .post("/sources/{id}/merge", Access::Edit, merge)
        .put("/sources/{id}/grade", Access::Edit, grade);
}

#[derive(Serialize)]
struct SourceWithCount {
    #[serde(flatten)]
    source: Source,
    aliases: Vec<String>,
    claim_count: i64,
}

#[derive(Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
}

async fn list(pool: web::Data<DbPool>, q: web::Query<ListQuery>) -> ApiResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = source::list_with_counts(&mut c, Some(&q.q)).await?;
    let ids: Vec<SourceId> = rows.iter().map(|(s, _)| s.id).collect();
    let mut aliases = names::aliases_for(&mut c, &ids).await?;
    let items: Vec<_> = rows
        .into_iter()
        .map(|(source, claim_count)| SourceWithCount {
            aliases: aliases.remove(&source.id).unwrap_or_default(),
            source,
            claim_count,
        })
        .collect();
    Ok(HttpResponse::Ok().json(serde_json::json!({ "items": items })))
}

/// A source as every endpoint answers it.
#[derive(Serialize)]
pub struct SourceDetail {
    #[serde(flatten)]
    source: Source,
    aliases: Vec<String>,
    grade_history: Vec<GradeChange>,
    track_record: TrackRecord,
}

async fn detail(c: &mut AsyncPgConnection, source: Source) -> ApiResult<HttpResponse> {
    let id = source.id;
    let version = source.version;
    let body = SourceDetail {
        aliases: names::aliases(c, id).await?,
        grade_history: grading::history(c, id).await?,
        track_record: source::record::track_record(c, id).await?,
        source,
    };
    Ok(tagged(StatusCode::OK, version).json(body))
}

/// A merged source answers as its tombstone (with `merged_into`), so an
/// old link still says where its claims went.
async fn get(pool: web::Data<DbPool>, id: web::Path<SourceId>) -> ApiResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let source = source::find(&mut c, id.into_inner()).await?;
    detail(&mut c, source).await
}

fn name_taken(e: diesel::result::Error) -> ApiError {
    ApiError(source::name_taken(e, "name"))
}

async fn create(
    pool: web::Data<DbPool>,
    body: web::Json<SourceInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let draft = SourceDraft::parse(&body, "").map_err(invalid)?;
    let mut c = conn(&pool).await?;
    let s = source::create_checked(&mut c, &draft, Actor::user(me.id, me.role))
        .await
        .map_err(|e| match e {
            crate::models::WriteError::Db(e) => name_taken(e),
            other => other.into(),
        })?;
    let location = format!("/api/sources/{}", s.id);
    let mut res = detail(&mut c, s).await?;
    res.headers_mut().insert(
        actix_web::http::header::LOCATION,
        actix_web::http::header::HeaderValue::from_str(&location)
            .map_err(|e| ApiError(crate::error::AppError::Internal(e.into())))?,
    );
    *res.status_mut() = StatusCode::CREATED;
    Ok(res)
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
    detail(&mut c, s).await
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct MergeInput {
    pub into: String,
    pub reason: String,
}

/// The target and a reason, or the fields' messages.
pub fn parse_merge(input: &MergeInput) -> Result<(SourceId, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let into = e.take(
        "into",
        input
            .into
            .trim()
            .parse::<SourceId>()
            .map_err(|_| "Choose the source to merge into.".to_owned()),
    );
    let reason = e.take(
        "reason",
        crate::domain::validation::required(&input.reason, crate::domain::validation::MAX_TEXT),
    );
    match (into, reason) {
        (Some(i), Some(r)) => Ok((i, r)),
        _ => Err(e),
    }
}

async fn merge(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    body: web::Json<MergeInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let (into, reason) = parse_merge(&body).map_err(invalid)?;
    let mut c = conn(&pool).await?;
    let y = source::merge::merge(
        &mut c,
        id.into_inner(),
        into,
        &reason,
        Actor::user(me.id, me.role),
    )
    .await?;
    detail(&mut c, y).await
}

#[derive(Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct GradeInput {
    pub grade: String,
    pub reason: String,
}

pub fn parse_grade(input: &GradeInput) -> Result<(Grade, String), FieldErrors> {
    let mut e = FieldErrors::new();
    let grade = e.take(
        "grade",
        Grade::parse(&input.grade).ok_or_else(|| {
            "Choose a grade from A (completely reliable) to F (cannot be judged).".to_owned()
        }),
    );
    let reason = e.take(
        "reason",
        crate::domain::validation::required(&input.reason, crate::domain::validation::MAX_TEXT),
    );
    match (grade, reason) {
        (Some(g), Some(r)) => Ok((g, r)),
        _ => Err(e),
    }
}

async fn grade(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    body: web::Json<GradeInput>,
    me: CurrentUser,
) -> ApiResult<HttpResponse> {
    let (grade, reason) = parse_grade(&body).map_err(invalid)?;
    let mut c = conn(&pool).await?;
    let s = grading::set_grade(
        &mut c,
        id.into_inner(),
        grade,
        &reason,
        Actor::user(me.id, me.role),
    )
    .await?;
    detail(&mut c, s).await
}
