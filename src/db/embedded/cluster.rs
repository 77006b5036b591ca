//! The cluster's life cycle through the server tools: initdb on first use,
//! then `pg_ctl` start, status, restart and stop.

use super::process::{command_failed, run_checked, run_plain};
use super::{place, EmbeddedError, EmbeddedPostgres, Result, ShutdownMode, SUPERUSER};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use tokio::process::Command;

impl EmbeddedPostgres {
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

    /// Restarts the cluster (`pg_ctl restart -m <mode>`), waiting until it
    /// accepts connections again. Fault tests use it; `Immediate` leaves the
    /// next start to crash recovery, like a power cut of the database alone.
    pub async fn restart(&self, mode: ShutdownMode) -> Result<()> {
        self.pg_ctl("restart", &["-m", mode.as_str()]).await?;
        tracing::info!(data_dir = %self.data_dir.display(), mode = mode.as_str(), "restarted embedded PostgreSQL");
        Ok(())
    }

    pub(super) async fn is_running(&self) -> Result<bool> {
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
    pub(super) async fn adopt_running_server(&mut self) -> Result<()> {
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

    pub(super) async fn prepare_data_dir(&self) -> Result<()> {
        let fresh = !self.is_initialised().await;
        if fresh {
            place::create_private_dir(&self.data_dir).await?;
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

    pub(super) async fn boot(&self) -> Result<()> {
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
}
