//! Finding the system's PostgreSQL server binaries; nothing is downloaded.

use super::{EmbeddedError, Result};
use std::path::{Path, PathBuf};

const REQUIRED_TOOLS: [&str; 3] = ["initdb", "pg_ctl", "postgres"];
const FALLBACK_BIN_DIRS: [&str; 3] = [
    "/usr/local/pgsql/bin",
    "/opt/homebrew/bin",
    "/usr/local/bin",
];

pub(super) fn find_bin_dir() -> Result<PathBuf> {
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
/// real directory, because only that one surely holds the matching
/// `postgres` and `initdb`.
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

pub(super) fn find_on_path(program: &str) -> Option<PathBuf> {
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
