//! The kind of claimant, which decides how much weight a claim gets.

use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::SourceType"]
#[DbValueStyle = "snake_case"]
pub enum SourceType {
    Government,
    Military,
    ArmedGroup,
    Monitor,
    International,
    ForeignGovernment,
    Media,
    Witness,
    Anonymous,
    Other,
}

impl SourceType {
    pub const ALL: [SourceType; 10] = [
        SourceType::Government,
        SourceType::Military,
        SourceType::ArmedGroup,
        SourceType::Monitor,
        SourceType::International,
        SourceType::ForeignGovernment,
        SourceType::Media,
        SourceType::Witness,
        SourceType::Anonymous,
        SourceType::Other,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceType::Government => "government",
            SourceType::Military => "military",
            SourceType::ArmedGroup => "armed_group",
            SourceType::Monitor => "monitor",
            SourceType::International => "international",
            SourceType::ForeignGovernment => "foreign_government",
            SourceType::Media => "media",
            SourceType::Witness => "witness",
            SourceType::Anonymous => "anonymous",
            SourceType::Other => "other",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            SourceType::Government => "Government",
            SourceType::Military => "Military",
            SourceType::ArmedGroup => "Armed group / rebels",
            SourceType::Monitor => "Monitor / NGO",
            SourceType::International => "UN / international body",
            SourceType::ForeignGovernment => "Foreign government",
            SourceType::Media => "Media",
            SourceType::Witness => "Witness / resident",
            SourceType::Anonymous => "Anonymous / unnamed",
            SourceType::Other => "Other",
        }
    }

    pub fn parse(s: &str) -> Option<SourceType> {
        Self::ALL.into_iter().find(|t| t.as_str() == s.trim())
    }
}

impl std::fmt::Display for SourceType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_every_type() {
        for t in SourceType::ALL {
            assert_eq!(SourceType::parse(t.as_str()), Some(t));
        }
        assert_eq!(SourceType::parse("rebels"), None);
    }
}
