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
pub mod user;

use crate::domain::{FieldErrors, Role};
use uuid::Uuid;

/// Who is making a change: recorded in history and the audit trail, and
/// checked where a rule depends on the role. `None` is the system (seeds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor {
    pub id: Option<Uuid>,
    pub role: Role,
}

impl Actor {
    pub const SYSTEM: Actor = Actor {
        id: None,
        role: Role::Admin,
    };

    pub fn user(id: Uuid, role: Role) -> Self {
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

impl From<WriteError> for crate::error::AppError {
    fn from(err: WriteError) -> Self {
        use crate::error::AppError;
        match err {
            WriteError::Db(e) => e.into(),
            WriteError::Invalid(f) => AppError::Validation(f),
            WriteError::Forbidden(m) => AppError::Forbidden(m),
            WriteError::Stale { current } => AppError::Conflict(format!(
                "Someone else changed this record while you were editing (it is now at version {current}). Reload to see their change, then reapply yours."
            )),
        }
    }
}

impl From<WriteError> for crate::error::ApiError {
    fn from(err: WriteError) -> Self {
        crate::error::ApiError(err.into())
    }
}
