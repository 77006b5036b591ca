//! Spreadsheet formula injection (OWASP "CSV injection"): cells that a
//! spreadsheet would run are prefixed with `'` on export, and exactly that
//! prefix is removed on import.

fn is_trigger(c: char) -> bool {
    matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r')
}

/// A cell a spreadsheet would run as a formula, or one that already looks
/// neutralised (apostrophes, then a trigger): both get a prefix, so that
/// [`unneutralize`] can tell them apart.
fn needs_prefix(cell: &str) -> bool {
    cell.trim_start_matches('\'')
        .chars()
        .next()
        .is_some_and(is_trigger)
}

/// Prefixes `'` to a cell a spreadsheet would treat as a formula.
pub fn neutralize(cell: &str) -> String {
    if needs_prefix(cell) {
        format!("'{cell}")
    } else {
        cell.to_owned()
    }
}

/// The exact inverse of [`neutralize`], used by the import.
pub fn unneutralize(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if needs_prefix(rest) => rest,
        _ => cell,
    }
}
