//! Wiring: tracing, database resolution (configured or embedded), the
//! actix server with one pool per worker, and the CLI commands.

use crate::config::{AuthArgs, DbArgs, ImportLimits, ServeArgs, SiteArgs};
use crate::db::deadline::bounded_for;
use crate::db::embedded::EmbeddedPostgres;
use crate::db::{self, DbPool, PoolSettings};
use crate::error::AppError;
use crate::models::session::Lifetimes;
use crate::{models, seed, web};
use actix_web::middleware::{from_fn, DefaultHeaders};
use actix_web::{web as aw, App, HttpServer};
use anyhow::Context;
use diesel_async::{AsyncConnection, AsyncPgConnection};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tracing_actix_web::TracingLogger;

pub fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    // Logs go to stderr: `claimdesk export` writes its data to stdout, and a
    // log line from another thread must neither mix into it nor wait on it.
    // Closing a request's span prints its one log line: method, route,
    // status and latency (time.busy + time.idle).
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE)
        .with_writer(std::io::stderr)
        .try_init();
}

/// A database URL, and the private cluster behind it when we started one.
pub struct Database {
    pub url: String,
    pub embedded: Option<EmbeddedPostgres>,
}

impl Database {
    pub async fn resolve(args: &DbArgs) -> anyhow::Result<Database> {
        if let Some(url) = &args.database_url {
            return Ok(Database {
                url: url.clone(),
                embedded: None,
            });
        }
        let dir = std::path::absolute(args.data_dir.join("pg")).context("resolving --data-dir")?;
        tracing::info!(dir = %dir.display(), "DATABASE_URL is unset: using the embedded PostgreSQL cluster");
        let pg = EmbeddedPostgres::start_reachable(&dir).await?;
        pg.ensure_database("claimdesk").await?;
        Ok(Database {
            url: pg.database_url("claimdesk"),
            embedded: Some(pg),
        })
    }

    pub async fn shutdown(self) {
        if let Some(pg) = self.embedded {
            if let Err(e) = pg.stop().await {
                tracing::error!(error = %e, "stopping the embedded PostgreSQL failed");
            }
        }
    }
}

pub async fn migrate(args: DbArgs) -> anyhow::Result<()> {
    let db = Database::resolve(&args).await?;
    let result = db::run_migrations(&db.url).await;
    db.shutdown().await;
    tracing::info!(applied = result?, "migrations done");
    Ok(())
}

pub async fn seed(args: DbArgs) -> anyhow::Result<()> {
    with_migrated_db(&args, async |conn| seed_if(conn, true).await).await
}

/// Resolves the database, applies migrations, and runs `f` on one
/// connection; a private cluster started here is stopped afterwards.
pub async fn with_migrated_db<T>(
    args: &DbArgs,
    f: impl AsyncFnOnce(&mut AsyncPgConnection) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let db = Database::resolve(args).await?;
    let result = async {
        db::run_migrations(&db.url).await?;
        let mut conn = AsyncPgConnection::establish(&db.url).await?;
        f(&mut conn).await
    }
    .await;
    db.shutdown().await;
    result
}

/// Loads the seeds when `always` or the database has no story yet.
async fn seed_if(conn: &mut AsyncPgConnection, always: bool) -> anyhow::Result<()> {
    if always || models::story::count(conn).await? == 0 {
        let report = seed::load_builtin(conn).await?;
        tracing::info!(
            created = report.claims_created,
            skipped = report.claims_skipped,
            "seeds loaded"
        );
    }
    Ok(())
}

/// Applies migrations, loads the seeds when `always` or the database is
/// empty, and tells the operator how to create the first account.
pub async fn migrate_and_seed(url: &str, always: bool) -> anyhow::Result<()> {
    let applied = db::run_migrations(url).await?;
    tracing::info!(applied, "migrations applied");
    let mut conn = AsyncPgConnection::establish(url).await?;
    seed_if(&mut conn, always).await?;
    warn_if_no_users(&mut conn).await
}

pub async fn serve(args: DbArgs, serve: ServeArgs) -> anyhow::Result<()> {
    let db = Database::resolve(&args).await?;
    let result = serve_on(&args, &serve, &db.url).await;
    db.shutdown().await;
    result
}

async fn serve_on(args: &DbArgs, serve: &ServeArgs, url: &str) -> anyhow::Result<()> {
    migrate_and_seed(url, false).await?;
    let listener =
        TcpListener::bind(serve.bind).with_context(|| format!("binding {}", serve.bind))?;
    let (workers, pool) = args.worker_pools(serve.workers.unwrap_or_else(default_workers));
    tracing::info!(address = %serve.bind, workers, "claimdesk listening on http://{}", serve.bind);
    let settings = Settings {
        pool,
        workers,
        auth: serve.auth.clone(),
        site: serve.site.clone(),
        cleanup_interval: match serve.cleanup_interval_seconds {
            0 => None,
            secs => Some(Duration::from_secs(secs)),
        },
        import: serve.import.clone(),
    };
    run(listener, url, &settings)?.await?;
    Ok(())
}

/// Never a default password: tell the operator how to create the first admin.
async fn warn_if_no_users(conn: &mut AsyncPgConnection) -> anyhow::Result<()> {
    if models::user::count(conn).await? == 0 {
        tracing::warn!(
            "No user accounts exist yet. Create the first admin with: \
             claimdesk user add --email you@example.org --name \"Your Name\" --role admin"
        );
    }
    Ok(())
}

fn default_workers() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
}

/// Everything a running server needs besides its listener and database.
/// `Default` gives the flags' defaults (one worker, no clean-up), for tests
/// that change one or two settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// Per-worker pool.
    pub pool: PoolSettings,
    pub workers: usize,
    pub auth: AuthArgs,
    pub site: SiteArgs,
    /// How often to purge expired sessions, old login failures and stale
    /// imports; `None`: never.
    pub cleanup_interval: Option<Duration>,
    pub import: ImportLimits,
}

/// Builds the server on `listener`. Each worker gets its own pool: sharing
/// one across worker threads costs cross-thread wakeups on every checkout.
pub fn run(
    listener: TcpListener,
    url: &str,
    settings: &Settings,
) -> anyhow::Result<actix_web::dev::Server> {
    let (pool, workers) = (&settings.pool, settings.workers);
    let auth = aw::Data::new(settings.auth.clone());
    let publisher = aw::Data::new(settings.site.publisher());
    let import_limits = aw::Data::new(settings.import.clone());
    let pools: Arc<Vec<DbPool>> = Arc::new(
        (0..workers.max(1))
            .map(|_| db::build_pool(url, pool))
            .collect::<anyhow::Result<_>>()?,
    );
    if let Some(every) = settings.cleanup_interval {
        // Once per server, on a one-connection pool of its own: the purge
        // never takes a connection a request is waiting for.
        let own = PoolSettings {
            max_size: 1,
            ..pool.clone()
        };
        spawn_cleanup(db::build_pool(url, &own)?, settings.auth.lifetimes(), every);
    }
    let next = Arc::new(AtomicUsize::new(0));
    let server = HttpServer::new(move || {
        let pool = pools[next.fetch_add(1, Ordering::Relaxed) % pools.len()].clone();
        App::new()
            .wrap(from_fn(web::access::enforce))
            // Outside access, so that its refusals are pages too.
            .wrap(from_fn(web::error_page::dress))
            // Outside access: authenticating a request uses the database too.
            .wrap(from_fn(web::deadline::enforce))
            .wrap(from_fn(web::head::as_get))
            .wrap(security_headers())
            .wrap(TracingLogger::default())
            .app_data(aw::Data::new(pool))
            .app_data(auth.clone())
            .app_data(publisher.clone())
            .app_data(import_limits.clone())
            .configure(web::configure)
    })
    .on_connect(web::pages::imports::remember_socket)
    .workers(workers.max(1))
    .listen(listener)?
    .run();
    Ok(server)
}

/// Runs [`models::cleanup::run`] now and then every `every`, for as long as
/// the runtime lives. A failed run (database down) is logged and retried at
/// the next tick.
fn spawn_cleanup(pool: DbPool, life: Lifetimes, every: Duration) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // Three small statements: a few query timeouts at most.
            let limit = pool.query_timeout() * 3;
            let run = bounded_for(limit, async {
                let mut conn = pool.get().await?;
                Ok::<_, AppError>(models::cleanup::run(&mut conn, life, chrono::Utc::now()).await?)
            })
            .await;
            match run {
                Ok(Ok(purged)) if purged.total() > 0 => tracing::info!(
                    sessions = purged.sessions,
                    login_failures = purged.login_failures,
                    imports = purged.imports,
                    "expired rows purged"
                ),
                Ok(Ok(_)) => {}
                Ok(Err(e)) | Err(e) => tracing::warn!(error = ?e, "clean-up run failed"),
            }
        }
    });
}

/// [`web::SECURITY_HEADERS`] on every response that does not set its own.
fn security_headers() -> DefaultHeaders {
    web::SECURITY_HEADERS
        .iter()
        .fold(DefaultHeaders::new(), |h, &(name, value)| {
            h.add((name, value))
        })
}
