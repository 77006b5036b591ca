//! SQL the cluster needs before the app's migrations run (a health check,
//! the app's database), sent over the unix socket with diesel: the same
//! driver and URL the app uses, so no `psql` and no shell are involved.
//! Values travel as bind parameters; only an identifier in DDL, which takes
//! none, is quoted, by [`quote_ident`].

use super::{EmbeddedError, EmbeddedPostgres, Result, COMMAND_TIMEOUT};
use diesel::pg::PgQueryBuilder;
use diesel::query_builder::QueryBuilder;
use diesel::result::QueryResult;
use diesel::sql_types::{Bool, Text};
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use std::future::Future;

/// PostgreSQL silently truncates longer names (NAMEDATALEN - 1 bytes), so a
/// database would be created under another name than the one checked for.
const MAX_IDENTIFIER_LEN: usize = 63;

/// Every cluster has it; connections for administration go there.
const MAINTENANCE_DB: &str = "postgres";

#[derive(diesel::QueryableByName)]
struct Exists {
    #[diesel(sql_type = Bool)]
    found: bool,
}

impl EmbeddedPostgres {
    /// Creates database `name` if missing.
    pub async fn ensure_database(&self, name: &str) -> Result<()> {
        let create = format!("CREATE DATABASE {}", quote_ident(name)?);
        let mut conn = self.connect().await?;
        if database_exists(&mut conn, name).await? {
            return Ok(());
        }
        let created = timed(&create, diesel::sql_query(&create).execute(&mut conn)).await;
        // Another process may have created it between the check and now.
        if let Err(err) = created {
            if !database_exists(&mut conn, name).await? {
                return Err(err);
            }
        }
        tracing::info!(database = name, "created database in embedded PostgreSQL");
        Ok(())
    }

    /// `pg_ctl status` only checks that the recorded PID exists, which is also
    /// true for a crashed postmaster that has not been reaped yet.
    pub(super) async fn check_responsive(&self) -> Result<()> {
        let probe = async {
            let mut conn = self.connect().await?;
            timed("SELECT 1", diesel::sql_query("SELECT 1").execute(&mut conn)).await
        };
        match probe.await {
            Ok(_) => Ok(()),
            Err(err) => Err(EmbeddedError::Unresponsive {
                data_dir: self.data_dir.clone(),
                detail: err.to_string(),
            }),
        }
    }

    /// As the current user, like the app's own connections: root can open
    /// the socket even though the directory belongs to `postgres`.
    async fn connect(&self) -> Result<AsyncPgConnection> {
        let url = self.database_url(MAINTENANCE_DB);
        match tokio::time::timeout(COMMAND_TIMEOUT, AsyncPgConnection::establish(&url)).await {
            Err(_) => Err(EmbeddedError::CommandTimedOut {
                command: format!("connect to {url}"),
            }),
            Ok(conn) => conn.map_err(|source| EmbeddedError::Connect {
                socket_dir: self.socket_dir.clone(),
                source,
            }),
        }
    }
}

async fn database_exists(conn: &mut AsyncPgConnection, name: &str) -> Result<bool> {
    const SQL: &str = "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1) AS found";
    let query = diesel::sql_query(SQL).bind::<Text, _>(name);
    let row: Exists = timed(SQL, query.get_result(conn)).await?;
    Ok(row.found)
}

/// A query with the same time limit as the server tools, its errors naming it.
async fn timed<T>(sql: &str, query: impl Future<Output = QueryResult<T>>) -> Result<T> {
    match tokio::time::timeout(COMMAND_TIMEOUT, query).await {
        Err(_) => Err(EmbeddedError::CommandTimedOut {
            command: sql.to_owned(),
        }),
        Ok(result) => result.map_err(|source| EmbeddedError::Query {
            sql: sql.to_owned(),
            source,
        }),
    }
}

/// `name` as a quoted identifier for DDL, which takes no bind parameters
/// (`CREATE DATABASE`). The quoting is diesel's own (wrap in `"`, double any
/// `"` inside); names PostgreSQL would refuse (NUL) or silently change (too
/// long) are refused here instead.
pub(super) fn quote_ident(name: &str) -> Result<String> {
    let reason = if name.is_empty() {
        "it is empty"
    } else if name.len() > MAX_IDENTIFIER_LEN {
        "it is longer than 63 bytes"
    } else if name.contains('\0') {
        "it contains a NUL character"
    } else {
        let mut sql = PgQueryBuilder::new();
        sql.push_identifier(name)
            .map_err(|source| EmbeddedError::Query {
                sql: format!("quoting {name:?}"),
                source,
            })?;
        return Ok(sql.finish());
    };
    Err(EmbeddedError::InvalidDatabaseName {
        name: name.to_owned(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quoted(name: &str) -> String {
        quote_ident(name).unwrap_or_else(|e| panic!("{name:?}: {e}"))
    }

    fn refused(name: &str) -> &'static str {
        match quote_ident(name) {
            Err(EmbeddedError::InvalidDatabaseName { reason, .. }) => reason,
            other => panic!("{name:?} was not refused: {other:?}"),
        }
    }

    #[test]
    fn identifiers_are_wrapped_and_inner_double_quotes_doubled() {
        assert_eq!(quoted("claimdesk"), r#""claimdesk""#);
        assert_eq!(quoted(r#"a"b"#), r#""a""b""#);
        assert_eq!(quoted(r#"""#), r#""""""#);
        assert_eq!(
            quoted(r#""; DROP DATABASE postgres; --"#),
            r#""""; DROP DATABASE postgres; --""#
        );
    }

    #[test]
    fn single_quotes_backslashes_and_unicode_need_no_escaping_in_identifiers() {
        assert_eq!(quoted("it's"), r#""it's""#);
        assert_eq!(quoted(r"a\b"), r#""a\b""#);
        assert_eq!(quoted("دمشق desk"), "\"دمشق desk\"");
    }

    #[test]
    fn names_postgres_would_refuse_or_truncate_are_refused() {
        assert_eq!(refused(""), "it is empty");
        assert_eq!(refused("a\0b"), "it contains a NUL character");
        assert_eq!(refused("\0"), "it contains a NUL character");
        assert_eq!(refused(&"x".repeat(64)), "it is longer than 63 bytes");
        // Bytes, not characters: 32 two-byte letters are 64 bytes.
        assert_eq!(refused(&"د".repeat(32)), "it is longer than 63 bytes");
        assert_eq!(quoted(&"x".repeat(63)).len(), 65);
    }
}
