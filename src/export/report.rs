//! Report assembly: claims grouped by source, the status timeline and a
//! source's track record. Pure functions over exported claims.

use crate::domain::text::{excerpt, thousands};
use crate::domain::{ClaimStatus, HistoryAction};
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
            None => groups.push((c.source.source.clone(), vec![c])),
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
                .filter(|h| h.row.action == HistoryAction::StatusChanged)
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

/// Per final status: count and share of all verdicts (a source's track
/// record), from the status counts of every claim, not only those shown.
pub fn track_record(counts: &[(ClaimStatus, i64)]) -> Vec<(ClaimStatus, i64, f64)> {
    let count = |s: ClaimStatus| {
        counts
            .iter()
            .filter(|(c, _)| *c == s)
            .map(|(_, n)| n)
            .sum::<i64>()
    };
    let finals: Vec<ClaimStatus> = ClaimStatus::ALL
        .into_iter()
        .filter(|s| s.is_final())
        .collect();
    let total = finals.iter().map(|s| count(*s)).sum::<i64>() as f64;
    finals
        .into_iter()
        .map(|s| {
            let n = count(s);
            (s, n, if total > 0.0 { n as f64 / total } else { 0.0 })
        })
        .collect()
}

/// How many of the claims a report lists, out of how many there are: a
/// report stops at [`crate::models::report::MAX_CLAIMS`] and must say so.
#[derive(Debug, Clone)]
pub struct Coverage {
    pub shown: usize,
    pub total: i64,
    /// The export that holds every claim of the report, on this site…
    pub export_path: String,
    /// …and as an absolute address, for the Markdown read away from the desk.
    pub export_url: String,
}

impl Coverage {
    /// `filter` is the export's query, e.g. `story=<id>`; `base_url` the
    /// desk's public address.
    pub fn new(shown: usize, counts: &[(ClaimStatus, i64)], filter: &str, base_url: &str) -> Self {
        let export_path = format!("/export?format=csv&{filter}");
        Coverage {
            shown,
            total: counts.iter().map(|(_, n)| n).sum(),
            export_url: format!("{}{export_path}", base_url.trim_end_matches('/')),
            export_path,
        }
    }

    pub fn is_partial(&self) -> bool {
        (self.shown as i64) < self.total
    }

    /// "Showing 5,000 of 5,001 claims."
    pub fn note(&self) -> String {
        format!(
            "Showing {} of {} claims.",
            thousands(self.shown as i64),
            thousands(self.total)
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn track_record_counts_every_claim() {
        let counts = [
            (ClaimStatus::False, 6000),
            (ClaimStatus::Verified, 2000),
            (ClaimStatus::Unverified, 7),
        ];
        let r = track_record(&counts);
        assert_eq!(r.len(), 5);
        assert_eq!(r[0].0, ClaimStatus::Verified);
        assert_eq!((r[0].1, r[0].2), (2000, 0.25));
        let f = r.iter().find(|x| x.0 == ClaimStatus::False).map(|x| x.1);
        assert_eq!(f, Some(6000));
    }

    #[test]
    fn coverage_says_what_is_left_out() {
        let c = Coverage::new(
            5000,
            &[(ClaimStatus::Unverified, 5001)],
            "story=1",
            "http://d/",
        );
        assert!(c.is_partial());
        assert_eq!(c.note(), "Showing 5,000 of 5,001 claims.");
        assert_eq!(c.export_path, "/export?format=csv&story=1");
        assert_eq!(c.export_url, "http://d/export?format=csv&story=1");
        let c = Coverage::new(3, &[(ClaimStatus::Unverified, 3)], "story=1", "http://d");
        assert!(!c.is_partial());
    }
}
