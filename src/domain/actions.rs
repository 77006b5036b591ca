//! What a claim's history and the audit trail record: closed sets, stored as
//! PostgreSQL enums. `as_str` is the stored value and what exports, the
//! audit page and its filters show, so those strings never change.

use serde::{Deserialize, Serialize};

/// Declares an enum with its string form, `ALL`, `Display` and `FromStr`.
macro_rules! named_enum {
    ($(#[$meta:meta])* $name:ident { $($variant:ident => $text:literal,)+ }) => {
        $(#[$meta])*
        pub enum $name {
            $($variant,)+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text,)+
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = UnknownName;

            fn from_str(s: &str) -> Result<Self, UnknownName> {
                Self::ALL
                    .iter()
                    .copied()
                    .find(|v| v.as_str() == s)
                    .ok_or(UnknownName)
            }
        }
    };
}

/// A name outside the enum's set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("unknown name")]
pub struct UnknownName;

named_enum! {
    /// The kind of a `claim_history` row; its other columns follow from it
    /// (CHECK constraints `claim_history_*_shape`).
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
    )]
    #[serde(rename_all = "snake_case")]
    #[ExistingTypePath = "crate::db::schema::sql_types::HistoryAction"]
    #[DbValueStyle = "snake_case"]
    HistoryAction {
        Created => "created",
        Edited => "edited",
        StatusChanged => "status_changed",
    }
}

named_enum! {
    /// What an audited request did.
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
    )]
    #[serde(rename_all = "snake_case")]
    #[ExistingTypePath = "crate::db::schema::sql_types::AuditAction"]
    #[DbValueStyle = "snake_case"]
    AuditAction {
        Create => "create",
        Update => "update",
        StatusChange => "status_change",
        ReviewUrl => "review_url",
        Import => "import",
        Login => "login",
        LoginFailed => "login_failed",
        LoginRefused => "login_refused",
        Logout => "logout",
        TokenCreate => "token_create",
        TokenRevoke => "token_revoke",
        UserCreate => "user_create",
        RoleChange => "role_change",
        UserDisable => "user_disable",
        UserEnable => "user_enable",
        PasswordChange => "password_change",
        PasswordReset => "password_reset",
        LinkCreate => "link_create",
        LinkAccept => "link_accept",
        LinkRemove => "link_remove",
        SourceMerge => "source_merge",
        GradeChange => "grade_change",
        AliasChange => "alias_change",
    }
}

named_enum! {
    /// The kind of object an audit row is about.
    #[derive(
        Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
    )]
    #[serde(rename_all = "snake_case")]
    #[ExistingTypePath = "crate::db::schema::sql_types::AuditObjectType"]
    #[DbValueStyle = "snake_case"]
    AuditObjectType {
        Claim => "claim",
        Story => "story",
        Source => "source",
        User => "user",
        ApiToken => "api_token",
        Import => "import",
        ClaimLink => "claim_link",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text, serde and database spellings are one: what `as_str` shows is
    /// what an export writes and what the filter parses.
    fn agree<T>(all: &[T])
    where
        T: Copy + std::fmt::Debug + PartialEq + Serialize + std::str::FromStr + std::fmt::Display,
    {
        for v in all {
            let text = v.to_string();
            assert_eq!(
                serde_json::to_value(v).ok(),
                Some(serde_json::Value::String(text.clone()))
            );
            assert_eq!(text.parse::<T>().ok(), Some(*v));
        }
    }

    #[test]
    fn every_spelling_agrees() {
        agree(HistoryAction::ALL);
        agree(AuditAction::ALL);
        agree(AuditObjectType::ALL);
    }

    #[test]
    fn unknown_names_are_refused() {
        assert_eq!("deleted".parse::<HistoryAction>(), Err(UnknownName));
        assert_eq!("Create".parse::<AuditAction>(), Err(UnknownName));
        assert_eq!(" claim".parse::<AuditObjectType>(), Err(UnknownName));
    }
}
