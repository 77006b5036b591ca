//! Test harness: every test gets its own database, created from a migrated
//! template, and its own server on a random loopback port.
#![allow(dead_code)] // shared by every test module; not each one uses all of it

use claimdesk::config::AuthArgs;
use claimdesk::db::embedded::EmbeddedPostgres;
use claimdesk::db::{run_migrations, PoolSettings};
use claimdesk::domain::Role;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::net::TcpListener;
use std::time::Duration;
use tokio::sync::OnceCell;

/// The server that holds test databases and a URL to its maintenance db.
struct Server {
    admin_url: String,
    /// Keeps the private cluster's handle alive when no DATABASE_URL is set.
    _embedded: Option<EmbeddedPostgres>,
}

static SERVER: OnceCell<Server> = OnceCell::const_new();
static TEMPLATE: OnceCell<String> = OnceCell::const_new();

async fn server() -> &'static Server {
    SERVER
        .get_or_init(|| async {
            match std::env::var("DATABASE_URL") {
                Ok(url) if !url.is_empty() => Server {
                    admin_url: url,
                    _embedded: None,
                },
                _ => {
                    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("test-pg");
                    let pg = EmbeddedPostgres::start(&dir)
                        .await
                        .expect("embedded PostgreSQL");
                    Server {
                        admin_url: pg.database_url("postgres"),
                        _embedded: Some(pg),
                    }
                }
            }
        })
        .await
}

/// The same server, another database.
pub fn url_for(admin_url: &str, db: &str) -> String {
    let mut u = url::Url::parse(admin_url).expect("DATABASE_URL must be a URL");
    u.set_path(&format!("/{db}"));
    u.to_string()
}

pub async fn admin() -> AsyncPgConnection {
    AsyncPgConnection::establish(&server().await.admin_url)
        .await
        .expect("connect to the test server")
}

/// Template name changes with the migrations, so a stale template is never used.
fn template_name() -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let mut entries: Vec<_> = walk(&dir);
    entries.sort();
    for p in entries {
        // Relative paths: every checkout of the same migrations shares one template.
        p.strip_prefix(&dir).unwrap_or(&p).hash(&mut h);
        std::fs::read(&p).unwrap_or_default().hash(&mut h);
    }
    format!("claimdesk_tmpl_{:016x}", h.finish())
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

async fn exec(conn: &mut AsyncPgConnection, sql: &str) {
    diesel::sql_query(sql)
        .execute(conn)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

/// Creates and migrates the template once; an advisory lock keeps parallel
/// test processes (nextest) from racing on it.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut conn = admin().await;
            exec(&mut conn, "SELECT pg_advisory_lock(727274)").await;
            let exists: Vec<Exists> = diesel::sql_query(format!(
                "SELECT 1 AS one FROM pg_database WHERE datname = '{name}'"
            ))
            .load(&mut conn)
            .await
            .unwrap();
            if exists.is_empty() {
                // Several checkouts sharing one server (worktrees) keep each other's templates.
                if std::env::var_os("CLAIMDESK_TEST_KEEP_TEMPLATES").is_none() {
                    drop_stale_templates(&mut conn, &name).await;
                }
                exec(&mut conn, &format!("CREATE DATABASE {name}")).await;
                run_migrations(&url_for(&server().await.admin_url, &name))
                    .await
                    .expect("migrate template");
            }
            exec(&mut conn, "SELECT pg_advisory_unlock(727274)").await;
            name
        })
        .await
}

#[derive(diesel::QueryableByName)]
struct DbName {
    #[diesel(sql_type = diesel::sql_types::Text)]
    datname: String,
}

/// Templates built from older migrations are never used again; drop them
/// (best effort: one may still be in use by another test process).
async fn drop_stale_templates(conn: &mut AsyncPgConnection, keep: &str) {
    let stale: Vec<DbName> = diesel::sql_query(
        "SELECT datname FROM pg_database WHERE datname LIKE 'claimdesk\\_tmpl\\_%'",
    )
    .load(conn)
    .await
    .unwrap_or_default();
    for db in stale.into_iter().filter(|d| d.datname != keep) {
        let _ = diesel::sql_query(format!("DROP DATABASE IF EXISTS {}", db.datname))
            .execute(conn)
            .await;
    }
}

#[derive(diesel::QueryableByName)]
struct Exists {
    #[diesel(sql_type = diesel::sql_types::Integer)]
    #[allow(dead_code)]
    one: i32,
}

/// A fresh, migrated database that is dropped when the test ends.
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub async fn new() -> TestDb {
        let template = template().await;
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        // Several CREATE DATABASE ... TEMPLATE at once can collide on the
        // template's lock; retry briefly.
        for attempt in 0..20 {
            match diesel::sql_query(format!("CREATE DATABASE {name} TEMPLATE {template}"))
                .execute(&mut conn)
                .await
            {
                Ok(_) => break,
                Err(e) if attempt < 19 => {
                    let _ = e;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => panic!("create test database: {e}"),
            }
        }
        TestDb {
            url: url_for(&server().await.admin_url, &name),
            name,
        }
    }

    pub async fn conn(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.url)
            .await
            .expect("connect to the test database")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let name = self.name.clone();
        let admin_url = match SERVER.get() {
            Some(s) => s.admin_url.clone(),
            None => return,
        };
        // Drop runs outside async; use a private runtime on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async {
                if let Ok(mut c) = AsyncPgConnection::establish(&admin_url).await {
                    let _ =
                        diesel::sql_query(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                            .execute(&mut c)
                            .await;
                }
            });
        })
        .join();
    }
}

/// A running app on its own database.
pub struct TestApp {
    pub addr: String,
    /// Signed in as [`TestApp::user`] (an editor) with a bearer token.
    pub client: reqwest::Client,
    pub user: TestUser,
    pub db: TestDb,
    handle: actix_web::dev::ServerHandle,
    /// The sign-in form's pre-session token, fetched once.
    login_csrf: OnceCell<LoginToken>,
}

/// The sign-in form's pre-session CSRF token: its cookie and field value.
#[derive(Debug, Clone)]
pub struct LoginToken {
    /// `claimdesk_login_csrf=<token>`, for a `Cookie` header.
    pub cookie: String,
    pub token: String,
}

/// GET /login with `c` and read the pre-session token from the page and
/// its `Set-Cookie`.
pub async fn fetch_login_token(c: &reqwest::Client, addr: &str) -> LoginToken {
    let res = c.get(format!("{addr}/login")).send().await.unwrap();
    assert_eq!(res.status(), 200, "GET /login");
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|h| h.to_str().unwrap().to_owned())
        .find(|h| h.starts_with("claimdesk_login_csrf="))
        .map(|h| h.split(';').next().unwrap().to_owned());
    let html = res.text().await.unwrap();
    // Page::csrf panics when the sign-in form carries no token.
    let token = csrf_in(&html);
    LoginToken {
        cookie: cookie.unwrap_or_else(|| format!("claimdesk_login_csrf={token}")),
        token,
    }
}

pub fn pool_settings() -> PoolSettings {
    PoolSettings {
        max_size: 4,
        wait_timeout: Duration::from_secs(3),
        connect_timeout: Duration::from_secs(3),
        query_timeout: Duration::from_secs(3),
    }
}

/// Starts the real server on a random port against `url`.
pub fn spawn_server(url: &str) -> (String, actix_web::dev::ServerHandle) {
    spawn_server_with(url, AuthArgs::default())
}

/// Starts the real server with the given session and throttling rules.
pub fn spawn_server_with(url: &str, auth: AuthArgs) -> (String, actix_web::dev::ServerHandle) {
    spawn_server_tuned(url, |s| s.auth = auth)
}

/// Starts the real server with the test settings as changed by `tune`.
pub fn spawn_server_tuned(
    url: &str,
    tune: impl FnOnce(&mut claimdesk::startup::Settings),
) -> (String, actix_web::dev::ServerHandle) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = format!("http://{}", listener.local_addr().unwrap());
    let mut settings = claimdesk::startup::Settings {
        pool: pool_settings(),
        workers: 1,
        auth: AuthArgs::default(),
        // The desk's public address is where the tests reach it, so the
        // Origin a browser sends on this server's pages is its own.
        site: claimdesk::config::SiteArgs {
            public_base_url: addr.parse().unwrap(),
            ..Default::default()
        },
        cleanup_interval: None,
        cleanup_pool: None,
        import: claimdesk::config::ImportLimits::default(),
    };
    tune(&mut settings);
    let server = claimdesk::startup::run(listener, url, &settings).unwrap();
    let handle = server.handle();
    tokio::spawn(server);
    (addr, handle)
}

/// A plain client: no credentials, no redirects followed, no cookies.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// A client that sends `Authorization: Bearer <token>` on every request.
pub fn bearer_client(token: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("Authorization", format!("Bearer {token}").parse().unwrap());
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .default_headers(headers)
        .build()
        .unwrap()
}

/// A client with a cookie jar, for sessions.
pub fn cookie_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .cookie_store(true)
        .build()
        .unwrap()
}

/// A user created straight in the database, with an API token.
pub struct TestUser {
    pub id: claimdesk::domain::UserId,
    pub email: String,
    pub password: String,
    pub token: String,
}

pub const TEST_PASSWORD: &str = "correct horse battery staple";

/// Creates a user with `role` (password [`TEST_PASSWORD`]) and an API token.
pub async fn create_user(db: &TestDb, role: Role, name: &str) -> TestUser {
    let mut conn = db.conn().await;
    let email = format!("{}@example.org", name.to_lowercase().replace(' ', "."));
    let hash = password_hash().await;
    let user = claimdesk::models::user::create(&mut conn, &email, name, role, &hash)
        .await
        .unwrap();
    let (_, token) = claimdesk::models::session::create_token(&mut conn, user.id, "tests")
        .await
        .unwrap();
    TestUser {
        id: user.id,
        email,
        password: TEST_PASSWORD.into(),
        token,
    }
}

/// One real Argon2id hash of [`TEST_PASSWORD`] per test process.
async fn password_hash() -> String {
    static HASH: OnceCell<String> = OnceCell::const_new();
    HASH.get_or_init(|| async {
        claimdesk::auth::password::hash(TEST_PASSWORD.into())
            .await
            .unwrap()
    })
    .await
    .clone()
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_in(html: &str) -> String {
    crate::kit::Page::parse(html).csrf()
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        TestApp::spawn_with(AuthArgs::default()).await
    }

    pub async fn spawn_with(auth: AuthArgs) -> TestApp {
        let db = TestDb::new().await;
        let user = create_user(&db, Role::Editor, "Test Editor").await;
        let (addr, handle) = spawn_server_with(&db.url, auth);
        TestApp {
            addr,
            client: bearer_client(&user.token),
            user,
            db,
            handle,
            login_csrf: OnceCell::new(),
        }
    }

    /// The pre-session sign-in token (one per app, reused by every sign-in).
    pub async fn login_token(&self) -> LoginToken {
        self.login_csrf
            .get_or_init(|| async { fetch_login_token(&client(), &self.addr).await })
            .await
            .clone()
    }

    /// POST /login with `c`: `fields` plus the pre-session token (field and
    /// cookie), and any `cookies` besides.
    pub async fn post_login_with(
        &self,
        c: &reqwest::Client,
        cookies: &[&str],
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let tok = self.login_token().await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", tok.token.as_str())];
        form.extend_from_slice(fields);
        let mut jar: Vec<&str> = cookies.to_vec();
        jar.push(&tok.cookie);
        c.post(self.url("/login"))
            .header("Cookie", jar.join("; "))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    /// POST /login as a fresh cookieless client.
    pub async fn post_login(&self, email: &str, password: &str) -> reqwest::Response {
        self.post_login_with(&client(), &[], &[("email", email), ("password", password)])
            .await
    }

    /// Another account on this app's database.
    pub async fn new_user(&self, role: Role, name: &str) -> TestUser {
        create_user(&self.db, role, name).await
    }

    /// Signs in through the login form; returns the cookie client and the CSRF token.
    pub async fn login(&self, email: &str, password: &str) -> (reqwest::Client, String) {
        let c = cookie_client();
        let tok = fetch_login_token(&c, &self.addr).await;
        let res = c
            .post(self.url("/login"))
            .form(&[
                ("csrf_token", tok.token.as_str()),
                ("email", email),
                ("password", password),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "login as {email}");
        let html = c
            .get(self.url("/profile"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        (c, csrf_in(&html))
    }

    /// Spawns on a database with the demo seeds loaded.
    pub async fn spawn_seeded() -> TestApp {
        let app = TestApp::spawn().await;
        claimdesk::seed::load_builtin(&mut app.db.conn().await)
            .await
            .expect("seeds load");
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.api().get(path).await
    }

    pub async fn post_form(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.api().post_form(path, form).await
    }

    pub async fn post_json<B: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> reqwest::Response {
        self.api().post_json(path, body).await
    }

    pub async fn put_json<B: serde::Serialize + ?Sized>(
        &self,
        path: &str,
        body: &B,
    ) -> reqwest::Response {
        self.api().put_json(path, body).await
    }

    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        self.api().get_as(path).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Ask the server to stop before its database is dropped. The command
        // is sent at once; awaiting it here would block the runtime it runs on.
        drop(self.handle.stop(false));
    }
}

impl TestDb {
    /// A fresh database with no migrations applied (created from the
    /// server's default template), dropped when the test ends.
    pub async fn blank() -> TestDb {
        let name = format!("t_{}", uuid::Uuid::new_v4().simple());
        let mut conn = admin().await;
        exec(&mut conn, &format!("CREATE DATABASE {name}")).await;
        TestDb {
            url: url_for(&server().await.admin_url, &name),
            name,
        }
    }
}

impl TestApp {
    /// GET a page and return its status and body.
    pub async fn page(&self, path: &str) -> (reqwest::StatusCode, String) {
        let res = self.get(path).await;
        let status = res.status();
        (status, res.text().await.unwrap())
    }

    /// GET a page that must answer 200 and return its body.
    pub async fn html(&self, path: &str) -> String {
        let (status, body) = self.page(path).await;
        assert_eq!(status, 200, "GET {path}");
        body
    }

    /// POST a raw body with the given content type.
    pub async fn post_raw(
        &self,
        path: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .header("Content-Type", content_type)
            .body(body)
            .send()
            .await
            .unwrap()
    }

    /// Posts the claim page's fact-check URL form, based on the claim's
    /// current version, and returns the response.
    pub async fn set_review_url(&self, id: &str, url: &str) -> reqwest::Response {
        let version = self.get_json(&format!("/api/claims/{id}")).await["version"].to_string();
        self.post_form(
            &format!("/claims/{id}/review-url"),
            &[("review_url", url), ("version", &version)],
        )
        .await
    }
}

/// Location header of a redirect.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()
        .get("location")
        .expect("a Location header")
        .to_str()
        .unwrap()
        .to_owned()
}

/// Undoes HTML escaping of text content and attribute values: the named
/// entities and every numeric one (`&#60;`, `&#x3c;`).
pub fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let decoded = rest.find(';').filter(|&end| end <= 10).and_then(|end| {
            let entity = &rest[1..end];
            let c = match entity {
                "lt" => Some('<'),
                "gt" => Some('>'),
                "amp" => Some('&'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                _ => entity
                    .strip_prefix("#x")
                    .or_else(|| entity.strip_prefix("#X"))
                    .map(|h| u32::from_str_radix(h, 16))
                    .or_else(|| entity.strip_prefix('#').map(str::parse))
                    .and_then(Result::ok)
                    .and_then(char::from_u32),
            };
            c.map(|c| (c, end))
        });
        match decoded {
            Some((c, end)) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Whether `page` shows `text` as text: present once entities are decoded.
pub fn shows_text(page: &str, text: &str) -> bool {
    unescape(page).contains(text)
}

/// The raw (still escaped) content of the `<textarea id="{id}">`.
pub fn textarea<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<textarea id=\"{id}\"");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no textarea #{id}"));
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..];
    &body[..body.find("</textarea>").unwrap()]
}

/// The raw (still escaped) `value` attribute of the `<input id="{id}">`.
pub fn input_value<'a>(html: &'a str, id: &str) -> &'a str {
    let open = format!("<input id=\"{id}\"");
    let start = html.find(&open).unwrap_or_else(|| panic!("no input #{id}"));
    let tag = &html[start..];
    let tag = &tag[..tag.find('>').unwrap()];
    let v = &tag[tag
        .find("value=\"")
        .unwrap_or_else(|| panic!("#{id} has no value"))
        + 7..];
    &v[..v.find('"').unwrap()]
}

/// The text of the first table cell labelled `label` (`<td data-label="{label}" ...>`).
pub fn cell<'a>(html: &'a str, label: &str) -> &'a str {
    let open = format!("data-label=\"{label}\"");
    let start = html
        .find(&open)
        .unwrap_or_else(|| panic!("no cell labelled {label}"));
    let rest = &html[start..];
    let body = &rest[rest.find('>').unwrap() + 1..];
    body[..body.find("</td>").unwrap()].trim()
}

/// The message shown next to a field (`<p class="field-error" id="{field}-error">`).
pub fn field_error<'a>(html: &'a str, field: &str) -> Option<&'a str> {
    let open = format!("id=\"{field}-error\">");
    let start = html.find(&open)? + open.len();
    let rest = &html[start..];
    Some(&rest[..rest.find("</p>")?])
}

/// An RFC 3339 timestamp in UTC written with a trailing `Z`.
pub fn assert_utc(s: &str, what: &str) {
    assert!(s.ends_with('Z'), "{what} does not end in Z: {s}");
    chrono::DateTime::parse_from_rfc3339(s)
        .unwrap_or_else(|e| panic!("{what} is not RFC 3339 ({e}): {s}"));
}
