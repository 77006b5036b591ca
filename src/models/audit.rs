//! The append-only audit trail. Rows are only ever inserted; the database
//! refuses UPDATE, DELETE and TRUNCATE on the table.

use crate::db::schema::{audit_log, users};
use crate::domain::UserId;
use chrono::{DateTime, Utc};
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use serde::Serialize;
use uuid::Uuid;

/// One audited action, written in the same transaction as the change.
#[derive(Debug, Clone, Insertable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub actor_id: Option<UserId>,
    pub action: &'static str,
    pub object_type: &'static str,
    pub object_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

impl Entry {
    /// `object_id` is any typed id: the object's table is `object_type`.
    pub fn new(
        actor_id: Option<UserId>,
        action: &'static str,
        object_type: &'static str,
        object_id: Option<impl Into<Uuid>>,
    ) -> Self {
        Entry {
            actor_id,
            action,
            object_type,
            object_id: object_id.map(Into::into),
            before: None,
            after: None,
        }
    }

    pub fn before(mut self, v: &impl Serialize) -> Self {
        self.before = serde_json::to_value(v).ok();
        self
    }

    pub fn after(mut self, v: &impl Serialize) -> Self {
        self.after = serde_json::to_value(v).ok();
        self
    }
}

pub async fn record(conn: &mut AsyncPgConnection, entry: Entry) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values(entry)
        .execute(conn)
        .await?;
    Ok(())
}

#[derive(Debug, Clone, Queryable, Serialize)]
pub struct AuditRow {
    pub id: i64,
    pub at: DateTime<Utc>,
    pub actor_id: Option<UserId>,
    pub actor_name: Option<String>,
    pub action: String,
    pub object_type: String,
    pub object_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor_id: Option<UserId>,
    pub object_type: Option<String>,
    pub object_id: Option<Uuid>,
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Keyset: rows with an id below this one.
    pub before_id: Option<i64>,
}

/// Newest first, keyset-paginated on the id.
pub async fn list(
    conn: &mut AsyncPgConnection,
    f: &AuditFilter,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut q = audit_log::table
        .left_join(users::table)
        .select((
            audit_log::id,
            audit_log::at,
            audit_log::actor_id,
            users::name.nullable(),
            audit_log::action,
            audit_log::object_type,
            audit_log::object_id,
            audit_log::before,
            audit_log::after,
        ))
        .order(audit_log::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(a) = f.actor_id {
        q = q.filter(audit_log::actor_id.eq(a));
    }
    if let Some(t) = &f.object_type {
        q = q.filter(audit_log::object_type.eq(t.clone()));
    }
    if let Some(o) = f.object_id {
        q = q.filter(audit_log::object_id.eq(o));
    }
    if let Some(a) = &f.action {
        q = q.filter(audit_log::action.eq(a.clone()));
    }
    if let Some(t) = f.from {
        q = q.filter(audit_log::at.ge(t));
    }
    if let Some(t) = f.to {
        q = q.filter(audit_log::at.lt(t));
    }
    if let Some(id) = f.before_id {
        q = q.filter(audit_log::id.lt(id));
    }
    q.load(conn).await
}
