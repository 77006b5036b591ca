//! HTTP tests against the real app on a real PostgreSQL: one binary,
//! one module per resource.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod browser;
mod health;
