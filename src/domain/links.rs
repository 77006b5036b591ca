//! Typed links between claims. A link reads from its `from` claim ("A
//! contradicts B"); seen from the other end it reads inversely ("B is
//! contradicted by A").

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::LinkKind"]
#[DbValueStyle = "snake_case"]
pub enum LinkKind {
    Contradicts,
    Corroborates,
    Repeats,
    Updates,
    RespondsTo,
}

impl LinkKind {
    pub const ALL: [LinkKind; 5] = [
        LinkKind::Contradicts,
        LinkKind::Corroborates,
        LinkKind::Repeats,
        LinkKind::Updates,
        LinkKind::RespondsTo,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            LinkKind::Contradicts => "contradicts",
            LinkKind::Corroborates => "corroborates",
            LinkKind::Repeats => "repeats",
            LinkKind::Updates => "updates",
            LinkKind::RespondsTo => "responds_to",
        }
    }

    /// How the link reads from its `from` claim.
    pub fn label(self) -> &'static str {
        match self {
            LinkKind::Contradicts => "contradicts",
            LinkKind::Corroborates => "corroborates",
            LinkKind::Repeats => "repeats",
            LinkKind::Updates => "updates",
            LinkKind::RespondsTo => "responds to",
        }
    }

    /// How the link reads from its `to` claim.
    pub fn inverse_label(self) -> &'static str {
        match self {
            LinkKind::Contradicts => "contradicted by",
            LinkKind::Corroborates => "corroborated by",
            LinkKind::Repeats => "repeated by",
            LinkKind::Updates => "updated by",
            LinkKind::RespondsTo => "responded to by",
        }
    }

    /// Whether "A k B" says the same as "B k A".
    pub fn is_symmetric(self) -> bool {
        matches!(self, LinkKind::Contradicts | LinkKind::Corroborates)
    }
}

impl std::fmt::Display for LinkKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::str::FromStr for LinkKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s.trim())
            .ok_or_else(|| {
                "Choose a link kind: contradicts, corroborates, repeats, updates or responds_to."
                    .to_owned()
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_inverses_differ() {
        for k in LinkKind::ALL {
            assert_eq!(k.as_str().parse::<LinkKind>(), Ok(k));
            assert_ne!(k.label(), k.inverse_label());
        }
        assert!("contradict".parse::<LinkKind>().is_err());
    }
}
