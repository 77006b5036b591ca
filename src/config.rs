//! Typed settings, read from flags or the environment by clap and passed
//! down explicitly (never a global).

use crate::db::PoolSettings;
use clap::Args;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// An absolute http or https URL: the only kind a browser or a fact-check
/// reader can follow.
fn http_url(raw: &str) -> Result<Url, String> {
    let url = Url::parse(raw.trim()).map_err(|e| format!("not a URL ({e})"))?;
    match url.scheme() {
        "http" | "https" if url.host().is_some() => Ok(url),
        _ => Err("must be an http:// or https:// URL with a host".into()),
    }
}

/// Where the data lives and how to reach it.
#[derive(Debug, Clone, Args)]
pub struct DbArgs {
    /// PostgreSQL URL. When unset, a private cluster is started under --data-dir.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// Directory for the embedded PostgreSQL cluster (used only without DATABASE_URL).
    #[arg(
        long,
        env = "CLAIMDESK_DATA_DIR",
        default_value = "data",
        global = true
    )]
    pub data_dir: PathBuf,
    /// Total database connections the server may hold, shared across workers.
    #[arg(long, env = "CLAIMDESK_POOL_SIZE", default_value_t = 16, global = true)]
    pub pool_size: usize,
    /// How long a request waits for a free connection before answering 503.
    #[arg(
        long,
        env = "CLAIMDESK_POOL_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub pool_timeout_ms: u64,
    /// How long opening a new database connection may take.
    #[arg(
        long,
        env = "CLAIMDESK_CONNECT_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub connect_timeout_ms: u64,
    /// Client-side deadline on a request's database work (and on each batch
    /// of an export or import); past it the request answers 503 and its
    /// connection is discarded. Holds even when the server is hung.
    #[arg(
        long,
        env = "CLAIMDESK_QUERY_TIMEOUT_MS",
        default_value_t = 3000,
        global = true
    )]
    pub query_timeout_ms: u64,
}

/// One default per setting, clap's: `Default` for a settings group parses
/// an empty command line, so the value in its `#[arg]` is the only one
/// written down. Like the binary, it reads the group's environment variables.
#[derive(clap::Parser)]
struct Defaults<T: Args> {
    #[command(flatten)]
    args: T,
}

fn clap_default<T: Args>() -> T {
    <Defaults<T> as clap::Parser>::parse_from(["claimdesk"]).args
}

/// How the server's `--pool-size` connections are split.
#[derive(Debug, Clone)]
pub struct PoolPlan {
    /// Actix workers, each with a pool of its own.
    pub workers: usize,
    /// Settings of each worker's pool.
    pub worker_pool: PoolSettings,
    /// A one-connection pool for the periodic clean-up when a connection is
    /// left over; `None`: it borrows from a worker's pool.
    pub cleanup_pool: Option<PoolSettings>,
}

impl PoolPlan {
    /// Connections the server may hold at once, clean-up included.
    pub fn max_connections(&self) -> usize {
        self.workers * self.worker_pool.max_size
            + self.cleanup_pool.as_ref().map_or(0, |p| p.max_size)
    }
}

impl DbArgs {
    /// How many per-worker pools to build for `workers` actix workers, and
    /// the settings of each, so that together they never hold more than
    /// `--pool-size` connections: each gets `pool_size / workers` (rounded
    /// down). With fewer connections than workers, the server runs one
    /// worker per connection rather than overrunning the budget. The
    /// clean-up (when `cleanup`) gets a connection of its own only if the
    /// division leaves one over, so requests keep every connection they
    /// can use and the total stays within `--pool-size`.
    pub fn pool_plan(&self, workers: usize, cleanup: bool) -> PoolPlan {
        let total = self.pool_size.max(1);
        let workers = workers.clamp(1, total);
        let worker_pool = PoolSettings {
            max_size: total / workers,
            wait_timeout: Duration::from_millis(self.pool_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            query_timeout: self.query_timeout(),
        };
        let spare = total - workers * worker_pool.max_size;
        let cleanup_pool = (cleanup && spare > 0).then(|| PoolSettings {
            max_size: 1,
            ..worker_pool.clone()
        });
        PoolPlan {
            workers,
            worker_pool,
            cleanup_pool,
        }
    }

    pub fn query_timeout(&self) -> Duration {
        Duration::from_millis(self.query_timeout_ms.max(1))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on: an IP address and a port (`127.0.0.1:8080`,
    /// `[::1]:8080`); a host name is refused at start-up.
    #[arg(long, env = "CLAIMDESK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: SocketAddr,
    /// HTTP worker threads (default: one per CPU core).
    #[arg(long, env = "CLAIMDESK_WORKERS")]
    pub workers: Option<usize>,
    /// Seconds between purges of expired sessions, old login failures and
    /// unconfirmed imports older than 24 h (0 turns the purge off).
    #[arg(
        long,
        env = "CLAIMDESK_CLEANUP_INTERVAL_SECONDS",
        default_value_t = 300
    )]
    pub cleanup_interval_seconds: u64,
    #[command(flatten)]
    pub auth: AuthArgs,
    #[command(flatten)]
    pub site: SiteArgs,
    #[command(flatten)]
    pub import: ImportLimits,
}

/// Bounds on one spreadsheet uploaded through the web (or corrected there);
/// `claimdesk import` from the shell streams without them.
#[derive(Debug, Clone, Args)]
pub struct ImportLimits {
    /// Largest file the import page accepts, in bytes (413 above it).
    #[arg(long, env = "CLAIMDESK_IMPORT_MAX_BYTES", default_value_t = 64 * 1024 * 1024)]
    pub import_max_bytes: usize,
    /// Most data rows the import page accepts in one file (413 above it).
    #[arg(long, env = "CLAIMDESK_IMPORT_MAX_ROWS", default_value_t = 250_000)]
    pub import_max_rows: u64,
}

impl Default for ImportLimits {
    fn default() -> Self {
        clap_default()
    }
}

/// Session and login-throttling rules (OWASP ASVS level 2 defaults).
#[derive(Debug, Clone, Args)]
pub struct AuthArgs {
    /// Seconds of inactivity after which a session ends (default 30 min).
    #[arg(long, env = "CLAIMDESK_SESSION_IDLE_SECONDS", default_value_t = 30 * 60)]
    pub session_idle_seconds: i64,
    /// Seconds after login when a session ends regardless of activity (default 12 h).
    #[arg(long, env = "CLAIMDESK_SESSION_ABSOLUTE_SECONDS", default_value_t = 12 * 3600)]
    pub session_absolute_seconds: i64,
    /// Mark the session cookie `Secure` (set when served over HTTPS).
    #[arg(long, env = "CLAIMDESK_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Failed logins from one client address within 15 minutes before answering 429.
    #[arg(long, env = "CLAIMDESK_LOGIN_LIMIT_PER_CLIENT", default_value_t = 30)]
    pub login_limit_per_client: i64,
}

impl Default for AuthArgs {
    fn default() -> Self {
        clap_default()
    }
}

impl AuthArgs {
    pub fn lifetimes(&self) -> crate::models::session::Lifetimes {
        crate::models::session::Lifetimes {
            idle: chrono::Duration::seconds(self.session_idle_seconds),
            absolute: chrono::Duration::seconds(self.session_absolute_seconds),
        }
    }
}

/// How published fact-checks name and link the newsroom (ClaimReview).
#[derive(Debug, Clone, Args)]
pub struct SiteArgs {
    /// Public address of this desk (an http or https URL); ClaimReview `url`
    /// falls back to `<base>/claims/<id>`.
    #[arg(
        long,
        env = "CLAIMDESK_PUBLIC_BASE_URL",
        default_value = "http://127.0.0.1:8080",
        value_parser = http_url
    )]
    pub public_base_url: Url,
    /// The newsroom, as the `author` of published fact-checks.
    #[arg(long, env = "CLAIMDESK_ORG_NAME", default_value = "claimdesk newsroom")]
    pub org_name: String,
    /// The newsroom's web address (an http or https URL).
    #[arg(
        long,
        env = "CLAIMDESK_ORG_URL",
        default_value = "http://127.0.0.1:8080",
        value_parser = http_url
    )]
    pub org_url: Url,
}

impl Default for SiteArgs {
    fn default() -> Self {
        clap_default()
    }
}

impl SiteArgs {
    pub fn publisher(&self) -> crate::export::Publisher {
        crate::export::Publisher {
            // `Url` writes a bare origin with a trailing `/`; paths are
            // appended to the base, so it goes.
            base_url: self
                .public_base_url
                .as_str()
                .trim_end_matches('/')
                .to_string(),
            org_name: self.org_name.clone(),
            org_url: self.org_url.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn db(pool_size: usize) -> DbArgs {
        let mut d: DbArgs = clap_default();
        d.pool_size = pool_size;
        d
    }

    #[test]
    fn pools_never_exceed_the_configured_total() {
        for total in 0..=40 {
            for asked in 0..=40 {
                for cleanup in [false, true] {
                    let plan = db(total).pool_plan(asked, cleanup);
                    let what = format!("{total} connections, {asked} workers, clean-up {cleanup}");
                    assert!(
                        plan.workers >= 1 && plan.worker_pool.max_size >= 1,
                        "{what}"
                    );
                    assert!(
                        plan.workers <= asked.max(1),
                        "{what}: more workers than asked"
                    );
                    assert!(
                        plan.max_connections() <= total.max(1),
                        "{what}: {plan:?} holds {}",
                        plan.max_connections()
                    );
                    assert!(cleanup || plan.cleanup_pool.is_none(), "{what}");
                }
            }
        }
    }

    #[test]
    fn fewer_connections_than_workers_means_fewer_workers() {
        assert_eq!(db(2).pool_plan(8, false).workers, 2);
        assert_eq!(db(16).pool_plan(4, false).worker_pool.max_size, 4);
        assert_eq!(db(10).pool_plan(4, false).worker_pool.max_size, 2);
    }

    #[test]
    fn the_cleanup_takes_a_leftover_connection_or_borrows_one() {
        // 10 = 4 × 2 + 2 left over: one of them is the clean-up's.
        let plan = db(10).pool_plan(4, true);
        assert_eq!(plan.cleanup_pool.map(|p| p.max_size), Some(1));
        // 16 = 4 × 4: nothing left, the clean-up borrows.
        let plan = db(16).pool_plan(4, true);
        assert!(plan.cleanup_pool.is_none());
        assert_eq!(plan.max_connections(), 16);
    }

    #[test]
    fn defaults_are_claps() {
        let auth = AuthArgs::default();
        assert_eq!(auth.session_idle_seconds, 30 * 60);
        assert_eq!(ImportLimits::default().import_max_rows, 250_000);
        assert_eq!(SiteArgs::default().org_name, "claimdesk newsroom");
    }

    #[test]
    fn a_bind_address_must_be_an_ip_and_a_port() {
        let serve =
            |bind: &str| Defaults::<ServeArgs>::try_parse_from(["claimdesk", "--bind", bind]);
        assert!(matches!(serve("[::1]:9000"), Ok(d) if d.args.bind.port() == 9000));
        for bad in ["localhost:8080", "127.0.0.1", "8080", "127.0.0.1:99999"] {
            match serve(bad) {
                Err(err) => assert!(err.to_string().contains("--bind"), "{bad}: {err}"),
                Ok(_) => panic!("{bad} accepted as a bind address"),
            }
        }
    }

    #[test]
    fn public_urls_must_be_http_or_https() {
        let site =
            |url: &str| Defaults::<SiteArgs>::try_parse_from(["claimdesk", "--org-url", url]);
        assert!(
            matches!(site("https://news.example/"), Ok(s) if s.args.org_url.as_str() == "https://news.example/")
        );
        for bad in [
            "news.example",
            "javascript:alert(1)",
            "ftp://news.example",
            "http://",
        ] {
            match site(bad) {
                Err(err) => assert!(err.to_string().contains("--org-url"), "{bad}: {err}"),
                Ok(_) => panic!("{bad} accepted as a public URL"),
            }
        }
        let publisher = SiteArgs::default().publisher();
        assert_eq!(publisher.base_url, "http://127.0.0.1:8080");
    }
}
