//! Pure domain rules: types, validation and the verification workflow.
//! Nothing here knows about HTTP or SQL, so every rule is unit-testable.

pub mod actions;
pub mod drafts;
pub mod figure_chart;
pub mod figures;
pub mod formula;
pub mod grade;
pub mod ids;
pub mod import;
pub mod links;
pub mod password;
pub mod role;
pub mod source_type;
pub mod status;
pub mod text;
pub mod track_record;
pub mod validation;
pub mod version;

pub use actions::{AuditAction, AuditObjectType, HistoryAction};
pub use drafts::{
    ClaimDraft, ClaimInput, SourceDraft, SourceInput, StatusChangeInput, StoryDraft, StoryInput,
};
pub use figures::Figure;
pub use grade::{admiralty_code, Grade};
pub use ids::{
    ClaimId, EvidenceId, FigureId, HistoryId, ImportId, LinkId, SourceId, StoryId, TokenId, UserId,
};
pub use links::LinkKind;
pub use role::{Access, Role};
pub use source_type::SourceType;
pub use status::{ClaimStatus, Transition, TransitionError};
pub use validation::FieldErrors;
pub use version::Version;
