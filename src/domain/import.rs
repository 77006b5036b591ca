//! Reading a spreadsheet of claims: the export's columns, in any order.
//! Every row is checked before anything is written; bad rows are reported
//! with their line number and reason.

use super::drafts::{SourceDraft, SourceInput, StoryDraft, StoryInput};
use super::status::ClaimStatus;
use super::validation as v;
use chrono::{DateTime, Utc};
use std::collections::HashMap;

/// Columns an import must have (by name, any order).
pub const REQUIRED: [&str; 4] = ["story_title", "source_name", "source_type", "quote"];

/// A valid row, ready to be matched against the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Line in the file (the header is line 1).
    pub line: u64,
    pub story: StoryDraft,
    pub source: SourceDraft,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub status: ClaimStatus,
    pub status_reason: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
}

/// Parses the whole file; a file that is not CSV at all is one error.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .from_reader(text.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| format!("The first line must name the columns: {e}"))?
        .iter()
        .map(|h| h.trim().to_lowercase())
        .collect();
    let missing: Vec<&str> = REQUIRED
        .iter()
        .copied()
        .filter(|r| !headers.iter().any(|h| h == r))
        .collect();
    if !missing.is_empty() {
        return Err(format!("Missing column(s): {}.", missing.join(", ")));
    }
    let mut out = Parsed::default();
    for record in reader.records() {
        match record {
            Ok(r) => {
                let line = r.position().map(|p| p.line()).unwrap_or(0);
                let cells: HashMap<&str, &str> = headers
                    .iter()
                    .map(String::as_str)
                    .zip(r.iter().map(super::formula::unneutralize))
                    .collect();
                if cells.values().all(|c| c.trim().is_empty()) {
                    continue;
                }
                match row(line, &cells) {
                    Ok(row) => out.rows.push(row),
                    Err(reason) => out.errors.push(RowError { line, reason }),
                }
            }
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.errors.push(RowError {
                    line,
                    reason: format!("Unreadable row: {e}"),
                });
            }
        }
    }
    Ok(out)
}

fn cell<'a>(cells: &HashMap<&str, &'a str>, name: &str) -> Option<&'a str> {
    cells
        .get(name)
        .copied()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn first_error(errs: super::FieldErrors) -> String {
    errs.iter()
        .next()
        .map(|(f, m)| format!("{f}: {m}"))
        .unwrap_or_default()
}

fn row(line: u64, cells: &HashMap<&str, &str>) -> Result<ImportRow, String> {
    let story = StoryDraft::parse(&StoryInput {
        title: cell(cells, "story_title").unwrap_or_default().to_owned(),
        outlet: cell(cells, "story_outlet")
            .unwrap_or("Unknown outlet")
            .to_owned(),
        url: cell(cells, "story_url").map(str::to_owned),
        ..Default::default()
    })
    .map_err(|e| format!("story {}", first_error(e)))?;
    let source = SourceDraft::parse(
        &SourceInput {
            name: cell(cells, "source_name").unwrap_or_default().to_owned(),
            source_type: cell(cells, "source_type").unwrap_or_default().to_owned(),
            ..Default::default()
        },
        "source_",
    )
    .map_err(first_error)?;
    let quote = v::required(
        cells.get("quote").copied().unwrap_or_default(),
        v::MAX_QUOTE,
    )
    .map_err(|m| format!("quote: {m}"))?;
    let status = match cell(cells, "status") {
        None => ClaimStatus::Unverified,
        Some(s) => ClaimStatus::parse(s).ok_or_else(|| format!("status: unknown status {s:?}"))?,
    };
    let status_reason = v::optional(cell(cells, "status_reason"), v::MAX_TEXT)
        .map_err(|m| format!("status_reason: {m}"))?;
    if status != ClaimStatus::Unverified && status_reason.is_none() {
        return Err(format!(
            "status_reason: a reason is required for status {}",
            status.as_str()
        ));
    }
    let is_paraphrase = match cell(cells, "is_paraphrase")
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("false" | "no" | "0") => false,
        Some("true" | "yes" | "1") => true,
        Some(other) => return Err(format!("is_paraphrase: {other:?} is not true or false")),
    };
    Ok(ImportRow {
        line,
        story,
        source,
        quote,
        is_paraphrase,
        summary: v::optional(cell(cells, "summary"), v::MAX_TEXT)
            .map_err(|m| format!("summary: {m}"))?,
        status,
        status_reason,
        claimed_at: v::optional_datetime(cell(cells, "claimed_at"))
            .map_err(|m| format!("claimed_at: {m}"))?,
        claimed_where: v::optional(cell(cells, "claimed_where"), v::MAX_NAME)
            .map_err(|m| format!("claimed_where: {m}"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_and_errors_by_line() {
        let text = "quote,source_type,source_name,story_title,status,status_reason\n\
                    \"Damascus, awaits\",armed_group,Ahmed al-Sharaa,Syria story,,\n\
                    x,bogus,Someone,Syria story,,\n\
                    '=1+1,witness,Rania,Syria story,false,\n";
        let p = parse(text).unwrap_or_default();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].quote, "Damascus, awaits");
        assert_eq!(
            p.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(p.errors[1].reason.contains("reason"));
    }

    #[test]
    fn missing_columns_refuse_the_file() {
        assert!(parse("quote,source_name\nx,y\n").is_err_and(|e| e.contains("source_type")));
    }

    #[test]
    fn neutralised_cells_are_restored() {
        let text = "story_title,source_name,source_type,quote\nS,N,media,'=SUM(A1)\n";
        let p = parse(text).unwrap_or_default();
        assert_eq!(p.rows.first().map(|r| r.quote.as_str()), Some("=SUM(A1)"));
    }
}
