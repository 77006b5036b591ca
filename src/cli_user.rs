//! `claimdesk user …`: account administration from the shell, for the
//! first admin and for operators.

use crate::auth::password;
use crate::config::DbArgs;
use crate::domain::{self, Role};
use crate::models::{user, Actor};
use anyhow::{bail, Context};
use clap::Subcommand;
use diesel_async::AsyncPgConnection;
use std::io::Read;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create an account and print a one-time password (or read one from stdin).
    Add {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// Read the password from standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Change an account's role (takes effect on its next request).
    SetRole {
        #[arg(long)]
        email: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
    },
    /// Disable an account and end its sessions at once.
    Disable {
        #[arg(long)]
        email: String,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::parse(s).ok_or_else(|| "one of admin, editor, reporter, viewer".into())
}

pub async fn run(args: DbArgs, cmd: UserCommand) -> anyhow::Result<()> {
    crate::startup::with_migrated_db(&args, async |conn| execute(conn, cmd).await).await
}

async fn find(conn: &mut AsyncPgConnection, email: &str) -> anyhow::Result<user::User> {
    user::find_by_email(conn, email)
        .await?
        .with_context(|| format!("no account with email {email}"))
}

async fn execute(conn: &mut AsyncPgConnection, cmd: UserCommand) -> anyhow::Result<()> {
    match cmd {
        UserCommand::Add {
            email,
            name,
            role,
            password_stdin,
        } => {
            let (secret, generated) = if password_stdin {
                let mut s = String::new();
                std::io::stdin().read_to_string(&mut s)?;
                (s.trim_end_matches(['\n', '\r']).to_owned(), false)
            } else {
                (crate::web::pages::admin::one_time_password(), true)
            };
            if let Err(m) = domain::password::check(&secret) {
                bail!("password refused: {m}");
            }
            if !email.contains('@') || name.trim().is_empty() {
                bail!("give a real --email and a non-blank --name");
            }
            let hash = password::hash(secret.clone()).await?;
            let u = user::create_by(conn, &email, &name, role, &hash, Actor::SYSTEM)
                .await
                .with_context(|| format!("creating {email} (does it exist already?)"))?;
            println!("created {} <{}> as {}", u.name, u.email, u.role);
            if generated {
                println!("one-time password: {secret}");
            }
        }
        UserCommand::SetRole { email, role } => {
            let u = find(conn, &email).await?;
            user::set_role(conn, u.id, role, Actor::SYSTEM).await?;
            println!("{email} is now {role}");
        }
        UserCommand::Disable { email } => {
            let u = find(conn, &email).await?;
            user::set_disabled(conn, u.id, true, Actor::SYSTEM).await?;
            println!("{email} disabled; its sessions have ended");
        }
    }
    Ok(())
}
