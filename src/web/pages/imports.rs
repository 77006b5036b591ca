//! Spreadsheet import: upload, preview (what would be created, what is a
//! duplicate, which rows are invalid and why), correct and re-run, confirm.
//!
//! The preview is computed once at upload and stored; the page reads one
//! page of each section. An import belongs to its uploader (and editors):
//! to anyone else it answers 404, as if it did not exist.

use crate::config::ImportLimits;
use crate::db::deadline::{between_beats, Heartbeat};
use crate::db::DbPool;
use crate::domain::import::check_file;
use crate::domain::Access;
use crate::domain::{ImportId, UserId};
use crate::error::{AppError, AppResult};
use crate::json_import::{self, JsonFormat, JsonImportError, JsonImportReport};
use crate::models::import::{self, Import, ImportError, Kind, PreviewRow, PAGE};
use crate::models::{Actor, WriteError};
use crate::web::access::CurrentUser;
use crate::web::routes::Routes;
use crate::web::{conn, ok, render, see_other};
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use futures_util::StreamExt;

/// A copy of the connection's socket, taken when the client connects: a
/// long upload or confirm asks it between batches whether the client is
/// still there (actix keeps running a handler after its client has gone).
#[derive(Clone)]
pub struct PeerSocket(std::sync::Arc<socket2::Socket>);

/// Passed to `HttpServer::on_connect`.
pub fn remember_socket(conn: &dyn std::any::Any, ext: &mut actix_web::dev::Extensions) {
    if let Some(tcp) = conn.downcast_ref::<actix_web::rt::net::TcpStream>() {
        if let Ok(copy) = socket2::SockRef::from(tcp).try_clone() {
            ext.insert(PeerSocket(std::sync::Arc::new(copy)));
        }
    }
}

impl PeerSocket {
    /// False once the client has closed or reset the connection. The socket
    /// is non-blocking, so this never waits.
    pub fn is_open(&self) -> bool {
        let mut buf = [std::mem::MaybeUninit::<u8>::uninit(); 1];
        match self.0.peek(&mut buf) {
            Ok(n) => n > 0,
            Err(e) => matches!(
                e.kind(),
                std::io::ErrorKind::WouldBlock | std::io::ErrorKind::Interrupted
            ),
        }
    }
}

/// Whether the client of `req` still waits (always, without a socket copy).
fn client_waits(req: &HttpRequest, beat: &Heartbeat) -> impl Fn() -> bool + Sync + use<> {
    let socket = req.conn_data::<PeerSocket>().cloned();
    let beat = beat.clone();
    move || {
        // Asked between batches: each one is progress the deadline counts from.
        beat.beat();
        socket.as_ref().is_none_or(PeerSocket::is_open)
    }
}

/// Users whose upload, correction or confirm this process is handling.
/// Taken before the body is read, so a user's second upload is refused
/// before it costs memory; the database lock (taken by the model, in the
/// import's transaction) is what makes it hold across server instances.
static BUSY_USERS: std::sync::Mutex<Vec<UserId>> = std::sync::Mutex::new(Vec::new());

/// A user's one import slot in this process; freed when dropped, which
/// includes a request dropped half-way.
struct Slot(UserId);

impl Slot {
    fn take(user: UserId) -> AppResult<Slot> {
        let mut busy = BUSY_USERS.lock().unwrap_or_else(|e| e.into_inner());
        if busy.contains(&user) {
            return Err(AppError::TooManyRequests(BUSY.into(), 5));
        }
        busy.push(user);
        Ok(Slot(user))
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut busy = BUSY_USERS.lock().unwrap_or_else(|e| e.into_inner());
        busy.retain(|u| *u != self.0);
    }
}

/// Largest correction accepted from the preview page's form; larger files
/// are corrected in the spreadsheet and uploaded again.
pub const EDIT_MAX: usize = import::KEEP_CONTENT_MAX;
/// Room for the form encoding around an [`EDIT_MAX`] file.
const REVISE_BODY_MAX: usize = 4 * EDIT_MAX;

pub fn routes(r: &mut Routes) {
    r.get("/import", Access::Contribute, upload_form)
        .post("/import", Access::Contribute, upload)
        .long()
        .get("/imports/{id}", Access::Contribute, show)
        .post_with(
            "/imports/{id}",
            Access::Contribute,
            web::PayloadConfig::new(REVISE_BODY_MAX),
            revise,
        )
        .long()
        .post("/imports/{id}/confirm", Access::Contribute, confirm)
        .long();
}

#[derive(Template)]
#[template(path = "imports/upload.html")]
pub struct UploadPage {
    pub me: Option<CurrentUser>,
    pub error: Option<String>,
    pub max_mb: usize,
    pub max_rows: u64,
}

fn upload_page(me: CurrentUser, limits: &ImportLimits, error: Option<String>) -> UploadPage {
    UploadPage {
        me: Some(me),
        error,
        max_mb: limits.import_max_bytes.div_ceil(1024 * 1024),
        max_rows: limits.import_max_rows,
    }
}

async fn upload_form(me: CurrentUser, limits: web::Data<ImportLimits>) -> AppResult<HttpResponse> {
    ok(&upload_page(me, &limits, None))
}

fn too_large(limits: &ImportLimits) -> String {
    format!(
        "The file is larger than the {} MB the import page accepts. Split it into smaller files, \
         or import it from the shell with `claimdesk import FILE`.",
        limits.import_max_bytes.div_ceil(1024 * 1024)
    )
}

fn too_many_rows(max: u64) -> String {
    format!(
        "The file has more than {max} rows, the most the import page accepts at once. Split it \
         into smaller files, or import it from the shell with `claimdesk import FILE`."
    )
}

const BUSY: &str =
    "Another import of yours is still running. Wait until it has finished, then try again.";

/// The uploaded file (name and bytes), read up to the byte cap.
enum Received {
    File(String, Vec<u8>),
    TooLarge,
    NoFile,
}

/// Reads the multipart body field by field, never holding more than the
/// cap: a hidden field (the CSRF token) may come first; `file` is the upload.
async fn receive(req: &HttpRequest, mut form: Multipart, max: usize) -> Result<Received, AppError> {
    let declared = req
        .headers()
        .get("Content-Length")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    // Headers and boundaries take a few hundred bytes; refuse at once what
    // cannot fit.
    if declared.is_some_and(|n| n > max.saturating_add(64 * 1024)) {
        return Ok(Received::TooLarge);
    }
    let mut found = None;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(bad_form)?;
        let is_file = field.name() == Some("file");
        let name = field
            .content_disposition()
            .and_then(|cd| cd.get_filename())
            .map(str::to_owned);
        // Other fields are small (a token); the file may use the whole cap.
        let cap = if is_file { max } else { 4096 };
        // Sized once from the declared length: growing by doubling would
        // briefly hold twice the file.
        let mut data = Vec::with_capacity(if is_file {
            declared.unwrap_or(0).min(max)
        } else {
            0
        });
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(bad_form)?;
            if data.len() + chunk.len() > cap {
                return Ok(Received::TooLarge);
            }
            data.extend_from_slice(&chunk);
        }
        if is_file && found.is_none() {
            found = Some((name.unwrap_or_else(|| "upload.csv".into()), data));
        }
    }
    Ok(match found {
        Some((name, data)) => Received::File(name, data),
        None => Received::NoFile,
    })
}

fn bad_form(e: actix_multipart::MultipartError) -> AppError {
    AppError::BadRequest(format!("Could not read the uploaded form: {e}"))
}

async fn upload(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    limits: web::Data<ImportLimits>,
    me: CurrentUser,
    form: Multipart,
) -> AppResult<HttpResponse> {
    let _slot = Slot::take(me.id)?;
    let refuse = |me, status, msg: String| render(status, &upload_page(me, &limits, Some(msg)));
    let (name, data) = match receive(&req, form, limits.import_max_bytes).await? {
        Received::File(name, data) => (name, data),
        Received::TooLarge => {
            return refuse(me, StatusCode::PAYLOAD_TOO_LARGE, too_large(&limits));
        }
        Received::NoFile => {
            let msg = "Choose a CSV file to upload.".to_owned();
            return refuse(me, StatusCode::UNPROCESSABLE_ENTITY, msg);
        }
    };
    if let Some(format) = JsonFormat::sniff(&data).or_else(|| JsonFormat::from_name(&name)) {
        return upload_json(&req, &pool, me, &limits, name, data, format).await;
    }
    // Whole-file checks off the worker thread: a large file takes a moment.
    let max_rows = limits.import_max_rows;
    let checked = web::block(move || -> Result<Vec<u8>, (StatusCode, String)> {
        let text = check_file(&data).map_err(|e| (StatusCode::UNPROCESSABLE_ENTITY, e))?;
        if crate::domain::import::count_records(text) > max_rows {
            return Err((StatusCode::PAYLOAD_TOO_LARGE, too_many_rows(max_rows)));
        }
        Ok(data)
    })
    .await
    .map_err(|e| AppError::Internal(e.into()))?;
    let data = match checked {
        Ok(data) => data,
        Err((status, msg)) => return refuse(me, status, msg),
    };
    let text = std::str::from_utf8(&data).map_err(|e| AppError::Internal(e.into()))?;
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let beat = Heartbeat::default();
    let wanted = client_waits(&req, &beat);
    match between_beats(
        &beat,
        import::upload(&mut c, actor, &name, text, Some(max_rows), &wanted),
    )
    .await?
    {
        Ok(saved) => Ok(see_other(&format!("/imports/{}", saved.id))),
        Err(ImportError::TooManyRows(max)) => {
            refuse(me, StatusCode::PAYLOAD_TOO_LARGE, too_many_rows(max))
        }
        Err(e) => Err(import_error(e)),
    }
}

#[derive(Template)]
#[template(path = "imports/json_result.html")]
pub struct JsonResultPage {
    pub me: Option<CurrentUser>,
    pub filename: String,
    pub report: JsonImportReport,
}

/// A JSON or NDJSON export brought back: checked in full and written all or
/// nothing in one step (the CLI offers a preview that writes nothing).
async fn upload_json(
    req: &HttpRequest,
    pool: &DbPool,
    me: CurrentUser,
    limits: &ImportLimits,
    filename: String,
    data: Vec<u8>,
    format: JsonFormat,
) -> AppResult<HttpResponse> {
    let mut c = conn(pool).await?;
    let actor = Actor::user(me.id, me.role);
    let beat = Heartbeat::default();
    let wanted = client_waits(req, &beat);
    let progress = move || {
        wanted();
    };
    let reader = std::io::Cursor::new(data);
    let work = json_import::import_json_with_progress(
        &mut c,
        reader,
        Some(format),
        actor,
        true,
        &progress,
    );
    let report = match between_beats(&beat, work).await? {
        Ok(report) => report,
        Err(JsonImportError::File(msg)) => {
            let page = upload_page(me, limits, Some(msg));
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(e) => return Err(e.into()),
    };
    let status = if report.committed {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = JsonResultPage {
        me: Some(me),
        filename,
        report,
    };
    render(status, &page)
}

fn import_error(e: ImportError) -> AppError {
    match e {
        // Nobody reads this answer; the work was rolled back.
        ImportError::Abandoned => AppError::BadRequest("The client went away.".into()),
        ImportError::Busy => AppError::TooManyRequests(BUSY.into(), 5),
        ImportError::TooManyRows(max) => AppError::Validation(crate::domain::FieldErrors::single(
            "content",
            too_many_rows(max),
        )),
        ImportError::File(msg) => {
            AppError::Validation(crate::domain::FieldErrors::single("content", msg))
        }
        ImportError::Write(w) => w.into(),
    }
}

/// One page of one section of the preview.
pub struct Section {
    pub rows: Vec<PreviewRow>,
    pub total: i32,
    pub page: i64,
    pub pages: i64,
    pub prev: Option<String>,
    pub next: Option<String>,
}

impl Section {
    pub fn is_empty(&self) -> bool {
        self.total == 0
    }

    pub fn paged(&self) -> bool {
        self.pages > 1
    }
}

#[derive(Template)]
#[template(path = "imports/preview.html")]
pub struct PreviewPage {
    pub me: Option<CurrentUser>,
    pub import: Import,
    pub create: Section,
    pub duplicates: Section,
    pub invalid: Section,
    pub can_confirm: bool,
    /// The file, when it is small enough to correct here.
    pub content: Option<String>,
    /// Why the last action on this page did not happen.
    pub error: Option<String>,
}

/// Which page of each section to show (`?create=2&duplicates=1&invalid=3`).
#[derive(serde::Deserialize, Default, Clone, Copy)]
#[serde(default)]
pub struct Pages {
    create: Option<i64>,
    duplicates: Option<i64>,
    invalid: Option<i64>,
}

impl Pages {
    fn href(&self, id: ImportId, kind: Kind, page: i64) -> String {
        let mut p = *self;
        match kind {
            Kind::Create => p.create = Some(page),
            Kind::Duplicate => p.duplicates = Some(page),
            Kind::Invalid => p.invalid = Some(page),
        }
        let anchor = match kind {
            Kind::Create => "new-h",
            Kind::Duplicate => "dup-h",
            Kind::Invalid => "inv-h",
        };
        format!(
            "/imports/{id}?create={}&duplicates={}&invalid={}#{anchor}",
            p.create.unwrap_or(1),
            p.duplicates.unwrap_or(1),
            p.invalid.unwrap_or(1)
        )
    }
}

/// An import the current user may see; anyone else's is not found.
async fn owned(c: &mut crate::db::DbConn, id: ImportId, me: &CurrentUser) -> AppResult<Import> {
    let imp = import::find(c, id).await?;
    if imp.is_open_to(me.id, me.role) {
        Ok(imp)
    } else {
        Err(AppError::NotFound)
    }
}

async fn section(
    c: &mut crate::db::DbConn,
    imp: &Import,
    pages: &Pages,
    kind: Kind,
) -> AppResult<Section> {
    let (total, asked) = match kind {
        Kind::Create => (imp.n_create, pages.create),
        Kind::Duplicate => (imp.n_duplicate, pages.duplicates),
        Kind::Invalid => (imp.n_invalid, pages.invalid),
    };
    let last = (i64::from(total) + PAGE - 1) / PAGE;
    let page = asked.unwrap_or(1).clamp(1, last.max(1));
    let rows = if total > 0 {
        import::page(c, imp.id, kind, page).await?
    } else {
        Vec::new()
    };
    Ok(Section {
        rows,
        total,
        page,
        pages: last.max(1),
        prev: (page > 1).then(|| pages.href(imp.id, kind, page - 1)),
        next: (page < last).then(|| pages.href(imp.id, kind, page + 1)),
    })
}

async fn preview_page(
    pool: &DbPool,
    id: ImportId,
    me: CurrentUser,
    pages: Pages,
    error: Option<String>,
    kept: Option<String>,
) -> AppResult<PreviewPage> {
    let mut c = conn(pool).await?;
    let imp = owned(&mut c, id, &me).await?;
    let create = section(&mut c, &imp, &pages, Kind::Create).await?;
    let duplicates = section(&mut c, &imp, &pages, Kind::Duplicate).await?;
    let invalid = section(&mut c, &imp, &pages, Kind::Invalid).await?;
    let content = match (kept, imp.confirmed_at) {
        (Some(kept), _) => Some(kept),
        (None, None) => import::kept_content(&mut c, id).await?,
        (None, Some(_)) => None,
    };
    Ok(PreviewPage {
        me: Some(me),
        can_confirm: imp.can_confirm(),
        import: imp,
        create,
        duplicates,
        invalid,
        content,
        error,
    })
}

async fn show(
    pool: web::Data<DbPool>,
    id: web::Path<ImportId>,
    me: CurrentUser,
    pages: web::Query<Pages>,
) -> AppResult<HttpResponse> {
    let page = preview_page(&pool, id.into_inner(), me, pages.into_inner(), None, None).await?;
    ok(&page)
}

/// The `content` field of an urlencoded body, decoded strictly: invalid
/// UTF-8 is refused, never turned into U+FFFD.
fn form_content(body: &[u8]) -> Result<String, String> {
    let mut out = Vec::new();
    for pair in body.split(|b| *b == b'&') {
        let (key, value) = match pair.iter().position(|b| *b == b'=') {
            Some(at) => (&pair[..at], &pair[at + 1..]),
            None => (pair, &pair[..0]),
        };
        if key == b"content" {
            out = percent_decode(value);
        }
    }
    String::from_utf8(out)
        .map_err(|_| "The corrected text is not UTF-8; nothing was changed.".to_owned())
}

fn percent_decode(raw: &[u8]) -> Vec<u8> {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        match raw[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < raw.len() => match (hex(raw[i + 1]), hex(raw[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    out
}

async fn revise(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    limits: web::Data<ImportLimits>,
    id: web::Path<ImportId>,
    me: CurrentUser,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let _slot = Slot::take(me.id)?;
    {
        // Someone else's import does not exist, whatever the body says.
        let mut c = conn(&pool).await?;
        owned(&mut c, id, &me).await?;
    }
    if body.len() > limits.import_max_bytes {
        let msg = too_large(&limits);
        let page = preview_page(&pool, id, me, Pages::default(), Some(msg), None).await?;
        return render(StatusCode::PAYLOAD_TOO_LARGE, &page);
    }
    let checked = form_content(&body).and_then(|text| match check_file(text.as_bytes()) {
        Ok(_) => Ok(text),
        Err(e) => Err(e),
    });
    let content = match checked {
        Ok(text) => text,
        Err(msg) => {
            let page = preview_page(&pool, id, me, Pages::default(), Some(msg), None).await?;
            return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
    };
    let mut c = conn(&pool).await?;
    let actor = Actor::user(me.id, me.role);
    let max_rows = Some(limits.import_max_rows);
    let beat = Heartbeat::default();
    let wanted = client_waits(&req, &beat);
    match between_beats(
        &beat,
        import::revise(&mut c, id, actor, &content, max_rows, &wanted),
    )
    .await?
    {
        Ok(()) => Ok(see_other(&format!("/imports/{id}"))),
        Err(ImportError::Write(WriteError::Invalid(_))) => Err(AppError::Conflict(
            "This import was already confirmed; upload a new file instead.".into(),
        )),
        Err(ImportError::TooManyRows(max)) => {
            drop(c);
            let page = preview_page(
                &pool,
                id,
                me,
                Pages::default(),
                Some(too_many_rows(max)),
                Some(content),
            )
            .await?;
            render(StatusCode::PAYLOAD_TOO_LARGE, &page)
        }
        Err(e) => Err(import_error(e)),
    }
}

async fn confirm(
    req: HttpRequest,
    pool: web::Data<DbPool>,
    id: web::Path<ImportId>,
    me: CurrentUser,
) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let mut c = conn(&pool).await?;
    owned(&mut c, id, &me).await?;
    let _slot = Slot::take(me.id)?;
    let beat = Heartbeat::default();
    let wanted = client_waits(&req, &beat);
    match between_beats(
        &beat,
        import::confirm(&mut c, id, Actor::user(me.id, me.role), &wanted),
    )
    .await?
    {
        Ok(_) => Ok(see_other(&format!("/imports/{id}"))),
        Err(ImportError::Write(WriteError::Invalid(f))) => {
            // The preview shows why; nothing was written.
            drop(c);
            let msg = f.iter().next().map(|(_, m)| m.to_string());
            let page = preview_page(&pool, id, me, Pages::default(), msg, None).await?;
            render(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(e) => Err(import_error(e)),
    }
}
