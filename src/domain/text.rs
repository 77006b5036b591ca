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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpt_cuts_on_words() {
        assert_eq!(excerpt("short", 10), "short");
        assert_eq!(excerpt("one two three four", 10), "one two…");
        assert_eq!(excerpt("دمشق تنتظركم يا أبطال", 12), "دمشق تنتظركم…");
    }
}
