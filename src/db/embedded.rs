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

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::Duration;

use tokio::process::Command;

/// The port only names the socket file (`.s.PGSQL.<port>`); nothing listens
/// on TCP, so the standard port cannot clash with another server.
const DEFAULT_PORT: u16 = 5432;

/// `pg_ctl -w` gives up after 60 s by default; this only guards against a tool
/// hanging for some other reason.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(180);

/// Longest socket path the kernel accepts (`sizeof(sun_path)` minus the NUL).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_SOCKET_PATH: usize = 107;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAX_SOCKET_PATH: usize = 103;

/// PostgreSQL silently truncates longer names, which would make the
/// existence check in `ensure_database` never match.
const MAX_IDENTIFIER_LEN: usize = 63;

const SYSTEM_USER: &str = "postgres";
const SUPERUSER: &str = "postgres";
const REQUIRED_TOOLS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
const FALLBACK_BIN_DIRS: [&str; 3] = [
    "/usr/local/pgsql/bin",
    "/opt/homebrew/bin",
    "/usr/local/bin",
];

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
        check_path_chars(&data_dir)?;
        check_socket_path(&data_dir, DEFAULT_PORT)?;
        let mut pg = Self {
            socket_dir: data_dir.clone(),
            data_dir,
            bin_dir: find_bin_dir()?,
            run_as: choose_run_as().await?,
            runuser: find_on_path("runuser"),
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

    /// Creates database `name` if missing.
    pub async fn ensure_database(&self, name: &str) -> Result<()> {
        check_database_name(name)?;
        if self.database_exists(name).await? {
            return Ok(());
        }
        let create = format!("CREATE DATABASE {}", quote_ident(name));
        if let Err(err) = self.psql(&create).await {
            // Another process may have created it between the check and now.
            if !self.database_exists(name).await? {
                return Err(err);
            }
        }
        tracing::info!(database = name, "created database in embedded PostgreSQL");
        Ok(())
    }

    /// URL for tokio-postgres / diesel-async, over the unix socket.
    ///
    /// The socket directory goes percent-encoded into the host part. The
    /// `postgres://…@localhost/db?host=/dir` form must not be used: tokio-postgres
    /// appends the query `host` to the authority host instead of replacing it,
    /// so it would try TCP `localhost:5432` first and could silently connect to
    /// an unrelated server.
    pub fn database_url(&self, name: &str) -> String {
        format!(
            "postgres://{SUPERUSER}@{}:{}/{}",
            percent_encode(self.socket_dir.as_os_str().as_bytes()),
            self.port,
            percent_encode(name.as_bytes()),
        )
    }

    /// Stops the cluster cleanly (pg_ctl stop -m fast), waiting for it.
    pub async fn stop(self) -> Result<()> {
        if !self.owned {
            tracing::info!(data_dir = %self.data_dir.display(), "leaving the embedded PostgreSQL running: another process started it");
            return Ok(());
        }
        let args = [
            OsString::from("stop"),
            "-D".into(),
            self.data_dir.clone().into(),
            "-m".into(),
            "fast".into(),
            "-w".into(),
        ];
        run_checked(self.server_tool("pg_ctl", &args)).await?;
        tracing::info!(data_dir = %self.data_dir.display(), "stopped embedded PostgreSQL");
        Ok(())
    }

    /// The data directory the cluster runs in.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Restarts the cluster (`pg_ctl restart -m <mode>`), waiting until it
    /// accepts connections again. Fault tests use it; `Immediate` leaves the
    /// next start to crash recovery, like a power cut of the database alone.
    pub async fn restart(&self, mode: ShutdownMode) -> Result<()> {
        self.pg_ctl("restart", &["-m", mode.as_str()]).await?;
        tracing::info!(data_dir = %self.data_dir.display(), mode = mode.as_str(), "restarted embedded PostgreSQL");
        Ok(())
    }

    /// The postmaster's process id, from `postmaster.pid` (it changes with
    /// every restart). Its backends are its children.
    pub fn postmaster_pid(&self) -> Result<u32> {
        postmaster_pid(&self.data_dir)
    }

    async fn is_running(&self) -> Result<bool> {
        let args = [
            OsString::from("status"),
            "-D".into(),
            self.data_dir.clone().into(),
        ];
        let (output, shown) = run_plain(self.server_tool("pg_ctl", &args)).await?;
        // 3 = no server running, 4 = no usable data directory (not created yet).
        match output.status.code() {
            Some(0) => Ok(true),
            Some(3) | Some(4) => Ok(false),
            _ => Err(command_failed(shown, &output)),
        }
    }

    /// Takes the socket location from `postmaster.pid`, because a server
    /// started elsewhere may not use the directory and port this module picks.
    async fn adopt_running_server(&mut self) -> Result<()> {
        let pid_file = self.data_dir.join("postmaster.pid");
        let contents = tokio::fs::read_to_string(&pid_file)
            .await
            .map_err(|source| EmbeddedError::Io {
                action: format!("reading {}", pid_file.display()),
                source,
            })?;
        let mut lines = contents.lines().skip(3);
        let port = lines.next().and_then(|line| line.trim().parse().ok());
        let socket_dir = lines.next().map(str::trim).filter(|dir| !dir.is_empty());
        match (port, socket_dir) {
            (Some(port), Some(dir)) => {
                self.port = port;
                self.socket_dir = PathBuf::from(dir);
                Ok(())
            }
            _ => Err(EmbeddedError::NoSocket {
                data_dir: self.data_dir.clone(),
            }),
        }
    }

    /// `pg_ctl status` only checks that the recorded PID exists, which is also
    /// true for a crashed postmaster that has not been reaped yet.
    async fn check_responsive(&self) -> Result<()> {
        match self.psql("SELECT 1").await {
            Ok(_) => Ok(()),
            Err(err) => Err(EmbeddedError::Unresponsive {
                data_dir: self.data_dir.clone(),
                detail: err.to_string(),
            }),
        }
    }

    async fn prepare_data_dir(&self) -> Result<()> {
        let fresh = !self.is_initialised().await;
        if fresh {
            create_private_dir(&self.data_dir).await?;
        }
        let Some(user) = &self.run_as else {
            return Ok(());
        };
        if fresh {
            let owner = OsString::from(format!("{user}:"));
            let mut chown = Command::new("chown");
            chown.arg("-R").arg(&owner).arg(&self.data_dir);
            let shown = format!(
                "chown -R {} {}",
                owner.to_string_lossy(),
                self.data_dir.display()
            );
            run_checked((chown, shown)).await?;
        }
        self.check_reachable().await
    }

    async fn check_reachable(&self) -> Result<()> {
        let args = [OsString::from("-x"), self.data_dir.clone().into()];
        let (output, _) = run_plain(self.as_server_user(Path::new("test"), &args)).await?;
        if output.status.success() {
            return Ok(());
        }
        Err(EmbeddedError::DataDirNotReachable {
            path: self.data_dir.clone(),
        })
    }

    async fn is_initialised(&self) -> bool {
        tokio::fs::try_exists(self.data_dir.join("PG_VERSION"))
            .await
            .unwrap_or(false)
    }

    async fn boot(&self) -> Result<()> {
        if !self.is_initialised().await {
            self.initdb().await?;
        }
        self.pg_ctl("start", &[]).await?;
        tracing::info!(
            data_dir = %self.data_dir.display(),
            socket_dir = %self.socket_dir.display(),
            "started embedded PostgreSQL"
        );
        Ok(())
    }

    /// pg_ctl hands this string to `/bin/sh`, so the single quotes are shell
    /// quotes; `check_path_chars` guarantees the path cannot break out of them.
    fn server_options(&self) -> String {
        format!(
            "-c listen_addresses='' -c port={} -c unix_socket_directories='{}' \
             -c unix_socket_permissions=0700",
            self.port,
            self.socket_dir.display()
        )
    }

    async fn initdb(&self) -> Result<()> {
        let first = self.run_initdb("C.UTF-8").await;
        if let Err(err) = first {
            // Minimal systems may lack the C.UTF-8 locale; plain C always exists.
            tracing::warn!(error = %err, "initdb with locale C.UTF-8 failed; retrying with locale C");
            self.run_initdb("C").await?;
        }
        tracing::info!(data_dir = %self.data_dir.display(), "initialised embedded PostgreSQL");
        Ok(())
    }

    async fn run_initdb(&self, locale: &str) -> Result<()> {
        let args = [
            OsString::from("-U"),
            SUPERUSER.into(),
            "--auth=trust".into(),
            "--encoding=UTF8".into(),
            format!("--locale={locale}").into(),
            "-D".into(),
            self.data_dir.clone().into(),
        ];
        run_checked(self.server_tool("initdb", &args)).await?;
        Ok(())
    }

    async fn database_exists(&self, name: &str) -> Result<bool> {
        let query = format!(
            "SELECT 1 FROM pg_database WHERE datname = {}",
            quote_literal(name)
        );
        Ok(self.psql(&query).await?.trim() == "1")
    }

    /// Runs as the current user, like the app's own connections: root can
    /// open the socket even though the directory belongs to `postgres`.
    async fn psql(&self, sql: &str) -> Result<String> {
        let mut cmd = Command::new(self.psql_path());
        cmd.args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.socket_dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                SUPERUSER,
                "-d",
                "postgres",
                "-c",
                sql,
            ]);
        run_checked((cmd, format!("psql -c {sql:?}"))).await
    }

    /// The bin dir normally has psql; otherwise any client on PATH will do.
    fn psql_path(&self) -> PathBuf {
        let local = self.bin_dir.join("psql");
        if is_executable(&local) {
            return local;
        }
        find_on_path("psql").unwrap_or(local)
    }

    /// `pg_ctl <action> -D <data dir> <extra> …`, waiting for it. With a log
    /// file: without one the server would inherit pg_ctl's stdout, and
    /// waiting for pg_ctl's output would wait for the server to exit.
    async fn pg_ctl(&self, action: &str, extra: &[&str]) -> Result<()> {
        let mut args: Vec<OsString> =
            vec![action.into(), "-D".into(), self.data_dir.clone().into()];
        args.extend(extra.iter().map(OsString::from));
        args.extend([
            "-l".into(),
            self.data_dir.join("server.log").into(),
            "-w".into(),
            "-o".into(),
            self.server_options().into(),
        ]);
        run_checked(self.server_tool("pg_ctl", &args)).await?;
        Ok(())
    }

    fn server_tool(&self, tool: &str, args: &[OsString]) -> (Command, String) {
        self.as_server_user(&self.bin_dir.join(tool), args)
    }

    fn as_server_user(&self, program: &Path, args: &[OsString]) -> (Command, String) {
        let shown = show_command(program, args, self.run_as.as_deref());
        let Some(user) = &self.run_as else {
            let mut cmd = Command::new(program);
            cmd.args(args);
            return (cmd, shown);
        };
        let mut cmd = match &self.runuser {
            Some(runuser) => {
                let mut cmd = Command::new(runuser);
                cmd.args(["-u", user, "--"]).arg(program).args(args);
                cmd
            }
            None => {
                let mut cmd = Command::new("su");
                cmd.args(["-s", "/bin/sh", "-c", &shell_command(program, args), user]);
                cmd
            }
        };
        // The server user usually cannot enter root's working directory,
        // which makes the PostgreSQL tools complain.
        cmd.current_dir("/");
        (cmd, shown)
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

async fn run_plain((mut cmd, shown): (Command, String)) -> Result<(Output, String)> {
    cmd.stdin(Stdio::null()).kill_on_drop(true);
    let output = tokio::time::timeout(COMMAND_TIMEOUT, cmd.output())
        .await
        .map_err(|_| EmbeddedError::CommandTimedOut {
            command: shown.clone(),
        })?
        .map_err(|source| EmbeddedError::Io {
            action: format!("running `{shown}`"),
            source,
        })?;
    Ok((output, shown))
}

async fn run_checked(command: (Command, String)) -> Result<String> {
    let (output, shown) = run_plain(command).await?;
    if !output.status.success() {
        return Err(command_failed(shown, &output));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

fn command_failed(command: String, output: &Output) -> EmbeddedError {
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_owned();
    let stderr = if stderr.is_empty() {
        // pg_ctl reports some failures on stdout only.
        String::from_utf8_lossy(&output.stdout).trim().to_owned()
    } else {
        stderr
    };
    EmbeddedError::CommandFailed { command, stderr }
}

fn show_command(program: &Path, args: &[OsString], run_as: Option<&str>) -> String {
    let mut shown = program.display().to_string();
    for arg in args {
        shown.push(' ');
        shown.push_str(&arg.to_string_lossy());
    }
    match run_as {
        Some(user) => format!("{shown} (as {user})"),
        None => shown,
    }
}

fn shell_command(program: &Path, args: &[OsString]) -> String {
    let mut command = String::from("exec ");
    command.push_str(&shell_quote(program.as_os_str()));
    for arg in args {
        command.push(' ');
        command.push_str(&shell_quote(arg));
    }
    command
}

fn shell_quote(word: &OsStr) -> String {
    format!("'{}'", word.to_string_lossy().replace('\'', r"'\''"))
}

/// Creates missing parents with default permissions, so they stay
/// traversable by the server user, but the data directory itself as 0700,
/// which PostgreSQL insists on.
async fn create_private_dir(dir: &Path) -> Result<()> {
    let io_err = |source| EmbeddedError::Io {
        action: format!("creating data directory {}", dir.display()),
        source,
    };
    if let Some(parent) = dir.parent() {
        tokio::fs::create_dir_all(parent).await.map_err(io_err)?;
    }
    let mut builder = tokio::fs::DirBuilder::new();
    builder.mode(0o700);
    match builder.create(dir).await {
        Err(err) if err.kind() != std::io::ErrorKind::AlreadyExists => Err(io_err(err)),
        _ => Ok(()),
    }
}

async fn choose_run_as() -> Result<Option<String>> {
    if effective_uid().await? != 0 {
        return Ok(None);
    }
    let mut cmd = Command::new("id");
    cmd.args(["-u", SYSTEM_USER]);
    let (output, _) = run_plain((cmd, format!("id -u {SYSTEM_USER}"))).await?;
    if !output.status.success() {
        return Err(EmbeddedError::NoPostgresUser);
    }
    Ok(Some(SYSTEM_USER.to_owned()))
}

async fn effective_uid() -> Result<u32> {
    if let Some(uid) = effective_uid_from_proc().await {
        return Ok(uid);
    }
    let mut cmd = Command::new("id");
    cmd.arg("-u");
    let (output, shown) = run_plain((cmd, "id -u".to_owned())).await?;
    String::from_utf8_lossy(&output.stdout)
        .trim()
        .parse()
        .map_err(|_| command_failed(shown, &output))
}

/// The `Uid:` line lists real, effective, saved and filesystem uids.
async fn effective_uid_from_proc() -> Option<u32> {
    let status = tokio::fs::read_to_string("/proc/self/status").await.ok()?;
    let line = status.lines().find(|line| line.starts_with("Uid:"))?;
    line.split_whitespace().nth(2)?.parse().ok()
}

fn find_bin_dir() -> Result<PathBuf> {
    let candidates = bin_dir_candidates();
    if let Some(dir) = candidates.iter().find(|dir| has_server_tools(dir)) {
        tracing::info!(bin_dir = %dir.display(), "using PostgreSQL server binaries");
        return Ok(dir.clone());
    }
    let searched = if candidates.is_empty() {
        "PATH, /usr/lib/postgresql/*/bin".to_owned()
    } else {
        let shown: Vec<_> = candidates
            .iter()
            .map(|dir| dir.display().to_string())
            .collect();
        shown.join(", ")
    };
    Err(EmbeddedError::NoServerBinaries { searched })
}

/// PATH first, then the newest versioned install, then common prefixes.
/// A `pg_ctl` found via a symlink (e.g. /usr/local/bin) is followed to its
/// real directory, because only that one also holds the matching psql.
fn bin_dir_candidates() -> Vec<PathBuf> {
    let mut candidates = Vec::new();
    for dir in path_dirs() {
        if is_executable(&dir.join("pg_ctl")) && is_executable(&dir.join("initdb")) {
            candidates.extend(real_parent(&dir.join("pg_ctl")));
            candidates.push(dir);
        }
    }
    candidates.extend(versioned_bin_dirs());
    for dir in FALLBACK_BIN_DIRS.map(PathBuf::from) {
        candidates.extend(real_parent(&dir.join("pg_ctl")));
        candidates.push(dir);
    }
    candidates.dedup();
    candidates
}

fn real_parent(file: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(file)
        .ok()?
        .parent()
        .map(Path::to_path_buf)
}

/// Debian-style `/usr/lib/postgresql/<version>/bin`, newest version first.
fn versioned_bin_dirs() -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir("/usr/lib/postgresql") else {
        return Vec::new();
    };
    let mut versions: Vec<(Vec<u32>, PathBuf)> = entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let version: Option<Vec<u32>> = name.split('.').map(|part| part.parse().ok()).collect();
            Some((version?, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by(|a, b| b.0.cmp(&a.0));
    versions.into_iter().map(|(_, dir)| dir).collect()
}

fn has_server_tools(dir: &Path) -> bool {
    REQUIRED_TOOLS
        .iter()
        .all(|tool| is_executable(&dir.join(tool)))
}

fn path_dirs() -> Vec<PathBuf> {
    std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default()
}

fn find_on_path(program: &str) -> Option<PathBuf> {
    path_dirs()
        .into_iter()
        .map(|dir| dir.join(program))
        .find(|path| is_executable(path))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

/// The path ends up inside a shell-quoted `pg_ctl -o` string and a
/// comma-separated server setting, so characters that would break either are
/// refused up front rather than producing a confusing startup failure.
fn check_path_chars(path: &Path) -> Result<()> {
    let text = path.to_string_lossy();
    let bad = text
        .chars()
        .find(|c| matches!(c, '\'' | '"' | ',' | '$' | '`' | '\\') || c.is_control());
    match bad {
        Some(found) => Err(EmbeddedError::UnsupportedPath {
            path: path.to_path_buf(),
            found,
        }),
        None => Ok(()),
    }
}

fn check_socket_path(socket_dir: &Path, port: u16) -> Result<()> {
    let path = socket_dir.join(format!(".s.PGSQL.{port}"));
    let len = path.as_os_str().len();
    if len > MAX_SOCKET_PATH {
        return Err(EmbeddedError::SocketPathTooLong {
            path,
            len,
            max: MAX_SOCKET_PATH,
        });
    }
    Ok(())
}

fn check_database_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_IDENTIFIER_LEN {
        "it is longer than 63 bytes"
    } else if name.contains('\0') {
        "it contains a NUL character"
    } else {
        return Ok(());
    };
    Err(EmbeddedError::InvalidDatabaseName {
        name: name.to_owned(),
        reason,
    })
}

fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// Doubling quotes is enough because `standard_conforming_strings` is on by
/// default, so backslashes are not escapes.
fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

/// Encodes everything but RFC 3986 unreserved characters, so `/`, `:`, `@`
/// and `?` inside a path cannot be mistaken for URL structure.
fn percent_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len());
    for &byte in bytes {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    type TestResult = std::result::Result<(), Box<dyn std::error::Error>>;

    fn fresh_dir() -> PathBuf {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|elapsed| elapsed.subsec_nanos())
            .unwrap_or_default();
        PathBuf::from(format!("/tmp/cd-pg-{}-{nanos}", std::process::id()))
    }

    async fn select_one(pg: &EmbeddedPostgres, database: &str) -> Result<String> {
        let mut cmd = Command::new(pg.psql_path());
        cmd.args(["-X", "-t", "-A", "-h"])
            .arg(&pg.socket_dir)
            .args(["-U", SUPERUSER, "-d", database, "-c", "select 1"]);
        run_checked((cmd, "psql select 1".to_owned())).await
    }

    #[tokio::test]
    async fn starts_creates_database_reuses_and_stops() -> TestResult {
        let dir = fresh_dir();
        let first = EmbeddedPostgres::start(&dir).await?;
        first.ensure_database("claimdesk").await?;
        first.ensure_database("claimdesk").await?;
        assert_eq!(select_one(&first, "claimdesk").await?.trim(), "1");

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
        assert_eq!(select_one(&pg, "postgres").await?.trim(), "1");
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
    }

    #[test]
    fn rejects_too_long_socket_path() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(100)));
        assert!(matches!(
            check_socket_path(&long, DEFAULT_PORT),
            Err(EmbeddedError::SocketPathTooLong { .. })
        ));
    }

    #[test]
    fn rejects_shell_breaking_paths() {
        assert!(check_path_chars(Path::new("/tmp/it's")).is_err());
        assert!(check_path_chars(Path::new("/tmp/a,b")).is_err());
        assert!(check_path_chars(Path::new("/tmp/claim desk")).is_ok());
    }
}
