//! schema.org ClaimReview JSON-LD for claims with a verdict. Claims still
//! unverified or in review are never emitted.
//!
//! Rating scale (bestRating 5, worstRating 1):
//! false 1 · disputed 2 · unverifiable 3 · corroborated 4 · verified 5.

use super::Publisher;
use crate::domain::{ClaimStatus, SourceType};
use crate::models::export::ExportClaim;
use serde_json::{json, Value};

/// Google asks for `claimReviewed` under 75 characters.
pub const MAX_CLAIM_REVIEWED: usize = 75;

/// (ratingValue, alternateName) for a verdict; `None` for open statuses.
pub fn rating(status: ClaimStatus) -> Option<(u8, &'static str)> {
    match status {
        ClaimStatus::False => Some((1, "False")),
        ClaimStatus::Disputed => Some((2, "Disputed")),
        ClaimStatus::Unverifiable => Some((3, "Unverifiable")),
        ClaimStatus::Corroborated => Some((4, "Corroborated")),
        ClaimStatus::Verified => Some((5, "Verified")),
        ClaimStatus::Unverified | ClaimStatus::InReview => None,
    }
}

/// Individuals are people; every other kind of claimant is an organisation.
fn author_type(t: SourceType) -> &'static str {
    match t {
        SourceType::Witness | SourceType::Anonymous => "Person",
        _ => "Organization",
    }
}

/// Cuts on a word boundary below `max` characters, with an ellipsis.
pub fn shorten(text: &str, max: usize) -> String {
    let text = text.trim();
    if text.chars().count() < max {
        return text.to_owned();
    }
    crate::domain::text::excerpt(text, max - 2)
}

/// The ClaimReview for one claim, or `None` when it has no verdict.
pub fn review(c: &ExportClaim, p: &Publisher) -> Option<Value> {
    let (value, label) = rating(c.claim.status)?;
    let reviewed = c
        .claim
        .summary
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(&c.claim.quote);
    let url =
        c.claim.review_url.clone().unwrap_or_else(|| {
            format!("{}/claims/{}", p.base_url.trim_end_matches('/'), c.claim.id)
        });
    let mut item = json!({
        "@type": "Claim",
        "author": { "@type": author_type(c.source.source_type), "name": c.source.name },
    });
    if let Some(at) = c.claim.claimed_at {
        item["datePublished"] = json!(at.date_naive().to_string());
    }
    if let Some(u) = &c.story.url {
        item["appearance"] = json!({ "@type": "CreativeWork", "url": u });
        item["firstAppearance"] = json!({ "@type": "CreativeWork", "url": u });
    }
    let mut r = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": shorten(reviewed, MAX_CLAIM_REVIEWED),
        "url": url,
        "author": { "@type": "Organization", "name": p.org_name, "url": p.org_url },
        "reviewRating": {
            "@type": "Rating",
            "ratingValue": value,
            "bestRating": 5,
            "worstRating": 1,
            "alternateName": label,
            "name": label,
        },
        "itemReviewed": item,
    });
    if let Some(at) = c.status_changed_at {
        r["datePublished"] = json!(at.date_naive().to_string());
    }
    Some(r)
}

/// JSON made safe to paste inside `<script type="application/ld+json">`:
/// `<`, `>` and `&` (which could close the element or start markup) and
/// U+2028/U+2029 (line terminators to older JavaScript parsers) are written
/// as `\u` escapes. They can only occur inside JSON strings, so replacing
/// them in the serialised text keeps the JSON equal.
pub fn escape_for_script(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

/// Pretty, script-safe JSON for the claim page.
pub fn script_safe(v: &Value) -> String {
    escape_for_script(&serde_json::to_string_pretty(v).unwrap_or_default())
}

/// Compact, script-safe JSON appended to `out` (the bulk export).
pub fn write_script_safe(out: &mut Vec<u8>, v: &Value) -> serde_json::Result<()> {
    let json = serde_json::to_string(v)?;
    out.extend_from_slice(escape_for_script(&json).as_bytes());
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_verdicts_have_ratings() {
        assert_eq!(rating(ClaimStatus::Unverified), None);
        assert_eq!(rating(ClaimStatus::InReview), None);
        let values: Vec<u8> = [
            ClaimStatus::False,
            ClaimStatus::Disputed,
            ClaimStatus::Unverifiable,
            ClaimStatus::Corroborated,
            ClaimStatus::Verified,
        ]
        .iter()
        .filter_map(|s| rating(*s).map(|r| r.0))
        .collect();
        assert_eq!(values, vec![1, 2, 3, 4, 5]);
    }

    #[test]
    fn long_text_is_shortened_on_a_word() {
        let long = "There is a very strong security and military cordon on the far edges of Damascus and its countryside";
        let s = shorten(long, MAX_CLAIM_REVIEWED);
        assert!(s.chars().count() < MAX_CLAIM_REVIEWED, "{s}");
        assert!(s.ends_with('…'));
        assert!(long.starts_with(s.trim_end_matches('…')));
    }

    #[test]
    fn script_safe_escapes_markup_and_line_separators() {
        let v = json!({
            "q": "</script><b>&amp;\u{2028}\u{2029}",
            "url": "https://example.org/x><img src=x onerror=alert(1)>",
            "list": ["<!--", "]]>"],
        });
        let pretty = script_safe(&v);
        let mut compact = Vec::new();
        assert!(write_script_safe(&mut compact, &v).is_ok());
        let compact = String::from_utf8(compact).unwrap_or_default();
        for s in [&pretty, &compact] {
            assert!(!s.contains(['<', '>', '&', '\u{2028}', '\u{2029}']), "{s}");
            assert!(s.contains("\\u003c/script\\u003e") && s.contains("\\u2028"));
            assert_eq!(serde_json::from_str::<Value>(s).ok().as_ref(), Some(&v));
        }
    }
}
