//! A story's figures side by side: grouped so that only like is compared
//! with like (same label, same unit), and laid out as an SVG chart with one
//! mark per figure. Pure geometry; the page template only draws it.

use super::figures::{Amount, Figure};
use super::ids::ClaimId;

/// One figure as given by one source in one claim.
#[derive(Debug, Clone, PartialEq)]
pub struct SourcedFigure {
    pub claim_id: ClaimId,
    pub source_name: String,
    pub figure: Figure,
}

impl SourcedFigure {
    /// "Syrian Observatory: at least 826 (as of 7 Dec 2024)".
    pub fn description(&self) -> String {
        let f = &self.figure;
        let mut s = format!("{}: {}", self.source_name, f.value_text());
        if let Some(a) = f.as_of {
            s.push_str(&format!(" (as of {a})"));
        }
        s
    }
}

/// Figures that may share an axis: same label (ignoring case and outer
/// spaces) and same unit.
#[derive(Debug, Clone, PartialEq)]
pub struct FigureGroup {
    pub label: String,
    pub unit: Option<String>,
    pub rows: Vec<SourcedFigure>,
}

impl FigureGroup {
    /// "people killed" or "distance of rebels from Damascus (km)".
    pub fn title(&self) -> String {
        match &self.unit {
            Some(u) => format!("{} ({u})", self.label),
            None => self.label.clone(),
        }
    }

    pub fn chart(&self) -> Chart {
        Chart::lay_out(&self.rows)
    }
}

fn key(f: &Figure) -> (String, Option<String>) {
    (
        f.label.trim().to_lowercase(),
        f.unit.as_deref().map(|u| u.trim().to_lowercase()),
    )
}

/// Groups in order of first appearance; rows keep their order.
pub fn group(figures: Vec<SourcedFigure>) -> Vec<FigureGroup> {
    let mut groups: Vec<FigureGroup> = Vec::new();
    for sf in figures {
        let k = key(&sf.figure);
        match groups
            .iter_mut()
            .find(|g| g.rows.first().map(|r| key(&r.figure)) == Some(k.clone()))
        {
            Some(g) => g.rows.push(sf),
            None => groups.push(FigureGroup {
                label: sf.figure.label.clone(),
                unit: sf.figure.unit.clone(),
                rows: vec![sf],
            }),
        }
    }
    groups
}

pub const WIDTH: f64 = 640.0;
const LEFT: f64 = 200.0;
const RIGHT: f64 = 24.0;
const ROW: f64 = 28.0;
const TOP: f64 = 12.0;
const AXIS: f64 = 28.0;
/// "about N" is drawn as a band of ±10 %.
const ABOUT: f64 = 0.1;

/// How a mark is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Point,
    /// Open to the right from `x1`.
    OpenRight,
    /// Open to the left, ending at `x2`.
    OpenLeft,
    Band,
    Interval,
    /// In the "no number" lane.
    Word,
}

/// One figure's mark: a row `y`, and the x positions its shape needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Mark {
    pub shape: Shape,
    pub qualifier: &'static str,
    pub y: f64,
    /// Start and end of a bar or band; for a point both are the value.
    pub x1: f64,
    pub x2: f64,
    /// The value itself (the point of exact and about).
    pub x: f64,
    pub source_name: String,
    pub description: String,
    pub word: String,
}

/// Coordinates for the template, rounded so the SVG stays short.
impl Mark {
    /// The arrowhead of an open bound, pointing the way it is open.
    pub fn arrow(&self) -> String {
        let (tip, back) = match self.shape {
            Shape::OpenLeft => (self.x1, self.x1 + 9.0),
            _ => (self.x2, self.x2 - 9.0),
        };
        let (y, up, down) = (self.y, self.y - 5.0, self.y + 5.0);
        format!("{back},{up} {tip},{y} {back},{down}")
    }

    /// The shaft of an open bound, stopping at its arrowhead.
    pub fn shaft(&self) -> (f64, f64) {
        match self.shape {
            Shape::OpenLeft => (round1(self.x1 + 8.0), self.x2),
            Shape::OpenRight => (self.x1, round1(self.x2 - 8.0)),
            _ => (self.x1, self.x2),
        }
    }

    pub fn width(&self) -> f64 {
        round1(self.x2 - self.x1)
    }

    pub fn diamond(&self) -> String {
        let (x, y) = (self.x, self.y);
        format!(
            "{},{y} {x},{} {},{y} {x},{}",
            x - 6.0,
            y - 6.0,
            x + 6.0,
            y + 6.0
        )
    }

    /// Baseline of the row's text.
    pub fn text_y(&self) -> f64 {
        self.y + 4.0
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Tick {
    pub x: f64,
    pub label: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Chart {
    pub width: f64,
    pub height: f64,
    pub left: f64,
    pub right: f64,
    /// Where the axis line is drawn; marks above it.
    pub axis_y: f64,
    pub ticks: Vec<Tick>,
    pub marks: Vec<Mark>,
    /// Top of the "no number" lane, when there are vague figures.
    pub vague_lane: Option<f64>,
}

/// 0 to a round number above every value.
fn scale_max(figures: &[&Figure]) -> f64 {
    let top = figures
        .iter()
        .filter_map(|f| match f.amount {
            Amount::Range { max, .. } => Some(max as f64),
            Amount::About(n) => Some(n as f64 * (1.0 + ABOUT)),
            _ => f.amount.value().map(|n| n as f64),
        })
        .fold(0.0_f64, f64::max);
    let step = nice_step(top.max(1.0) / 4.0);
    (top / step).floor() * step + step
}

fn nice_step(raw: f64) -> f64 {
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
        .max(1.0)
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

impl Chart {
    pub fn lay_out(rows: &[SourcedFigure]) -> Chart {
        let (numbers, vague): (Vec<&SourcedFigure>, Vec<&SourcedFigure>) = rows
            .iter()
            .partition(|r| !matches!(r.figure.amount, Amount::Vague(_)));
        let figs: Vec<&Figure> = numbers.iter().map(|r| &r.figure).collect();
        let max = scale_max(&figs);
        let right = WIDTH - RIGHT;
        let x = |n: f64| round1(LEFT + (right - LEFT) * n / max);
        let mut marks = Vec::new();
        for (i, r) in numbers.iter().enumerate() {
            let y = TOP + ROW * i as f64 + ROW / 2.0;
            marks.push(number_mark(r, y, &x, right));
        }
        let axis_y = TOP + ROW * numbers.len() as f64 + 4.0;
        let lane_top = axis_y + AXIS;
        for (i, r) in vague.iter().enumerate() {
            let y = lane_top + ROW * i as f64 + ROW / 2.0;
            marks.push(Mark {
                shape: Shape::Word,
                qualifier: "vague",
                y,
                x1: LEFT,
                x2: LEFT,
                x: LEFT + 8.0,
                source_name: r.source_name.clone(),
                description: r.description(),
                word: r.figure.amount.word().unwrap_or_default().to_owned(),
            });
        }
        let ticks = (0..=4)
            .map(|i| {
                let n = max * i as f64 / 4.0;
                Tick {
                    x: x(n),
                    label: super::figures::group(n.round() as i64),
                }
            })
            .collect();
        let vague_lane = (!vague.is_empty()).then_some(lane_top);
        Chart {
            width: WIDTH,
            height: lane_top + ROW * vague.len() as f64 + 4.0,
            left: LEFT,
            right,
            axis_y,
            ticks,
            marks,
            vague_lane,
        }
    }

    /// What the chart shows, for its `<title>`.
    pub fn summary(&self, title: &str) -> String {
        format!(
            "{title}: {} figures from the story's sources",
            self.marks.len()
        )
    }
}

fn number_mark(r: &SourcedFigure, y: f64, x: &impl Fn(f64) -> f64, right: f64) -> Mark {
    let f = &r.figure;
    let (shape, x1, x2, at) = match f.amount {
        Amount::Exact(n) => (Shape::Point, x(n as f64), x(n as f64), x(n as f64)),
        Amount::AtLeast(n) => (Shape::OpenRight, x(n as f64), right, x(n as f64)),
        Amount::AtMost(n) => (Shape::OpenLeft, x(0.0), x(n as f64), x(n as f64)),
        Amount::About(n) => {
            let n = n as f64;
            (
                Shape::Band,
                x(n * (1.0 - ABOUT)),
                x(n * (1.0 + ABOUT)),
                x(n),
            )
        }
        Amount::Range { min, max } => {
            (Shape::Interval, x(min as f64), x(max as f64), x(min as f64))
        }
        Amount::Vague(_) => (Shape::Word, x(0.0), x(0.0), x(0.0)),
    };
    Mark {
        shape,
        qualifier: f.qualifier().as_str(),
        y,
        x1,
        x2,
        x: at,
        source_name: r.source_name.clone(),
        description: r.description(),
        word: String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::figures::parse_line;

    fn sf(source: &str, line: &str) -> SourcedFigure {
        SourcedFigure {
            claim_id: ClaimId::new_v4(),
            source_name: source.into(),
            figure: parse_line(line).unwrap_or_else(|e| panic!("{e}")),
        }
    }

    #[test]
    fn only_the_same_label_and_unit_share_a_group() {
        let groups = group(vec![
            sf("SOHR", "at least 826 people killed"),
            sf("UN", "370000 displaced"),
            sf("AFP", "900 People killed "),
            sf("X", "12 [km] people killed"),
        ]);
        let sizes: Vec<(String, usize)> =
            groups.iter().map(|g| (g.title(), g.rows.len())).collect();
        assert_eq!(
            sizes,
            [
                ("people killed".into(), 2),
                ("displaced".into(), 1),
                ("people killed (km)".into(), 1)
            ]
        );
    }

    #[test]
    fn each_qualifier_gets_its_shape_and_one_mark() {
        let rows = vec![
            sf("a", "100 x"),
            sf("b", "at least 100 x"),
            sf("c", "at most 100 x"),
            sf("d", "about 100 x"),
            sf("e", "50-150 x"),
            sf("f", "hundreds of x"),
        ];
        let chart = Chart::lay_out(&rows);
        let shapes: Vec<Shape> = chart.marks.iter().map(|m| m.shape).collect();
        assert_eq!(
            shapes,
            [
                Shape::Point,
                Shape::OpenRight,
                Shape::OpenLeft,
                Shape::Band,
                Shape::Interval,
                Shape::Word
            ]
        );
        let m = &chart.marks;
        assert_eq!(m[1].x1, m[0].x);
        assert_eq!(m[1].x2, chart.right);
        assert_eq!((m[2].x1, m[2].x2), (chart.left, m[0].x));
        assert!(m[3].x1 < m[3].x && m[3].x < m[3].x2);
        assert!(m[4].x1 < m[0].x && m[0].x < m[4].x2);
        assert!(chart.vague_lane.is_some_and(|lane| m[5].y > lane));
        assert!(m.iter().all(|m| m.x2 <= chart.right && m.x1 >= chart.left));
    }

    #[test]
    fn the_axis_starts_at_zero_and_covers_every_value() {
        let chart = Chart::lay_out(&[sf("a", "826 x"), sf("b", "about 1000 x")]);
        let labels: Vec<&str> = chart.ticks.iter().map(|t| t.label.as_str()).collect();
        assert_eq!(labels.first(), Some(&"0"));
        assert!(chart.ticks.last().is_some_and(|t| t.x == chart.right));
        assert!(chart.marks.iter().all(|m| m.x2 <= chart.right));
        let only_words = Chart::lay_out(&[sf("a", "hundreds of x")]);
        assert_eq!(only_words.marks.len(), 1);
    }
}
