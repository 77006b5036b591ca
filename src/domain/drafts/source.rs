//! A source as typed into its form or sent as JSON, and the draft it parses to.

use super::super::source_type::SourceType;
use super::super::validation::{self as v, FieldErrors};
use super::super::version::Version;
use super::wire;
use serde::Deserialize;

/// Source fields as sent by the form or the JSON API (same field names).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SourceInput {
    pub name: String,
    pub source_type: String,
    #[serde(deserialize_with = "wire::text")]
    pub affiliation: String,
    #[serde(deserialize_with = "wire::text")]
    pub description: String,
    /// The version an edit is based on; ignored when creating.
    #[serde(deserialize_with = "wire::version")]
    pub version: Option<Version>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceDraft {
    pub name: String,
    pub source_type: SourceType,
    pub affiliation: Option<String>,
    pub description: Option<String>,
}

impl SourceDraft {
    /// `prefix` lets the embedded "new source" part of the claim form report
    /// errors under its own field names (`new_source_name`, ...).
    pub fn parse(input: &SourceInput, prefix: &str) -> Result<SourceDraft, FieldErrors> {
        let mut e = FieldErrors::new();
        let f = |n: &str| format!("{prefix}{n}");
        let name = e.take(&f("name"), v::required(&input.name, v::MAX_NAME));
        let source_type = e.take(
            &f("source_type"),
            SourceType::parse(&input.source_type).ok_or_else(|| "Choose a source type.".to_owned()),
        );
        let affiliation = e.take(
            &f("affiliation"),
            v::optional(Some(&input.affiliation), v::MAX_NAME),
        );
        let description = e.take(
            &f("description"),
            v::optional(Some(&input.description), v::MAX_TEXT),
        );
        match (name, source_type, affiliation, description) {
            (Some(name), Some(source_type), Some(affiliation), Some(description))
                if e.is_empty() =>
            {
                Ok(SourceDraft {
                    name,
                    source_type,
                    affiliation,
                    description,
                })
            }
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_text_field_refuses_nul() {
        let nul = "a\u{0}b".to_owned();
        let source = SourceInput {
            name: nul.clone(),
            source_type: "witness".into(),
            affiliation: nul.clone(),
            description: nul,
            ..Default::default()
        };
        let errs = SourceDraft::parse(&source, "").err().unwrap_or_default();
        for f in ["name", "affiliation", "description"] {
            assert!(errs.get(f).is_some(), "no error for {f}");
        }
    }
}
