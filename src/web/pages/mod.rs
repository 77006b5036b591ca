//! Server-rendered pages, one file per resource.

pub mod admin;
pub mod auth;
pub mod claims;
pub mod exports;
pub mod health;
pub mod imports;
pub mod profile;
pub mod reports;
pub mod sources;
pub mod stories;

use actix_web::web;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.configure(auth::configure)
        .configure(profile::configure)
        .configure(admin::configure)
        .configure(claims::configure)
        .configure(exports::configure)
        .configure(reports::configure)
        .configure(imports::configure)
        .configure(stories::configure)
        .configure(sources::configure)
        .default_service(web::to(not_found));
}

async fn not_found() -> crate::error::AppResult<actix_web::HttpResponse> {
    Err(crate::error::AppError::NotFound)
}
