//! Spreadsheet import: upload, preview (what would be created, what is a
//! duplicate, which rows are invalid and why), correct and re-run, confirm.

use crate::db::DbPool;
use crate::domain::import::{ImportRow, RowError};
use crate::error::{AppError, AppResult};
use crate::models::import::{self, Import};
use crate::models::{Actor, WriteError};
use crate::web::access::CurrentUser;
use crate::web::{conn, ok, parse_id, render, see_other};
use actix_multipart::form::{bytes::Bytes as FileBytes, MultipartForm, MultipartFormConfig};
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use uuid::Uuid;

/// Largest spreadsheet accepted (about 20,000 typical rows).
pub const MAX_UPLOAD: usize = 10 * 1024 * 1024;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.app_data(
        MultipartFormConfig::default()
            .total_limit(MAX_UPLOAD)
            .memory_limit(MAX_UPLOAD),
    )
    .route("/import", web::get().to(upload_form))
    .route("/import", web::post().to(upload))
    .service(
        web::resource("/imports/{id}")
            .app_data(web::FormConfig::default().limit(MAX_UPLOAD))
            .route(web::get().to(show))
            .route(web::post().to(revise)),
    )
    .route("/imports/{id}/confirm", web::post().to(confirm));
}

#[derive(Template)]
#[template(path = "imports/upload.html")]
pub struct UploadPage {
    pub me: Option<CurrentUser>,
    pub error: Option<String>,
}

async fn upload_form(me: CurrentUser) -> AppResult<HttpResponse> {
    ok(&UploadPage {
        me: Some(me),
        error: None,
    })
}

#[derive(MultipartForm)]
pub struct Upload {
    #[multipart(limit = "10MB")]
    file: FileBytes,
}

async fn upload(
    pool: web::Data<DbPool>,
    me: CurrentUser,
    form: MultipartForm<Upload>,
) -> AppResult<HttpResponse> {
    let file = &form.file;
    let name = file
        .file_name
        .clone()
        .unwrap_or_else(|| "upload.csv".into());
    let Ok(text) = std::str::from_utf8(&file.data) else {
        let error = Some(
            "The file is not UTF-8 text. Save the spreadsheet as “CSV UTF-8” and upload it again."
                .into(),
        );
        return render(
            StatusCode::UNPROCESSABLE_ENTITY,
            &UploadPage {
                me: Some(me),
                error,
            },
        );
    };
    let mut c = conn(&pool).await?;
    let saved = import::save(&mut c, Some(me.id), &name, text).await?;
    Ok(see_other(&format!("/imports/{}", saved.id)))
}

#[derive(Template)]
#[template(path = "imports/preview.html")]
pub struct PreviewPage {
    pub me: Option<CurrentUser>,
    pub import: Import,
    pub create: Vec<ImportRow>,
    pub duplicates: Vec<ImportRow>,
    pub invalid: Vec<RowError>,
    pub file_error: Option<String>,
    pub can_confirm: bool,
}

/// Rows listed in full on the preview; the counts always cover everything.
const SHOWN: usize = 200;

async fn preview_page(pool: &DbPool, id: Uuid, me: CurrentUser) -> AppResult<PreviewPage> {
    let mut c = conn(pool).await?;
    let imp = import::find(&mut c, id).await?;
    let p = import::preview(&mut c, &imp.content, me.role).await?;
    Ok(PreviewPage {
        me: Some(me),
        can_confirm: p.can_confirm() && imp.confirmed_at.is_none(),
        import: imp,
        create: p.create,
        duplicates: p.duplicates,
        invalid: p.invalid,
        file_error: p.file_error,
    })
}

impl PreviewPage {
    pub fn create_shown(&self) -> &[ImportRow] {
        &self.create[..self.create.len().min(SHOWN)]
    }

    pub fn duplicates_shown(&self) -> &[ImportRow] {
        &self.duplicates[..self.duplicates.len().min(SHOWN)]
    }
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    ok(&preview_page(&pool, parse_id(&id)?, me).await?)
}

#[derive(serde::Deserialize, Default)]
#[serde(default)]
struct ReviseForm {
    content: String,
}

async fn revise(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    _me: CurrentUser,
    form: web::Form<ReviseForm>,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let mut c = conn(&pool).await?;
    import::find(&mut c, id).await?;
    import::revise(&mut c, id, &form.content)
        .await
        .map_err(|_| {
            AppError::Conflict(
                "This import was already confirmed; upload a new file instead.".into(),
            )
        })?;
    Ok(see_other(&format!("/imports/{id}")))
}

async fn confirm(
    pool: web::Data<DbPool>,
    id: web::Path<String>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = parse_id(&id)?;
    let mut c = conn(&pool).await?;
    import::find(&mut c, id).await?;
    match import::confirm(&mut c, id, Actor::user(me.id, me.role)).await {
        Ok(_) => Ok(see_other(&format!("/imports/{id}"))),
        Err(WriteError::Invalid(_)) => {
            // The preview shows why; nothing was written.
            let page = preview_page(&pool, id, me).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(e.into()),
    }
}
