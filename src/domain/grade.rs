//! The Admiralty (NATO) source reliability grade, and the combined code
//! with a claim's information credibility ("B2").

use serde::{Deserialize, Serialize};

/// Source reliability: A completely reliable … E unreliable, F cannot be judged.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    diesel_derive_enum::DbEnum,
)]
#[ExistingTypePath = "crate::db::schema::sql_types::SourceGrade"]
#[DbValueStyle = "verbatim"]
pub enum Grade {
    A,
    B,
    C,
    D,
    E,
    F,
}

impl Grade {
    pub const ALL: [Grade; 6] = [Grade::A, Grade::B, Grade::C, Grade::D, Grade::E, Grade::F];

    pub fn as_str(self) -> &'static str {
        match self {
            Grade::A => "A",
            Grade::B => "B",
            Grade::C => "C",
            Grade::D => "D",
            Grade::E => "E",
            Grade::F => "F",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Grade::A => "Completely reliable",
            Grade::B => "Usually reliable",
            Grade::C => "Fairly reliable",
            Grade::D => "Not usually reliable",
            Grade::E => "Unreliable",
            Grade::F => "Reliability cannot be judged",
        }
    }

    /// Exactly one letter A–F, either case; anything else is not a grade.
    pub fn parse(s: &str) -> Option<Grade> {
        let s = s.trim();
        Self::ALL
            .into_iter()
            .find(|g| g.as_str().eq_ignore_ascii_case(s))
    }
}

impl std::fmt::Display for Grade {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The Admiralty code as analysts write it: "B2" with both ratings, "B"
/// with only the source's grade, "–2" with only the claim's credibility
/// (the dash says the source is not graded, so "2" is not read as a grade).
pub fn admiralty_code(grade: Option<Grade>, credibility: Option<i16>) -> String {
    match (grade, credibility.filter(|c| (1..=6).contains(c))) {
        (Some(g), Some(c)) => format!("{g}{c}"),
        (Some(g), None) => g.to_string(),
        (None, Some(c)) => format!("–{c}"),
        (None, None) => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_combine_grade_and_credibility() {
        assert_eq!(admiralty_code(Some(Grade::B), Some(2)), "B2");
        assert_eq!(admiralty_code(Some(Grade::F), Some(6)), "F6");
        assert_eq!(admiralty_code(Some(Grade::B), None), "B");
        assert_eq!(admiralty_code(None, Some(2)), "–2");
        assert_eq!(admiralty_code(None, None), "");
    }

    #[test]
    fn out_of_scale_credibility_is_left_out() {
        assert_eq!(admiralty_code(Some(Grade::C), Some(7)), "C");
        assert_eq!(admiralty_code(None, Some(0)), "");
    }

    #[test]
    fn grades_parse_one_letter_only() {
        assert_eq!(Grade::parse("b"), Some(Grade::B));
        assert_eq!(Grade::parse(" F "), Some(Grade::F));
        for bad in ["", "G", "AB", "1", "A+"] {
            assert_eq!(Grade::parse(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn serialises_as_the_letter() {
        assert_eq!(
            serde_json::to_string(&Grade::C).ok().as_deref(),
            Some("\"C\"")
        );
    }
}
