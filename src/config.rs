//! Typed settings, read from flags or the environment by clap and passed
//! down explicitly (never a global).

use crate::db::PoolSettings;
use clap::Args;
use std::path::PathBuf;
use std::time::Duration;

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

impl DbArgs {
    /// Pool settings for one of `workers` pools (one pool per actix worker).
    pub fn pool_settings(&self, workers: usize) -> PoolSettings {
        PoolSettings {
            max_size: (self.pool_size / workers.max(1)).max(1),
            wait_timeout: Duration::from_millis(self.pool_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
            query_timeout: self.query_timeout(),
        }
    }

    pub fn query_timeout(&self) -> Duration {
        Duration::from_millis(self.query_timeout_ms.max(1))
    }
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "CLAIMDESK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
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
        ImportLimits {
            import_max_bytes: 64 * 1024 * 1024,
            import_max_rows: 250_000,
        }
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
        AuthArgs {
            session_idle_seconds: 30 * 60,
            session_absolute_seconds: 12 * 3600,
            secure_cookies: false,
            login_limit_per_client: 30,
        }
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
    /// Public address of this desk; ClaimReview `url` falls back to `<base>/claims/<id>`.
    #[arg(
        long,
        env = "CLAIMDESK_PUBLIC_BASE_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub public_base_url: String,
    /// The newsroom, as the `author` of published fact-checks.
    #[arg(long, env = "CLAIMDESK_ORG_NAME", default_value = "claimdesk newsroom")]
    pub org_name: String,
    #[arg(
        long,
        env = "CLAIMDESK_ORG_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    pub org_url: String,
}

impl Default for SiteArgs {
    fn default() -> Self {
        SiteArgs {
            public_base_url: "http://127.0.0.1:8080".into(),
            org_name: "claimdesk newsroom".into(),
            org_url: "http://127.0.0.1:8080".into(),
        }
    }
}

impl SiteArgs {
    pub fn publisher(&self) -> crate::export::Publisher {
        crate::export::Publisher {
            base_url: self.public_base_url.clone(),
            org_name: self.org_name.clone(),
            org_url: self.org_url.clone(),
        }
    }
}
