//! Liveness that means something (the database answers) and static assets.

use crate::db::DbPool;
use actix_web::{web, HttpResponse};
use diesel_async::RunQueryDsl;

const STYLE: &str = include_str!("../../../static/style.css");

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/healthz", web::get().to(healthz))
        .route("/static/style.css", web::get().to(style));
}

/// 200 when a connection can be had and answers `SELECT 1`, 503 otherwise.
pub async fn healthz(pool: web::Data<DbPool>) -> HttpResponse {
    let ok = match pool.get().await {
        Ok(mut conn) => diesel::sql_query("SELECT 1")
            .execute(&mut conn)
            .await
            .is_ok(),
        Err(_) => false,
    };
    if ok {
        HttpResponse::Ok().json(serde_json::json!({ "status": "ok", "database": "up" }))
    } else {
        HttpResponse::ServiceUnavailable()
            .json(serde_json::json!({ "status": "unavailable", "database": "down" }))
    }
}

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(STYLE)
}
