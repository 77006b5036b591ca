//! JSON (one document) and NDJSON (one claim per line). The shape is the
//! versioned schema documented in docs/export-schema.md.

use crate::models::export::ExportClaim;

pub const SCHEMA: &str = "claimdesk.export/2";

/// The schemas the JSON import reads: this one, and version 1, whose
/// figures (`{label, min, max, as_of}`) read as exact values or ranges.
pub const READABLE: [&str; 2] = ["claimdesk.export/1", SCHEMA];

/// Opening of a JSON document; claims follow, comma-separated.
pub fn open() -> String {
    format!("{{\"schema\":\"{SCHEMA}\",\"claims\":[")
}

pub const CLOSE: &str = "]}\n";

/// A batch as array elements; `first` says whether a comma must lead.
pub fn elements(batch: &[ExportClaim], first: bool) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    for (i, c) in batch.iter().enumerate() {
        if !(first && i == 0) {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, c)?;
    }
    Ok(out)
}

/// A batch as NDJSON lines.
pub fn lines(batch: &[ExportClaim]) -> serde_json::Result<Vec<u8>> {
    let mut out = Vec::new();
    for c in batch {
        serde_json::to_writer(&mut out, c)?;
        out.push(b'\n');
    }
    Ok(out)
}
