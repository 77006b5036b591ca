//! Sources: list, create, edit, and a source's page with its claims.

use crate::db::DbPool;
use crate::domain::drafts::{SourceDraft, SourceInput};
use crate::domain::Access;
use crate::domain::{ClaimStatus, FieldErrors, SourceId};
use crate::error::{AppError, AppResult};
use crate::models::claim::{self, ClaimFilter, ClaimRow};
use crate::models::source::{self, Source};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::forms::{self, Form, Query};
use crate::web::routes::Routes;
use crate::web::view::{self, Choice};
use crate::web::{conn, ok, parse_cursor, render, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/sources", Access::Read, list)
        .post("/sources", Access::Contribute, create)
        .get("/sources/new", Access::Contribute, new_form)
        .get("/sources/{id}", Access::Read, show)
        .get("/sources/{id}/edit", Access::Contribute, edit_form)
        .post("/sources/{id}/edit", Access::Contribute, update);
}

#[derive(Template)]
#[template(path = "sources/list.html")]
pub struct SourcesPage {
    pub me: Option<CurrentUser>,
    pub rows: Vec<(Source, i64)>,
}

async fn list(pool: web::Data<DbPool>, me: CurrentUser) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = source::list_with_counts(&mut c).await?;
    ok(&SourcesPage { me: Some(me), rows })
}

#[derive(Template)]
#[template(path = "sources/form.html")]
pub struct SourceFormPage {
    pub me: Option<CurrentUser>,
    pub form: SourceInput,
    pub errors: FieldErrors,
    pub types: Vec<Choice>,
    pub editing: Option<Source>,
    pub conflict: Option<String>,
}

impl SourceFormPage {
    fn new(
        me: CurrentUser,
        form: SourceInput,
        errors: FieldErrors,
        editing: Option<Source>,
    ) -> Self {
        SourceFormPage {
            me: Some(me),
            types: view::type_choices(&form.source_type),
            form,
            errors,
            editing,
            conflict: None,
        }
    }
}

async fn new_form(me: CurrentUser) -> AppResult<HttpResponse> {
    ok(&SourceFormPage::new(
        me,
        SourceInput::default(),
        FieldErrors::new(),
        None,
    ))
}

fn source_error(e: diesel::result::Error) -> AppError {
    AppError::on_constraint(
        e,
        source::NAME_CONSTRAINT,
        "name",
        "A source with this name already exists.",
    )
}

async fn create(
    pool: web::Data<DbPool>,
    form: Form<SourceInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let draft = SourceDraft::parse(&form, "");
    let refused = match forms::create_write(draft, source_error, async |d| {
        Ok(source::create(&mut c, &d, actor).await?)
    })
    .await?
    {
        Ok(s) => return Ok(see_other(&format!("/sources/{}", s.id))),
        Err(r) => r,
    };
    let page = SourceFormPage::new(me, form, refused.errors, None);
    render(refused.status, &page)
}

async fn edit_form(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let s = source::find(&mut c, id.into_inner()).await?;
    ok(&SourceFormPage::new(
        me,
        SourceInput::from_source(&s),
        FieldErrors::new(),
        Some(s),
    ))
}

async fn update(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    form: Form<SourceInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let draft = SourceDraft::parse(&form, "");
    let refused = match forms::versioned_write(form.version, draft, source_error, async |d, v| {
        source::update(&mut c, id, &d, v, actor).await
    })
    .await?
    {
        Ok(_) => return Ok(see_other(&format!("/sources/{id}"))),
        Err(r) => r,
    };
    let current = source::find(&mut c, id).await?;
    if refused.conflict.is_some() {
        form.version = Some(current.version.into());
    }
    let page = SourceFormPage {
        conflict: refused.conflict,
        ..SourceFormPage::new(me, form, refused.errors, Some(current))
    };
    render(refused.status, &page)
}

#[derive(Template)]
#[template(path = "sources/show.html")]
pub struct SourcePage {
    pub me: Option<CurrentUser>,
    pub source: Source,
    pub counts: Vec<(ClaimStatus, i64)>,
    pub total: i64,
    pub rows: Vec<ClaimRow>,
    pub next_url: Option<String>,
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    after: String,
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    q: Query<ShowQuery>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let after = parse_cursor(&q.after)?;
    let mut c = conn(&pool).await?;
    let source = source::find(&mut c, id).await?;
    let filter = ClaimFilter {
        source_id: Some(id),
        after,
        ..Default::default()
    };
    let page = claim::list(&c, &filter, claim::MAX_PAGE).await?;
    let counts = view::status_summary(&source::status_counts(&mut c, id).await?);
    ok(&SourcePage {
        me: Some(me),
        total: counts.iter().map(|(_, n)| n).sum(),
        counts,
        next_url: page
            .next
            .map(|n| format!("/sources/{id}?after={}", n.encode())),
        rows: page.rows,
        source,
    })
}
