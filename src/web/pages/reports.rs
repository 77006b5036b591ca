//! Printable reports per story and per source, also as Markdown.

use crate::db::DbPool;
use crate::domain::Access;
use crate::domain::{ClaimStatus, SourceId, StoryId};
use crate::error::AppResult;
use crate::export::report::{self, Coverage, TimelineEntry};
use crate::export::{markdown, Publisher};
use crate::models::claim::ClaimFilter;
use crate::models::export::ExportClaim;
use crate::models::source::{self, Source};
use crate::models::story::{self, Story};
use crate::web::access::CurrentUser;
use crate::web::routes::Routes;
use crate::web::{conn, ok, view};
use actix_web::{web, HttpResponse};
use askama::Template;

pub fn routes(r: &mut Routes) {
    r.get("/stories/{id}/report", Access::Read, story_report)
        .get("/sources/{id}/report", Access::Read, source_report);
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReportQuery {
    format: String,
}

fn markdown_response(name: &str, body: String) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/markdown; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{name}.md\""),
        ))
        .body(body)
}

#[derive(Template)]
#[template(path = "stories/report.html")]
pub struct StoryReport {
    pub me: Option<CurrentUser>,
    pub story: Story,
    pub counts: Vec<(ClaimStatus, i64)>,
    pub groups: Vec<(Source, Vec<ExportClaim>)>,
    pub timeline: Vec<TimelineEntry>,
    pub coverage: Coverage,
}

async fn story_report(
    pool: web::Data<DbPool>,
    id: web::Path<StoryId>,
    q: crate::web::forms::Query<ReportQuery>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let story = story::find(&mut c, id).await?;
    let counts = view::status_summary(&story::status_counts(&mut c, id).await?);
    let filter = ClaimFilter {
        story_id: Some(id),
        ..Default::default()
    };
    let claims = crate::models::report::claims(&mut c, &filter).await?;
    let coverage = Coverage::new(
        claims.len(),
        &counts,
        &format!("story={id}"),
        &publisher.base_url,
    );
    let timeline = report::timeline(&claims);
    let groups = report::by_source(claims);
    if q.format == "md" {
        return Ok(markdown_response(
            "story-report",
            markdown::story_report(&story, &counts, &groups, &timeline, &coverage),
        ));
    }
    ok(&StoryReport {
        me: Some(me),
        story,
        counts,
        groups,
        timeline,
        coverage,
    })
}

#[derive(Template)]
#[template(path = "sources/report.html")]
pub struct SourceReport {
    pub me: Option<CurrentUser>,
    pub source: Source,
    pub record: Vec<(ClaimStatus, i64, f64)>,
    pub aliases: Vec<String>,
    pub full: crate::domain::track_record::TrackRecord,
    pub claims: Vec<ExportClaim>,
    pub coverage: Coverage,
}

impl SourceReport {
    pub fn pct(&self, share: &f64) -> String {
        format!("{:.0}%", share * 100.0)
    }

    pub fn verdicts(&self) -> i64 {
        self.record.iter().map(|(_, n, _)| n).sum()
    }
}

async fn source_report(
    pool: web::Data<DbPool>,
    id: web::Path<SourceId>,
    q: crate::web::forms::Query<ReportQuery>,
    me: CurrentUser,
    publisher: web::Data<Publisher>,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    let source = source::find(&mut c, id).await?;
    let filter = ClaimFilter {
        source_id: Some(id),
        ..Default::default()
    };
    let counts = source::status_counts(&mut c, id).await?;
    let claims = crate::models::report::claims(&mut c, &filter).await?;
    let record = report::track_record(&counts);
    let aliases = source::names::aliases(&mut c, id).await?;
    let full = source::record::track_record(&mut c, id).await?;
    let coverage = Coverage::new(
        claims.len(),
        &counts,
        &format!("source={id}"),
        &publisher.base_url,
    );
    if q.format == "md" {
        return Ok(markdown_response(
            "source-report",
            markdown::source_report(
                &markdown::SourceFacts {
                    source: &source,
                    aliases: &aliases,
                    record: &record,
                    full: &full,
                },
                &claims,
                &coverage,
            ),
        ));
    }
    ok(&SourceReport {
        me: Some(me),
        source,
        record,
        aliases,
        full,
        claims,
        coverage,
    })
}
