//! Stories: list, create, edit, and the story page where claims are added
//! one after another without leaving it.

use crate::db::DbPool;
use crate::domain::drafts::{ClaimDraft, ClaimInput, StoryDraft, StoryInput};
use crate::domain::Access;
use crate::domain::{ClaimId, ClaimStatus, FieldErrors, StoryId};
use crate::error::{AppError, AppResult};
use crate::models::claim::{self, ClaimFilter, ClaimRow, Cursor};
use crate::models::source;
use crate::models::story::{self, Story};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::forms::{self, Form, Query};
use crate::web::routes::Routes;
use crate::web::view::{self, Choice};
use crate::web::{conn, ok, parse_cursor, render, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/stories", Access::Read, list)
        .post("/stories", Access::Contribute, create)
        .get("/stories/new", Access::Contribute, new_form)
        .get("/stories/{id}", Access::Read, show)
        .post("/stories/{id}/claims", Access::Contribute, add_claim)
        .get("/stories/{id}/edit", Access::Contribute, edit_form)
        .post("/stories/{id}/edit", Access::Contribute, update);
}

#[derive(Template)]
#[template(path = "stories/list.html")]
pub struct StoriesPage {
    pub me: Option<CurrentUser>,
    pub rows: Vec<(Story, i64)>,
}

async fn list(pool: web::Data<DbPool>, me: CurrentUser) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = story::list_with_counts(&mut c).await?;
    ok(&StoriesPage { me: Some(me), rows })
}

#[derive(Template)]
#[template(path = "stories/form.html")]
pub struct StoryFormPage {
    pub me: Option<CurrentUser>,
    pub form: StoryInput,
    pub errors: FieldErrors,
    pub editing: Option<Story>,
    pub conflict: Option<String>,
}

impl StoryFormPage {
    fn new(me: CurrentUser, form: StoryInput, editing: Option<Story>) -> Self {
        StoryFormPage {
            me: Some(me),
            form,
            errors: FieldErrors::new(),
            editing,
            conflict: None,
        }
    }
}

async fn new_form(me: CurrentUser) -> AppResult<HttpResponse> {
    ok(&StoryFormPage::new(me, StoryInput::default(), None))
}

fn story_error(e: diesel::result::Error) -> AppError {
    AppError::on_constraint(
        e,
        story::URL_CONSTRAINT,
        "url",
        "A story with this URL is already recorded.",
    )
}

async fn create(
    pool: web::Data<DbPool>,
    form: Form<StoryInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let draft = StoryDraft::parse(&form);
    let refused = match forms::create_write(draft, story_error, async |d| {
        Ok(story::create(&mut c, &d, actor).await?)
    })
    .await?
    {
        Ok(s) => return Ok(see_other(&format!("/stories/{}", s.id))),
        Err(r) => r,
    };
    let page = StoryFormPage {
        errors: refused.errors,
        ..StoryFormPage::new(me, form, None)
    };
    render(refused.status, &page)
}

async fn edit_form(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let s = story::find(&mut c, id.into_inner()).await?;
    ok(&StoryFormPage::new(me, StoryInput::from_story(&s), Some(s)))
}

async fn update(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    form: Form<StoryInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let draft = StoryDraft::parse(&form);
    let refused = match forms::versioned_write(form.version, draft, story_error, async |d, v| {
        story::update(&mut c, id, &d, v, actor).await
    })
    .await?
    {
        Ok(_) => return Ok(see_other(&format!("/stories/{id}"))),
        Err(r) => r,
    };
    let current = story::find(&mut c, id).await?;
    if refused.conflict.is_some() {
        form.version = Some(current.version.into());
    }
    let page = StoryFormPage {
        errors: refused.errors,
        conflict: refused.conflict,
        ..StoryFormPage::new(me, form, Some(current))
    };
    render(refused.status, &page)
}

#[derive(Template)]
#[template(path = "stories/show.html")]
pub struct StoryPage {
    pub me: Option<CurrentUser>,
    pub story: Story,
    pub counts: Vec<(ClaimStatus, i64)>,
    pub rows: Vec<ClaimRow>,
    pub next_url: Option<String>,
    pub form: ClaimInput,
    pub errors: FieldErrors,
    pub sources: Vec<source::Listed>,
    pub types: Vec<Choice>,
    pub added: Option<ClaimId>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    after: String,
    added: String,
}

async fn story_page(
    pool: &DbPool,
    id: StoryId,
    after: Option<Cursor>,
    form: Option<ClaimInput>,
    me: CurrentUser,
) -> AppResult<StoryPage> {
    let mut c = conn(pool).await?;
    let story = story::find(&mut c, id).await?;
    let filter = ClaimFilter {
        story_id: Some(id),
        after,
        ..Default::default()
    };
    let page = claim::list(&c, &filter, claim::MAX_PAGE).await?;
    let form = form.unwrap_or_else(|| ClaimInput::for_story(id));
    Ok(StoryPage {
        me: Some(me),
        counts: view::status_summary(&story::status_counts(&mut c, id).await?),
        next_url: page
            .next
            .map(|n| format!("/stories/{id}?after={}", n.encode())),
        rows: page.rows,
        types: view::type_choices(&form.new_source_type),
        sources: source::list(&c).await?,
        story,
        form,
        errors: FieldErrors::new(),
        added: None,
    })
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    q: Query<ShowQuery>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let after = parse_cursor(&q.after)?;
    let mut page = story_page(&pool, id.into_inner(), after, None, me).await?;
    page.added = q.added.parse().ok();
    ok(&page)
}

async fn add_claim(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    form: Form<ClaimInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    // The story comes from the URL, never from a hidden field that could disagree.
    let form = ClaimInput {
        story_id: id.to_string(),
        ..form.into_inner()
    };
    let actor = Actor::user(me.id, me.role);
    let result = {
        // Released before the page below takes its own.
        let mut c = conn(&pool).await?;
        forms::create_write(ClaimDraft::parse(&form), AppError::from, async |d| {
            claim::create(&mut c, &d, actor).await
        })
        .await?
    };
    let refused = match result {
        Ok(created) => {
            let to = format!("/stories/{id}?added={}#add-claim", created.id);
            return Ok(see_other(&to));
        }
        Err(r) => r,
    };
    let mut page = story_page(&pool, id, None, Some(form), me).await?;
    page.errors = refused.errors;
    render(refused.status, &page)
}
