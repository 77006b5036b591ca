//! Where the cluster's data directory lives, and what its path must satisfy:
//! it becomes the socket directory and travels inside pg_ctl's options.

use super::{EmbeddedError, Result};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC};
use std::os::unix::fs::DirBuilderExt;
use std::path::{Path, PathBuf};

/// Longest socket path the kernel accepts (`sizeof(sun_path)` minus the NUL).
#[cfg(any(target_os = "linux", target_os = "android"))]
const MAX_SOCKET_PATH: usize = 107;
#[cfg(not(any(target_os = "linux", target_os = "android")))]
const MAX_SOCKET_PATH: usize = 103;

/// Where clusters go when the `postgres` user cannot enter the requested
/// directory; its parents are traversable by every user.
const FALLBACK_ROOT: &str = "/var/lib/claimdesk";

/// Everything but RFC 3986 unreserved characters is encoded, so `/`, `:`,
/// `@` and `?` inside a path cannot be mistaken for URL structure.
const URL_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

pub(super) fn url_encode(bytes: &[u8]) -> String {
    percent_encoding::percent_encode(bytes, URL_COMPONENT).to_string()
}

/// The path ends up inside a shell-quoted `pg_ctl -o` string and a
/// comma-separated server setting, so characters that would break either are
/// refused up front rather than producing a confusing startup failure.
pub(super) fn check_path_chars(path: &Path) -> Result<()> {
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

pub(super) fn check_socket_path(socket_dir: &Path, port: u16) -> Result<()> {
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

/// Creates missing parents with default permissions, so they stay
/// traversable by the server user, but the data directory itself as 0700,
/// which PostgreSQL insists on.
pub(super) async fn create_private_dir(dir: &Path) -> Result<()> {
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

/// A directory of its own under /var/lib/claimdesk, named after `dir` so
/// each checkout keeps its data; its parent is created traversable (0755).
pub(super) fn reachable_data_dir(dir: &Path) -> Result<PathBuf> {
    let fallback = fallback_dir(dir);
    let parent = fallback.parent().unwrap_or(&fallback);
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o755)
        .create(parent)
        .map_err(|source| EmbeddedError::Io {
            action: format!("creating {}", parent.display()),
            source,
        })?;
    Ok(fallback)
}

fn fallback_dir(dir: &Path) -> PathBuf {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(dir.as_os_str().as_encoded_bytes());
    let name: String = digest[..8].iter().map(|b| format!("{b:02x}")).collect();
    Path::new(FALLBACK_ROOT).join(name).join("pg")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_too_long_socket_path() {
        let long = PathBuf::from(format!("/tmp/{}", "x".repeat(100)));
        assert!(matches!(
            check_socket_path(&long, 5432),
            Err(EmbeddedError::SocketPathTooLong { .. })
        ));
        assert!(check_socket_path(Path::new("/tmp/pg"), 5432).is_ok());
    }

    #[test]
    fn rejects_shell_breaking_paths() {
        assert!(check_path_chars(Path::new("/tmp/it's")).is_err());
        assert!(check_path_chars(Path::new("/tmp/a,b")).is_err());
        assert!(check_path_chars(Path::new("/tmp/a\nb")).is_err());
        assert!(check_path_chars(Path::new("/tmp/claim desk")).is_ok());
    }

    #[test]
    fn a_checkout_postgres_cannot_enter_gets_its_own_reachable_dir() {
        let a = fallback_dir(Path::new("/root/claimdesk/data/pg"));
        let b = fallback_dir(Path::new("/root/other/data/pg"));
        assert!(a.starts_with(FALLBACK_ROOT), "{a:?}");
        assert!(a.ends_with("pg"));
        assert_ne!(a, b, "each checkout keeps its own data");
        assert_eq!(a, fallback_dir(Path::new("/root/claimdesk/data/pg")));
    }

    #[test]
    fn url_encoding_keeps_only_unreserved_characters() {
        assert_eq!(url_encode(b"/a b/c-d.e_f~g"), "%2Fa%20b%2Fc-d.e_f~g");
        assert_eq!(url_encode("@:?#%".as_bytes()), "%40%3A%3F%23%25");
        assert_eq!(url_encode("é".as_bytes()), "%C3%A9");
    }
}
