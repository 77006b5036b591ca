//! claimdesk: who claimed what in a fast-moving story, and how far each
//! claim has been verified.
//!
//! Layers: `domain` (pure rules) ← `models` (diesel queries) ← `web`
//! (handlers and page structs); `startup` wires them into a server.

pub mod auth;
pub mod cli_data;
pub mod cli_user;
pub mod config;
pub mod db;
pub mod domain;
pub mod error;
pub mod export;
pub mod json_import;
pub mod models;
pub mod seed;
pub mod startup;
pub mod web;
