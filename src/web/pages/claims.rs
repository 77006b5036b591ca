//! The claim board, a claim's page, its status changes and edits.

use crate::db::DbPool;
use crate::domain::drafts::{ClaimDraft, ClaimInput, ReviewUrlInput, StatusChangeInput};
use crate::domain::Access;
use crate::domain::{ClaimId, ClaimStatus, FieldErrors, HistoryAction, StoryId};
use crate::error::{AppError, AppResult};
use crate::export::{claimreview, Publisher};
use crate::models::claim::{self, ClaimDetail, ClaimRow};
use crate::models::export::ExportClaim;
use crate::models::source;
use crate::models::story::{self, Story};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::forms::{self, ClaimQuery, Form, Query};
use crate::web::routes::Routes;
use crate::web::view::{self, Choice};
use crate::web::{conn, ok, render, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

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
    pub sources: Vec<source::Listed>,
    /// (id, title): the board must not count claims per story on every load.
    pub stories: Vec<(StoryId, String)>,
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
    pub form: StatusChangeInput,
    pub errors: FieldErrors,
    pub next: Vec<ClaimStatus>,
    pub conflict: Option<String>,
    pub saved: bool,
    /// ClaimReview JSON-LD to copy into the CMS, once there is a verdict.
    pub jsonld: Option<String>,
    pub review_form: ReviewUrlInput,
    pub review_url_error: Option<String>,
}

impl ClaimPage {
    fn new(d: ClaimDetail, me: CurrentUser, publisher: &Publisher) -> Self {
        let jsonld = claimreview::review(&ExportClaim::from_detail(&d), publisher)
            .map(|v| claimreview::script_safe(&v));
        let form = StatusChangeInput {
            version: Some(d.claim.version.into()),
            ..Default::default()
        };
        let review_form = ReviewUrlInput {
            review_url: d.claim.review_url.clone().unwrap_or_default(),
            version: Some(d.claim.version.into()),
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
            review_form,
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
    id: web::Path<ClaimId>,
    q: Query<ShowQuery>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let mut page = ClaimPage::new(claim::find_detail(&mut c, id).await?, me, &publisher);
    page.saved = q.saved.is_some();
    ok(&page)
}

async fn change_status(
    pool: web::Data<DbPool>,
    id: web::Path<ClaimId>,
    form: Form<StatusChangeInput>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = form.into_inner();
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    // The change is checked against the locked claim, inside the write.
    let refused =
        match forms::versioned_write(form.version, Ok(&form), AppError::from, async |f, v| {
            claim::change_status(&mut c, id, f, v, actor).await
        })
        .await?
        {
            Ok(_) => return Ok(see_other(&format!("/claims/{id}?saved=status"))),
            Err(r) => r,
        };
    // Re-render with the editor's input kept, against the claim as it is now.
    let mut page = ClaimPage::new(claim::find_detail(&mut c, id).await?, me, &publisher);
    page.form = StatusChangeInput {
        version: page.form.version,
        ..form
    };
    page.errors = refused.errors;
    page.conflict = refused.conflict;
    render(refused.status, &page)
}

#[derive(Template)]
#[template(path = "claims/edit.html")]
pub struct ClaimEditPage {
    pub me: Option<CurrentUser>,
    pub d: ClaimDetail,
    pub form: ClaimInput,
    pub errors: FieldErrors,
    pub sources: Vec<source::Listed>,
    pub stories: Vec<(Story, i64)>,
    pub types: Vec<Choice>,
    pub conflict: Option<String>,
}

async fn edit_page(
    pool: &DbPool,
    id: ClaimId,
    form: Option<ClaimInput>,
    me: CurrentUser,
) -> AppResult<ClaimEditPage> {
    let mut c = conn(pool).await?;
    let d = claim::find_detail(&mut c, id).await?;
    let form = form.unwrap_or_else(|| ClaimInput::from_detail(&d));
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
    id: web::Path<ClaimId>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    ok(&edit_page(&pool, id.into_inner(), None, me).await?)
}

async fn update(
    pool: web::Data<DbPool>,
    id: web::Path<ClaimId>,
    form: Form<ClaimInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let result = {
        // Released before the page below takes its own.
        let mut c = conn(&pool).await?;
        let draft = ClaimDraft::parse(&form);
        forms::versioned_write(form.version, draft, AppError::from, async |d, v| {
            claim::update(&mut c, id, &d, v, actor).await
        })
        .await?
    };
    let refused = match result {
        Ok(_) => return Ok(see_other(&format!("/claims/{id}?saved=edit"))),
        Err(r) => r,
    };
    let mut page = edit_page(&pool, id, Some(form), me).await?;
    if refused.conflict.is_some() {
        // Let the resubmission go through against the current version.
        page.form.version = Some(page.d.claim.version.into());
    }
    page.errors = refused.errors;
    page.conflict = refused.conflict;
    render(refused.status, &page)
}

async fn set_review_url(
    pool: web::Data<DbPool>,
    id: web::Path<ClaimId>,
    form: Form<ReviewUrlInput>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = form.into_inner();
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let refused = match forms::versioned_write(
        form.version,
        form.parse(),
        AppError::from,
        async |url, v| claim::set_review_url(&mut c, id, url.as_deref(), v, actor).await,
    )
    .await?
    {
        Ok(_) => return Ok(see_other(&format!("/claims/{id}?saved=review"))),
        Err(r) => r,
    };
    // The URL as typed, against the claim as it is now.
    let mut page = ClaimPage::new(claim::find_detail(&mut c, id).await?, me, &publisher);
    page.review_form.review_url = form.review_url;
    page.review_url_error =
        (refused.conflict).or_else(|| refused.errors.get("review_url").map(str::to_owned));
    render(refused.status, &page)
}
