//! Credentials: password hashing and random tokens. No HTTP, no SQL.

pub mod gate;
pub mod password;
pub mod token;
