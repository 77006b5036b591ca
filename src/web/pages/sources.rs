//! Sources: list, create, edit, and a source's page with its claims, track
//! record, grade and merge forms.

use crate::db::DbPool;
use crate::domain::drafts::{SourceDraft, SourceInput};
use crate::domain::track_record::TrackRecord;
use crate::domain::Access;
use crate::domain::{FieldErrors, Grade, SourceId};
use crate::error::{AppError, AppResult};
use crate::models::claim::{self, ClaimFilter, ClaimRow};
use crate::models::source::grade::{self as grading, GradeChange};
use crate::models::source::{self, names, Source};
use crate::models::Actor;
use crate::web::access::CurrentUser;
use crate::web::api::sources::{parse_grade, parse_merge, GradeInput, MergeInput};
use crate::web::forms::{self, Form, Query};
use crate::web::routes::Routes;
use crate::web::view::{self, Choice};
use crate::web::{conn, ok, parse_cursor, render, see_other};
use actix_web::{web, HttpResponse};
use askama::Template;
use std::collections::HashMap;

pub fn routes(r: &mut Routes) {
    r.get("/sources", Access::Read, list)
        .post("/sources", Access::Contribute, create)
        .get("/sources/new", Access::Contribute, new_form)
        .get("/sources/{id}", Access::Read, show)
        .get("/sources/{id}/edit", Access::Contribute, edit_form)
        .post("/sources/{id}/edit", Access::Contribute, update)
        .post("/sources/{id}/grade", Access::Edit, grade)
        .post("/sources/{id}/merge", Access::Edit, merge);
}

#[derive(Template)]
#[template(path = "sources/list.html")]
pub struct SourcesPage {
    pub me: Option<CurrentUser>,
    pub rows: Vec<(Source, i64)>,
    pub aliases: HashMap<SourceId, Vec<String>>,
    pub q: String,
}

impl SourcesPage {
    pub fn aliases_of(&self, id: &SourceId) -> String {
        self.aliases
            .get(id)
            .map(|a| a.join(", "))
            .unwrap_or_default()
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ListQuery {
    q: String,
}

async fn list(
    pool: web::Data<DbPool>,
    q: Query<ListQuery>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let mut c = conn(&pool).await?;
    let rows = source::list_with_counts(&mut c, Some(&q.q)).await?;
    let ids: Vec<SourceId> = rows.iter().map(|(s, _)| s.id).collect();
    let aliases = names::aliases_for(&mut c, &ids).await?;
    ok(&SourcesPage {
        me: Some(me),
        rows,
        aliases,
        q: q.into_inner().q,
    })
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
    source::name_taken(e, "name")
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
        source::create_checked(&mut c, &d, actor).await
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
    let aliases = names::aliases(&mut c, s.id).await?;
    ok(&SourceFormPage::new(
        me,
        SourceInput::from_source(&s, &aliases),
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
    pub aliases: Vec<String>,
    pub record: TrackRecord,
    pub grade_history: Vec<GradeChange>,
    pub grades: Vec<Choice>,
    pub grade_form: GradeInput,
    pub grade_errors: FieldErrors,
    /// Live sources this one could be merged into.
    pub others: Vec<source::Listed>,
    pub merge_form: MergeInput,
    pub merge_errors: FieldErrors,
    pub rows: Vec<ClaimRow>,
    pub next_url: Option<String>,
}

impl SourcePage {
    /// A share as a whole percentage, for tables.
    pub fn pct(&self, share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ShowQuery {
    after: String,
}

async fn load_page(
    c: &mut crate::db::DbConn,
    me: CurrentUser,
    id: SourceId,
    after: &str,
) -> AppResult<SourcePage> {
    let after = parse_cursor(after)?;
    let source = source::find(c, id).await?;
    let filter = ClaimFilter {
        source_id: Some(id),
        after,
        ..Default::default()
    };
    let page = claim::list(c, &filter, claim::MAX_PAGE).await?;
    let others = source::list(c)
        .await?
        .into_iter()
        .filter(|s| s.id != id)
        .collect();
    let grade_form = GradeInput {
        grade: source
            .grade
            .map(|g| g.as_str().to_owned())
            .unwrap_or_default(),
        reason: String::new(),
    };
    Ok(SourcePage {
        me: Some(me),
        aliases: names::aliases(c, id).await?,
        record: source::record::track_record(c, id).await?,
        grade_history: grading::history(c, id).await?,
        grades: Grade::ALL
            .iter()
            .map(|g| Choice {
                value: g.as_str().into(),
                label: format!("{g} – {}", g.label()),
                selected: grade_form.grade == g.as_str(),
            })
            .collect(),
        grade_form,
        grade_errors: FieldErrors::new(),
        others,
        merge_form: MergeInput::default(),
        merge_errors: FieldErrors::new(),
        next_url: page
            .next
            .map(|n| format!("/sources/{id}?after={}", n.encode())),
        rows: page.rows,
        source,
    })
}

/// A merged source's page leads to the source it became.
async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    q: Query<ShowQuery>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let page = load_page(&mut c, me, id, &q.after).await?;
    if let Some(into) = page.source.merged_into {
        return Ok(HttpResponse::MovedPermanently()
            .insert_header(("Location", format!("/sources/{into}")))
            .finish());
    }
    ok(&page)
}

async fn grade(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    form: Form<GradeInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let errors = match parse_grade(&form) {
        Ok((g, reason)) => match grading::set_grade(&mut c, id, g, &reason, actor).await {
            Ok(_) => return Ok(see_other(&format!("/sources/{id}?saved=grade"))),
            Err(crate::models::WriteError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let mut page = load_page(&mut c, me, id, "").await?;
    for g in &mut page.grades {
        g.selected = g.value == form.grade;
    }
    page.grade_form = form;
    page.grade_errors = errors;
    render(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
}

async fn merge(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    form: Form<MergeInput>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let form = form.into_inner();
    let actor = Actor::user(me.id, me.role);
    let mut c = conn(&pool).await?;
    let errors = match parse_merge(&form) {
        Ok((into, reason)) => match source::merge::merge(&mut c, id, into, &reason, actor).await {
            Ok(y) => return Ok(see_other(&format!("/sources/{}?saved=merge", y.id))),
            Err(crate::models::WriteError::Invalid(e)) => e,
            Err(e) => return Err(e.into()),
        },
        Err(e) => e,
    };
    let mut page = load_page(&mut c, me, id, "").await?;
    page.merge_form = form;
    page.merge_errors = errors;
    render(actix_web::http::StatusCode::UNPROCESSABLE_ENTITY, &page)
}
