//! Credentials: password hashing and random tokens. No HTTP, no SQL.

pub mod password;
pub mod token;
