//! Field-level validation shared by HTML forms and the JSON API.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use serde::Serialize;
use std::collections::BTreeMap;

pub const MAX_QUOTE: usize = 10_000;
pub const MAX_NAME: usize = 200;
pub const MAX_TEXT: usize = 2_000;
pub const MAX_URL: usize = 2_000;
/// Story titles: headlines run longer than names.
pub const MAX_TITLE: usize = MAX_NAME * 2;
/// Longest e-mail address (RFC 5321 path limit), in characters.
pub const MAX_EMAIL: usize = 254;
/// The label a person gives an API token.
pub const MAX_TOKEN_NAME: usize = 100;

/// Messages keyed by the form/JSON field they belong to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0
            .entry(field.to_owned())
            .or_insert_with(|| message.into());
    }

    pub fn single(field: &str, message: impl Into<String>) -> Self {
        let mut e = Self::new();
        e.add(field, message);
        e
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&String, &String)> {
        self.0.iter()
    }

    /// Records the error (if any) and hands back the value, so drafts can
    /// collect every field's message in one pass instead of stopping at the first.
    pub fn take<T>(&mut self, field: &str, r: Result<T, String>) -> Option<T> {
        match r {
            Ok(v) => Some(v),
            Err(m) => {
                self.add(field, m);
                None
            }
        }
    }
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Control characters a person cannot type into a text field: NUL (which
/// PostgreSQL refuses outright, answering a 500) and the rest of C0 and DEL.
/// TAB, LF and CR are ordinary text.
fn is_forbidden_control(c: char) -> bool {
    c.is_ascii_control() && !matches!(c, '\t' | '\n' | '\r')
}

pub const CONTROL_MESSAGE: &str =
    "Must not contain control characters (such as NUL); remove them and try again.";

/// The one rule for every stored text field: no NUL or other C0 controls
/// except TAB, LF and CR.
pub fn plain_text(value: &str) -> Result<(), String> {
    if value.chars().any(is_forbidden_control) {
        return Err(CONTROL_MESSAGE.into());
    }
    Ok(())
}

/// Required text, trimmed, with a maximum length in characters (not bytes,
/// so Arabic and emoji get the same allowance as Latin text).
pub fn required(value: &str, max: usize) -> Result<String, String> {
    let v = value.trim();
    if v.is_empty() {
        return Err("This field is required.".into());
    }
    if char_len(v) > max {
        return Err(format!("Must be at most {max} characters."));
    }
    plain_text(v)?;
    Ok(v.to_owned())
}

/// Optional text: blank becomes `None`.
pub fn optional(value: Option<&str>, max: usize) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) if char_len(v) > max => Err(format!("Must be at most {max} characters.")),
        Some(v) => plain_text(v).map(|()| Some(v.to_owned())),
    }
}

/// An absolute http(s) URL; anything else could become a `javascript:` link.
/// Returns the parsed URL's serialisation, never the raw input: there `<`,
/// `>`, `"`, spaces and controls are percent-encoded, so a stored link
/// cannot break out of an attribute, a Markdown link or a JSON-LD script.
pub fn http_url(value: &str) -> Result<String, String> {
    let v = value.trim();
    if char_len(v) > MAX_URL {
        return Err(format!("Must be at most {MAX_URL} characters."));
    }
    match url::Url::parse(v) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => Ok(u.into()),
        _ => Err("Must be a full http:// or https:// address.".into()),
    }
}

pub fn optional_url(value: Option<&str>) -> Result<Option<String>, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => http_url(v).map(Some),
    }
}

/// Accepts RFC 3339, an HTML `datetime-local` value or a plain date; the
/// last two are read as UTC because wire copy rarely gives a zone.
pub fn optional_datetime(value: Option<&str>) -> Result<Option<DateTime<Utc>>, String> {
    let v = match value.map(str::trim) {
        None | Some("") => return Ok(None),
        Some(v) => v,
    };
    if let Ok(dt) = DateTime::parse_from_rfc3339(v) {
        return Ok(Some(dt.with_timezone(&Utc)));
    }
    for fmt in ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"] {
        if let Ok(n) = NaiveDateTime::parse_from_str(v, fmt) {
            return Ok(Some(n.and_utc()));
        }
    }
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|n| Some(n.and_utc()))
        .ok_or_else(|| "Must be a date like 2024-12-07 or 2024-12-07T14:30.".into())
}

/// Evidence links, one per line; every line must be an http(s) URL.
pub fn url_lines(value: &str) -> Result<Vec<String>, String> {
    value
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
        .map(|(i, l)| http_url(l).map_err(|m| format!("Link {}: {m}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn required_trims_and_limits_by_characters() {
        assert_eq!(required("  x ", 5), Ok("x".into()));
        assert!(required("   ", 5).is_err());
        assert_eq!(required("دمشق", 4), Ok("دمشق".into()));
        assert!(required("دمشقx", 4).is_err());
    }

    #[test]
    fn only_http_urls_pass() {
        assert!(http_url("https://example.org/a").is_ok());
        assert!(http_url("javascript:alert(1)").is_err());
        assert!(http_url("ftp://example.org").is_err());
        assert!(http_url("example.org").is_err());
    }

    #[test]
    fn urls_are_stored_in_their_parsed_form() {
        assert_eq!(
            http_url("https://example.org/x><img src=x onerror=alert(1)>"),
            Ok("https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E".into())
        );
        assert_eq!(
            http_url("https://example.org/?q=\"><script>"),
            Ok("https://example.org/?q=%22%3E%3Cscript%3E".into())
        );
        assert_eq!(
            http_url(" HTTPS://Example.ORG "),
            Ok("https://example.org/".into())
        );
        for hostile in [
            "https://exa<mple.org/",
            "javascript://example.org/%0aalert(1)",
        ] {
            assert!(http_url(hostile).is_err(), "{hostile}");
        }
        let stored = http_url("https://example.org/a b\u{0}c\"d'e`f").unwrap_or_default();
        assert!(
            !stored.contains(['<', '>', '"', ' ', '\u{0}', '`']),
            "{stored}"
        );
    }

    #[test]
    fn text_fields_refuse_nul_and_other_controls() {
        for bad in [
            "a\u{0}b",
            "\u{1}",
            "x\u{1b}[31m",
            "bell\u{7}",
            "del\u{7f}",
            "vt\u{b}ff\u{c}",
        ] {
            assert_eq!(required(bad, 100), Err(CONTROL_MESSAGE.into()), "{bad:?}");
            assert_eq!(
                optional(Some(bad), 100),
                Err(CONTROL_MESSAGE.into()),
                "{bad:?}"
            );
        }
        assert_eq!(
            required("tab\tline\r\nend", 100),
            Ok("tab\tline\r\nend".into())
        );
        assert_eq!(optional(Some("دمشق\n"), 100), Ok(Some("دمشق".into())));
    }

    #[test]
    fn datetimes_in_several_shapes() {
        let d = optional_datetime(Some("2024-12-07")).ok().flatten();
        assert_eq!(
            d.map(|d| d.to_rfc3339()),
            Some("2024-12-07T00:00:00+00:00".into())
        );
        assert!(optional_datetime(Some("2024-12-07T10:30")).is_ok());
        assert!(optional_datetime(Some("2024-12-07T10:30:00+02:00")).is_ok());
        assert!(optional_datetime(Some("yesterday")).is_err());
        assert_eq!(optional_datetime(Some(" ")), Ok(None));
    }

    #[test]
    fn url_lines_report_the_bad_line() {
        assert_eq!(
            url_lines("https://a.org\n\nhttp://b.org").map(|v| v.len()),
            Ok(2)
        );
        assert_eq!(
            url_lines("https://a.org\nnope"),
            Err("Link 2: Must be a full http:// or https:// address.".into())
        );
    }
}
