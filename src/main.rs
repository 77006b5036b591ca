//! The `claimdesk` binary: a thin clap front end over the library.

use claimdesk::config::{DbArgs, ServeArgs};
use claimdesk::startup;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "claimdesk",
    version,
    about = "Claim tracking and verification for newsroom editors"
)]
struct Cli {
    #[command(flatten)]
    db: DbArgs,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations, load demo seeds into an empty database, and serve.
    Serve(ServeArgs),
    /// Apply pending database migrations.
    Migrate,
    /// (Re)load the demo seeds; idempotent.
    Seed,
    /// Export claims (CSV, JSON, NDJSON or ClaimReview JSON-LD).
    Export(claimdesk::cli_data::ExportArgs),
    /// Preview, and with --yes import, a CSV of claims.
    Import(claimdesk::cli_data::ImportArgs),
    /// Manage user accounts.
    #[command(subcommand)]
    User(claimdesk::cli_user::UserCommand),
}

fn main() -> anyhow::Result<()> {
    startup::init_tracing();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        // actix needs its own System; each HTTP worker then runs its own runtime.
        Command::Serve(args) => actix_web::rt::System::new().block_on(startup::serve(cli.db, args)),
        Command::Migrate => rt.block_on(startup::migrate(cli.db)),
        Command::Seed => rt.block_on(startup::seed(cli.db)),
        Command::Export(args) => rt.block_on(claimdesk::cli_data::export(cli.db, args)),
        Command::Import(args) => rt.block_on(claimdesk::cli_data::import(cli.db, args)),
        Command::User(cmd) => rt.block_on(claimdesk::cli_user::run(cli.db, cmd)),
    }
}
