//! A private PostgreSQL cluster per test, started with the app's own
//! `EmbeddedPostgres` (as the `postgres` user when the tests run as root),
//! and the process-level tools the scenarios need: the cluster's pids,
//! SIGSTOP/SIGCONT, and a guard that leaves nothing stopped or running.

use claimdesk::db::embedded::{self, EmbeddedError, EmbeddedPostgres, ShutdownMode};
use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The database the app under test uses inside the private cluster.
const DATABASE: &str = "claimdesk";

pub struct Cluster {
    /// A fresh 0755 directory under a world-traversable temp dir: the
    /// `postgres` user must be able to enter it even when CI runs as root
    /// from a checkout under /root.
    pub base: PathBuf,
    pg: EmbeddedPostgres,
    /// URL of [`DATABASE`] over the cluster's unix socket.
    pub url: String,
}

impl Cluster {
    /// Starts a cluster, or returns `None` (with a message) when this machine
    /// has no PostgreSQL server binaries; with `CI` set that is a failure.
    pub async fn start() -> Option<Cluster> {
        let base = fresh_base_dir();
        // From here on the directory is removed whatever happens.
        let cleanup = BaseDir(Some(base.clone()));
        let pg = match EmbeddedPostgres::start(&base.join("pg")).await {
            Ok(pg) => pg,
            Err(err @ (EmbeddedError::NoServerBinaries { .. } | EmbeddedError::NoPostgresUser)) => {
                if std::env::var_os("CI").is_some() {
                    panic!("fault tests need a PostgreSQL server install (CI is set): {err}");
                }
                report(&format!("SKIPPED fault test: {err}"));
                return None;
            }
            Err(err) => panic!("starting the private PostgreSQL cluster: {err}"),
        };
        let base = cleanup.keep();
        pg.ensure_database(DATABASE)
            .await
            .expect("create the app's database");
        let url = pg.database_url(DATABASE);
        Some(Cluster { base, pg, url })
    }

    pub async fn restart(&self, mode: ShutdownMode) {
        self.pg
            .restart(mode)
            .await
            .unwrap_or_else(|e| panic!("pg_ctl restart -m {}: {e}", mode.as_str()));
    }

    /// The postmaster first, then its children (backends and background
    /// workers): every process of this cluster and of no other.
    pub fn pids(&self) -> Vec<u32> {
        cluster_pids(self.pg.data_dir())
    }

    /// SIGSTOPs every process of the cluster; SIGCONT comes when the guard
    /// is dropped, on every path. The postmaster is stopped first so it
    /// cannot fork a backend that the list would miss.
    pub fn freeze(&self) -> Frozen {
        let postmaster = self.pg.postmaster_pid().expect("postmaster pid");
        let mut frozen = Frozen {
            pids: vec![postmaster],
        };
        signal(postmaster, libc::SIGSTOP).expect("SIGSTOP the postmaster");
        for child in children_of(postmaster) {
            // A backend may exit between the listing and the signal.
            if signal(child, libc::SIGSTOP).is_ok() {
                frozen.pids.push(child);
            }
        }
        frozen
    }

    pub fn app_log(&self) -> PathBuf {
        self.base.join("app.log")
    }
}

impl Drop for Cluster {
    /// Synchronous on purpose: it also runs when a test panics. Wakes
    /// anything left stopped, asks for a fast shutdown (SIGINT, what
    /// `pg_ctl stop -m fast` sends), escalates to an immediate one (SIGQUIT),
    /// then removes the directory.
    fn drop(&mut self) {
        if std::thread::panicking() {
            print_errors(&self.app_log());
            print_tail("app log", &self.app_log());
            print_tail("PostgreSQL log", &self.pg.data_dir().join("server.log"));
        }
        let pids = self.pids();
        for pid in pids.iter().rev() {
            let _ = signal(*pid, libc::SIGCONT);
        }
        if let Some(&postmaster) = pids.first() {
            let _ = signal(postmaster, libc::SIGINT);
            if !wait_gone(postmaster, Duration::from_secs(20)) {
                let _ = signal(postmaster, libc::SIGQUIT);
                wait_gone(postmaster, Duration::from_secs(10));
            }
        }
        let _ = std::fs::remove_dir_all(&self.base);
    }
}

/// Removes the base directory unless the cluster started (then
/// [`Cluster`]'s own `Drop` does).
struct BaseDir(Option<PathBuf>);

impl BaseDir {
    fn keep(mut self) -> PathBuf {
        self.0.take().unwrap_or_default()
    }
}

impl Drop for BaseDir {
    fn drop(&mut self) {
        if let Some(dir) = &self.0 {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

/// Processes stopped by [`Cluster::freeze`]; dropping it SIGCONTs them.
pub struct Frozen {
    pids: Vec<u32>,
}

impl Frozen {
    pub fn len(&self) -> usize {
        self.pids.len()
    }

    pub fn thaw(self) {}
}

impl Drop for Frozen {
    fn drop(&mut self) {
        for pid in self.pids.iter().rev() {
            let _ = signal(*pid, libc::SIGCONT);
        }
    }
}

/// `kill(pid, sig)` for one positive pid, never a process group: a
/// negative or zero pid would signal far more than this cluster.
pub fn signal(pid: u32, sig: libc::c_int) -> std::io::Result<()> {
    let pid = libc::pid_t::try_from(pid)
        .ok()
        .filter(|pid| *pid > 1)
        .ok_or_else(|| std::io::Error::other(format!("refusing to signal pid {pid}")))?;
    // SAFETY: kill(2) takes plain integers and touches no memory of ours.
    if unsafe { libc::kill(pid, sig) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

fn cluster_pids(data_dir: &Path) -> Vec<u32> {
    let Ok(postmaster) = embedded::postmaster_pid(data_dir) else {
        return Vec::new();
    };
    if !alive(postmaster) {
        return Vec::new();
    }
    let mut pids = vec![postmaster];
    pids.extend(children_of(postmaster));
    pids
}

/// Direct children of `parent`, from /proc/<pid>/stat.
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| stat(*pid).is_some_and(|(_, ppid)| ppid == parent))
        .collect()
}

/// State and parent pid. The command name may hold spaces and parentheses,
/// so the fields are read after the last `)`.
fn stat(pid: u32) -> Option<(char, u32)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let mut fields = text.get(text.rfind(')')? + 1..)?.split_whitespace();
    let state = fields.next()?.chars().next()?;
    let ppid = fields.next()?.parse().ok()?;
    Some((state, ppid))
}

/// Exited processes may linger as zombies where nobody reaps them.
fn alive(pid: u32) -> bool {
    stat(pid).is_some_and(|(state, _)| state != 'Z' && state != 'X')
}

fn wait_gone(pid: u32, limit: Duration) -> bool {
    let start = Instant::now();
    while alive(pid) {
        if start.elapsed() > limit {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    true
}

/// `<tmp>/claimdesk-fault-<random>`, mode 0755. Falls back to /tmp when the
/// configured temp dir is not traversable by other users.
fn fresh_base_dir() -> PathBuf {
    let tmp = std::env::temp_dir();
    let tmp = if traversable_by_all(&tmp) {
        tmp
    } else {
        PathBuf::from("/tmp")
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let base = tmp.join(format!("claimdesk-fault-{}", &id[..12]));
    std::fs::create_dir(&base).expect("create the fault test directory");
    std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o755))
        .expect("chmod 0755 the fault test directory");
    base
}

fn traversable_by_all(dir: &Path) -> bool {
    dir.ancestors().all(|d| {
        std::fs::metadata(d).is_ok_and(|m| m.is_dir() && m.permissions().mode() & 0o001 != 0)
    })
}

/// The first errors the app logged (a 500's cause is logged, not sent).
fn print_errors(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let errors: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("ERROR"))
        .take(10)
        .collect();
    if !errors.is_empty() {
        report(&format!(
            "--- first errors in the app log:\n{}",
            errors.join("\n")
        ));
    }
}

fn print_tail(what: &str, path: &Path) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    let tail = lines[lines.len().saturating_sub(40)..].join("\n");
    report(&format!(
        "--- last lines of the {what} ({}):\n{tail}",
        path.display()
    ));
}

/// Written to stderr directly, past the test harness's capture, so the
/// figures show in CI logs even when the test passes.
pub fn report(text: &str) {
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}
