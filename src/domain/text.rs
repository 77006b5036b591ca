//! Text helpers shared by pages, exports and reports.

/// First `max` characters on a word boundary, with an ellipsis when cut.
pub fn excerpt(text: &str, max: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= max {
        return text.to_owned();
    }
    // Cut at the last space within the limit (counting characters, not
    // bytes, so Arabic is cut as fairly as Latin), unless that loses half.
    let end = (max / 2..=max)
        .rev()
        .find(|&i| chars[i].is_whitespace())
        .unwrap_or(max);
    let cut: String = chars[..end].iter().collect();
    format!("{}…", cut.trim_end())
}

/// 5001 → "5,001": counts as people read them.
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
        assert_eq!(excerpt("دمشق تنتظركم يا أبطال", 12), "دمشق تنتظركم…");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(5001), "5,001");
        assert_eq!(thousands(-1234567), "-1,234,567");
    }
}
