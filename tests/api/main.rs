//! HTTP tests against the real app on a real PostgreSQL: one binary,
//! one module per resource.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;
mod kit;

mod attack_bounded;
mod attack_imports;
mod attack_signin;
mod attack_writes;
mod audit;
mod auth;
mod browser;
mod claims;
mod concurrency;
mod csrf;
mod exports;
mod figures;
mod figures_page;
mod forms;
mod grades;
mod health;
mod ids;
mod imports;
mod inputs;
mod invariants;
mod invariants_db;
mod migrations;
mod permissions;
mod reports;
mod roundtrip;
mod routes;
mod security;
mod seeds;
mod source_aliases;
mod source_merge;
mod sources;
mod stories;
mod track_record;
mod typed;
