//! Markdown versions of the story and source reports.
//!
//! Every stored value is written through [`esc`] or [`link`], whatever the
//! validation let in at the time it was stored: older rows may hold raw URLs,
//! and any Markdown renderer turns raw `<img …>` into live HTML.

use super::report::{Coverage, TimelineEntry};
use crate::domain::ClaimStatus;
use crate::models::export::ExportClaim;
use crate::models::source::Source;
use crate::models::story::Story;
use std::fmt::Write;

/// Characters that open inline markup somewhere in CommonMark, GitHub or
/// kramdown Markdown (emphasis, code, links, images, tables, strikethrough,
/// math, attribute lists): written with a backslash so they stay literal.
/// Values never start a line except where [`esc_line_start`] handles it, so
/// block markers (`-`, `+`, `1.`) need no escape elsewhere.
const MARKDOWN_PUNCTUATION: &[char] = &[
    '\\', '`', '*', '_', '{', '}', '[', ']', '(', ')', '#', '!', '|', '~', '$',
];

/// Breaks a renderer honours: a value must never start a new line, a new
/// block or a table row.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{0b}' | '\u{0c}' | '\u{85}' | '\u{2028}' | '\u{2029}'
    )
}

/// Markdown-escapes text that came from editors: one line, no markup, no
/// HTML. `<`, `>` and `&` become entities (renderers show them as the
/// characters, never as tags or entity references); other metacharacters get
/// a backslash; every line break and control character becomes a space.
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c if is_line_break(c) || c.is_control() => out.push(' '),
            c if MARKDOWN_PUNCTUATION.contains(&c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out
}

/// A value written at the start of a line: besides [`esc`], nothing that
/// would open a list, a setext heading or an indented code block there.
pub fn esc_line_start(s: &str) -> String {
    let e = esc(s);
    let e = e.trim_start();
    let digits = e.bytes().take_while(u8::is_ascii_digit).count();
    match e.as_bytes().get(digits) {
        Some(b'.' | b')') if digits > 0 => format!("{}\\{}", &e[..digits], &e[digits..]),
        Some(b'-' | b'+' | b'=') if digits == 0 => format!("\\{e}"),
        _ => e.to_owned(),
    }
}

/// A URL as an autolink `<https://…>` when it is an http(s) URL, else as
/// escaped text. The target is the parsed URL's serialisation with every
/// character that could end the autolink or mean something to a renderer
/// (`<`, `>`, spaces, quotes, backslash, controls, non-ASCII) percent-encoded.
pub fn link(raw: &str) -> String {
    match url::Url::parse(raw.trim()) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.host().is_some() => {
            format!("<{}>", percent_encode_unsafe(u.as_str()))
        }
        _ => esc(raw),
    }
}

fn percent_encode_unsafe(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        let safe = b.is_ascii_graphic()
            && !matches!(
                b,
                b'<' | b'>' | b'"' | b'\'' | b'\\' | b'`' | b'{' | b'}' | b'|' | b'^'
            );
        if safe {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

fn counts_line(counts: &[(ClaimStatus, i64)]) -> String {
    counts
        .iter()
        .map(|(s, n)| format!("{}: {n}", s.label()))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// "Showing 5,000 of 5,001 claims", with the full export, when a report is cut.
fn coverage_note(out: &mut String, coverage: &Coverage) {
    if coverage.is_partial() {
        let _ = writeln!(
            out,
            "> **{}** The full list is in the export: {}\n",
            coverage.note(),
            link(&coverage.export_url)
        );
    }
}

fn claim_block(out: &mut String, c: &ExportClaim) {
    let para = if c.claim.is_paraphrase {
        " (paraphrase)"
    } else {
        ""
    };
    let _ = writeln!(
        out,
        "- **{}**{para} — “{}”",
        c.claim.status.label(),
        esc(&c.claim.quote)
    );
    if let Some(r) = &c.status_reason {
        let _ = writeln!(out, "  - Reason: {}", esc(r));
    }
    for f in &c.figures {
        let as_of = f.as_of.map(|a| format!(" (as of {a})")).unwrap_or_default();
        let _ = writeln!(out, "  - Figure: {}{as_of}", esc(&f.reader_text()));
    }
    for e in &c.evidence {
        let _ = writeln!(out, "  - Evidence: {}", link(e));
    }
}

pub fn story_report(
    story: &Story,
    counts: &[(ClaimStatus, i64)],
    groups: &[(Source, Vec<ExportClaim>)],
    timeline: &[TimelineEntry],
    coverage: &Coverage,
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&story.title));
    let mut meta = vec![esc_line_start(&story.outlet)];
    meta.extend(story.dateline.as_deref().map(esc));
    meta.extend(story.published_at.map(|t| t.format("%Y-%m-%d").to_string()));
    meta.extend(story.url.as_deref().map(link));
    let _ = writeln!(
        out,
        "{}\n\n**Claims by status:** {}\n",
        meta.join(" · "),
        counts_line(counts)
    );
    coverage_note(&mut out, coverage);
    for (source, claims) in groups {
        let _ = writeln!(
            out,
            "## {} ({})\n",
            esc(&source.name),
            source.source_type.label()
        );
        for c in claims {
            claim_block(&mut out, c);
        }
        out.push('\n');
    }
    let _ = writeln!(out, "## Timeline of status changes\n");
    for t in timeline {
        let from = t.from.map(|s| s.label()).unwrap_or("—");
        let to = t.to.map(|s| s.label()).unwrap_or("—");
        let who = t
            .actor
            .as_deref()
            .map(esc)
            .unwrap_or_else(|| "system".into());
        let _ = writeln!(
            out,
            "- {} — {} → {} — {} (“{}”) — by {}{}",
            t.at.format("%Y-%m-%d %H:%M UTC"),
            from,
            to,
            esc(&t.source_name),
            esc(&t.claim_excerpt),
            who,
            t.reason
                .as_deref()
                .map(|r| format!(": {}", esc(r)))
                .unwrap_or_default()
        );
    }
    out
}

/// What a source report shows besides its claims.
pub struct SourceFacts<'a> {
    pub source: &'a Source,
    pub aliases: &'a [String],
    pub record: &'a [(ClaimStatus, i64, f64)],
    pub full: &'a crate::domain::track_record::TrackRecord,
}

pub fn source_report(facts: &SourceFacts, claims: &[ExportClaim], coverage: &Coverage) -> String {
    let (source, record) = (facts.source, facts.record);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} ({})\n",
        esc(&source.name),
        source.source_type.label()
    );
    if let Some(a) = &source.affiliation {
        let _ = writeln!(out, "{}\n", esc_line_start(a));
    }
    if !facts.aliases.is_empty() {
        let names: Vec<String> = facts.aliases.iter().map(|a| esc(a)).collect();
        let _ = writeln!(out, "Also known as: {}\n", names.join(", "));
    }
    let _ = match source.grade {
        Some(g) => writeln!(out, "Reliability grade: **{g}** ({})\n", g.label()),
        None => writeln!(out, "Reliability grade: not graded\n"),
    };
    let _ = writeln!(
        out,
        "## Track record\n\n| Verdict | Claims | Share of verdicts |\n|---|---:|---:|"
    );
    for (s, n, share) in record {
        let _ = writeln!(out, "| {} | {n} | {:.0} % |", s.label(), share * 100.0);
    }
    record_details(&mut out, facts.full);
    let _ = writeln!(out, "\n## Claims\n");
    coverage_note(&mut out, coverage);
    for c in claims {
        claim_block(&mut out, c);
        let _ = writeln!(out, "  - Story: {}", esc(&c.story.title));
    }
    out
}

/// Contested share, time to verdict, months and stories of a track record.
fn record_details(out: &mut String, r: &crate::domain::track_record::TrackRecord) {
    let _ = writeln!(
        out,
        "\nContested: {} of {} ({:.0} %). Median time to verdict: {}.\n",
        r.contested,
        r.total,
        r.contested_share * 100.0,
        r.median_time_to_verdict
            .as_deref()
            .unwrap_or("no verdicts yet")
    );
    let _ = writeln!(
        out,
        "Suggested grade from this record: {} ({})\n",
        r.suggested_grade.grade,
        esc(&r.suggested_grade.why)
    );
    let _ = writeln!(
        out,
        "### By month ({})\n\n| Month | Claims | Verified or corroborated | Disputed or false | Unverifiable | Open |\n|---|---:|---:|---:|---:|---:|",
        r.month_basis
    );
    for m in &r.by_month {
        let t = &m.tally;
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            m.month, t.total, t.upheld, t.refuted, t.unverifiable, t.open
        );
    }
    let _ = writeln!(
        out,
        "\n### By story\n\n| Story | Claims | Verified or corroborated | Disputed or false | Unverifiable | Open |\n|---|---:|---:|---:|---:|---:|"
    );
    for s in &r.per_story {
        let t = &s.tally;
        let title = esc(&s.title).replace('|', "\\|");
        let _ = writeln!(
            out,
            "| {title} | {} | {} | {} | {} | {} |",
            t.total, t.upheld, t.refuted, t.unverifiable, t.open
        );
    }
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::{esc, esc_line_start, link};

    const PAYLOAD: &str = "https://example.org/x><img src=x onerror=alert(1)>";

    #[test]
    fn editor_text_cannot_inject_markdown() {
        assert_eq!(
            esc("*bold* [x](javascript:y) <b>"),
            "\\*bold\\* \\[x\\]\\(javascript:y\\) &lt;b&gt;"
        );
    }

    #[test]
    fn no_stored_text_opens_a_tag_or_an_entity() {
        for hostile in [
            PAYLOAD,
            "<script>alert(1)</script>",
            "</textarea><svg/onload=alert(1)>",
            "<!-- comment",
            "&lt;img src=x&gt;",
            "<https://evil.example>",
            "<a href='javascript:alert(1)'>x</a>",
        ] {
            let e = esc(hostile);
            assert!(!e.contains('<') && !e.contains('>'), "{hostile} -> {e}");
            // Every & starts one of the three entities we write.
            let amps = e.matches('&').count();
            let ours =
                e.matches("&lt;").count() + e.matches("&gt;").count() + e.matches("&amp;").count();
            assert_eq!(amps, ours, "{hostile} -> {e}");
        }
    }

    #[test]
    fn no_line_break_of_any_kind_survives() {
        let hostile = "a\nb\rc\r\nd\u{0b}e\u{0c}f\u{85}g\u{2028}h\u{2029}i\u{0}j\u{1b}k\tl";
        assert_eq!(esc(hostile), "a b c  d e f g h i j k l");
        // So a value can never start a heading, a quote or a table row.
        assert_eq!(esc("x\r# y"), "x \\# y");
        assert_eq!(esc("x\u{2028}> y"), "x &gt; y");
        assert_eq!(esc("x\r| a | b |"), "x \\| a \\| b \\|");
    }

    #[test]
    fn values_at_a_line_start_open_no_block() {
        for (raw, want) in [
            ("- item", "\\- item"),
            ("+ item", "\\+ item"),
            ("1. item", "1\\. item"),
            ("2024) item", "2024\\) item"),
            ("=====", "\\====="),
            ("    code", "code"),
            ("\r\n# heading", "\\# heading"),
            ("> quote", "&gt; quote"),
            ("Ministry of Defence", "Ministry of Defence"),
            ("2024 in review", "2024 in review"),
        ] {
            assert_eq!(esc_line_start(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn links_are_percent_encoded_autolinks_or_plain_text() {
        assert_eq!(
            link(PAYLOAD),
            "<https://example.org/x%3E%3Cimg%20src=x%20onerror=alert(1)%3E>"
        );
        assert_eq!(
            link("https://example.org/a?b=1&c=2"),
            "<https://example.org/a?b=1&c=2>"
        );
        for hostile in [
            PAYLOAD,
            "https://example.org/\"><script>alert(1)</script>",
            "https://example.org/a b>c",
            "https://example.org/\u{2028}<img>",
            "https://example.org/?q=`x`'y'\\z",
        ] {
            let l = link(hostile);
            let inner = &l[1..l.len() - 1];
            assert!(l.starts_with("<https://") && l.ends_with('>'), "{l}");
            assert!(
                !inner.contains(['<', '>', ' ', '"', '\'', '`', '\\']) && inner.is_ascii(),
                "{hostile} -> {l}"
            );
        }
        // Not an http(s) URL: no link at all, just escaped text.
        assert_eq!(link("javascript:alert(1)"), "javascript:alert\\(1\\)");
        assert_eq!(link("<img src=x>"), "&lt;img src=x&gt;");
    }
}
