//! Markdown versions of the story and source reports.

use super::report::TimelineEntry;
use crate::domain::ClaimStatus;
use crate::models::export::ExportClaim;
use crate::models::source::Source;
use crate::models::story::Story;
use std::fmt::Write;

/// Markdown-escapes text that came from editors.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(
            c,
            '\\' | '`' | '*' | '_' | '[' | ']' | '<' | '>' | '#' | '|'
        ) {
            out.push('\\');
        }
        out.push(if c == '\n' { ' ' } else { c });
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
    for e in &c.evidence {
        let _ = writeln!(out, "  - Evidence: <{e}>");
    }
}

pub fn story_report(
    story: &Story,
    counts: &[(ClaimStatus, i64)],
    groups: &[(Source, Vec<ExportClaim>)],
    timeline: &[TimelineEntry],
) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# {}\n", esc(&story.title));
    let mut meta = vec![esc(&story.outlet)];
    meta.extend(story.dateline.as_deref().map(esc));
    meta.extend(story.published_at.map(|t| t.format("%Y-%m-%d").to_string()));
    meta.extend(story.url.as_ref().map(|u| format!("<{u}>")));
    let _ = writeln!(
        out,
        "{}\n\n**Claims by status:** {}\n",
        meta.join(" · "),
        counts_line(counts)
    );
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

pub fn source_report(
    source: &Source,
    record: &[(ClaimStatus, i64, f64)],
    claims: &[ExportClaim],
) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} ({})\n",
        esc(&source.name),
        source.source_type.label()
    );
    if let Some(a) = &source.affiliation {
        let _ = writeln!(out, "{}\n", esc(a));
    }
    let _ = writeln!(
        out,
        "## Track record\n\n| Verdict | Claims | Share of verdicts |\n|---|---:|---:|"
    );
    for (s, n, share) in record {
        let _ = writeln!(out, "| {} | {n} | {:.0} % |", s.label(), share * 100.0);
    }
    let _ = writeln!(out, "\n## Claims\n");
    for c in claims {
        claim_block(&mut out, c);
        let _ = writeln!(out, "  - Story: {}", esc(&c.story.title));
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn editor_text_cannot_inject_markdown() {
        assert_eq!(
            super::esc("*bold* [x](javascript:y) <b>"),
            "\\*bold\\* \\[x\\](javascript:y) \\<b\\>"
        );
    }
}
