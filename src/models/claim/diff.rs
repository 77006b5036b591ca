//! What an edit changed, field by field, for the claim's history.

use super::Claim;
use crate::domain::Figure;

/// Before/after of every field an edit changed, for the history.
pub(super) fn diff(
    before: &Claim,
    before_figures: &[Figure],
    after: &Claim,
    after_figures: &[Figure],
) -> serde_json::Map<String, serde_json::Value> {
    let mut out = serde_json::Map::new();
    let (b, a) = (serde_json::to_value(before), serde_json::to_value(after));
    let (Ok(serde_json::Value::Object(b)), Ok(serde_json::Value::Object(a))) = (b, a) else {
        return out;
    };
    for key in [
        "story_id",
        "source_id",
        "quote",
        "is_paraphrase",
        "summary",
        "claimed_at",
        "claimed_where",
    ] {
        if b.get(key) != a.get(key) {
            out.insert(
                key.into(),
                serde_json::json!({ "from": b.get(key), "to": a.get(key) }),
            );
        }
    }
    if before_figures != after_figures {
        out.insert(
            "figures".into(),
            serde_json::json!({ "from": before_figures, "to": after_figures }),
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ClaimStatus;
    use crate::domain::{ClaimId, SourceId, StoryId};
    use chrono::Utc;
    use uuid::Uuid;

    fn claim(quote: &str) -> Claim {
        Claim {
            id: ClaimId::from_uuid(Uuid::nil()),
            story_id: StoryId::from_uuid(Uuid::nil()),
            source_id: SourceId::from_uuid(Uuid::nil()),
            quote: quote.into(),
            is_paraphrase: false,
            summary: None,
            claimed_at: None,
            claimed_where: None,
            status: ClaimStatus::Unverified,
            created_at: Utc::now(),
            updated_at: Utc::now(),
            version: 1,
            review_url: None,
        }
    }

    #[test]
    fn only_changed_fields_are_listed_with_before_and_after() {
        let figures = [Figure {
            label: "killed".into(),
            unit: None,
            amount: crate::domain::figures::Amount::AtLeast(826),
            as_of: None,
        }];
        let changes = diff(&claim("old"), &figures, &claim("new"), &figures);
        assert_eq!(changes.keys().collect::<Vec<_>>(), ["quote"]);
        assert_eq!(
            changes["quote"],
            serde_json::json!({ "from": "old", "to": "new" })
        );
        assert!(diff(&claim("same"), &figures, &claim("same"), &[]).contains_key("figures"));
        assert!(diff(&claim("same"), &figures, &claim("same"), &figures).is_empty());
    }
}
