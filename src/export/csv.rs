//! CSV: one row per claim, RFC 4180 quoting by the `csv` crate, cells that
//! a spreadsheet would run as a formula neutralised (OWASP CSV injection).

use crate::models::export::ExportClaim;

pub const HEADER: [&str; 17] = [
    "id",
    "story_title",
    "story_url",
    "story_outlet",
    "source_name",
    "source_type",
    "quote",
    "is_paraphrase",
    "summary",
    "status",
    "status_reason",
    "claimed_at",
    "claimed_where",
    "created_at",
    "updated_at",
    "evidence_count",
    "figures",
];

/// Excel's byte-order mark, so it reads UTF-8 (Arabic) correctly.
pub const BOM: &[u8] = b"\xEF\xBB\xBF";

pub use crate::domain::formula::{neutralize, unneutralize};

fn time(t: &Option<chrono::DateTime<chrono::Utc>>) -> String {
    t.map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
        .unwrap_or_default()
}

fn row(c: &ExportClaim) -> [String; 17] {
    [
        c.claim.id.to_string(),
        c.story.title.clone(),
        c.story.url.clone().unwrap_or_default(),
        c.story.outlet.clone(),
        c.source.name.clone(),
        c.source.source_type.as_str().to_owned(),
        c.claim.quote.clone(),
        c.claim.is_paraphrase.to_string(),
        c.claim.summary.clone().unwrap_or_default(),
        c.claim.status.as_str().to_owned(),
        c.status_reason.clone().unwrap_or_default(),
        time(&c.claim.claimed_at),
        c.claim.claimed_where.clone().unwrap_or_default(),
        time(&Some(c.claim.created_at)),
        time(&Some(c.claim.updated_at)),
        c.evidence.len().to_string(),
        figures(&c.figures),
    ]
}

/// As a reader says them ("at least 826 people killed; hundreds of
/// soldiers"), one cell for all of a claim's figures.
fn figures(figures: &[crate::domain::Figure]) -> String {
    let each: Vec<String> = figures
        .iter()
        .map(|f| match f.as_of {
            Some(a) => format!("{} (as of {a})", f.reader_text()),
            None => f.reader_text(),
        })
        .collect();
    each.join("; ")
}

/// Writes a batch (with the header row first when `header`).
pub fn write(batch: &[ExportClaim], header: bool) -> Result<Vec<u8>, ::csv::Error> {
    // RFC 4180 ends records with CRLF.
    let mut w = ::csv::WriterBuilder::new()
        .terminator(::csv::Terminator::CRLF)
        .from_writer(Vec::new());
    if header {
        w.write_record(HEADER)?;
    }
    for c in batch {
        w.write_record(row(c).iter().map(|cell| neutralize(cell)))?;
    }
    w.into_inner()
        .map_err(|e| ::csv::Error::from(e.into_error()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised_and_restored() {
        for cell in [
            "=SUM(A1)", "+1", "-2", "@cmd", "\tx", "\rx", "'=quoted", "''-2",
        ] {
            let n = neutralize(cell);
            assert!(n.starts_with('\''), "{cell:?}");
            assert_eq!(unneutralize(&n), cell);
        }
        for cell in ["plain", "'quoted by the source", "", "دمشق"] {
            assert_eq!(neutralize(cell), cell);
            assert_eq!(unneutralize(cell), cell);
        }
    }
}
