//! Running the server tools with a time limit, as the `postgres` system user
//! when the app runs as root (PostgreSQL refuses to run as root).

use super::{EmbeddedError, EmbeddedPostgres, Result, COMMAND_TIMEOUT};
use std::ffi::{OsStr, OsString};
use std::path::Path;
use std::process::{Output, Stdio};
use tokio::process::Command;

const SYSTEM_USER: &str = "postgres";

/// A command and how it is shown in logs and errors.
pub(super) type Shown = (Command, String);

impl EmbeddedPostgres {
    pub(super) fn server_tool(&self, tool: &str, args: &[OsString]) -> Shown {
        self.as_server_user(&self.bin_dir.join(tool), args)
    }

    pub(super) fn as_server_user(&self, program: &Path, args: &[OsString]) -> Shown {
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

pub(super) async fn run_plain((mut cmd, shown): Shown) -> Result<(Output, String)> {
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

pub(super) async fn run_checked(command: Shown) -> Result<String> {
    let (output, shown) = run_plain(command).await?;
    if !output.status.success() {
        return Err(command_failed(shown, &output));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

pub(super) fn command_failed(command: String, output: &Output) -> EmbeddedError {
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

/// Only for `su`, which takes one shell command; `runuser` needs none.
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

/// `None` (the current user) unless we are root, then the `postgres` user.
pub(super) async fn choose_run_as() -> Result<Option<String>> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn su_commands_quote_every_word() {
        let args = [OsString::from("-D"), OsString::from("/tmp/it's here")];
        assert_eq!(
            shell_command(Path::new("/usr/bin/pg_ctl"), &args),
            r"exec '/usr/bin/pg_ctl' '-D' '/tmp/it'\''s here'"
        );
    }
}
