//! Database access: connection pool, embedded migrations, schema and the
//! private cluster used when no DATABASE_URL is set.

pub mod deadline;
pub mod embedded;
pub mod functions;
pub mod schema;

use diesel_async::async_connection_wrapper::AsyncConnectionWrapper;
use diesel_async::pooled_connection::deadpool::{Object, Pool, PoolError};
use diesel_async::pooled_connection::{
    AsyncDieselConnectionManager, ManagerConfig, RecyclingMethod,
};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use std::ops::{Deref, DerefMut};
use std::time::Duration;

pub const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations");

/// Pool sizing and timeouts; without timeouts deadpool waits forever.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_size: usize,
    pub wait_timeout: Duration,
    pub connect_timeout: Duration,
    /// Client-side bound on a request's database time (see [`deadline`]).
    pub query_timeout: Duration,
}

impl Default for PoolSettings {
    /// The flags' defaults, for one pool.
    fn default() -> Self {
        PoolSettings {
            max_size: 16,
            wait_timeout: Duration::from_millis(3000),
            connect_timeout: Duration::from_millis(3000),
            query_timeout: deadline::DEFAULT_QUERY_TIMEOUT,
        }
    }
}

/// The connection pool, handing out [`DbConn`] guards that count against
/// the current request's deadline. Derefs to the deadpool pool for
/// `status()` and the like.
#[derive(Clone)]
pub struct DbPool {
    inner: Pool<AsyncPgConnection>,
    query_timeout: Duration,
}

impl DbPool {
    /// Checks out a connection. The wait counts against the current
    /// request's deadline, and so does holding the connection.
    pub async fn get(&self) -> Result<DbConn, PoolError> {
        let activity = deadline::enter();
        let obj = self.inner.get().await?;
        Ok(DbConn {
            obj: Some(obj),
            activity,
        })
    }

    pub fn query_timeout(&self) -> Duration {
        self.query_timeout
    }
}

impl Deref for DbPool {
    type Target = Pool<AsyncPgConnection>;
    fn deref(&self) -> &Self::Target {
        &self.inner
    }
}

/// A pooled connection. When the work it belongs to was abandoned (its
/// deadline passed, or a query said the connection is unusable) it is not
/// returned to the pool on drop: it is detached, its running query is
/// cancelled and the connection closed, so no later request queues behind
/// a hung query.
pub struct DbConn {
    /// `None` only while being dropped.
    obj: Option<Object<AsyncPgConnection>>,
    activity: Option<deadline::Activity>,
}

impl Deref for DbConn {
    type Target = AsyncPgConnection;
    fn deref(&self) -> &AsyncPgConnection {
        match &self.obj {
            Some(o) => o,
            None => unreachable!("a DbConn is emptied only when dropped"),
        }
    }
}

impl DerefMut for DbConn {
    fn deref_mut(&mut self) -> &mut AsyncPgConnection {
        match &mut self.obj {
            Some(o) => o,
            None => unreachable!("a DbConn is emptied only when dropped"),
        }
    }
}

impl Drop for DbConn {
    fn drop(&mut self) {
        let abandoned = self
            .activity
            .as_ref()
            .is_some_and(|a| a.budget().has_fired());
        if let (true, Some(obj)) = (abandoned, self.obj.take()) {
            discard(Object::take(obj));
        }
    }
}

/// Closes a connection that may still have a query running: asks the server
/// to cancel it (bounded: the server may be stopped), and drops the client,
/// which closes the socket.
fn discard(conn: AsyncPgConnection) {
    let token = conn.cancel_token();
    drop(conn);
    tracing::warn!("database connection discarded after a deadline or a connection error");
    if let Ok(rt) = tokio::runtime::Handle::try_current() {
        rt.spawn(async move {
            let cancel = token.cancel_query(tokio_postgres::NoTls);
            let _ = tokio::time::timeout(Duration::from_secs(2), cancel).await;
        });
    }
}

/// Builds a pool lazily: no connection is opened until the first checkout,
/// so the app starts (and answers 503) even while the database is down.
pub fn build_pool(url: &str, settings: &PoolSettings) -> anyhow::Result<DbPool> {
    let mut config = ManagerConfig::default();
    // `Verified` costs an extra round trip per checkout; broken connections are
    // detected by the query error instead and discarded by the pool.
    config.recycling_method = RecyclingMethod::Fast;
    let manager = AsyncDieselConnectionManager::<AsyncPgConnection>::new_with_config(url, config);
    let pool = Pool::builder(manager)
        .max_size(settings.max_size)
        .wait_timeout(Some(settings.wait_timeout))
        .create_timeout(Some(settings.connect_timeout))
        .recycle_timeout(Some(settings.connect_timeout))
        .runtime(deadpool_runtime())
        .build()?;
    Ok(DbPool {
        inner: pool,
        query_timeout: settings.query_timeout,
    })
}

fn deadpool_runtime() -> deadpool::Runtime {
    deadpool::Runtime::Tokio1
}

/// Applies pending migrations. Runs the synchronous harness on a blocking
/// thread because it must not run on an async worker.
pub async fn run_migrations(url: &str) -> anyhow::Result<usize> {
    let conn = AsyncPgConnection::establish(url).await?;
    let mut wrapper: AsyncConnectionWrapper<AsyncPgConnection> = AsyncConnectionWrapper::from(conn);
    let applied = tokio::task::spawn_blocking(move || {
        wrapper
            .run_pending_migrations(MIGRATIONS)
            .map(|v| v.len())
            .map_err(|e| anyhow::anyhow!("migration failed: {e}"))
    })
    .await??;
    Ok(applied)
}

// Connections may be moved into spawned tasks (background imports).
const _: fn() = || {
    fn send_and_sync<T: Send + Sync>() {}
    send_and_sync::<DbConn>();
    send_and_sync::<DbPool>();
};
