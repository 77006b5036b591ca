//! Rows, insert/update structs and every diesel query. Models return
//! `QueryResult` or [`WriteError`], never HTTP errors: routes decide statuses.

pub mod audit;
pub mod claim;
pub mod cleanup;
pub mod export;
pub mod history;
pub mod import;
pub mod report;
pub mod session;
pub mod source;
pub mod story;
pub mod story_figures;
pub mod user;

use crate::domain::{FieldErrors, Role, UserId};

/// Who is making a change: recorded in history and the audit trail, and
/// checked where a rule depends on the role. `None` is the system (seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<UserId>,
    pub role: Role,
}

impl Actor {
    pub const SYSTEM: Actor = Actor {
        id: None,
        role: Role::Admin,
    };

    pub fn user(id: UserId, role: Role) -> Self {
        Actor { id: Some(id), role }
    }
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("invalid input")]
    Invalid(FieldErrors),
    /// The actor's role does not allow this change.
    #[error("{0}")]
    Forbidden(String),
    /// The record changed since the editor loaded it.
    #[error("the record was changed by someone else (now at version {current})")]
    Stale { current: i32 },
}
