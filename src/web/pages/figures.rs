//! The story figures page: every figure in a story, grouped so that only
//! like is compared with like, each group drawn as an inline SVG chart.

use crate::db::DbPool;
use crate::domain::figure_chart::{self, FigureGroup};
use crate::domain::{Access, StoryId};
use crate::error::AppResult;
use crate::models::story::{self, Story};
use crate::models::story_figures;
use crate::web::access::CurrentUser;
use crate::web::routes::Routes;
use crate::web::{conn, ok};
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/stories/{id}/figures", Access::Read, show);
}

#[derive(Template)]
#[template(path = "stories/figures.html")]
pub struct FiguresPage {
    pub me: Option<CurrentUser>,
    pub story: Story,
    pub groups: Vec<FigureGroup>,
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let story = story::find(&mut c, id).await?;
    let groups = figure_chart::group(story_figures::for_story(&mut c, id).await?);
    ok(&FiguresPage {
        me: Some(me),
        story,
        groups,
    })
}
