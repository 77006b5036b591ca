//! Aliases: other names of a source, in one name space with every source's
//! own name (table `source_names`), so no alias can be another source's name.

use super::{Source, WriteError};
use crate::db::schema::{source_names, sources};
use crate::domain::{AuditAction, AuditObjectType, FieldErrors, SourceId};
use crate::models::audit::{self, Entry};
use crate::models::Actor;
use diesel::prelude::*;
use diesel_async::{AsyncPgConnection, RunQueryDsl};
use std::collections::HashMap;

/// `%` and `_` match themselves in a search.
pub(crate) fn escape_like(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

pub async fn aliases(conn: &mut AsyncPgConnection, id: SourceId) -> QueryResult<Vec<String>> {
    source_names::table
        .filter(source_names::source_id.eq(id))
        .filter(source_names::is_alias)
        .order(source_names::name_key.asc())
        .select(source_names::name)
        .load(conn)
        .await
}

/// Aliases of many sources at once (lists, exports, the source picker).
pub async fn aliases_for(
    conn: &mut AsyncPgConnection,
    ids: &[SourceId],
) -> QueryResult<HashMap<SourceId, Vec<String>>> {
    let rows: Vec<(SourceId, String)> = source_names::table
        .filter(source_names::source_id.eq_any(ids))
        .filter(source_names::is_alias)
        .order(source_names::name_key.asc())
        .select((source_names::source_id, source_names::name))
        .load(conn)
        .await?;
    let mut out: HashMap<SourceId, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        out.entry(id).or_default().push(name);
    }
    Ok(out)
}

/// Every live source's aliases, for pages that list all sources.
pub async fn all_aliases(
    conn: &mut AsyncPgConnection,
) -> QueryResult<HashMap<SourceId, Vec<String>>> {
    let rows: Vec<(SourceId, String)> = source_names::table
        .filter(source_names::is_alias)
        .order(source_names::name_key.asc())
        .select((source_names::source_id, source_names::name))
        .load(conn)
        .await?;
    let mut out: HashMap<SourceId, Vec<String>> = HashMap::new();
    for (id, name) in rows {
        out.entry(id).or_default().push(name);
    }
    Ok(out)
}

/// Makes `wanted` the source's aliases; returns those another source holds
/// (they are not written). The insert skips a taken key instead of failing,
/// so a race with another writer of the same name is decided by the
/// primary key and reported, never half-applied.
pub(super) async fn replace_aliases(
    conn: &mut AsyncPgConnection,
    source: &Source,
    wanted: &[String],
) -> QueryResult<Vec<String>> {
    diesel::delete(
        source_names::table
            .filter(source_names::source_id.eq(source.id))
            .filter(source_names::is_alias),
    )
    .execute(conn)
    .await?;
    let own = source.name.to_lowercase();
    let mut clashes = Vec::new();
    for alias in wanted.iter().filter(|a| a.to_lowercase() != own) {
        let written = diesel::insert_into(source_names::table)
            .values((
                source_names::name_key.eq(alias.to_lowercase()),
                source_names::source_id.eq(source.id),
                source_names::name.eq(alias),
                source_names::is_alias.eq(true),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
        if written == 0 {
            clashes.push(alias.clone());
        }
    }
    Ok(clashes)
}

/// Adds aliases (seeds): those already taken, by this source or another,
/// are left as they are.
pub async fn add_aliases(
    conn: &mut AsyncPgConnection,
    id: SourceId,
    add: &[String],
) -> QueryResult<()> {
    for alias in add.iter().map(|a| a.trim()).filter(|a| !a.is_empty()) {
        diesel::insert_into(source_names::table)
            .values((
                source_names::name_key.eq(alias.to_lowercase()),
                source_names::source_id.eq(id),
                source_names::name.eq(alias),
                source_names::is_alias.eq(true),
            ))
            .on_conflict_do_nothing()
            .execute(conn)
            .await?;
    }
    Ok(())
}

pub(super) fn refuse_clashes(clashes: &[String]) -> Result<(), WriteError> {
    if clashes.is_empty() {
        return Ok(());
    }
    Err(WriteError::Invalid(FieldErrors::single(
        "aliases",
        format!(
            "Already the name or an alias of another source: {}. Merge the two sources instead.",
            clashes.join(", ")
        ),
    )))
}

/// Replaces the aliases of a source already locked by the caller's
/// transaction; a change bumps its version and is audited.
pub(super) async fn set_aliases(
    conn: &mut AsyncPgConnection,
    source: &Source,
    wanted: &[String],
    actor: Actor,
) -> Result<Source, WriteError> {
    let before = aliases(conn, source.id).await?;
    let mut sorted: Vec<String> = wanted
        .iter()
        .filter(|a| a.to_lowercase() != source.name.to_lowercase())
        .cloned()
        .collect();
    sorted.sort_by_key(|a| a.to_lowercase());
    if sorted == before {
        return Ok(source.clone());
    }
    let clashes = replace_aliases(conn, source, &sorted).await?;
    refuse_clashes(&clashes)?;
    let after: Source = diesel::update(sources::table.find(source.id))
        .set(sources::version.eq(sources::version + 1))
        .returning(Source::as_returning())
        .get_result(conn)
        .await?;
    audit::record(
        conn,
        Entry::new(
            actor.id,
            AuditAction::AliasChange,
            AuditObjectType::Source,
            Some(source.id),
        )
        .before(&serde_json::json!({ "name": &source.name, "aliases": before }))
        .after(&serde_json::json!({ "name": &source.name, "aliases": sorted })),
    )
    .await?;
    Ok(after)
}
