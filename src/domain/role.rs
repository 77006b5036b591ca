//! Roles and what each may do. Enforcement happens on the server for every
//! route (see `web::access`); this module only states the rules.

use super::status::TransitionKind;
use serde::{Deserialize, Serialize};

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::UserRole"]
#[DbValueStyle = "snake_case"]
pub enum Role {
    Admin,
    Editor,
    Reporter,
    Viewer,
}

/// What a request needs to be allowed. Ordered from least to most.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not (login page, health, stylesheet).
    Public,
    /// Any signed-in user: reading and exporting.
    Read,
    /// Reporters and up: add stories, sources, claims, evidence; start review.
    Contribute,
    /// Editors and up: verdicts, reopening.
    Edit,
    /// Admins only: users, audit log.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Reporter, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Reporter => "reporter",
            Role::Viewer => "viewer",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Editor => "Editor",
            Role::Reporter => "Reporter",
            Role::Viewer => "Viewer",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }

    pub fn allows(self, access: Access) -> bool {
        match access {
            Access::Public | Access::Read => true,
            Access::Contribute => self != Role::Viewer,
            Access::Edit => matches!(self, Role::Admin | Role::Editor),
            Access::Admin => self == Role::Admin,
        }
    }

    /// Reporters may start or return a review but never give or reopen a verdict.
    pub fn may_transition(self, kind: TransitionKind) -> bool {
        match kind {
            TransitionKind::StartReview | TransitionKind::SendBack => {
                self.allows(Access::Contribute)
            }
            TransitionKind::Verdict | TransitionKind::Reopen => self.allows(Access::Edit),
        }
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn access_ladder() {
        use Access::*;
        let table = [
            (Role::Admin, [true, true, true, true, true]),
            (Role::Editor, [true, true, true, true, false]),
            (Role::Reporter, [true, true, true, false, false]),
            (Role::Viewer, [true, true, false, false, false]),
        ];
        for (role, expected) in table {
            let got = [Public, Read, Contribute, Edit, Admin].map(|a| role.allows(a));
            assert_eq!(got, expected, "{role}");
        }
    }

    #[test]
    fn reporters_cannot_give_or_reopen_verdicts() {
        assert!(Role::Reporter.may_transition(TransitionKind::StartReview));
        assert!(Role::Reporter.may_transition(TransitionKind::SendBack));
        assert!(!Role::Reporter.may_transition(TransitionKind::Verdict));
        assert!(!Role::Reporter.may_transition(TransitionKind::Reopen));
        assert!(Role::Editor.may_transition(TransitionKind::Reopen));
        assert!(!Role::Viewer.may_transition(TransitionKind::StartReview));
    }
}
