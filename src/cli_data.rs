//! `claimdesk export …` and `claimdesk import …` from the shell.

use crate::config::{DbArgs, SiteArgs};
use crate::export::driver::Exporter;
use crate::export::Format;
use crate::models::{import, Actor};
use crate::startup::with_migrated_db;
use crate::web::forms::ClaimQuery;
use anyhow::{anyhow, Context};
use clap::Args;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// csv, json, ndjson or claimreview
    #[arg(long, default_value = "csv")]
    pub format: String,
    #[arg(long)]
    pub story: Option<String>,
    #[arg(long)]
    pub source: Option<String>,
    #[arg(long)]
    pub status: Option<String>,
    /// Start CSV with a UTF-8 byte-order mark (for Excel).
    #[arg(long)]
    pub bom: bool,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    #[command(flatten)]
    pub site: SiteArgs,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A CSV file with the export's columns.
    pub file: PathBuf,
    /// Import after the preview instead of only showing it.
    #[arg(long)]
    pub yes: bool,
}

pub async fn export(db: DbArgs, args: ExportArgs) -> anyhow::Result<()> {
    let format = Format::parse(&args.format)
        .ok_or_else(|| anyhow!("--format must be csv, json, ndjson or claimreview"))?;
    let query = ClaimQuery {
        status: args.status.clone().unwrap_or_default(),
        story: args.story.clone().unwrap_or_default(),
        source: args.source.clone().unwrap_or_default(),
        ..Default::default()
    };
    let filter = query.to_filter().map_err(|e| anyhow!("{e}"))?;
    let mut out: Box<dyn Write> = match &args.out {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating {}", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut exporter = Exporter::new(format, filter, args.site.publisher(), args.bom);
    with_migrated_db(&db, async |conn| {
        while let Some(chunk) = exporter.next_chunk(conn).await? {
            out.write_all(&chunk)?;
        }
        out.flush()?;
        Ok(())
    })
    .await
}

/// Prints each invalid row as the file is read.
struct Printed;

impl import::Report for Printed {
    fn invalid(&mut self, line: u64, reason: &str) {
        println!("  line {line}: {reason}");
    }
}

/// The file, streamed: no size cap here, so the desk's own large exports
/// can come back. Without `--yes` nothing is written to the database.
pub async fn import(db: DbArgs, args: ImportArgs) -> anyhow::Result<()> {
    let open = || -> anyhow::Result<_> {
        let file = std::fs::File::open(&args.file)
            .with_context(|| format!("reading {}", args.file.display()))?;
        Ok(std::io::BufReader::with_capacity(64 * 1024, file))
    };
    let input = open()?;
    let name = args
        .file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    with_migrated_db(&db, async |conn| {
        let summary = |c: import::Counts| {
            println!(
                "to create: {}  already recorded: {}  invalid: {}",
                c.create, c.duplicate, c.invalid
            )
        };
        if !args.yes {
            let counts = import::preview_stream(conn, input, Actor::SYSTEM.role, &mut Printed)
                .await?
                .map_err(|e| anyhow!("{e}"))?;
            summary(counts);
            println!("nothing written; run again with --yes to import");
            return Ok(());
        }
        let (counts, created, skipped) =
            import::import_stream(conn, &name, input, Actor::SYSTEM, &mut Printed)
                .await
                .map_err(|e| anyhow!("{e}"))?;
        summary(counts);
        println!("imported {created} claims, skipped {skipped} rows");
        Ok(())
    })
    .await
}
