//! Report assembly: claims grouped by source, the status timeline and a
//! source's track record. Pure functions over exported claims.

use crate::domain::text::excerpt;
use crate::domain::ClaimStatus;
use crate::models::export::ExportClaim;
use crate::models::source::Source;

/// One status change in a report's timeline.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: chrono::DateTime<chrono::Utc>,
    pub claim_excerpt: String,
    pub source_name: String,
    pub from: Option<ClaimStatus>,
    pub to: Option<ClaimStatus>,
    pub reason: Option<String>,
    pub actor: Option<String>,
}

/// Claims grouped by source, sources in order of first appearance.
pub fn by_source(claims: Vec<ExportClaim>) -> Vec<(Source, Vec<ExportClaim>)> {
    let mut groups: Vec<(Source, Vec<ExportClaim>)> = Vec::new();
    for c in claims {
        match groups.iter_mut().find(|(s, _)| s.id == c.source.id) {
            Some((_, list)) => list.push(c),
            None => groups.push((c.source.clone(), vec![c])),
        }
    }
    groups
}

/// Every status change across the claims, oldest first.
pub fn timeline(claims: &[ExportClaim]) -> Vec<TimelineEntry> {
    let mut out: Vec<TimelineEntry> = claims
        .iter()
        .flat_map(|c| {
            c.history
                .iter()
                .flatten()
                .filter(|h| h.row.action == "status_changed")
                .map(move |h| TimelineEntry {
                    at: h.row.created_at,
                    claim_excerpt: excerpt(&c.claim.quote, 80),
                    source_name: c.source.name.clone(),
                    from: h.row.from_status,
                    to: h.row.to_status,
                    reason: h.row.reason.clone(),
                    actor: h.actor_name.clone(),
                })
        })
        .collect();
    out.sort_by_key(|t| t.at);
    out
}

/// Per final status: count and share of all verdicts (a source's track record).
pub fn track_record(claims: &[ExportClaim]) -> Vec<(ClaimStatus, i64, f64)> {
    let finals: Vec<ClaimStatus> = ClaimStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();
    let total = claims.iter().filter(|c| c.claim.status.is_final()).count() as f64;
    finals
        .into_iter()
        .map(|s| {
            let n = claims.iter().filter(|c| c.claim.status == s).count() as i64;
            (s, n, if total > 0.0 { n as f64 / total } else { 0.0 })
        })
        .collect()
}
