//! A requested status change, checked against the claim's current status.

use super::super::status::{self, ClaimStatus, Transition};
use super::super::validation::{self as v, FieldErrors};
use super::super::version::Version;
use super::wire;
use serde::Deserialize;

/// A status change as sent by the claim page's form or the JSON API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct StatusChangeInput {
    pub status: String,
    pub reason: String,
    /// Evidence links, one per line (JSON: a list).
    #[serde(deserialize_with = "wire::lines")]
    pub evidence: String,
    /// The claim version the change is based on.
    #[serde(deserialize_with = "wire::version")]
    pub version: Option<Version>,
}

/// A permitted transition plus the evidence that backs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub transition: Transition,
    pub evidence: Vec<String>,
}

impl StatusChangeInput {
    /// Checks the request against the claim's current status.
    pub fn parse(&self, current: ClaimStatus) -> Result<StatusChange, FieldErrors> {
        let mut e = FieldErrors::new();
        let to = e.take(
            "status",
            ClaimStatus::parse(&self.status).ok_or_else(|| "Choose a status.".to_owned()),
        );
        let evidence = e.take("evidence", v::url_lines(&self.evidence));
        if self.reason.chars().count() > v::MAX_TEXT {
            e.add(
                "reason",
                format!("Must be at most {} characters.", v::MAX_TEXT),
            );
        }
        e.take("reason", v::plain_text(&self.reason));
        let transition = to.and_then(|to| {
            status::transition(current, to, &self.reason)
                .map_err(|err| {
                    let field = match err {
                        status::TransitionError::ReasonRequired => "reason",
                        _ => "status",
                    };
                    e.add(field, err.to_string());
                })
                .ok()
        });
        match (transition, evidence) {
            (Some(transition), Some(evidence)) if e.is_empty() => Ok(StatusChange {
                transition,
                evidence,
            }),
            _ => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn change(status: &str, reason: &str, evidence: &str) -> StatusChangeInput {
        StatusChangeInput {
            status: status.into(),
            reason: reason.into(),
            evidence: evidence.into(),
            version: None,
        }
    }

    #[test]
    fn status_change_needs_reason_and_valid_links() {
        let errs = change("in_review", "", "nope")
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("reason").is_some());
        assert!(errs.get("evidence").is_some());
    }

    #[test]
    fn status_change_refused_transition_is_a_status_error() {
        let errs = change("false", "r", "")
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("status").is_some_and(|m| m.contains("review")));
    }

    #[test]
    fn a_reason_with_nul_is_refused() {
        let errs = change("in_review", "a\u{0}b", "")
            .parse(ClaimStatus::Unverified)
            .err()
            .unwrap_or_default();
        assert!(errs.get("reason").is_some());
    }
}
