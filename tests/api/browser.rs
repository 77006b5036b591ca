//! Real-browser smoke test: headless Chromium driven through chromedriver
//! (Debian's `chromium` + `chromium-driver`) against the real app on a
//! seeded database. It walks the editor's main path: sign in → board → seed
//! story → add a claim → open it → move it to In review with a reason.
//!
//! Without chromedriver the test is skipped locally, but fails when `CI` is
//! set, so CI can never pass without running it.

use crate::helpers::TestApp;
use crate::kit::Status;
use fantoccini::wd::{Capabilities, TimeoutConfiguration};
use fantoccini::{Client, ClientBuilder, Locator};
use futures::FutureExt;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Upper bound for every wait on the browser or the driver.
const WAIT: Duration = Duration::from_secs(20);
/// Starting Chromium cold on a busy machine can take longer than one page.
const SESSION_TIMEOUT: Duration = Duration::from_secs(60);

const CHROMIUM_ARGS: [&str; 9] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=1280,900",
];

fn in_ci() -> bool {
    std::env::var("CI")
        .map(|v| !matches!(v.trim(), "" | "0" | "false"))
        .unwrap_or(false)
}

/// `/usr/bin/<name>` (where Debian puts it) or the first match on PATH.
fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::iter::once(PathBuf::from("/usr/bin"))
        .chain(std::env::split_paths(&path))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// A chromedriver child process, killed on drop, and the Chromium profile
/// directory, removed on drop.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    async fn start(chromedriver: &Path) -> Driver {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let profile =
            std::env::temp_dir().join(format!("claimdesk-chromium-{}", uuid::Uuid::new_v4()));
        std::fs::create_dir_all(&profile).unwrap();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .arg(format!(
                "--log-path={}",
                profile.join("chromedriver.log").display()
            ))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", chromedriver.display()));
        let mut driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        };
        driver.wait_ready().await;
        driver
    }

    /// Polls `/status` until chromedriver answers ready.
    async fn wait_ready(&mut self) {
        let http = reqwest::Client::new();
        let started = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("chromedriver exited at start ({status}); see its log");
            }
            let ready = match http.get(format!("{}/status", self.url)).send().await {
                Ok(res) => res
                    .json::<serde_json::Value>()
                    .await
                    .map(|v| v["value"]["ready"] == true)
                    .unwrap_or(false),
                Err(_) => false,
            };
            if ready {
                return;
            }
            assert!(
                started.elapsed() < WAIT,
                "chromedriver at {} not ready within {WAIT:?}",
                self.url
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn capabilities(&self, chromium: &Path) -> Capabilities {
        let mut args: Vec<String> = CHROMIUM_ARGS.iter().map(|a| a.to_string()).collect();
        args.push(format!(
            "--user-data-dir={}",
            self.profile.join("profile").display()
        ));
        let caps = serde_json::json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.display().to_string(),
                "args": args,
            },
        });
        match caps {
            serde_json::Value::Object(map) => map,
            _ => unreachable!(),
        }
    }

    async fn session(&self, chromium: &Path) -> Client {
        // Two rustls backends are compiled in (see Cargo.toml); pick one.
        // Err only means another test already installed it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let mut builder = ClientBuilder::rustls().unwrap();
        builder.capabilities(self.capabilities(chromium));
        let client = match tokio::time::timeout(SESSION_TIMEOUT, builder.connect(&self.url)).await {
            Ok(Ok(client)) => client,
            Ok(Err(e)) => panic!("opening a Chromium session: {e}\n{}", self.log_tail()),
            Err(_) => panic!("no Chromium session within {SESSION_TIMEOUT:?}"),
        };
        client
            .update_timeouts(TimeoutConfiguration::new(Some(WAIT), Some(WAIT), None))
            .await
            .unwrap();
        client
    }

    fn log_tail(&self) -> String {
        let log =
            std::fs::read_to_string(self.profile.join("chromedriver.log")).unwrap_or_default();
        let lines: Vec<&str> = log.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // Chromium itself is ended by the session's Quit (see the test); this
        // only stops chromedriver, by its own pid.
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Waits for an element (explicit wait, bounded), with a useful failure.
async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    match client
        .wait()
        .at_most(WAIT)
        .for_element(Locator::Css(css))
        .await
    {
        Ok(el) => el,
        Err(e) => {
            let url = client.current_url().await.map(|u| u.to_string());
            let source = client.source().await.unwrap_or_default();
            let excerpt: String = source.chars().take(3000).collect();
            panic!("waiting for `{css}`: {e}\nurl: {url:?}\npage:\n{excerpt}");
        }
    }
}

async fn text(client: &Client, css: &str) -> String {
    wait_for(client, css).await.text().await.unwrap()
}

/// Runs `flow` in headless Chromium against a seeded app, closing the
/// browser even when a step fails. Without Chromium it skips, unless CI is
/// set: then the missing browser is a failure.
async fn in_browser<F>(what: &str, flow: F)
where
    F: for<'a> FnOnce(&'a Client, &'a TestApp) -> futures::future::BoxFuture<'a, ()>,
{
    let (chromedriver, chromium) = match (find_program("chromedriver"), find_program("chromium")) {
        (Some(d), Some(c)) => (d, c),
        _ => {
            let msg = "chromedriver/chromium not found: install Debian's `chromium` and \
                       `chromium-driver` (apt-get install -y chromium chromium-driver); \
                       .ci/run does this";
            if in_ci() {
                panic!("CI is set but the browser test cannot run: {msg}");
            }
            eprintln!("skipping the real-browser {what}: {msg}");
            return;
        }
    };

    let app = TestApp::spawn_seeded().await;
    let driver = Driver::start(&chromedriver).await;
    let client = driver.session(&chromium).await;
    let outcome = AssertUnwindSafe(flow(&client, &app)).catch_unwind().await;
    let closed = client.close().await;
    drop(driver);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    closed.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_adds_a_claim_and_moves_it_to_review_in_a_real_browser() {
    in_browser("smoke test", |c, a| Box::pin(run_flow(c, a))).await;
}

async fn run_flow(client: &Client, app: &TestApp) {
    // 0. Signed out, the board sends the browser to the sign-in form.
    sign_in_from(client, app, "/").await;

    // 1. Signed in, back on the claim board: it lists the seeded claims.
    let rows = client
        .find_all(Locator::Css("table.claims tbody tr"))
        .await
        .unwrap();
    assert!(rows.len() >= 25, "board shows {} seeded claims", rows.len());
    let board = text(client, "main").await;
    assert!(board.contains("Mohammed al-Rahmoun"), "board: {board}");

    // 2. Follow the seed story's link from the board.
    let story_link = wait_for(client, r#"table.claims td[data-label="Story"] a"#).await;
    let story_title = story_link.text().await.unwrap();
    assert!(
        story_title.contains("ring of steel"),
        "story: {story_title}"
    );
    story_link.click().await.unwrap();
    let heading = text(client, ".story-head h1").await;
    assert_eq!(heading, story_title);
    assert!(client
        .current_url()
        .await
        .unwrap()
        .path()
        .starts_with("/stories/"));

    // 3. Add a claim through the story page's form, with an existing source.
    let quote = format!(
        "Browser smoke test: the army says its lines around Homs are holding ({})",
        uuid::Uuid::new_v4().simple()
    );
    wait_for(client, "#quote")
        .await
        .send_keys(&quote)
        .await
        .unwrap();
    let source_select = wait_for(client, "#source_id").await;
    let option = wait_for(client, "#source_id option:nth-child(2)").await;
    let source_id = option.attr("value").await.unwrap().unwrap();
    let source_label = option.text().await.unwrap();
    let source_name = source_label.split(" · ").next().unwrap().trim().to_owned();
    assert!(!source_id.is_empty(), "first real source option has no id");
    source_select.select_by_value(&source_id).await.unwrap();
    wait_for(client, "#add-claim form button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    let notice = text(client, "#add-claim p.notice").await;
    assert!(notice.contains("Claim added"), "notice: {notice}");
    let story_page = text(client, "main").await;
    assert!(
        story_page.contains(&quote),
        "new claim not listed on the story"
    );

    // 4. Open the new claim.
    wait_for(client, "#add-claim p.notice a")
        .await
        .click()
        .await
        .unwrap();
    let shown = text(client, "article.claim blockquote").await;
    assert_eq!(shown, quote);
    let facts = text(client, "article.claim dl.facts").await;
    assert!(
        facts.contains(&source_name),
        "source {source_name}: {facts}"
    );
    assert_eq!(
        text(client, "article.claim .status-line .badge").await,
        "Unverified"
    );

    // 5. Move it to In review with a reason.
    let reason = "Checking the army's claim against footage from Homs";
    wait_for(client, "#status")
        .await
        .select_by_value("in_review")
        .await
        .unwrap();
    wait_for(client, "#reason")
        .await
        .send_keys(reason)
        .await
        .unwrap();
    wait_for(client, "section.status-change button[type=submit]")
        .await
        .click()
        .await
        .unwrap();

    // The "Saved." notice only exists on the page after the redirect.
    let saved = text(client, "p.notice").await;
    assert!(saved.contains("Saved"), "notice: {saved}");
    let badge = wait_for(client, "article.claim .status-line .badge.status-in_review").await;
    assert_eq!(badge.text().await.unwrap(), "In review");
    let entry = text(client, "ol.history li.action-status_changed").await;
    assert!(entry.contains(reason), "history entry: {entry}");
    assert!(entry.contains("In review"), "history entry: {entry}");
    assert!(entry.contains("Unverified"), "history entry: {entry}");
}

// ------------------------------------------------- report and CSV download

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn editor_opens_a_story_report_and_downloads_the_board_csv_in_a_real_browser() {
    in_browser("report test", |c, a| Box::pin(run_report_flow(c, a))).await;
}

/// Signs in through the form reached from `start` (a protected page
/// redirects to it), and waits for the claim board.
async fn sign_in_from(client: &Client, app: &TestApp, start: &str) {
    client.goto(&app.url(start)).await.unwrap();
    wait_for(client, "#email")
        .await
        .send_keys(&app.user.email)
        .await
        .unwrap();
    wait_for(client, "#password")
        .await
        .send_keys(&app.user.password)
        .await
        .unwrap();
    wait_for(client, r#"form[action="/login"] button[type=submit]"#)
        .await
        .click()
        .await
        .unwrap();
    wait_for(client, "table.claims tbody tr").await;
}

async fn run_report_flow(client: &Client, app: &TestApp) {
    sign_in_from(client, app, "/login").await;

    // 1. From the board to the seed story, then to its report.
    let story_link = wait_for(client, r#"table.claims td[data-label="Story"] a"#).await;
    let story_title = story_link.text().await.unwrap();
    story_link.click().await.unwrap();
    assert_eq!(text(client, ".story-head h1").await, story_title);
    wait_for(client, "#story-report")
        .await
        .click()
        .await
        .unwrap();
    assert_eq!(text(client, "article.report header h1").await, story_title);
    let url = client.current_url().await.unwrap();
    let story_id = url
        .path()
        .strip_prefix("/stories/")
        .and_then(|p| p.strip_suffix("/report"))
        .unwrap_or_else(|| panic!("not a story report: {url}"))
        .to_owned();

    // The summary bar adds up to the story's claims, per status.
    let claims = app.list_claims(&format!("story={story_id}")).await;
    let items = client
        .find_all(Locator::Css("article.report .summary-bar li"))
        .await
        .unwrap();
    let mut shown = 0;
    for li in &items {
        let label = li
            .find(Locator::Css(".badge"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let n: usize = li
            .find(Locator::Css("strong"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
            .parse()
            .unwrap();
        let status = claimdesk::domain::ClaimStatus::ALL
            .into_iter()
            .find(|s| s.label() == label)
            .unwrap_or_else(|| panic!("unknown badge {label}"));
        let expected = claims
            .iter()
            .filter(|c| c.status == status.as_str().parse().unwrap())
            .count();
        assert_eq!(n, expected, "{label}");
        shown += n;
    }
    assert_eq!(shown, claims.len());

    // Claims grouped by source, and the timeline with its reasons.
    let groups = client
        .find_all(Locator::Css("article.report section.source-group"))
        .await
        .unwrap();
    let sources: std::collections::BTreeSet<&str> =
        claims.iter().map(|c| c.source.name.as_str()).collect();
    assert_eq!(groups.len(), sources.len());
    let quotes = client
        .find_all(Locator::Css("article.report li.report-claim"))
        .await
        .unwrap();
    assert_eq!(quotes.len(), claims.len());
    let timeline = text(client, "article.report section.timeline").await;
    let reasons = client
        .find_all(Locator::Css("section.timeline p.reason"))
        .await
        .unwrap();
    assert!(
        !reasons.is_empty(),
        "seed verdicts have reasons: {timeline}"
    );
    let verdict = claims
        .iter()
        .find(|c| c.status == Status::Verified)
        .expect("a verified seed claim");
    let d = app.get_claim(verdict).await;
    let reason = d
        .history
        .iter()
        .find(|h| h.to_status == Some(Status::Verified))
        .and_then(|h| h.reason.clone())
        .unwrap();
    assert!(timeline.contains(&reason), "timeline lacks {reason}");

    // 2. Back on the board, filtered to verified claims, download the CSV.
    client.goto(&app.url("/?status=verified")).await.unwrap();
    let link = wait_for(client, "#export-csv").await;
    let href = link.prop("href").await.unwrap().expect("an href");
    assert!(
        href.contains("format=csv") && href.contains("status=verified"),
        "{href}"
    );
    let session = client
        .get_all_cookies()
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.name() == claimdesk::web::access::SESSION_COOKIE)
        .expect("a session cookie in the browser");
    let res = crate::helpers::client()
        .get(&href)
        .header("Cookie", format!("{}={}", session.name(), session.value()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(res
        .headers()
        .get("content-disposition")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("attachment"));
    let body = res.bytes().await.unwrap();
    let mut reader = csv::Reader::from_reader(&body[..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_owned)
        .collect();
    let status_col = header.iter().position(|h| h == "status").unwrap();
    let quote_col = header.iter().position(|h| h == "quote").unwrap();
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.unwrap()).collect();
    let verified = app.list_claims("status=verified").await;
    assert_eq!(rows.len(), verified.len());
    assert!(rows.iter().all(|r| &r[status_col] == "verified"));
    let mut from_csv: Vec<&str> = rows.iter().map(|r| &r[quote_col]).collect();
    let mut from_api: Vec<&str> = verified.iter().map(|c| c.quote.as_str()).collect();
    from_csv.sort_unstable();
    from_api.sort_unstable();
    assert_eq!(from_csv, from_api);
}
