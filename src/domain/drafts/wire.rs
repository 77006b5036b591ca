//! How one input field arrives from either an HTML form (every value a
//! string) or a JSON body (typed values, `null`): the few places where the
//! two differ, so that each resource needs a single input type.

use super::super::figures::{Figure, FigureJson};
use super::super::version::Version;
use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;
use std::fmt;

/// Optional text: a string, or JSON `null` for blank (validation reads a
/// blank value as absent).
pub fn text<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Ok(Option::<String>::deserialize(d)?.unwrap_or_default())
}

/// A JSON boolean, or an HTML checkbox: present (`on`) when ticked.
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    struct Flag;
    impl Visitor<'_> for Flag {
        type Value = bool;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a boolean")
        }
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<bool, E> {
            Ok(v)
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<bool, E> {
            Ok(!v.is_empty() && v != "off")
        }
    }
    d.deserialize_any(Flag)
}

/// Lines of text: one string (a form's textarea) or a JSON list of strings,
/// one a line.
pub fn lines<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lines {
        One(String),
        List(Vec<String>),
    }
    Ok(match Option::<Lines>::deserialize(d)? {
        None => String::new(),
        Some(Lines::One(s)) => s,
        Some(Lines::List(l)) => l.join("\n"),
    })
}

/// Lines that may be left out: absent is `None` (keep what is stored),
/// present (even empty or `null`) is the new full list.
pub fn some_lines<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    lines(d).map(Some)
}

/// The version an edit is based on: a JSON number, or a form's hidden field
/// (a string). A blank or garbled form value is no version rather than an
/// unreadable form, so that the editor gets the 428 page with their input.
pub fn version<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Version>, D::Error> {
    struct Sent;
    impl<'de> Visitor<'de> for Sent {
        type Value = Option<Version>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a version number")
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
            i32::try_from(v)
                .map(|v| Some(Version::new(v)))
                .map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
            i32::try_from(v)
                .map(|v| Some(Version::new(v)))
                .map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Version::parse(v))
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_any(self)
        }
    }
    d.deserialize_any(Sent)
}

/// Figures arrive as typed lines from a form or as a list from JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FiguresInput {
    Lines(String),
    List(Vec<FigureJson>),
}

impl Default for FiguresInput {
    fn default() -> Self {
        FiguresInput::List(Vec::new())
    }
}

/// What the form's textarea shows: the typed lines, or the list one a line.
impl fmt::Display for FiguresInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FiguresInput::Lines(text) => f.write_str(text),
            FiguresInput::List(list) => {
                // A figure that does not hold together shows its label, so
                // the form still says which one to fix.
                let lines: Vec<String> = list
                    .iter()
                    .map(|j| Figure::try_from(j.clone()).map_or(j.label.clone(), |f| f.to_line()))
                    .collect();
                f.write_str(&lines.join("\n"))
            }
        }
    }
}

impl<'de> Deserialize<'de> for FiguresInput {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Figures;
        impl<'de> Visitor<'de> for Figures {
            type Value = FiguresInput;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of figures, or figures one a line")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<FiguresInput, E> {
                Ok(FiguresInput::Lines(v.to_owned()))
            }
            fn visit_unit<E: de::Error>(self) -> Result<FiguresInput, E> {
                Ok(FiguresInput::default())
            }
            // A list is read as figures directly, so a bad one keeps
            // serde's own message (which field, which figure).
            fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<FiguresInput, A::Error> {
                Vec::<FigureJson>::deserialize(de::value::SeqAccessDeserializer::new(seq))
                    .map(FiguresInput::List)
            }
        }
        d.deserialize_any(Figures)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Default, Deserialize)]
    #[serde(default)]
    struct Probe {
        #[serde(deserialize_with = "text")]
        text: String,
        #[serde(deserialize_with = "flag")]
        flag: bool,
        #[serde(deserialize_with = "lines")]
        lines: String,
        #[serde(deserialize_with = "version")]
        version: Option<Version>,
        figures: FiguresInput,
    }

    fn form(s: &str) -> Probe {
        serde_urlencoded::from_str(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    fn json(v: serde_json::Value) -> Result<Probe, serde_json::Error> {
        serde_json::from_value(v)
    }

    #[test]
    fn a_form_and_json_fill_the_same_fields() {
        let f = form("text=a&flag=on&lines=x%0Ay&version=3&figures=826+killed");
        let j = json(serde_json::json!({
            "text": "a", "flag": true, "lines": ["x", "y"], "version": 3,
            "figures": [{ "label": "killed", "min": 826 }]
        }))
        .unwrap_or_default();
        assert_eq!(
            (f.text.as_str(), f.flag, f.lines.as_str()),
            ("a", true, "x\ny")
        );
        assert_eq!(
            (j.text.as_str(), j.flag, j.lines.as_str()),
            ("a", true, "x\ny")
        );
        assert_eq!(
            (f.version, j.version),
            (Some(Version::new(3)), Some(Version::new(3)))
        );
        assert_eq!(f.figures.to_string(), j.figures.to_string());
    }

    #[test]
    fn a_blank_or_garbled_form_version_is_no_version() {
        assert_eq!(form("version=").version, None);
        assert_eq!(form("version=abc").version, None);
        assert_eq!(form("").version, None);
        assert!(!form("flag=off").flag);
    }

    #[test]
    fn json_nulls_are_blank_and_bad_types_are_refused() {
        let j = json(serde_json::json!({ "text": null, "version": null, "figures": null }));
        assert!(j.is_ok_and(|p| p.text.is_empty() && p.version.is_none()));
        assert!(json(serde_json::json!({ "version": 1.5 })).is_err());
        assert!(json(serde_json::json!({ "version": 9_999_999_999_i64 })).is_err());
        let bad_figure = json(serde_json::json!({ "figures": [{ "min": 1 }] }));
        assert!(bad_figure.is_err_and(|e| e.to_string().contains("label")));
    }
}
