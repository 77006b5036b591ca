//! Liveness that means something (the database answers) and static assets.

use crate::db::deadline::{bounded_for, HEALTH_TIMEOUT};
use crate::db::DbPool;
use crate::domain::Access;
use crate::web::routes::Routes;
use actix_web::{web, HttpResponse};
use diesel_async::RunQueryDsl;

const STYLE: &str = include_str!("../../../static/style.css");

pub fn routes(r: &mut Routes) {
    r.get("/healthz", Access::Public, healthz)
        .get("/static/style.css", Access::Public, style);
}

/// 200 when a connection can be had and answers `SELECT 1`, 503 otherwise,
/// within a second (or the query timeout, if shorter) even when the
/// database is hung: a load balancer must not wait on it.
pub async fn healthz(pool: web::Data<DbPool>) -> HttpResponse {
    let limit = HEALTH_TIMEOUT.min(pool.query_timeout());
    let probe = bounded_for(limit, async {
        let mut conn = pool.get().await.ok()?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await.ok()
    });
    if let Ok(Some(_)) = probe.await {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": "up" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "5"))
            .json(serde_json::json!({ "status": "unavailable", "database": "down" }))
    }
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLE)
}
