//! Numbers inside a claim ("826 killed", "300-500 displaced"), kept per source
//! with an optional as-of date so figures can later be compared side by side.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// One figure: a count, or a min–max range, of something.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Figure {
    pub label: String,
    pub min: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub as_of: Option<NaiveDate>,
}

impl Figure {
    pub fn validate(&self) -> Result<(), String> {
        if self.label.trim().is_empty() {
            return Err("Each figure needs a label, e.g. \"826 killed\".".into());
        }
        super::validation::plain_text(&self.label)?;
        if self.min < 0 || self.max.is_some_and(|m| m < self.min) {
            return Err(format!(
                "Figure \"{}\": a range must run from low to high.",
                self.label
            ));
        }
        Ok(())
    }

    /// The editable one-line form, the inverse of [`parse_line`].
    pub fn to_line(&self) -> String {
        let mut s = match self.max {
            Some(max) => format!("{}-{} {}", self.min, max, self.label),
            None => format!("{} {}", self.min, self.label),
        };
        if let Some(d) = self.as_of {
            s.push_str(&format!(" @{d}"));
        }
        s
    }

    /// For display: "826", "300–500".
    pub fn value_text(&self) -> String {
        match self.max {
            Some(max) => format!("{}–{}", group(self.min), group(max)),
            None => group(self.min),
        }
    }
}

fn group(n: i64) -> String {
    let digits = n.abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 {
        out.insert(0, '-');
    }
    out
}

fn parse_number(s: &str) -> Option<i64> {
    let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
    cleaned.parse().ok()
}

/// Parses "826 killed", "2,000 troops", "300-500 displaced @2024-12-07".
pub fn parse_line(line: &str) -> Result<Figure, String> {
    let line = line.trim();
    let (body, as_of) = match line.rsplit_once(" @") {
        Some((b, d)) => {
            let date = NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
                .map_err(|_| format!("\"{line}\": the date after @ must look like 2024-12-07."))?;
            (b.trim(), Some(date))
        }
        None => (line, None),
    };
    let (value, label) = body.split_once(char::is_whitespace).ok_or_else(|| {
        format!("\"{line}\": write a number then what it counts, e.g. \"826 killed\".")
    })?;
    let (min, max) = match value.split_once(['-', '–']) {
        Some((a, b)) => (parse_number(a), parse_number(b).map(Some)),
        None => (parse_number(value), Some(None)),
    };
    let (Some(min), Some(max)) = (min, max) else {
        return Err(format!(
            "\"{line}\": \"{value}\" is not a whole number or range."
        ));
    };
    let figure = Figure {
        label: label.trim().to_owned(),
        min,
        max,
        as_of,
    };
    figure.validate()?;
    Ok(figure)
}

/// One figure per non-blank line.
pub fn parse_lines(text: &str) -> Result<Vec<Figure>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(parse_line)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_counts_ranges_and_dates() {
        let f = parse_line("2,000 troops").ok();
        assert_eq!(
            f.map(|f| (f.min, f.max, f.label)),
            Some((2000, None, "troops".into()))
        );
        let f = parse_line("300-500 displaced @2024-12-07").ok();
        assert_eq!(f.as_ref().map(|f| (f.min, f.max)), Some((300, Some(500))));
        assert_eq!(
            f.and_then(|f| f.as_of).map(|d| d.to_string()),
            Some("2024-12-07".into())
        );
    }

    #[test]
    fn refuses_words_and_reversed_ranges() {
        assert!(parse_line("hundreds of soldiers").is_err());
        assert!(parse_line("500-300 displaced").is_err());
        assert!(parse_line("826").is_err());
    }

    #[test]
    fn line_form_round_trips() {
        for l in ["826 killed", "300-500 displaced @2024-12-07"] {
            assert_eq!(parse_line(l).map(|f| f.to_line()), Ok(l.to_owned()));
        }
        assert_eq!(
            parse_line("370000 displaced").map(|f| f.value_text()),
            Ok("370,000".into())
        );
    }
}
