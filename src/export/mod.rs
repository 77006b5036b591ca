//! Writers for what the desk hands on: CSV and JSON for data desks,
//! ClaimReview JSON-LD for publishing, Markdown reports. Pure functions over
//! [`ExportClaim`](crate::models::export::ExportClaim) batches; no HTTP, no SQL.

pub mod claimreview;
pub mod csv;
pub mod driver;
pub mod json;
pub mod markdown;
pub mod report;

/// Formats a download can take (also `claimdesk export --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    #[value(name = "claimreview")]
    ClaimReview,
}

impl Format {
    pub fn parse(s: &str) -> Option<Format> {
        match s {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" => Some(Format::Ndjson),
            "claimreview" => Some(Format::ClaimReview),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json",
            Format::Ndjson => "application/x-ndjson",
            Format::ClaimReview => "application/ld+json",
        }
    }

    pub fn file_name(self) -> &'static str {
        match self {
            Format::Csv => "claims.csv",
            Format::Json => "claims.json",
            Format::Ndjson => "claims.ndjson",
            Format::ClaimReview => "claimreview.jsonld",
        }
    }

    /// Nested formats carry the full status history.
    pub fn needs_history(self) -> bool {
        matches!(self, Format::Json | Format::Ndjson)
    }
}

/// Where and as whom fact-checks are published (for ClaimReview).
#[derive(Debug, Clone)]
pub struct Publisher {
    pub base_url: String,
    pub org_name: String,
    pub org_url: String,
}
