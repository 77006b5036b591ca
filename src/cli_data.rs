//! `claimdesk export …` and `claimdesk import …` from the shell.

use crate::config::{DbArgs, SiteArgs};
use crate::error::AppError;
use crate::export::driver::Exporter;
use crate::export::Format;
use crate::json_import::{self, JsonFormat};
use crate::models::{import, Actor};
use crate::startup::with_migrated_db;
use crate::web::forms::ClaimQuery;
use anyhow::{anyhow, Context};
use clap::Args;
use std::io::{Read, Write};
use std::path::PathBuf;

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[arg(long, value_enum, default_value_t = Format::Csv)]
    pub format: Format,
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
    /// A CSV file with the export's columns, or a JSON/NDJSON export
    /// (told by a .json/.ndjson name or a first character `{` or `[`).
    pub file: PathBuf,
    /// Import after the preview instead of only showing it.
    #[arg(long)]
    pub yes: bool,
}

pub async fn export(db: DbArgs, args: ExportArgs) -> anyhow::Result<()> {
    let format = args.format;
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
    let limit = db.query_timeout();
    with_migrated_db(&db, async |conn| {
        // Each batch is bounded: a hung database stops the export with an
        // error instead of hanging it.
        while let Some(chunk) = exporter
            .next_chunk_within(conn, limit)
            .await
            .map_err(cli_error)?
        {
            out.write_all(&chunk)?;
        }
        out.flush()?;
        Ok(())
    })
    .await
}

/// The cause of a database outage is what a shell user needs to see.
fn cli_error(e: AppError) -> anyhow::Error {
    match e {
        AppError::Unavailable(cause) => anyhow!("database unavailable: {cause}"),
        other => anyhow!("{other}"),
    }
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
    if let Some(format) = json_format(&args.file)? {
        return import_json(db, args, format).await;
    }
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

/// JSON or NDJSON by the file's first non-blank byte (which also tells a
/// document from NDJSON), else by its name (`.json`, `.ndjson`): such a file
/// that is not JSON then gets the JSON import's message, not the CSV one's.
fn json_format(path: &std::path::Path) -> anyhow::Result<Option<JsonFormat>> {
    let mut head = Vec::new();
    std::fs::File::open(path)
        .with_context(|| format!("opening {}", path.display()))?
        .take(4096)
        .read_to_end(&mut head)
        .with_context(|| format!("reading {}", path.display()))?;
    Ok(JsonFormat::sniff(&head).or_else(|| JsonFormat::from_name(&path.to_string_lossy())))
}

/// Streams the file (no size cap: the desk's own exports must come back);
/// previews unless `--yes`.
async fn import_json(db: DbArgs, args: ImportArgs, format: JsonFormat) -> anyhow::Result<()> {
    let file = std::fs::File::open(&args.file)
        .with_context(|| format!("opening {}", args.file.display()))?;
    with_migrated_db(&db, async |conn| {
        let r = json_import::import_json_as(conn, file, Some(format), Actor::SYSTEM, args.yes)
            .await
            .map_err(|e| anyhow!("{e}"))?;
        println!(
            "claims: {}  to create: {}  already recorded: {}  invalid: {}",
            r.records, r.created, r.skipped, r.invalid
        );
        println!(
            "new stories: {}  new sources: {}  history entries: {}  actors matched: {}  actors recorded as imported: {}",
            r.stories_created, r.sources_created, r.history_entries, r.actors_matched, r.actors_imported
        );
        for e in &r.errors {
            println!("  {}: {}", e.position, e.message);
        }
        if r.invalid > r.errors.len() as u64 {
            println!("  … and {} more", r.invalid - r.errors.len() as u64);
        }
        if r.invalid > 0 {
            return Err(anyhow!(
                "nothing written: the file has {} invalid record(s)",
                r.invalid
            ));
        }
        if !r.committed {
            println!("nothing written; run again with --yes to import");
            return Ok(());
        }
        println!("imported {} claims, skipped {}", r.created, r.skipped);
        Ok(())
    })
    .await
}
