//! Verification statuses and the one place where allowed transitions live.

use serde::{Deserialize, Serialize};

/// Where the desk stands on a claim.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::ClaimStatus"]
#[DbValueStyle = "snake_case"]
pub enum ClaimStatus {
    Unverified,
    InReview,
    Verified,
    Corroborated,
    Disputed,
    False,
    Unverifiable,
}

impl ClaimStatus {
    pub const ALL: [ClaimStatus; 7] = [
        ClaimStatus::Unverified,
        ClaimStatus::InReview,
        ClaimStatus::Verified,
        ClaimStatus::Corroborated,
        ClaimStatus::Disputed,
        ClaimStatus::False,
        ClaimStatus::Unverifiable,
    ];

    /// Stable machine name, used in URLs, JSON and CSS classes.
    pub fn as_str(self) -> &'static str {
        match self {
            ClaimStatus::Unverified => "unverified",
            ClaimStatus::InReview => "in_review",
            ClaimStatus::Verified => "verified",
            ClaimStatus::Corroborated => "corroborated",
            ClaimStatus::Disputed => "disputed",
            ClaimStatus::False => "false",
            ClaimStatus::Unverifiable => "unverifiable",
        }
    }

    /// Human label shown in badges (never colour alone).
    pub fn label(self) -> &'static str {
        match self {
            ClaimStatus::Unverified => "Unverified",
            ClaimStatus::InReview => "In review",
            ClaimStatus::Verified => "Verified",
            ClaimStatus::Corroborated => "Corroborated",
            ClaimStatus::Disputed => "Disputed",
            ClaimStatus::False => "False",
            ClaimStatus::Unverifiable => "Unverifiable",
        }
    }

    pub fn parse(s: &str) -> Option<ClaimStatus> {
        Self::ALL.into_iter().find(|st| st.as_str() == s.trim())
    }

    /// A verdict: the desk has concluded, and changing it means reopening.
    pub fn is_final(self) -> bool {
        !matches!(self, ClaimStatus::Unverified | ClaimStatus::InReview)
    }

    /// Statuses this one may move to, in display order.
    pub fn next_statuses(self) -> Vec<ClaimStatus> {
        Self::ALL
            .into_iter()
            .filter(|to| kind(self, *to).is_ok())
            .collect()
    }

    /// The moves from this status that `role` may make.
    pub fn next_statuses_for(self, role: super::Role) -> Vec<ClaimStatus> {
        Self::ALL
            .into_iter()
            .filter(|to| kind(self, *to).is_ok_and(|k| role.may_transition(k)))
            .collect()
    }
}

impl std::fmt::Display for ClaimStatus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What kind of move a permitted transition is; later used for role checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransitionKind {
    /// unverified → in_review
    StartReview,
    /// in_review → unverified
    SendBack,
    /// in_review → a final verdict
    Verdict,
    /// a final verdict → in_review
    Reopen,
}

/// A checked, permitted status change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    pub from: ClaimStatus,
    pub to: ClaimStatus,
    pub kind: TransitionKind,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    #[error("the claim is already {}", .0.label())]
    Unchanged(ClaimStatus),
    #[error("a reason is required for every status change")]
    ReasonRequired,
    #[error("a verdict is reached through review: move the claim to In review first")]
    ReviewFirst,
    #[error("{} is a verdict: reopen it (move it to In review) before changing it", .0.label())]
    ReopenFirst(ClaimStatus),
}

/// The verification workflow. Every status change goes through here.
///
/// unverified → in_review → {verified, corroborated, disputed, false, unverifiable};
/// in_review → unverified sends a claim back; any verdict → in_review reopens it.
/// Whether `from → to` is allowed at all, and what kind of move it is.
pub fn kind(from: ClaimStatus, to: ClaimStatus) -> Result<TransitionKind, TransitionError> {
    use ClaimStatus::*;
    match (from, to) {
        _ if from == to => Err(TransitionError::Unchanged(from)),
        (Unverified, InReview) => Ok(TransitionKind::StartReview),
        (Unverified, _) => Err(TransitionError::ReviewFirst),
        (InReview, Unverified) => Ok(TransitionKind::SendBack),
        (InReview, _) => Ok(TransitionKind::Verdict),
        (_, InReview) => Ok(TransitionKind::Reopen),
        (verdict, _) => Err(TransitionError::ReopenFirst(verdict)),
    }
}

pub fn transition(
    from: ClaimStatus,
    to: ClaimStatus,
    reason: &str,
) -> Result<Transition, TransitionError> {
    let kind = kind(from, to)?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(TransitionError::ReasonRequired);
    }
    Ok(Transition {
        from,
        to,
        kind,
        reason: reason.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::ClaimStatus::*;
    use super::*;

    const VERDICTS: [ClaimStatus; 5] = [Verified, Corroborated, Disputed, False, Unverifiable];

    #[test]
    fn unverified_can_only_go_to_review() {
        assert_eq!(
            transition(Unverified, InReview, "checking").map(|t| t.kind),
            Ok(TransitionKind::StartReview)
        );
        for v in VERDICTS {
            assert_eq!(
                transition(Unverified, v, "r"),
                Err(TransitionError::ReviewFirst)
            );
        }
    }

    #[test]
    fn review_reaches_every_verdict_and_can_send_back() {
        for v in VERDICTS {
            assert_eq!(
                transition(InReview, v, "evidence").map(|t| t.kind),
                Ok(TransitionKind::Verdict)
            );
        }
        assert_eq!(
            transition(InReview, Unverified, "not yet").map(|t| t.kind),
            Ok(TransitionKind::SendBack)
        );
    }

    #[test]
    fn verdicts_only_reopen_to_review() {
        for from in VERDICTS {
            assert_eq!(
                transition(from, InReview, "new evidence").map(|t| t.kind),
                Ok(TransitionKind::Reopen)
            );
            assert_eq!(
                transition(from, Unverified, "r"),
                Err(TransitionError::ReopenFirst(from))
            );
            for to in VERDICTS.into_iter().filter(|to| *to != from) {
                assert_eq!(
                    transition(from, to, "r"),
                    Err(TransitionError::ReopenFirst(from))
                );
            }
        }
    }

    #[test]
    fn same_status_is_refused() {
        for s in ClaimStatus::ALL {
            assert_eq!(transition(s, s, "r"), Err(TransitionError::Unchanged(s)));
        }
    }

    #[test]
    fn blank_reason_is_refused_and_reason_is_trimmed() {
        assert_eq!(
            transition(Unverified, InReview, "  \n"),
            Err(TransitionError::ReasonRequired)
        );
        assert_eq!(
            transition(InReview, False, "  doc  ").map(|t| t.reason),
            Ok("doc".to_owned())
        );
    }

    #[test]
    fn next_statuses_match_the_rules() {
        assert_eq!(Unverified.next_statuses(), vec![InReview]);
        assert_eq!(InReview.next_statuses().len(), 6);
        assert_eq!(False.next_statuses(), vec![InReview]);
        assert_eq!(
            InReview.next_statuses_for(crate::domain::Role::Reporter),
            vec![Unverified]
        );
        assert_eq!(
            False.next_statuses_for(crate::domain::Role::Reporter),
            vec![]
        );
        assert_eq!(
            False.next_statuses_for(crate::domain::Role::Editor),
            vec![InReview]
        );
    }

    #[test]
    fn parse_round_trips_every_status() {
        for s in ClaimStatus::ALL {
            assert_eq!(ClaimStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ClaimStatus::parse("bogus"), None);
    }
}
