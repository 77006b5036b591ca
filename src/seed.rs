//! Demo data: stories with their sources and claims, in a documented TOML
//! format (see seeds/README.md). Loading is idempotent.

use crate::domain::drafts::{ClaimDraft, SourceDraft, SourceRef, StoryDraft, StoryInput};
use crate::domain::{ClaimStatus, Figure, SourceType};
use crate::models::{claim, source, story, Actor, WriteError};
use chrono::{DateTime, Utc};
use diesel_async::{AsyncConnection, AsyncPgConnection};
use serde::Deserialize;

/// Seed files compiled into the binary, so `serve` works from any directory.
pub const BUILTIN: &[(&str, &str)] = &[(
    "syria-2024-12-07.toml",
    include_str!("../seeds/syria-2024-12-07.toml"),
)];

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SeedFile {
    pub story: StoryInput,
    #[serde(default)]
    pub sources: Vec<SourceSeed>,
    #[serde(default)]
    pub claims: Vec<ClaimSeed>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceSeed {
    pub name: String,
    #[serde(rename = "type")]
    pub source_type: SourceType,
    pub affiliation: Option<String>,
    pub description: Option<String>,
    /// Other names the source goes by; a search finds it by any of them.
    #[serde(default)]
    pub aliases: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimSeed {
    /// Stable within its file: names the claim across reloads and edits of
    /// its wording, and lets other entries (links) refer to it.
    pub key: String,
    pub source: String,
    pub quote: String,
    #[serde(default)]
    pub paraphrase: bool,
    pub summary: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
    #[serde(default = "unverified")]
    pub status: ClaimStatus,
    pub status_reason: Option<String>,
    #[serde(default)]
    pub figures: Vec<Figure>,
}

fn unverified() -> ClaimStatus {
    ClaimStatus::Unverified
}

/// What a load did, for the log and for tests.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SeedReport {
    pub claims_created: usize,
    pub claims_skipped: usize,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("{file}: {message}")]
    Invalid { file: String, message: String },
    #[error("{file}: {source}")]
    Write { file: String, source: WriteError },
}

pub fn parse(file: &str, text: &str) -> Result<SeedFile, SeedError> {
    toml::from_str(text).map_err(|e| SeedError::Invalid {
        file: file.into(),
        message: e.to_string(),
    })
}

/// Loads every built-in seed file in one transaction: all or nothing.
pub async fn load_builtin(conn: &mut AsyncPgConnection) -> Result<SeedReport, SeedError> {
    let files: Vec<(String, SeedFile)> = BUILTIN
        .iter()
        .map(|(name, text)| parse(name, text).map(|f| (name.to_string(), f)))
        .collect::<Result<_, _>>()?;
    conn.transaction::<_, SeedError, _>(async move |conn| {
        let mut total = SeedReport::default();
        for (name, file) in &files {
            let r = load_file(conn, file)
                .await
                .map_err(|e| with_file(name, e))?;
            total.claims_created += r.claims_created;
            total.claims_skipped += r.claims_skipped;
        }
        Ok(total)
    })
    .await
}

fn with_file(file: &str, err: WriteError) -> SeedError {
    SeedError::Write {
        file: file.into(),
        source: err,
    }
}

impl From<diesel::result::Error> for SeedError {
    fn from(e: diesel::result::Error) -> Self {
        SeedError::Write {
            file: "(transaction)".into(),
            source: WriteError::Db(e),
        }
    }
}

fn invalid(errs: crate::domain::FieldErrors) -> WriteError {
    WriteError::Invalid(errs)
}

async fn load_file(
    conn: &mut AsyncPgConnection,
    file: &SeedFile,
) -> Result<SeedReport, WriteError> {
    let draft = StoryDraft::parse(&file.story).map_err(invalid)?;
    let story = match story::find_matching(conn, &draft).await? {
        Some(existing) => existing,
        None => story::create(conn, &draft, Actor::SYSTEM).await?,
    };
    let mut report = SeedReport::default();
    for c in &file.claims {
        let source_id = ensure_source(conn, file, &c.source).await?;
        if load_claim(conn, story.id, source_id, c).await? {
            report.claims_created += 1;
        } else {
            report.claims_skipped += 1;
        }
    }
    Ok(report)
}

async fn ensure_source(
    conn: &mut AsyncPgConnection,
    file: &SeedFile,
    name: &str,
) -> Result<crate::domain::SourceId, WriteError> {
    let seed = file.sources.iter().find(|s| s.name == name);
    if let Some(existing) = source::find_by_name(conn, name).await? {
        // A reload adds aliases the file gained since the source was made.
        if let Some(seed) = seed {
            source::names::add_aliases(conn, existing.id, &seed.aliases).await?;
        }
        return Ok(existing.id);
    }
    let seed = seed.ok_or_else(|| {
        invalid(crate::domain::FieldErrors::single(
            "source",
            format!("no [[sources]] entry named {name:?}"),
        ))
    })?;
    let draft = SourceDraft {
        name: seed.name.clone(),
        source_type: seed.source_type,
        affiliation: seed.affiliation.clone(),
        description: seed.description.clone(),
        aliases: Some(seed.aliases.clone()),
    };
    Ok(source::create(conn, &draft, Actor::SYSTEM).await?.id)
}

/// Creates the claim unless it exists; returns whether it was created.
async fn load_claim(
    conn: &mut AsyncPgConnection,
    story_id: crate::domain::StoryId,
    source_id: crate::domain::SourceId,
    c: &ClaimSeed,
) -> Result<bool, WriteError> {
    let draft = ClaimDraft {
        story_id,
        source: SourceRef::Existing(source_id),
        quote: c.quote.trim().to_owned(),
        is_paraphrase: c.paraphrase,
        summary: c.summary.clone(),
        claimed_at: c.claimed_at,
        claimed_where: c.claimed_where.clone(),
        figures: c.figures.clone(),
    };
    let created = match claim::create(conn, &draft, Actor::SYSTEM).await {
        Ok(created) => created,
        Err(WriteError::Invalid(e)) if e.get("quote").is_some() => return Ok(false),
        Err(e) => return Err(e),
    };
    let reason = c.status_reason.clone().unwrap_or_default();
    claim::walk_to(conn, created.id, c.status, &reason, Actor::SYSTEM).await?;
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_seeds_parse_and_reference_known_sources() {
        for (name, text) in BUILTIN {
            let file = parse(name, text).map_err(|e| e.to_string());
            assert!(file.is_ok(), "{file:?}");
            let Ok(file) = file else { return };
            assert!(file.claims.len() >= 25);
            for c in &file.claims {
                assert!(
                    file.sources.iter().any(|s| s.name == c.source),
                    "unknown source {}",
                    c.source
                );
                assert!(c.status == ClaimStatus::Unverified || c.status_reason.is_some());
            }
            let mut keys: Vec<&str> = file.claims.iter().map(|c| c.key.as_str()).collect();
            keys.sort_unstable();
            keys.dedup();
            assert_eq!(
                keys.len(),
                file.claims.len(),
                "seed claim keys must be unique"
            );
        }
    }
}
