//! The claim board, a claim's page, its status changes and edits.

use crate::db::DbPool;
use crate::domain::drafts::ClaimDraft;
use crate::domain::Access;
use crate::domain::{ClaimStatus, FieldErrors};
use crate::error::AppResult;
use crate::export::{claimreview, Publisher};
use crate::models::claim::{self, ClaimDetail, ClaimRow};
use crate::models::export::ExportClaim;
use crate::models::source::{self, Source};
use crate::models::story::{self, Story};
use crate::models::{Actor, WriteError};
use crate::web::access::CurrentUser;
use crate::web::forms::{self, ClaimForm, ClaimQuery, Form, Query, StatusForm};
use crate::web::routes::Routes;
use crate::web::view::{self, Choice};
use crate::web::{conn, ok, parse_id, render, see_other};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

pub fn routes(r: &mut Routes) {
    r.get("/", Access::Read, board)
        .get("/claims/{id}", Access::Read, show)
        .post("/claims/{id}/status", Access::Contribute, change_status)
        .post("/claims/{id}/review-url", Access::Edit, set_review_url)
        .get("/claims/{id}/edit", Access::Contribute, edit_form)
        .post("/claims/{id}/edit", Access::Contribute, update);
}

pub const BOARD_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "claims/board.html")]
pub struct BoardPage {
    pub me: Option<CurrentUser>,
    pub rows: Vec<ClaimRow>,
    pub q: ClaimQuery,
    pub statuses: Vec<Choice>,
    pub types: Vec<Choice>,
    pub sources: Vec<Source>,
    /// (id, title): the board must not count claims per story on every load.
    pub stories: Vec<(Uuid, String)>,
    pub next_url: Option<String>,
}

async fn board(
    pool: web::Data<DbPool>,
    q: Query<ClaimQuery>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let q = q.into_inner();
    let filter = q.to_filter()?;
    let c = conn(&pool).await?;
    // Three independent reads, pipelined on one connection: one round trip.
    let (page, sources, stories) = futures_util::future::try_join3(
        claim::list(&c, &filter, q.limit.unwrap_or(BOARD_PAGE)),
        source::list(&c),
        story::list_titles(&c),
    )
    .await?;
    ok(&BoardPage {
        me: Some(me),
        rows: page.rows,
        statuses: view::status_choices(&q.status),
        types: view::type_choices(&q.source_type),
        next_url: page.next.map(|n| format!("/?{}", q.next_query(&n))),
        q,
        sources,
        stories,
    })
}

#[derive(Template)]
#[template(path = "claims/show.html")]
pub struct ClaimPage {
    pub me: Option<CurrentUser>,
    pub d: ClaimDetail,
    pub form: StatusForm,
    pub errors: FieldErrors,
    pub next: Vec<ClaimStatus>,
    pub conflict: Option<String>,
    pub saved: bool,
    /// ClaimReview JSON-LD to copy into the CMS, once there is a verdict.
    pub jsonld: Option<String>,
    pub review_url_error: Option<String>,
}

impl ClaimPage {
    fn new(d: ClaimDetail, me: CurrentUser, publisher: &Publisher) -> Self {
        let jsonld = claimreview::review(&ExportClaim::from_detail(&d), publisher)
            .map(|v| claimreview::script_safe(&v));
        let form = StatusForm {
            version: d.claim.version.to_string(),
            ..Default::default()
        };
        // Only offer moves this editor's role may make.
        let next = d.claim.status.next_statuses_for(me.role);
        ClaimPage {
            me: Some(me),
            next,
            d,
            form,
            errors: FieldErrors::new(),
            conflict: None,
            saved: false,
            jsonld,
            review_url_error: None,
        }
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    saved: Option<String>,
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    q: Query<ShowQuery>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let mut c = conn(&pool).await?;
    let mut page = ClaimPage::new(claim::find_detail(&mut c, id).await?, me, &publisher);
    page.saved = q.saved.is_some();
    ok(&page)
}

async fn change_status(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    form: Form<StatusForm>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let form = form.into_inner();
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let (status, errors, conflict) = match form.version() {
        None => (
            StatusCode::PRECONDITION_REQUIRED,
            FieldErrors::new(),
            Some(forms::MISSING_VERSION.to_owned()),
        ),
        Some(v) => match claim::change_status(&mut c, id, &form.to_input(), Some(v), actor).await {
            Ok(_) => return Ok(see_other(&format!("/claims/{id}?saved=status"))),
            Err(WriteError::Invalid(e)) => (StatusCode::UNPROCESSABLE_ENTITY, e, None),
            Err(WriteError::Stale { current }) => (
                StatusCode::CONFLICT,
                FieldErrors::new(),
                Some(view::stale_message(current)),
            ),
            Err(e @ (WriteError::Db(_) | WriteError::Forbidden(_))) => return Err(e.into()),
        },
    };
    // Re-render with the editor's input kept, against the claim as it is now.
    let d = claim::find_detail(&mut c, id).await?;
    let mut page = ClaimPage::new(d, me, &publisher);
    let version = page.form.version.clone();
    page.form = StatusForm { version, ..form };
    page.errors = errors;
    page.conflict = conflict;
    render(status, &page)
}

#[derive(Template)]
#[template(path = "claims/edit.html")]
pub struct ClaimEditPage {
    pub me: Option<CurrentUser>,
    pub d: ClaimDetail,
    pub form: ClaimForm,
    pub errors: FieldErrors,
    pub sources: Vec<Source>,
    pub stories: Vec<(Story, i64)>,
    pub types: Vec<Choice>,
    pub conflict: Option<String>,
}

async fn edit_page(
    pool: &DbPool,
    id: Uuid,
    form: Option<ClaimForm>,
    me: CurrentUser,
) -> AppResult<ClaimEditPage> {
    let mut c = conn(pool).await?;
    let d = claim::find_detail(&mut c, id).await?;
    let form = form.unwrap_or_else(|| ClaimForm::from_detail(&d));
    Ok(ClaimEditPage {
        me: Some(me),
        types: view::type_choices(&form.new_source_type),
        sources: source::list(&c).await?,
        stories: story::list_with_counts(&mut c).await?,
        d,
        form,
        errors: FieldErrors::new(),
        conflict: None,
    })
}

async fn edit_form(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    ok(&edit_page(&pool, parse_id(&id)?, None, me).await?)
}

async fn update(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    form: Form<ClaimForm>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    // `Err(None)`: the form named no version, so nothing is attempted.
    let result = match (ClaimDraft::parse(&form.to_input()), form.version()) {
        (_, None) => Err(None),
        (Ok(draft), Some(v)) => {
            let mut c = conn(&pool).await?;
            claim::update(&mut c, id, &draft, Some(v), actor)
                .await
                .map_err(Some)
        }
        (Err(e), Some(_)) => Err(Some(WriteError::Invalid(e))),
    };
    let (status, errors, conflict) = match result {
        Ok(_) => return Ok(see_other(&format!("/claims/{id}?saved=edit"))),
        Err(e) => forms::refused_write(e, crate::error::AppError::from)?,
    };
    let mut page = edit_page(&pool, id, Some(form), me).await?;
    if conflict.is_some() {
        // Let the resubmission go through against the current version.
        page.form.version = page.d.claim.version.to_string();
    }
    page.errors = errors;
    page.conflict = conflict;
    render(status, &page)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReviewUrlForm {
    review_url: String,
}

async fn set_review_url(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    form: Form<ReviewUrlForm>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let mut c = conn(&pool).await?;
    match crate::domain::validation::optional_url(Some(&form.review_url)) {
        Ok(url) => {
            claim::set_review_url(&mut c, id, url.as_deref(), Actor::user(me.id, me.role)).await?;
            Ok(see_other(&format!("/claims/{id}?saved=review")))
        }
        Err(m) => {
            let mut page = ClaimPage::new(claim::find_detail(&mut c, id).await?, me, &publisher);
            page.review_url_error = Some(m);
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}
