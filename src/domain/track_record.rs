//! A source's track record: how its claims turned out, and the grade that
//! record suggests. Pure arithmetic over counts the database grouped.

use super::grade::Grade;
use super::ids::StoryId;
use super::status::ClaimStatus;
use chrono::NaiveDate;
use serde::Serialize;

/// Verdicts needed before the record suggests anything but F.
pub const MIN_VERDICTS: i64 = 5;
/// Verdicts needed before the record may suggest A.
pub const MIN_VERDICTS_FOR_A: i64 = 20;

/// What the months of `by_month` count from, said in the JSON and on pages.
pub const MONTH_BASIS: &str =
    "month of the claimed date, or of the date the claim was logged when it has none";

/// Claims of one source sharing status, month, story and contested flag.
#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub status: ClaimStatus,
    /// First day of the month.
    pub month: NaiveDate,
    pub story_id: StoryId,
    pub story_title: String,
    pub contested: bool,
    pub count: i64,
}

/// How a status counts in the record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Upheld,
    Refuted,
    Unverifiable,
    Open,
}

fn outcome(s: ClaimStatus) -> Outcome {
    match s {
        ClaimStatus::Verified | ClaimStatus::Corroborated => Outcome::Upheld,
        ClaimStatus::Disputed | ClaimStatus::False => Outcome::Refuted,
        ClaimStatus::Unverifiable => Outcome::Unverifiable,
        ClaimStatus::Unverified | ClaimStatus::InReview => Outcome::Open,
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Tally {
    pub total: i64,
    /// Verified or corroborated.
    pub upheld: i64,
    /// Disputed or false.
    pub refuted: i64,
    pub unverifiable: i64,
    /// Not yet judged: unverified or in review.
    pub open: i64,
}

impl Tally {
    fn add(&mut self, s: ClaimStatus, n: i64) {
        self.total += n;
        match outcome(s) {
            Outcome::Upheld => self.upheld += n,
            Outcome::Refuted => self.refuted += n,
            Outcome::Unverifiable => self.unverifiable += n,
            Outcome::Open => self.open += n,
        }
    }

    /// Verdicts that say something about reliability (unverifiable does not).
    pub fn judged(&self) -> i64 {
        self.upheld + self.refuted
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatusShare {
    pub status: ClaimStatus,
    pub count: i64,
    /// Of all the source's claims; 0 when it has none.
    pub share: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MonthRow {
    /// `YYYY-MM`.
    pub month: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StoryRow {
    pub story_id: StoryId,
    pub title: String,
    #[serde(flatten)]
    pub tally: Tally,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    pub grade: Grade,
    pub why: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrackRecord {
    pub total: i64,
    pub by_status: Vec<StatusShare>,
    pub outcomes: Tally,
    pub month_basis: &'static str,
    /// Oldest first.
    pub by_month: Vec<MonthRow>,
    pub contested: i64,
    pub contested_share: f64,
    /// From logging to the first final status, over the claims that got one.
    pub median_seconds_to_verdict: Option<f64>,
    pub median_time_to_verdict: Option<String>,
    /// Most claims first.
    pub per_story: Vec<StoryRow>,
    pub suggested_grade: Suggestion,
}

fn share(n: i64, of: i64) -> f64 {
    if of == 0 {
        0.0
    } else {
        n as f64 / of as f64
    }
}

/// The record from grouped counts and the median time to verdict.
pub fn compute(groups: &[Group], median_seconds: Option<f64>) -> TrackRecord {
    let mut outcomes = Tally::default();
    let mut months: std::collections::BTreeMap<NaiveDate, Tally> = Default::default();
    let mut stories: Vec<StoryRow> = Vec::new();
    let mut contested = 0;
    for g in groups {
        outcomes.add(g.status, g.count);
        months.entry(g.month).or_default().add(g.status, g.count);
        if g.contested {
            contested += g.count;
        }
        match stories.iter_mut().find(|s| s.story_id == g.story_id) {
            Some(s) => s.tally.add(g.status, g.count),
            None => {
                let mut tally = Tally::default();
                tally.add(g.status, g.count);
                stories.push(StoryRow {
                    story_id: g.story_id,
                    title: g.story_title.clone(),
                    tally,
                });
            }
        }
    }
    stories.sort_by(|a, b| {
        b.tally
            .total
            .cmp(&a.tally.total)
            .then(a.title.cmp(&b.title))
    });
    let total = outcomes.total;
    let by_status = ClaimStatus::ALL
        .into_iter()
        .map(|status| {
            let count = groups
                .iter()
                .filter(|g| g.status == status)
                .map(|g| g.count)
                .sum();
            StatusShare {
                status,
                count,
                share: share(count, total),
            }
        })
        .collect();
    TrackRecord {
        total,
        by_status,
        suggested_grade: suggest(&outcomes),
        outcomes,
        month_basis: MONTH_BASIS,
        by_month: months
            .into_iter()
            .map(|(m, tally)| MonthRow {
                month: m.format("%Y-%m").to_string(),
                tally,
            })
            .collect(),
        contested,
        contested_share: share(contested, total),
        median_seconds_to_verdict: median_seconds,
        median_time_to_verdict: median_seconds.map(duration_words),
        per_story: stories,
    }
}

/// The grade the record points to, with the arithmetic behind it. Only
/// verified/corroborated against disputed/false verdicts count; A needs a
/// long record as well as a near-perfect one.
pub fn suggest(t: &Tally) -> Suggestion {
    let judged = t.judged();
    if judged < MIN_VERDICTS {
        return Suggestion {
            grade: Grade::F,
            why: format!(
                "Only {judged} claim{} judged verified/corroborated or disputed/false; at least {MIN_VERDICTS} are needed to judge reliability.",
                if judged == 1 { "" } else { "s" }
            ),
        };
    }
    let s = share(t.upheld, judged);
    let grade = if s >= 0.95 && judged >= MIN_VERDICTS_FOR_A {
        Grade::A
    } else if s >= 0.8 {
        Grade::B
    } else if s >= 0.6 {
        Grade::C
    } else if s >= 0.4 {
        Grade::D
    } else {
        Grade::E
    };
    Suggestion {
        grade,
        why: format!(
            "{} of {judged} judged claims ({:.0}%) verified or corroborated, {} disputed or false: {} ({}).",
            t.upheld,
            s * 100.0,
            t.refuted,
            grade,
            grade.label().to_lowercase()
        ),
    }
}

/// "3 days 4 h", "5 h 10 min", "45 min": precise enough to compare sources.
pub fn duration_words(seconds: f64) -> String {
    let mins = (seconds.max(0.0) / 60.0).round() as i64;
    let (d, h, m) = (mins / 1440, (mins % 1440) / 60, mins % 60);
    match (d, h) {
        (0, 0) => format!("{m} min"),
        (0, _) => format!("{h} h {m} min"),
        _ => format!("{d} day{} {h} h", if d == 1 { "" } else { "s" }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn g(status: ClaimStatus, month: u32, story: u128, contested: bool, count: i64) -> Group {
        Group {
            status,
            month: NaiveDate::from_ymd_opt(2024, month, 1).unwrap_or_default(),
            story_id: StoryId::from_uuid(uuid::Uuid::from_u128(story)),
            story_title: format!("story {story}"),
            contested,
            count,
        }
    }

    fn tally(upheld: i64, refuted: i64) -> Tally {
        Tally {
            total: upheld + refuted,
            upheld,
            refuted,
            ..Default::default()
        }
    }

    #[test]
    fn counts_shares_months_stories_and_contested() {
        use ClaimStatus::*;
        let r = compute(
            &[
                g(Verified, 11, 1, false, 2),
                g(False, 12, 1, true, 1),
                g(Unverified, 12, 2, true, 1),
            ],
            Some(7200.0),
        );
        assert_eq!(r.total, 4);
        let verified = r.by_status.iter().find(|s| s.status == Verified);
        assert_eq!(verified.map(|s| (s.count, s.share)), Some((2, 0.5)));
        assert_eq!(r.by_status.len(), 7);
        assert_eq!(r.contested, 2);
        assert_eq!(r.contested_share, 0.5);
        let months: Vec<_> = r
            .by_month
            .iter()
            .map(|m| (m.month.as_str(), m.tally.total))
            .collect();
        assert_eq!(months, [("2024-11", 2), ("2024-12", 2)]);
        assert_eq!(r.by_month[1].tally.refuted, 1);
        assert_eq!(r.per_story[0].tally.total, 3);
        assert_eq!(r.per_story[1].tally.open, 1);
        assert_eq!(r.median_time_to_verdict.as_deref(), Some("2 h 0 min"));
        assert_eq!(r.suggested_grade.grade, Grade::F);
    }

    #[test]
    fn an_empty_record_is_all_zeros_and_cannot_be_judged() {
        let r = compute(&[], None);
        assert_eq!((r.total, r.contested_share), (0, 0.0));
        assert!(r.by_month.is_empty());
        assert_eq!(r.suggested_grade.grade, Grade::F);
    }

    #[test]
    fn suggestion_follows_the_share_of_upheld_verdicts() {
        assert_eq!(suggest(&tally(4, 0)).grade, Grade::F);
        assert_eq!(
            suggest(&tally(5, 0)).grade,
            Grade::B,
            "A needs a long record"
        );
        assert_eq!(suggest(&tally(19, 1)).grade, Grade::A);
        assert_eq!(suggest(&tally(8, 2)).grade, Grade::B);
        assert_eq!(suggest(&tally(6, 4)).grade, Grade::C);
        assert_eq!(suggest(&tally(4, 6)).grade, Grade::D);
        assert_eq!(suggest(&tally(1, 9)).grade, Grade::E);
    }

    #[test]
    fn unverifiable_and_open_claims_are_not_evidence() {
        let t = Tally {
            total: 30,
            upheld: 2,
            refuted: 1,
            unverifiable: 20,
            open: 7,
        };
        let s = suggest(&t);
        assert_eq!(s.grade, Grade::F);
        assert!(s.why.contains("Only 3"), "{}", s.why);
    }

    #[test]
    fn the_why_gives_the_arithmetic() {
        let s = suggest(&tally(8, 2));
        assert!(
            s.why.starts_with("8 of 10 judged claims (80%)"),
            "{}",
            s.why
        );
    }

    #[test]
    fn durations_read_as_words() {
        assert_eq!(duration_words(59.0), "1 min");
        assert_eq!(duration_words(3.0 * 3600.0 + 600.0), "3 h 10 min");
        assert_eq!(duration_words(86400.0 * 2.0 + 3600.0), "2 days 1 h");
    }
}
