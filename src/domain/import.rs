//! Reading a spreadsheet of claims: the export's columns, in any order.
//! The file is read as a stream, one row at a time, so a large file never
//! has to be held as rows; every bad row is reported with the physical line
//! it starts on and the reason.

use super::drafts::{SourceDraft, SourceInput, StoryDraft, StoryInput};
use super::status::ClaimStatus;
use super::validation as v;
use chrono::{DateTime, Utc};
use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, Read};

/// Columns an import must have (by name, any order).
pub const REQUIRED: [&str; 4] = ["story_title", "source_name", "source_type", "quote"];

/// A valid row, ready to be matched against the database.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportRow {
    /// Physical line in the file where the row starts (the header is line 1).
    pub line: u64,
    pub story: StoryDraft,
    pub source: SourceDraft,
    pub quote: String,
    pub is_paraphrase: bool,
    pub summary: Option<String>,
    pub status: ClaimStatus,
    pub status_reason: Option<String>,
    pub claimed_at: Option<DateTime<Utc>>,
    pub claimed_where: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: u64,
    pub reason: String,
}

/// One data row of the file: valid, or why not.
// Most rows are valid: boxing them would cost an allocation per row.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    Row(ImportRow),
    Invalid(RowError),
}

#[derive(Debug, Default)]
pub struct Parsed {
    pub rows: Vec<ImportRow>,
    pub errors: Vec<RowError>,
}

/// Parses a whole file held in memory (tests and small inputs); a file that
/// cannot be imported at all is one error.
pub fn parse(text: &str) -> Result<Parsed, String> {
    let mut reader = Reader::new(text.as_bytes())?;
    let mut out = Parsed::default();
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Row(r) => out.rows.push(r),
            Item::Invalid(e) => out.errors.push(e),
        }
    }
    Ok(out)
}

/// A whole-file problem found before any row is read: NUL bytes cannot be
/// stored as text and are never part of a spreadsheet; say where the first is.
pub fn check_file(bytes: &[u8]) -> Result<&str, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let line = 1 + bytes[..e.valid_up_to()]
            .iter()
            .filter(|b| **b == b'\n')
            .count();
        format!(
            "The file is not UTF-8 text (line {line}). Save the spreadsheet as \
             “CSV UTF-8” and upload it again."
        )
    })?;
    if let Some(at) = text.find('\0') {
        let line = 1 + text[..at].matches('\n').count();
        return Err(format!(
            "The file contains a NUL byte (line {line}); a spreadsheet never does. \
             Remove it and upload the file again."
        ));
    }
    Ok(text)
}

/// How many records follow the header: a cheap first pass that lets a
/// file over the row cap be refused before any work is done.
pub fn count_records(text: &str) -> u64 {
    let mut csv = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(true)
        .from_reader(text.as_bytes());
    let mut record = csv::ByteRecord::new();
    let mut n = 0;
    while let Ok(true) = csv.read_byte_record(&mut record) {
        n += 1;
    }
    n
}

/// Streams the data rows of a CSV file.
pub struct Reader<R: Read> {
    csv: csv::Reader<LineCounter<R>>,
    headers: Vec<String>,
    record: csv::ByteRecord,
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

impl<R: BufRead> Reader<R> {
    /// Reads the header line; a missing column refuses the whole file.
    pub fn new(mut input: R) -> Result<Self, String> {
        // Excel's "CSV UTF-8" starts with a byte-order mark.
        let has_bom = input
            .fill_buf()
            .map_err(|e| format!("Could not read the file: {e}"))?
            .starts_with(BOM);
        if has_bom {
            input.consume(BOM.len());
        }
        let mut csv = csv::ReaderBuilder::new()
            .flexible(true)
            .has_headers(false)
            .from_reader(LineCounter::new(input));
        let mut record = csv::ByteRecord::new();
        let found = csv
            .read_byte_record(&mut record)
            .map_err(|e| format!("The first line must name the columns: {e}"))?;
        if !found {
            return Err("The file is empty: the first line must name the columns.".into());
        }
        let headers = record
            .iter()
            .map(|h| std::str::from_utf8(h).map(|h| h.trim().to_lowercase()))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|_| not_utf8(1))?;
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|r| !headers.iter().any(|h| h == r))
            .collect();
        if !missing.is_empty() {
            return Err(format!("Missing column(s): {}.", missing.join(", ")));
        }
        Ok(Reader {
            csv,
            headers,
            record,
        })
    }
}

fn not_utf8(line: u64) -> String {
    format!(
        "Line {line} is not UTF-8 text. Save the spreadsheet as “CSV UTF-8” and import it again."
    )
}

impl<R: Read> Reader<R> {
    /// The next non-blank data row, or `None` at the end. An error is about
    /// the whole file (not UTF-8, unreadable) and ends the import.
    pub fn next_item(&mut self) -> Result<Option<Item>, String> {
        loop {
            let found = self
                .csv
                .read_byte_record(&mut self.record)
                .map_err(|e| format!("Could not read the file: {e}"))?;
            if !found {
                return Ok(None);
            }
            let start = self.record.position().map(|p| p.byte()).unwrap_or(0);
            let line = self.csv.get_mut().line_at(start);
            let mut texts = Vec::with_capacity(self.record.len());
            for field in self.record.iter() {
                texts.push(std::str::from_utf8(field).map_err(|_| not_utf8(line))?);
            }
            if texts.iter().all(|c| c.trim().is_empty()) {
                continue;
            }
            if let Some(i) = texts.iter().position(|c| c.contains('\0')) {
                let column = self.headers.get(i).map_or("?", String::as_str);
                let reason = format!("{column}: contains a NUL byte (\\0); remove it");
                return Ok(Some(Item::Invalid(RowError { line, reason })));
            }
            let cells: HashMap<&str, &str> = self
                .headers
                .iter()
                .map(String::as_str)
                .zip(texts.into_iter().map(super::formula::unneutralize))
                .collect();
            return Ok(Some(match row(line, &cells) {
                Ok(r) => Item::Row(r),
                Err(reason) => Item::Invalid(RowError { line, reason }),
            }));
        }
    }
}

/// Counts physical lines as the CSV parser reads them, so a row's line is
/// right whatever the line endings (csv's own count is one short after a
/// CRLF; BurntSushi/rust-csv#395) and however many lines a quoted cell spans.
///
/// It remembers each run of line-break bytes (`\r`, `\n`) it has passed and
/// how many line breaks the run holds (`\r\n` is one). A record that csv says
/// starts at byte `b` really starts after the run containing `b`, if any
/// (csv starts the next record on the `\n` of a `\r\n`, and skips blank lines).
struct LineCounter<R> {
    inner: R,
    pos: u64,
    /// The run being scanned: (start, breaks so far).
    open: Option<(u64, u64)>,
    pending_cr: bool,
    /// Closed runs not yet passed by a record: (start, breaks).
    runs: VecDeque<(u64, u64)>,
    /// Line breaks in runs already passed.
    passed: u64,
}

impl<R> LineCounter<R> {
    fn new(inner: R) -> Self {
        LineCounter {
            inner,
            pos: 0,
            open: None,
            pending_cr: false,
            runs: VecDeque::new(),
            passed: 0,
        }
    }

    fn scan(&mut self, chunk: &[u8]) {
        for &b in chunk {
            let is_break = b == b'\r' || b == b'\n';
            if self.pending_cr && b != b'\n' {
                // A lone CR ends a line too.
                self.pending_cr = false;
                if let Some((_, n)) = &mut self.open {
                    *n += 1;
                }
            }
            if is_break {
                let (_, n) = self.open.get_or_insert((self.pos, 0));
                if b == b'\n' {
                    *n += 1;
                    self.pending_cr = false;
                } else {
                    self.pending_cr = true;
                }
            } else if let Some(run) = self.open.take() {
                self.runs.push_back(run);
            }
            self.pos += 1;
        }
    }

    /// The physical line of a record that csv says starts at byte `start`.
    /// Records come in order, so runs before `start` can be forgotten.
    fn line_at(&mut self, start: u64) -> u64 {
        while let Some(&(run_start, breaks)) = self.runs.front() {
            if run_start > start {
                break;
            }
            self.passed += breaks;
            self.runs.pop_front();
        }
        1 + self.passed
    }
}

impl<R: Read> Read for LineCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            // The end closes the last run.
            if let Some(run) = self.open.take() {
                self.runs.push_back(run);
            }
        }
        self.scan(&buf[..n]);
        Ok(n)
    }
}

fn cell<'a>(cells: &HashMap<&str, &'a str>, name: &str) -> Option<&'a str> {
    cells
        .get(name)
        .copied()
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn first_error(errs: super::FieldErrors) -> String {
    errs.iter()
        .next()
        .map(|(f, m)| format!("{f}: {m}"))
        .unwrap_or_default()
}

fn row(line: u64, cells: &HashMap<&str, &str>) -> Result<ImportRow, String> {
    let story = StoryDraft::parse(&StoryInput {
        title: cell(cells, "story_title").unwrap_or_default().to_owned(),
        outlet: cell(cells, "story_outlet")
            .unwrap_or("Unknown outlet")
            .to_owned(),
        url: cell(cells, "story_url").unwrap_or_default().to_owned(),
        ..Default::default()
    })
    .map_err(|e| format!("story {}", first_error(e)))?;
    let source = SourceDraft::parse(
        &SourceInput {
            name: cell(cells, "source_name").unwrap_or_default().to_owned(),
            source_type: cell(cells, "source_type")
                .unwrap_or_default()
                .to_lowercase(),
            ..Default::default()
        },
        "source_",
    )
    .map_err(first_error)?;
    let quote = v::required(
        cells.get("quote").copied().unwrap_or_default(),
        v::MAX_QUOTE,
    )
    .map_err(|m| format!("quote: {m}"))?;
    let status = match cell(cells, "status") {
        None => ClaimStatus::Unverified,
        // Spreadsheets turn `false` into `FALSE`: status names are case-insensitive.
        Some(s) => ClaimStatus::parse(&s.to_lowercase())
            .ok_or_else(|| format!("status: unknown status {s:?}"))?,
    };
    let status_reason = v::optional(cell(cells, "status_reason"), v::MAX_TEXT)
        .map_err(|m| format!("status_reason: {m}"))?;
    if status != ClaimStatus::Unverified && status_reason.is_none() {
        return Err(format!(
            "status_reason: a reason is required for status {}",
            status.as_str()
        ));
    }
    let is_paraphrase = match cell(cells, "is_paraphrase")
        .map(str::to_lowercase)
        .as_deref()
    {
        None | Some("false" | "no" | "0") => false,
        Some("true" | "yes" | "1") => true,
        Some(other) => return Err(format!("is_paraphrase: {other:?} is not true or false")),
    };
    Ok(ImportRow {
        line,
        story,
        source,
        quote,
        is_paraphrase,
        summary: v::optional(cell(cells, "summary"), v::MAX_TEXT)
            .map_err(|m| format!("summary: {m}"))?,
        status,
        status_reason,
        claimed_at: v::optional_datetime(cell(cells, "claimed_at"))
            .map_err(|m| format!("claimed_at: {m}"))?,
        claimed_where: v::optional(cell(cells, "claimed_where"), v::MAX_NAME)
            .map_err(|m| format!("claimed_where: {m}"))?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_in_any_order_and_errors_by_line() {
        let text = "quote,source_type,source_name,story_title,status,status_reason\n\
                    \"Damascus, awaits\",armed_group,Ahmed al-Sharaa,Syria story,,\n\
                    x,bogus,Someone,Syria story,,\n\
                    '=1+1,witness,Rania,Syria story,false,\n";
        let p = parse(text).unwrap_or_default();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.rows[0].quote, "Damascus, awaits");
        assert_eq!(
            p.errors.iter().map(|e| e.line).collect::<Vec<_>>(),
            vec![3, 4]
        );
        assert!(p.errors[1].reason.contains("reason"));
    }

    #[test]
    fn lines_are_physical_whatever_the_line_endings() {
        let lf = "story_title,source_name,source_type,quote\n\
                  S,N,media,ok\n\
                  \n\
                  S,N,media,\"two\nlines\"\n\
                  S,N,bogus,bad\n";
        let crlf = lf.replace('\n', "\r\n");
        let cr = lf.replace('\n', "\r");
        for text in [lf.to_owned(), crlf, cr] {
            let p = parse(&text).unwrap_or_default();
            let rows: Vec<u64> = p.rows.iter().map(|r| r.line).collect();
            assert_eq!(rows, vec![2, 4], "{text:?}");
            assert_eq!(p.errors.iter().map(|e| e.line).collect::<Vec<_>>(), vec![6]);
        }
    }

    /// Hands out one byte per read, so every `\r\n` straddles two reads.
    struct OneByte<'a>(&'a [u8]);

    impl Read for OneByte<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            match (self.0.split_first(), buf.first_mut()) {
                (Some((b, rest)), Some(slot)) => {
                    *slot = *b;
                    self.0 = rest;
                    Ok(1)
                }
                _ => Ok(0),
            }
        }
    }

    #[test]
    fn lines_survive_reads_that_split_line_endings() {
        let text = "story_title,source_name,source_type,quote\r\nS,N,media,\"a\r\nb\"\r\n\r\nS,N,bogus,x\r\n";
        let input = std::io::BufReader::with_capacity(1, OneByte(text.as_bytes()));
        let mut r = Reader::new(input).ok();
        let mut lines = Vec::new();
        while let Some(Ok(Some(item))) = r.as_mut().map(Reader::next_item) {
            lines.push(match item {
                Item::Row(r) => r.line,
                Item::Invalid(e) => e.line,
            });
        }
        assert_eq!(lines, vec![2, 5]);
    }

    #[test]
    fn status_names_are_case_insensitive() {
        let text = "story_title,source_name,source_type,quote,status,status_reason\n\
                    S,N,Media,a,FALSE,r\nS,N,media,b,False,r\nS,N,media,c,In_Review,r\n";
        let p = parse(text).unwrap_or_default();
        let got: Vec<ClaimStatus> = p.rows.iter().map(|r| r.status).collect();
        assert_eq!(
            got,
            vec![
                ClaimStatus::False,
                ClaimStatus::False,
                ClaimStatus::InReview
            ],
            "{:?}",
            p.errors
        );
    }

    #[test]
    fn nul_bytes_and_invalid_utf8_are_refused_clearly() {
        let p = parse("story_title,source_name,source_type,quote\nS,N,media,a\0b\nS,N,media,ok\n")
            .unwrap_or_default();
        assert_eq!(p.rows.len(), 1);
        assert_eq!(p.errors[0].line, 2);
        assert!(p.errors[0].reason.contains("NUL"), "{:?}", p.errors);
        assert!(
            check_file(b"a,b\nc,\0\n").is_err_and(|e| e.contains("NUL") && e.contains("line 2"))
        );
        let bad = b"story_title,source_name,source_type,quote\nS,N,media,\xff\n";
        assert!(check_file(bad).is_err_and(|e| e.contains("UTF-8")));
        let mut r = Reader::new(&bad[..]).ok();
        let next = r.as_mut().map(Reader::next_item);
        assert!(matches!(next, Some(Err(e)) if e.contains("Line 2")));
    }

    #[test]
    fn missing_columns_refuse_the_file() {
        assert!(parse("quote,source_name\nx,y\n").is_err_and(|e| e.contains("source_type")));
    }

    #[test]
    fn neutralised_cells_are_restored() {
        let text = "story_title,source_name,source_type,quote\nS,N,media,'=SUM(A1)\n";
        let p = parse(text).unwrap_or_default();
        assert_eq!(p.rows.first().map(|r| r.quote.as_str()), Some("=SUM(A1)"));
    }
}
