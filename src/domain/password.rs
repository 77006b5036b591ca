//! Password policy (OWASP ASVS: at least 12 characters, at most 128, any characters).

pub const MIN_LEN: usize = 12;
pub const MAX_LEN: usize = 128;

pub fn check(password: &str) -> Result<(), String> {
    let n = password.chars().count();
    if n < MIN_LEN {
        return Err(format!("Use at least {MIN_LEN} characters."));
    }
    if n > MAX_LEN {
        return Err(format!("Use at most {MAX_LEN} characters."));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn length_limits() {
        assert!(super::check("short").is_err());
        assert!(super::check("twelve chars").is_ok());
        assert!(super::check(&"x".repeat(128)).is_ok());
        assert!(super::check(&"x".repeat(129)).is_err());
        assert!(super::check("ثمانيةعشر حرفاً هنا").is_ok());
    }
}
