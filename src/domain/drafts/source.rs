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
    /// Other names, one a line (form) or a list (JSON); absent keeps them.
    #[serde(deserialize_with = "wire::some_lines")]
    pub aliases: Option<String>,
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
    /// `None`: leave the stored aliases as they are.
    pub aliases: Option<Vec<String>>,
}

/// More aliases than anyone needs for one source; keeps a request bounded.
pub const MAX_ALIASES: usize = 50;

/// Aliases as a list: trimmed, blanks dropped, each once (ignoring case),
/// and never the source's own name.
pub fn parse_aliases(text: &str, own_name: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for line in text.lines() {
        let Some(alias) = v::optional(Some(line), v::MAX_NAME)? else {
            continue;
        };
        let key = alias.to_lowercase();
        if key != own_name.to_lowercase() && !out.iter().any(|a| a.to_lowercase() == key) {
            out.push(alias);
        }
    }
    if out.len() > MAX_ALIASES {
        return Err(format!("At most {MAX_ALIASES} aliases."));
    }
    Ok(out)
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
        let aliases = match &input.aliases {
            None => Some(None),
            Some(text) => e
                .take(&f("aliases"), parse_aliases(text, input.name.trim()))
                .map(Some),
        };
        match (name, source_type, affiliation, description, aliases) {
            (
                Some(name),
                Some(source_type),
                Some(affiliation),
                Some(description),
                Some(aliases),
            ) if e.is_empty() => Ok(SourceDraft {
                name,
                source_type,
                affiliation,
                description,
                aliases,
            }),
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

    #[test]
    fn aliases_are_trimmed_deduplicated_and_never_the_own_name() {
        let got = parse_aliases(
            " Abu Mohammed al-Jolani \n\nabu mohammed AL-JOLANI\nAhmed al-Sharaa\nJolani",
            "Ahmed al-Sharaa",
        );
        assert_eq!(
            got,
            Ok(vec![
                "Abu Mohammed al-Jolani".to_owned(),
                "Jolani".to_owned()
            ])
        );
        assert!(parse_aliases("a\u{0}b", "x").is_err());
    }

    #[test]
    fn absent_aliases_keep_the_stored_ones() {
        let input = SourceInput {
            name: "Monitor".into(),
            source_type: "monitor".into(),
            ..Default::default()
        };
        assert_eq!(SourceDraft::parse(&input, "").map(|d| d.aliases), Ok(None));
        let cleared = SourceInput {
            aliases: Some(String::new()),
            ..input
        };
        assert_eq!(
            SourceDraft::parse(&cleared, "").map(|d| d.aliases),
            Ok(Some(vec![]))
        );
    }
}
