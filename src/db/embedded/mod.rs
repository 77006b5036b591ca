//! Private PostgreSQL cluster used when no DATABASE_URL is configured.
//!
//! The cluster lives entirely inside one data directory, listens only on a
//! unix socket in that same directory (no TCP at all) and trusts every local
//! connection, so nothing outside the machine can ever reach it. The server
//! binaries come from the system's PostgreSQL installation; nothing is
//! downloaded.
//!
//! PostgreSQL refuses to run as root, so when the app runs as root the server
//! tools are run as the `postgres` system user and the data directory is
//! handed over to that user.
//!
//! - [`place`]: where the data directory lives and what its path must satisfy;
//! - [`binaries`]: finding `initdb`, `pg_ctl` and `postgres`;
//! - [`process`]: running those tools, as the `postgres` user when we are root;
//! - [`cluster`]: initdb, start, stop and restart through `pg_ctl`;
//! - [`bootstrap`]: SQL over the socket with diesel (health check, databases).

mod binaries;
mod bootstrap;
mod cluster;
mod place;
mod process;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// The port only names the socket file (`.s.PGSQL.<port>`); nothing listens
/// on TCP, so the standard port cannot clash with another server.
const DEFAULT_PORT: u16 = 5432;

/// `pg_ctl -w` gives up after 60 s by default; this only guards against a tool
/// (or a frozen server) hanging for some other reason.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

const SUPERUSER: &str = "postgres";

#[derive(Debug, thiserror::Error)]
pub enum EmbeddedError {
    #[error(
        "no PostgreSQL server binaries (initdb, pg_ctl, postgres) found; searched {searched}. \
         Install the PostgreSQL server (e.g. `apt-get install postgresql`) or set DATABASE_URL \
         to use an existing database"
    )]
    NoServerBinaries { searched: String },

    #[error("{action}: {source}")]
    Io {
        action: String,
        #[source]
        source: std::io::Error,
    },

    #[error("`{command}` failed: {stderr}")]
    CommandFailed { command: String, stderr: String },

    #[error("`{command}` did not finish within {} seconds", COMMAND_TIMEOUT.as_secs())]
    CommandTimedOut { command: String },

    #[error("connecting to the embedded PostgreSQL in {socket_dir:?}: {source}")]
    Connect {
        socket_dir: PathBuf,
        #[source]
        source: diesel::ConnectionError,
    },

    #[error("`{sql}` failed: {source}")]
    Query {
        sql: String,
        #[source]
        source: diesel::result::Error,
    },

    #[error(
        "the PostgreSQL socket path {path:?} is {len} bytes long, but the limit is {max}; \
         choose a shorter data directory path"
    )]
    SocketPathTooLong {
        path: PathBuf,
        len: usize,
        max: usize,
    },

    #[error(
        "the data directory path {path:?} contains {found:?}, which PostgreSQL's startup options \
         cannot carry; choose a path without quotes, commas, `$`, backslashes or control characters"
    )]
    UnsupportedPath { path: PathBuf, found: char },

    #[error(
        "running as root, but PostgreSQL refuses to run as root and there is no `postgres` \
         system user to run it as; create one (installing the PostgreSQL server package does) \
         or run the app as an ordinary user"
    )]
    NoPostgresUser,

    #[error(
        "the `postgres` user cannot reach the data directory {path:?}; make every parent \
         directory traversable (e.g. `chmod o+x` on each) or choose a data directory such as \
         /var/lib/claimdesk"
    )]
    DataDirNotReachable { path: PathBuf },

    #[error("a server is running in {data_dir:?} but it has no unix socket to connect to")]
    NoSocket { data_dir: PathBuf },

    #[error(
        "pg_ctl reports a server running in {data_dir:?}, but it does not accept connections \
         (it may be starting up or have just crashed): {detail}"
    )]
    Unresponsive { data_dir: PathBuf, detail: String },

    #[error("invalid database name {name:?}: {reason}")]
    InvalidDatabaseName { name: String, reason: &'static str },
}

type Result<T> = std::result::Result<T, EmbeddedError>;

#[derive(Debug)]
pub struct EmbeddedPostgres {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    bin_dir: PathBuf,
    /// System user the server tools run as; `None` means the current user.
    run_as: Option<String>,
    /// `runuser` is preferred over `su` because it needs no shell quoting.
    runuser: Option<PathBuf>,
    port: u16,
    /// Whether this handle started the server: only then does `stop` stop it,
    /// so `claimdesk user …` next to a running `serve` leaves it running.
    owned: bool,
}

impl EmbeddedPostgres {
    /// Starts (initialising on first use) a cluster in `data_dir`; idempotent:
    /// if a cluster in that dir is already running (pg_ctl status), reuse it.
    pub async fn start(data_dir: &Path) -> Result<Self> {
        let data_dir = std::path::absolute(data_dir).map_err(|source| EmbeddedError::Io {
            action: format!("resolving data directory {}", data_dir.display()),
            source,
        })?;
        place::check_path_chars(&data_dir)?;
        place::check_socket_path(&data_dir, DEFAULT_PORT)?;
        let mut pg = Self {
            socket_dir: data_dir.clone(),
            data_dir,
            bin_dir: binaries::find_bin_dir()?,
            run_as: process::choose_run_as().await?,
            runuser: binaries::find_on_path("runuser"),
            port: DEFAULT_PORT,
            owned: false,
        };
        if pg.is_running().await? {
            pg.adopt_running_server().await?;
            pg.check_responsive().await?;
            tracing::info!(data_dir = %pg.data_dir.display(), "reusing running embedded PostgreSQL");
            return Ok(pg);
        }
        pg.prepare_data_dir().await?;
        pg.boot().await?;
        pg.owned = true;
        Ok(pg)
    }

    /// Like [`EmbeddedPostgres::start`], but when the `postgres` user cannot
    /// enter `data_dir` (a checkout under `/root`) the cluster runs in a
    /// directory of its own under /var/lib/claimdesk instead, and says so.
    pub async fn start_reachable(data_dir: &Path) -> Result<Self> {
        match Self::start(data_dir).await {
            Err(EmbeddedError::DataDirNotReachable { .. }) => {
                let fallback = place::reachable_data_dir(data_dir)?;
                tracing::warn!(
                    requested = %data_dir.display(),
                    using = %fallback.display(),
                    "the postgres user cannot enter the data directory; the embedded cluster runs here instead"
                );
                Self::start(&fallback).await
            }
            other => other,
        }
    }

    /// URL for tokio-postgres / diesel-async, over the unix socket.
    ///
    /// The socket directory goes percent-encoded into the host part. The
    /// `postgres://…@localhost/db?host=/dir` form must not be used: tokio-postgres
    /// appends the query `host` to the authority host instead of replacing it,
    /// so it would try TCP `localhost:5432` first and could silently connect to
    /// an unrelated server.
    pub fn database_url(&self, name: &str) -> String {
        use std::os::unix::ffi::OsStrExt;
        format!(
            "postgres://{SUPERUSER}@{}:{}/{}",
            place::url_encode(self.socket_dir.as_os_str().as_bytes()),
            self.port,
            place::url_encode(name.as_bytes()),
        )
    }

    /// The data directory the cluster runs in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// The postmaster's process id, from `postmaster.pid` (it changes with
    /// every restart). Its backends are its children.
    pub fn postmaster_pid(&self) -> Result<u32> {
        postmaster_pid(&self.data_dir)
    }
}

/// How `pg_ctl` shuts the server down (`-m`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShutdownMode {
    /// Waits for every client to disconnect.
    Smart,
    /// Ends every session (their queries fail with "terminating connection
    /// due to administrator command"), then checkpoints.
    Fast,
    /// Kills every process without a checkpoint; the next start recovers.
    Immediate,
}

impl ShutdownMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ShutdownMode::Smart => "smart",
            ShutdownMode::Fast => "fast",
            ShutdownMode::Immediate => "immediate",
        }
    }
}

/// The postmaster's pid: the first line of `<data_dir>/postmaster.pid`.
/// Synchronous so that a guard's `Drop` can use it.
pub fn postmaster_pid(data_dir: &Path) -> Result<u32> {
    let pid_file = data_dir.join("postmaster.pid");
    let contents = std::fs::read_to_string(&pid_file).map_err(|source| EmbeddedError::Io {
        action: format!("reading {}", pid_file.display()),
        source,
    })?;
    contents
        .lines()
        .next()
        .and_then(|line| line.trim().parse().ok())
        .filter(|pid| *pid > 1)
        .ok_or_else(|| EmbeddedError::Io {
            action: format!("reading {}", pid_file.display()),
            source: std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                "the first line is not a process id",
            ),
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn fresh_dir() -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or_default();
        PathBuf::from(format!("/tmp/cd-pg-{}-{nanos}", std::process::id()))
    }

    /// Through the URL the app itself uses.
    async fn select_one(pg: &EmbeddedPostgres, database: &str) -> TestResult {
        let mut conn = AsyncPgConnection::establish(&pg.database_url(database)).await?;
        diesel::sql_query("SELECT 1").execute(&mut conn).await?;
        Ok(())
    }

    #[tokio::test]
    async fn starts_creates_database_reuses_and_stops() -> TestResult {
        let dir = fresh_dir();
        let first = EmbeddedPostgres::start(&dir).await?;
        first.ensure_database("claimdesk").await?;
        first.ensure_database("claimdesk").await?;
        select_one(&first, "claimdesk").await?;
        // Quotes, spaces and non-ASCII survive the DDL and the URL alike.
        let odd = "it's a \"desk\"; DROP DATABASE postgres; -- دمشق";
        first.ensure_database(odd).await?;
        first.ensure_database(odd).await?;
        select_one(&first, odd).await?;
        select_one(&first, "postgres").await?;

        let second = EmbeddedPostgres::start(&dir).await?;
        assert_eq!(second.socket_dir, first.socket_dir);
        assert_eq!(
            second.database_url("claimdesk"),
            first.database_url("claimdesk")
        );
        // The second handle adopted a running server: stopping it leaves it up.
        second.stop().await?;
        assert!(first.is_running().await?);
        first.stop().await?;
        // It was really stopped: the next handle has to boot it again.
        let third = EmbeddedPostgres::start(&dir).await?;
        assert!(third.owned);
        third.stop().await?;
        tokio::fs::remove_dir_all(&dir).await?;
        Ok(())
    }

    #[tokio::test]
    async fn restarts_in_both_modes_with_a_new_postmaster() -> TestResult {
        let dir = fresh_dir();
        let pg = EmbeddedPostgres::start(&dir).await?;
        let first = pg.postmaster_pid()?;
        pg.restart(ShutdownMode::Fast).await?;
        let second = pg.postmaster_pid()?;
        assert_ne!(first, second);
        pg.restart(ShutdownMode::Immediate).await?;
        assert_ne!(pg.postmaster_pid()?, second);
        select_one(&pg, "postgres").await?;
        pg.stop().await?;
        assert!(postmaster_pid(&dir).is_err(), "stopped: no postmaster.pid");
        tokio::fs::remove_dir_all(&dir).await?;
        Ok(())
    }

    #[test]
    fn url_encodes_socket_dir_into_host() {
        let pg = EmbeddedPostgres {
            data_dir: PathBuf::from("/var/lib/claim desk"),
            socket_dir: PathBuf::from("/var/lib/claim desk"),
            bin_dir: PathBuf::from("/usr/bin"),
            run_as: None,
            runuser: None,
            port: DEFAULT_PORT,
            owned: false,
        };
        assert_eq!(
            pg.database_url("claimdesk"),
            "postgres://postgres@%2Fvar%2Flib%2Fclaim%20desk:5432/claimdesk"
        );
        assert_eq!(
            pg.database_url("a/b?c"),
            "postgres://postgres@%2Fvar%2Flib%2Fclaim%20desk:5432/a%2Fb%3Fc"
        );
    }
}
