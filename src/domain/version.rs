//! The version of a stored record that an edit is based on.

use serde::Serialize;
use std::fmt;

/// A record's version as a client last saw it. A versioned write takes one
/// (never an `Option`): whether a request named a usable version is decided
/// at the edge, where a missing one is answered 428.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Version(i32);

impl Version {
    pub const fn new(v: i32) -> Self {
        Version(v)
    }

    pub const fn get(self) -> i32 {
        self.0
    }

    /// A version typed into a form or sent in a header: blank or not a
    /// number is no version at all.
    pub fn parse(s: &str) -> Option<Self> {
        s.trim().parse().ok().map(Version)
    }
}

impl From<i32> for Version {
    fn from(v: i32) -> Self {
        Version(v)
    }
}

impl PartialEq<i32> for Version {
    fn eq(&self, other: &i32) -> bool {
        self.0 == *other
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::Version;

    #[test]
    fn a_blank_or_garbled_version_is_none() {
        assert_eq!(Version::parse(" 7 "), Some(Version::new(7)));
        for bad in ["", "  ", "seven", "7.0", "W/\"7\""] {
            assert_eq!(Version::parse(bad), None, "{bad}");
        }
    }
}
