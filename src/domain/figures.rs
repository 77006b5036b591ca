//! Numbers inside a claim, kept as the source meant them: "at least 826
//! killed" is a lower bound, "within 20 km" an upper one, "hundreds" has no
//! number at all. Each figure is per source, with an optional as-of date,
//! so figures can be compared side by side (like with like: same label and
//! unit).

use super::validation::{self as v};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

/// How the source meant its number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::FigureQualifier"]
#[DbValueStyle = "snake_case"]
pub enum Qualifier {
    Exact,
    AtLeast,
    AtMost,
    About,
    Range,
    Vague,
}

impl Qualifier {
    pub fn as_str(self) -> &'static str {
        match self {
            Qualifier::Exact => "exact",
            Qualifier::AtLeast => "at_least",
            Qualifier::AtMost => "at_most",
            Qualifier::About => "about",
            Qualifier::Range => "range",
            Qualifier::Vague => "vague",
        }
    }

    /// For a reader: "at least", "range", "no number".
    pub fn words(self) -> &'static str {
        match self {
            Qualifier::Exact => "exact",
            Qualifier::AtLeast => "at least",
            Qualifier::AtMost => "at most",
            Qualifier::About => "about",
            Qualifier::Range => "range",
            Qualifier::Vague => "no number",
        }
    }
}

/// How much of an as-of date the source gave.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, diesel_derive_enum::DbEnum,
)]
#[serde(rename_all = "snake_case")]
#[ExistingTypePath = "crate::db::schema::sql_types::FigureDatePrecision"]
#[DbValueStyle = "snake_case"]
pub enum DatePrecision {
    Day,
    Month,
}

/// The number(s) a figure needs, and no others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Amount {
    Exact(i64),
    AtLeast(i64),
    AtMost(i64),
    About(i64),
    /// `min < max`.
    Range {
        min: i64,
        max: i64,
    },
    /// The source's own word instead of a number ("hundreds").
    Vague(String),
}

impl Amount {
    pub fn qualifier(&self) -> Qualifier {
        match self {
            Amount::Exact(_) => Qualifier::Exact,
            Amount::AtLeast(_) => Qualifier::AtLeast,
            Amount::AtMost(_) => Qualifier::AtMost,
            Amount::About(_) => Qualifier::About,
            Amount::Range { .. } => Qualifier::Range,
            Amount::Vague(_) => Qualifier::Vague,
        }
    }

    /// The single number of exact, at_least, at_most and about.
    pub fn value(&self) -> Option<i64> {
        match self {
            Amount::Exact(n) | Amount::AtLeast(n) | Amount::AtMost(n) | Amount::About(n) => {
                Some(*n)
            }
            _ => None,
        }
    }

    pub fn bounds(&self) -> Option<(i64, i64)> {
        match self {
            Amount::Range { min, max } => Some((*min, *max)),
            _ => None,
        }
    }

    pub fn word(&self) -> Option<&str> {
        match self {
            Amount::Vague(w) => Some(w),
            _ => None,
        }
    }

    /// Builds the amount a qualifier names from the parts given, refusing
    /// numbers it does not take.
    pub fn from_parts(
        q: Qualifier,
        value: Option<i64>,
        min: Option<i64>,
        max: Option<i64>,
        word: Option<String>,
    ) -> Result<Amount, String> {
        let word = word.filter(|w| !w.trim().is_empty());
        let single = |make: fn(i64) -> Amount| match (value, min, max, &word) {
            (Some(n), None, None, None) => Ok(make(n)),
            _ => Err(format!(
                "an \"{}\" figure takes one `value` (no min, max or word).",
                q.as_str()
            )),
        };
        match q {
            Qualifier::Exact => single(Amount::Exact),
            Qualifier::AtLeast => single(Amount::AtLeast),
            Qualifier::AtMost => single(Amount::AtMost),
            Qualifier::About => single(Amount::About),
            Qualifier::Range => match (value, min, max, &word) {
                (None, Some(min), Some(max), None) => Ok(Amount::Range { min, max }),
                _ => Err("a \"range\" figure takes `min` and `max` (no value or word).".into()),
            },
            Qualifier::Vague => match (value, min, max, word) {
                (None, None, None, Some(w)) => Ok(Amount::Vague(w.trim().to_owned())),
                _ => Err(
                    "a \"vague\" figure takes the source's `word`, e.g. \"hundreds\" (no number)."
                        .into(),
                ),
            },
        }
    }

    /// Without the label: "at least 826", "300–500", "hundreds"; `unit`
    /// follows each number ("within 20 km").
    pub fn text(&self, unit: Option<&str>) -> String {
        let u = |n: i64| match unit {
            Some(u) => format!("{} {u}", group(n)),
            None => group(n),
        };
        match self {
            Amount::Exact(n) => u(*n),
            Amount::AtLeast(n) => format!("at least {}", u(*n)),
            Amount::AtMost(n) if unit.is_some_and(is_distance) => format!("within {}", u(*n)),
            Amount::AtMost(n) => format!("up to {}", u(*n)),
            Amount::About(n) => format!("about {}", u(*n)),
            Amount::Range { min, max } => format!("{}–{}", group(*min), u(*max)),
            Amount::Vague(w) => w.clone(),
        }
    }
}

/// "as of 7 Dec 2024" or "as of Dec 2024".
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsOf {
    /// A month is kept as its first day.
    pub date: NaiveDate,
    pub precision: DatePrecision,
}

impl AsOf {
    pub fn new(date: NaiveDate, precision: DatePrecision) -> AsOf {
        let date = match precision {
            DatePrecision::Day => date,
            DatePrecision::Month => date.with_day(1).unwrap_or(date),
        };
        AsOf { date, precision }
    }

    /// "2024-12-07" or "2024-12", as typed after `@`.
    pub fn to_line(self) -> String {
        match self.precision {
            DatePrecision::Day => self.date.format("%Y-%m-%d").to_string(),
            DatePrecision::Month => self.date.format("%Y-%m").to_string(),
        }
    }

    /// Reads "2024-12-07" (a day) or "2024-12" (a month).
    pub fn parse(s: &str) -> Option<AsOf> {
        let s = s.trim();
        if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
            return Some(AsOf::new(d, DatePrecision::Day));
        }
        NaiveDate::parse_from_str(&format!("{s}-01"), "%Y-%m-%d")
            .ok()
            .filter(|_| s.len() == 7)
            .map(|d| AsOf::new(d, DatePrecision::Month))
    }
}

impl fmt::Display for AsOf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.precision {
            DatePrecision::Day => write!(f, "{}", self.date.format("%-d %b %Y")),
            DatePrecision::Month => write!(f, "{}", self.date.format("%b %Y")),
        }
    }
}

/// One figure of a claim. Read and written as [`FigureJson`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "FigureJson", into = "FigureJson")]
pub struct Figure {
    /// What is counted ("killed", "distance of rebels from Damascus").
    pub label: String,
    /// `None` for a head count (people, items); else "km", "vehicles", …
    pub unit: Option<String>,
    pub amount: Amount,
    pub as_of: Option<AsOf>,
}

/// Units of length: their upper bound reads "within", not "up to".
const DISTANCE_UNITS: &[&str] = &[
    "km",
    "m",
    "mi",
    "miles",
    "mile",
    "kilometres",
    "kilometers",
    "metres",
    "meters",
    "nm",
];

fn is_distance(unit: &str) -> bool {
    DISTANCE_UNITS.contains(&unit.to_lowercase().as_str())
}

impl Figure {
    pub fn qualifier(&self) -> Qualifier {
        self.amount.qualifier()
    }

    /// Every rule a figure must keep, with a message naming the figure.
    pub fn validate(&self) -> Result<(), String> {
        let name = self.label.trim();
        if name.is_empty() {
            return Err("Each figure needs a label (what is counted), e.g. \"826 killed\".".into());
        }
        let named = |m: &str| format!("Figure \"{}\": {m}", shorten(name));
        let text = |s: &str, what: &str| -> Result<(), String> {
            v::plain_text(s).map_err(|e| named(&format!("{what}: {e}")))?;
            if s.chars().count() > v::MAX_NAME {
                return Err(named(&format!(
                    "{what} must be at most {} characters.",
                    v::MAX_NAME
                )));
            }
            Ok(())
        };
        text(&self.label, "the label")?;
        if let Some(u) = &self.unit {
            if u.trim().is_empty() {
                return Err(named("the unit is blank (leave it out for a head count)."));
            }
            text(u, "the unit")?;
        }
        match &self.amount {
            Amount::Range { min, max } if min >= max => {
                return Err(named("a range must run from low to high (min < max)."))
            }
            Amount::Range { min, .. } if *min < 0 => {
                return Err(named("a figure cannot be negative."))
            }
            Amount::Vague(w) if w.trim().is_empty() => {
                return Err(named(
                    "a vague figure needs the source's word, e.g. \"hundreds\".",
                ))
            }
            Amount::Vague(w) => text(w, "the word")?,
            a if a.value().is_some_and(|n| n < 0) => {
                return Err(named("a figure cannot be negative."))
            }
            _ => {}
        }
        Ok(())
    }

    /// As a reader would say it: "at least 826 killed", "about 2,000
    /// troops", "300–500 displaced", "hundreds of soldiers"; with a unit,
    /// what is measured first: "distance from Damascus: within 20 km".
    pub fn reader_text(&self) -> String {
        let amount = self.amount.text(self.unit.as_deref());
        match (&self.unit, &self.amount) {
            (Some(_), _) => format!("{}: {amount}", self.label),
            (None, Amount::Vague(w)) if needs_of(w) => format!("{amount} of {}", self.label),
            (None, _) => format!("{amount} {}", self.label),
        }
    }

    /// The amount alone, for tables that show the label elsewhere.
    pub fn value_text(&self) -> String {
        self.amount.text(self.unit.as_deref())
    }

    /// The one-line form typed into the claim form; [`parse_line`] reads it
    /// back to the same figure.
    pub fn to_line(&self) -> String {
        let unit = self.unit.as_deref().map(line_unit);
        let with_unit = |n: String| match &unit {
            Some(u) => format!("{n} {u}"),
            None => n,
        };
        let amount = match &self.amount {
            Amount::Exact(n) => with_unit(group(*n)),
            Amount::AtLeast(n) => format!("at least {}", with_unit(group(*n))),
            Amount::AtMost(n) if self.unit.as_deref().is_some_and(is_distance) => {
                format!("within {}", with_unit(group(*n)))
            }
            Amount::AtMost(n) => format!("up to {}", with_unit(group(*n))),
            Amount::About(n) => format!("about {}", with_unit(group(*n))),
            Amount::Range { min, max } => with_unit(format!("{}-{}", group(*min), group(*max))),
            Amount::Vague(w) if is_bare_word(w) => format!("{w} of"),
            Amount::Vague(w) => format!("\"{w}\" of"),
        };
        let mut s = format!("{amount} {}", self.label);
        if let Some(a) = self.as_of {
            s.push_str(" @");
            s.push_str(&a.to_line());
        }
        s
    }
}

fn shorten(s: &str) -> String {
    if s.chars().count() <= 40 {
        return s.to_owned();
    }
    let head: String = s.chars().take(40).collect();
    format!("{head}…")
}

/// "hundreds of soldiers", but "many soldiers".
fn needs_of(word: &str) -> bool {
    word.ends_with('s')
}

/// A bare unit is one word of letters; anything else goes in brackets.
fn line_unit(unit: &str) -> String {
    if is_distance(unit) {
        unit.to_owned()
    } else {
        format!("[{unit}]")
    }
}

/// A vague word typed without quotes: letters only, and not a qualifier
/// ("about 2,000" is a number, not the word "about").
fn is_bare_word(s: &str) -> bool {
    !s.is_empty()
        && s.chars().all(char::is_alphabetic)
        && !PREFIXES
            .iter()
            .any(|(p, _)| p.split(' ').next() == Some(&s.to_lowercase()))
}

/// 370000 → "370,000".
pub fn group(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
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

/// The JSON shape of a figure, in the API and in exports: every part
/// present, null where the qualifier does not use it.
///
/// Reading it checks only the types (a missing `label` or a number that is
/// text is refused there); [`Figure::try_from`] checks the rest, so a
/// client gets those messages beside its `figures` field.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FigureJson {
    pub label: String,
    pub unit: Option<String>,
    /// Absent in `claimdesk.export/1`: see [`Figure::try_from`].
    pub qualifier: Option<Qualifier>,
    pub value: Option<i64>,
    pub min: Option<i64>,
    pub max: Option<i64>,
    pub word: Option<String>,
    pub as_of: Option<String>,
    pub as_of_precision: Option<DatePrecision>,
}

impl From<Figure> for FigureJson {
    fn from(f: Figure) -> FigureJson {
        let bounds = f.amount.bounds();
        FigureJson {
            qualifier: Some(f.qualifier()),
            value: f.amount.value(),
            min: bounds.map(|b| b.0),
            max: bounds.map(|b| b.1),
            word: f.amount.word().map(str::to_owned),
            as_of: f.as_of.map(|a| a.date.to_string()),
            as_of_precision: f.as_of.map(|a| a.precision),
            label: f.label,
            unit: f.unit,
        }
    }
}

impl TryFrom<FigureJson> for Figure {
    type Error = String;

    /// Without a `qualifier` (a `claimdesk.export/1` figure, or a terse
    /// client) the numbers say it: `value` or a lone `min` is exact, `min`
    /// and a higher `max` a range, `word` vague.
    fn try_from(j: FigureJson) -> Result<Figure, String> {
        let label = j.label.trim().to_owned();
        let named = |m: String| format!("Figure \"{}\": {m}", shorten(&label));
        let (qualifier, value, min, max) = match j.qualifier {
            Some(q) => (q, j.value, j.min, j.max),
            None => infer(j.value, j.min, j.max, j.word.is_some()),
        };
        let amount = Amount::from_parts(qualifier, value, min, max, j.word).map_err(named)?;
        let as_of = match (j.as_of.as_deref().map(str::trim), j.as_of_precision) {
            (None | Some(""), None) => None,
            (None | Some(""), Some(_)) => {
                return Err(named("as_of_precision needs an as_of date.".into()))
            }
            (Some(s), p) => {
                let a = AsOf::parse(s).ok_or_else(|| {
                    named(format!(
                        "as_of \"{s}\" must be a day (2024-12-07) or a month (2024-12)."
                    ))
                })?;
                Some(AsOf::new(a.date, p.unwrap_or(a.precision)))
            }
        };
        let figure = Figure {
            label,
            unit: j.unit.map(|u| u.trim().to_owned()),
            amount,
            as_of,
        };
        figure.validate()?;
        Ok(figure)
    }
}

fn infer(
    value: Option<i64>,
    min: Option<i64>,
    max: Option<i64>,
    has_word: bool,
) -> (Qualifier, Option<i64>, Option<i64>, Option<i64>) {
    match (value, min, max) {
        (None, Some(a), Some(b)) if a == b => (Qualifier::Exact, Some(a), None, None),
        (None, Some(a), None) => (Qualifier::Exact, Some(a), None, None),
        (None, Some(_), Some(_)) => (Qualifier::Range, None, min, max),
        (None, None, None) if has_word => (Qualifier::Vague, None, None, None),
        _ => (Qualifier::Exact, value, min, max),
    }
}

fn parse_number(s: &str) -> Option<i64> {
    let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
    if cleaned.is_empty() || !cleaned.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    cleaned.parse().ok()
}

/// Words an editor may type before a number, and what they mean.
const PREFIXES: &[(&str, Qualifier)] = &[
    ("at least ", Qualifier::AtLeast),
    ("more than ", Qualifier::AtLeast),
    ("over ", Qualifier::AtLeast),
    ("at most ", Qualifier::AtMost),
    ("up to ", Qualifier::AtMost),
    ("within ", Qualifier::AtMost),
    ("about ", Qualifier::About),
    ("around ", Qualifier::About),
    ("approximately ", Qualifier::About),
    ("some ", Qualifier::About),
    ("~", Qualifier::About),
];

const LINE_HELP: &str = "write e.g. \"826 killed\", \"at least 826 killed\", \
\"within 20 km of Damascus\", \"about 2,000 troops\", \"300-500 displaced\" or \
\"hundreds of soldiers\"";

/// Reads one typed line. The grammar (also the form's hint):
///
/// `[qualifier] NUMBER[-NUMBER] [unit] label [@YYYY-MM-DD | @YYYY-MM]`, or
/// `WORD of label` for a vague amount (`"tens of thousands" of label`
/// when the word has spaces). Qualifiers: "at least" (also "more than",
/// "over"), "at most" / "up to" / "within", "about" (also "around",
/// "approximately", "~"). A unit is a length (km, m, miles…) right after
/// the number, or any word in brackets: `about 50 [vehicles] destroyed`.
pub fn parse_line(line: &str) -> Result<Figure, String> {
    let line = line.trim();
    let bad = |m: String| format!("\"{line}\": {m}");
    let (body, as_of) = match line.rsplit_once(" @") {
        Some((b, d)) => {
            let a = AsOf::parse(d).ok_or_else(|| {
                bad("the date after @ must be a day (2024-12-07) or a month (2024-12).".into())
            })?;
            (b.trim(), Some(a))
        }
        None => (line, None),
    };
    let (amount, unit, label) = parse_body(body).map_err(bad)?;
    let figure = Figure {
        label: label.to_owned(),
        unit,
        amount,
        as_of,
    };
    figure.validate().map_err(bad)?;
    Ok(figure)
}

/// A typed line's amount, unit and label.
type Parsed<'a> = (Amount, Option<String>, &'a str);

fn parse_body(body: &str) -> Result<Parsed<'_>, String> {
    if let Some(vague) = parse_vague(body) {
        return Ok(vague);
    }
    let lower = body.to_lowercase();
    let (qualifier, rest) = PREFIXES
        .iter()
        .find(|(p, _)| lower.starts_with(p))
        .map(|(p, q)| (Some(*q), body[p.len()..].trim_start()))
        .unwrap_or((None, body));
    let (number, rest) = rest
        .split_once(char::is_whitespace)
        .ok_or_else(|| format!("{LINE_HELP}: a number, then what it counts."))?;
    let amount = parse_amount(qualifier, number)?;
    let (unit, label) = split_unit(rest.trim_start())?;
    if label.trim().is_empty() {
        return Err(format!("{LINE_HELP}: say what is counted."));
    }
    Ok((amount, unit, label.trim()))
}

fn parse_amount(qualifier: Option<Qualifier>, number: &str) -> Result<Amount, String> {
    let not_number = || format!("\"{number}\" is not a whole number; {LINE_HELP}.");
    match number.split_once(['-', '–']) {
        Some((a, b)) => {
            if qualifier.is_some() {
                return Err("a range (300-500) takes no \"at least\", \"about\"…".into());
            }
            let (Some(min), Some(max)) = (parse_number(a), parse_number(b)) else {
                return Err(not_number());
            };
            Ok(Amount::Range { min, max })
        }
        None => {
            let n = parse_number(number).ok_or_else(not_number)?;
            Ok(match qualifier {
                None => Amount::Exact(n),
                Some(Qualifier::AtLeast) => Amount::AtLeast(n),
                Some(Qualifier::AtMost) => Amount::AtMost(n),
                _ => Amount::About(n),
            })
        }
    }
}

/// "km of Damascus" → (km, "of Damascus"); "[vehicles] destroyed" →
/// (vehicles, "destroyed"); "killed" → (None, "killed").
fn split_unit(rest: &str) -> Result<(Option<String>, &str), String> {
    if let Some(after) = rest.strip_prefix('[') {
        let (unit, label) = after
            .split_once(']')
            .ok_or("a unit in brackets needs its closing \"]\".")?;
        return Ok((Some(unit.trim().to_owned()), label));
    }
    match rest.split_once(char::is_whitespace) {
        Some((word, label)) if is_distance(word) => Ok((Some(word.to_owned()), label)),
        _ => Ok((None, rest)),
    }
}

/// `hundreds of soldiers`, `"tens of thousands" of people`.
fn parse_vague(body: &str) -> Option<Parsed<'_>> {
    let (word, rest) = if let Some(after) = body.strip_prefix('"') {
        let (w, rest) = after.split_once('"')?;
        (w.trim(), rest.trim_start())
    } else {
        let (w, rest) = body.split_once(char::is_whitespace)?;
        if !is_bare_word(w) {
            return None;
        }
        (w, rest.trim_start())
    };
    let label = rest.strip_prefix("of ")?.trim();
    Some((Amount::Vague(word.to_owned()), None, label))
}

/// One figure per non-blank line; an error names its line.
pub fn parse_lines(text: &str) -> Result<Vec<Figure>, String> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| parse_line(l).map_err(|e| format!("Line {}: {e}", i + 1)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(l: &str) -> Figure {
        match parse_line(l) {
            Ok(f) => f,
            Err(e) => panic!("{l}: {e}"),
        }
    }

    #[test]
    fn every_qualifier_reads_from_a_line() {
        let cases: [(&str, Amount, Option<&str>, &str); 9] = [
            ("826 killed", Amount::Exact(826), None, "killed"),
            ("at least 826 killed", Amount::AtLeast(826), None, "killed"),
            (
                "more than 111 civilians",
                Amount::AtLeast(111),
                None,
                "civilians",
            ),
            (
                "within 20 km of Damascus",
                Amount::AtMost(20),
                Some("km"),
                "of Damascus",
            ),
            ("up to 2,000 troops", Amount::AtMost(2000), None, "troops"),
            ("about 2,000 troops", Amount::About(2000), None, "troops"),
            (
                "~50 [vehicles] destroyed",
                Amount::About(50),
                Some("vehicles"),
                "destroyed",
            ),
            (
                "300-500 displaced",
                Amount::Range { min: 300, max: 500 },
                None,
                "displaced",
            ),
            (
                "hundreds of Syrian soldiers",
                Amount::Vague("hundreds".into()),
                None,
                "Syrian soldiers",
            ),
        ];
        for (l, amount, unit, label) in cases {
            let f = line(l);
            assert_eq!(
                (f.amount, f.unit.as_deref(), f.label.as_str()),
                (amount, unit, label),
                "{l}"
            );
        }
    }

    #[test]
    fn reader_phrasing_per_qualifier() {
        let cases = [
            ("826 killed", "826 killed"),
            ("at least 826 killed", "at least 826 killed"),
            (
                "at most 20 km distance from Damascus",
                "distance from Damascus: within 20 km",
            ),
            ("at most 2000 troops", "up to 2,000 troops"),
            ("about 2000 troops", "about 2,000 troops"),
            ("300-500 displaced", "300–500 displaced"),
            ("hundreds of soldiers", "hundreds of soldiers"),
            ("370000 displaced", "370,000 displaced"),
            ("12-14 [km] front", "front: 12–14 km"),
            ("dozen of x", "dozen x"),
        ];
        for (l, want) in cases {
            assert_eq!(line(l).reader_text(), want, "{l}");
        }
        assert_eq!(line("within 20 km x").value_text(), "within 20 km");
    }

    #[test]
    fn line_form_round_trips() {
        for l in [
            "826 killed",
            "at least 826 killed @2024-12-07",
            "within 20 km distance of rebels from Damascus @2024-12",
            "up to 2,000 troops",
            "about 2,000 troops",
            "about 50 [armoured vehicles] destroyed",
            "300-500 displaced @2024-12-07",
            "hundreds of Syrian soldiers",
            "\"tens of thousands\" of people",
            "\"about\" of x",
        ] {
            assert_eq!(line(l).to_line(), l);
        }
        assert_eq!(line("around 2000 troops").to_line(), "about 2,000 troops");
    }

    #[test]
    fn as_of_keeps_its_precision() {
        let f = line("826 killed @2024-12");
        let a = f
            .as_of
            .map(|a| (a.precision, a.date.to_string(), a.to_string()));
        assert_eq!(
            a,
            Some((DatePrecision::Month, "2024-12-01".into(), "Dec 2024".into()))
        );
        assert_eq!(
            line("1 x @2024-12-07").as_of.map(|a| a.to_string()),
            Some("7 Dec 2024".into())
        );
        assert!(parse_line("1 x @2024-13").is_err());
        assert!(parse_line("1 x @yesterday").is_err());
    }

    #[test]
    fn bad_lines_are_refused_with_reasons() {
        for (l, why) in [
            ("many dead", "number"),
            ("826", "number"),
            ("500-300 displaced", "low to high"),
            ("300-300 displaced", "low to high"),
            ("at least 300-500 x", "range"),
            ("12x killed", "whole number"),
            ("-5 killed", "whole number"),
            ("5 [km killed", "]"),
            ("5 [ ] killed", "blank"),
        ] {
            let e = parse_line(l).err().unwrap_or_default();
            assert!(e.contains(why), "{l}: {e}");
        }
        let e = parse_lines("826 killed\n\nmany dead")
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("Line 3:"), "{e}");
        assert!(parse_line(&format!("3 {}", '\0')).is_err());
        assert!(parse_line(&format!("3 {}", "x".repeat(201))).is_err());
    }

    fn json(v: serde_json::Value) -> Result<Figure, String> {
        serde_json::from_value(v).map_err(|e| e.to_string())
    }

    #[test]
    fn json_has_every_part_and_reads_back() {
        let f = line("within 20 km of Damascus @2024-12-07");
        let v = serde_json::to_value(&f).unwrap_or_default();
        assert_eq!(
            v,
            serde_json::json!({"label": "of Damascus", "unit": "km", "qualifier": "at_most",
                "value": 20, "min": null, "max": null, "word": null,
                "as_of": "2024-12-07", "as_of_precision": "day"})
        );
        assert_eq!(json(v), Ok(f));
        let r = json(serde_json::json!({"label": "x", "qualifier": "range", "min": 3, "max": 5}));
        assert_eq!(r.map(|f| f.amount), Ok(Amount::Range { min: 3, max: 5 }));
        let m = json(
            serde_json::json!({"label": "x", "value": 3, "as_of": "2024-12-09",
            "as_of_precision": "month"}),
        );
        assert_eq!(
            m.ok().and_then(|f| f.as_of).map(|a| a.to_line()),
            Some("2024-12".into())
        );
    }

    #[test]
    fn json_refuses_numbers_the_qualifier_does_not_take() {
        for (v, why) in [
            (
                serde_json::json!({"label": "x", "qualifier": "exact"}),
                "one `value`",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "at_least", "min": 3}),
                "one `value`",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "range", "value": 3}),
                "`min` and `max`",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "range", "min": 5, "max": 3}),
                "low to high",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "vague", "value": 3}),
                "word",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "vague", "word": " "}),
                "word",
            ),
            (serde_json::json!({"label": " ", "value": 3}), "label"),
            (serde_json::json!({"label": "x", "value": -3}), "negative"),
            (
                serde_json::json!({"label": "x", "qualifier": "range", "min": -3, "max": 3}),
                "negative",
            ),
            (
                serde_json::json!({"label": "x", "value": 3, "unit": ""}),
                "unit",
            ),
            (
                serde_json::json!({"label": "x", "value": 3, "as_of": "7/12/2024"}),
                "as_of",
            ),
            (
                serde_json::json!({"label": "x", "value": 3, "as_of_precision": "day"}),
                "as_of",
            ),
            (
                serde_json::json!({"label": "x", "qualifier": "roughly", "value": 3}),
                "variant",
            ),
        ] {
            let e = json(v.clone()).err().unwrap_or_default();
            assert!(e.contains(why), "{v}: {e}");
        }
    }

    #[test]
    fn version_one_figures_become_exact_or_range() {
        let one = json(serde_json::json!({"label": "killed", "min": 826, "as_of": "2024-12-07"}));
        assert_eq!(one.as_ref().map(|f| &f.amount), Ok(&Amount::Exact(826)));
        assert_eq!(
            one.ok().and_then(|f| f.as_of).map(|a| a.precision),
            Some(DatePrecision::Day)
        );
        let range = json(serde_json::json!({"label": "x", "min": 300, "max": 500}));
        assert_eq!(
            range.map(|f| f.amount),
            Ok(Amount::Range { min: 300, max: 500 })
        );
        let same = json(serde_json::json!({"label": "x", "min": 3, "max": 3}));
        assert_eq!(same.map(|f| f.amount), Ok(Amount::Exact(3)));
    }
}
