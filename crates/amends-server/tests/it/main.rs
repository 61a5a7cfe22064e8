//! The server's integration tests: the real server on a random port, a fresh database per
//! test on each backend, and a clock the tests move instead of sleeping.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot go on should stop right there

mod auth;
mod bad_input;
mod browser;
mod browser_account;
mod browser_chat;
mod browser_desk;
mod browser_help;
mod browser_incidents;
mod bulk;
mod canned;
mod case_access;
mod cases;
mod chat;
mod chat_desk;
mod console;
mod customers;
mod data_rights;
mod desk;
mod fields;
mod hardening;
mod helpers;
mod incidents;
mod jobs;
mod knowledge;
mod lifecycle;
mod mail;
mod merges;
mod messaging;
mod messaging_replies;
mod pages;
mod reading;
mod recovery;
mod search;
mod sso;
mod two_factor;
mod views;
mod webdriver;
