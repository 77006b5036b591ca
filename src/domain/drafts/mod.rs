//! Raw input (from a form or JSON) parsed into drafts that are known valid.
//! "Parse, don't validate": storage only ever sees a `*Draft`. Each resource
//! has one input type that both an HTML form and a JSON body deserialise
//! into, under the same field names; [`wire`] holds the few field shapes
//! where the two differ.

pub mod claim;
pub mod source;
pub mod status;
pub mod story;
pub mod user;
pub mod wire;

pub use claim::{ClaimDraft, ClaimInput, ReviewUrlInput, SourceRef};
pub use source::{SourceDraft, SourceInput};
pub use status::{StatusChange, StatusChangeInput};
pub use story::{StoryDraft, StoryInput};
pub use user::{UserDraft, UserInput};
pub use wire::FiguresInput;
