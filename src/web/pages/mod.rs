//! Server-rendered pages, one file per resource.

pub mod admin;
pub mod auth;
pub mod claims;
pub mod exports;
pub mod figures;
pub mod health;
pub mod imports;
pub mod profile;
pub mod reports;
pub mod sources;
pub mod stories;

use crate::web::routes::Routes;

pub fn routes(r: &mut Routes) {
    auth::routes(r);
    profile::routes(r);
    admin::routes(r);
    claims::routes(r);
    exports::routes(r);
    reports::routes(r);
    figures::routes(r);
    imports::routes(r);
    stories::routes(r);
    sources::routes(r);
}

pub(crate) async fn not_found() -> crate::error::AppResult<actix_web::HttpResponse> {
    Err(crate::error::AppError::NotFound)
}
