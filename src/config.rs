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
}

impl DbArgs {
    /// Pool settings for one of `workers` pools (one pool per actix worker).
    pub fn pool_settings(&self, workers: usize) -> PoolSettings {
        PoolSettings {
            max_size: (self.pool_size / workers.max(1)).max(1),
            wait_timeout: Duration::from_millis(self.pool_timeout_ms),
            connect_timeout: Duration::from_millis(self.connect_timeout_ms),
        }
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
}
