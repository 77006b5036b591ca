//! The app under test as a real process (`claimdesk serve`), so that
//! `kill -9` is real, its editor account and API token, and a tally of what
//! the requests got back.

use crate::cluster::Cluster;
use claimdesk::models::{session, user};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::collections::BTreeMap;
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use tokio::io::AsyncWriteExt;
use tokio::process::{Child, Command};

pub const EMAIL: &str = "fault.editor@example.org";
const PASSWORD: &str = "fault suite password, long enough";

/// Per-query deadline given to the server under test (`CLAIMDESK_QUERY_TIMEOUT_MS`).
pub const QUERY_TIMEOUT: Duration = Duration::from_millis(2000);
/// Pool wait and connect limits, kept below the query deadline so that the
/// query deadline is the bound a request can reach.
const POOL_TIMEOUT: Duration = Duration::from_millis(1000);

pub struct App {
    child: Child,
    port: u16,
    db_url: String,
    log: std::path::PathBuf,
    /// The editor's API token; [`App::client`] sends it.
    pub token: String,
    pub client: reqwest::Client,
}

impl App {
    /// Starts `claimdesk serve` (it migrates and seeds the empty database),
    /// then creates the editor account with the CLI and a token for it.
    pub async fn start(cluster: &Cluster) -> App {
        let port = free_port();
        let child = spawn_serve(cluster, port);
        let mut app = App {
            child,
            port,
            db_url: cluster.url.clone(),
            log: cluster.app_log(),
            token: String::new(),
            client: reqwest::Client::new(),
        };
        app.wait_healthy(Duration::from_secs(90)).await;
        add_editor(cluster).await;
        app.token = api_token(&cluster.url).await;
        app.client = bearer_client(&app.token, Duration::from_secs(30));
        app
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{}", self.port, path)
    }

    /// SIGKILL, the server gets no chance to finish anything.
    pub async fn kill9(&mut self) {
        let pid = self.child.id().expect("the server is running");
        crate::cluster::signal(pid, libc::SIGKILL).expect("kill -9 the server");
        let status = self.child.wait().await.expect("reap the server");
        assert!(!status.success(), "the server exited by itself: {status}");
    }

    /// Starts the server again on the same port and database.
    pub async fn restart_after_kill(&mut self, cluster: &Cluster) {
        self.child = spawn_serve(cluster, self.port);
        self.wait_healthy(Duration::from_secs(60)).await;
    }

    async fn wait_healthy(&mut self, limit: Duration) {
        let probe = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .expect("a client");
        let start = Instant::now();
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "claimdesk serve exited with {status}; see {}",
                    self.log.display()
                );
            }
            let ok = probe.get(self.url("/healthz")).send().await;
            if ok.is_ok_and(|r| r.status() == 200) {
                return;
            }
            assert!(
                start.elapsed() < limit,
                "claimdesk serve did not become healthy within {limit:?}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    pub async fn db(&self) -> AsyncPgConnection {
        AsyncPgConnection::establish(&self.db_url)
            .await
            .expect("connect to the private cluster")
    }

    /// Creates a story and a source through the API; returns their ids.
    pub async fn story_and_source(&self) -> (String, String) {
        let story = self
            .post_ok(
                "/api/stories",
                serde_json::json!({ "title": "Fault suite story", "outlet": "AFP" }),
            )
            .await;
        let source = self
            .post_ok(
                "/api/sources",
                serde_json::json!({ "name": "Fault suite source", "source_type": "military" }),
            )
            .await;
        (id_of(&story), id_of(&source))
    }

    pub async fn post_ok(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        let res = self
            .client
            .post(self.url(path))
            .json(&body)
            .send()
            .await
            .unwrap_or_else(|e| panic!("POST {path}: {e}"));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "POST {path}: {status} {text}");
        serde_json::from_str(&text).expect("a JSON body")
    }
}

pub fn id_of(body: &serde_json::Value) -> String {
    body["id"].as_str().expect("an id").to_owned()
}

fn spawn_serve(cluster: &Cluster, port: u16) -> Child {
    let log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(cluster.app_log())
        .expect("open the app log");
    let log_err = log.try_clone().expect("clone the app log handle");
    let ms = |d: Duration| d.as_millis().to_string();
    Command::new(env!("CARGO_BIN_EXE_claimdesk"))
        .args([
            "serve",
            "--bind",
            &format!("127.0.0.1:{port}"),
            "--workers",
            "2",
        ])
        .env("DATABASE_URL", &cluster.url)
        .env("CLAIMDESK_QUERY_TIMEOUT_MS", ms(QUERY_TIMEOUT))
        .env("CLAIMDESK_POOL_TIMEOUT_MS", ms(POOL_TIMEOUT))
        .env("CLAIMDESK_CONNECT_TIMEOUT_MS", ms(POOL_TIMEOUT))
        .env("CLAIMDESK_POOL_SIZE", "16")
        .env("RUST_LOG", "warn")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err)
        .kill_on_drop(true)
        .spawn()
        .expect("start claimdesk serve")
}

/// The account is made the way an operator makes one: `claimdesk user add`.
async fn add_editor(cluster: &Cluster) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_claimdesk"))
        .args(["user", "add", "--email", EMAIL, "--name", "Fault Editor"])
        .args(["--role", "editor", "--password-stdin"])
        .env("DATABASE_URL", &cluster.url)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run claimdesk user add");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin
        .write_all(PASSWORD.as_bytes())
        .await
        .expect("send the password");
    drop(stdin);
    let out = child.wait_with_output().await.expect("claimdesk user add");
    assert!(
        out.status.success(),
        "claimdesk user add: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What /profile does when the user asks for a token.
async fn api_token(url: &str) -> String {
    let mut conn = AsyncPgConnection::establish(url)
        .await
        .expect("connect to the private cluster");
    let account = user::find_by_email(&mut conn, EMAIL)
        .await
        .expect("look up the editor")
        .expect("the editor exists");
    let (_, token) = session::create_token(&mut conn, account.id, "fault suite")
        .await
        .expect("create an API token");
    token
}

pub fn bearer_client(token: &str, timeout: Duration) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "Authorization",
        format!("Bearer {token}").parse().expect("a header value"),
    );
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .default_headers(headers)
        .build()
        .expect("a client")
}

/// Bound once and released: the server binds it a moment later.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free loopback port")
        .port()
}

/// One answered (or unanswered) request.
pub struct Outcome {
    pub status: Option<u16>,
    pub retry_after: bool,
    pub elapsed: Duration,
    pub body: String,
    pub error: Option<String>,
}

impl Outcome {
    pub fn ok(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }

    pub fn json(&self) -> Option<serde_json::Value> {
        serde_json::from_str(&self.body).ok()
    }
}

pub async fn send(req: reqwest::RequestBuilder) -> Outcome {
    let start = Instant::now();
    match req.send().await {
        Ok(res) => {
            let status = res.status().as_u16();
            let retry_after = res.headers().contains_key("Retry-After");
            let body = res.text().await.unwrap_or_default();
            Outcome {
                status: Some(status),
                retry_after,
                elapsed: start.elapsed(),
                body,
                error: None,
            }
        }
        Err(e) => Outcome {
            status: None,
            retry_after: false,
            elapsed: start.elapsed(),
            body: String::new(),
            error: Some(error_chain(&e)),
        },
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}

/// Counts of what came back, shared by the load tasks.
#[derive(Default)]
pub struct Tally {
    inner: Mutex<TallyInner>,
}

#[derive(Default, Clone)]
pub struct TallyInner {
    pub requests: u64,
    pub ok: u64,
    pub unavailable: u64,
    /// 503 without the Retry-After header.
    pub unavailable_bare: u64,
    pub internal: u64,
    pub other: BTreeMap<u16, u64>,
    pub transport: u64,
    /// A few bodies of unexpected answers, to say what went wrong.
    pub samples: Vec<String>,
}

impl Tally {
    pub fn record(&self, what: &str, o: &Outcome) {
        let mut t = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        t.requests += 1;
        let unexpected = match o.status {
            Some(s) if (200..300).contains(&s) => {
                t.ok += 1;
                false
            }
            Some(503) if o.retry_after => {
                t.unavailable += 1;
                false
            }
            Some(503) => {
                t.unavailable_bare += 1;
                true
            }
            Some(500) => {
                t.internal += 1;
                true
            }
            Some(s) => {
                *t.other.entry(s).or_default() += 1;
                true
            }
            None => {
                t.transport += 1;
                true
            }
        };
        if unexpected && t.samples.len() < 8 {
            let status = o.status.map_or("no answer".to_owned(), |s| s.to_string());
            let detail = o.error.clone().unwrap_or_else(|| o.body.clone());
            let detail: String = detail.chars().take(300).collect();
            t.samples.push(format!("{what} -> {status}: {detail}"));
        }
    }

    pub fn snapshot(&self) -> TallyInner {
        self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl std::fmt::Display for TallyInner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} requests: {} × 2xx, {} × 503 (Retry-After), {} × 503 without Retry-After, \
             {} × 500, other {:?}, {} without an answer",
            self.requests,
            self.ok,
            self.unavailable,
            self.unavailable_bare,
            self.internal,
            self.other,
            self.transport
        )?;
        for s in &self.samples {
            write!(f, "\n    e.g. {s}")?;
        }
        Ok(())
    }
}
