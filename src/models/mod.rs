//! Rows, insert/update structs and every diesel query. Models return
//! `QueryResult` or [`WriteError`], never HTTP errors: routes decide statuses.

pub mod claim;
pub mod history;
pub mod source;
pub mod story;

use crate::domain::FieldErrors;

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    #[error(transparent)]
    Db(#[from] diesel::result::Error),
    #[error("invalid input")]
    Invalid(FieldErrors),
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
