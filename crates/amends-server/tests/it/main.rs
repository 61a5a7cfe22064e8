//! The server's integration tests: the real server on a random port, a fresh database per
//! test on each backend, and a clock the tests move instead of sleeping.

mod auth;
mod bad_input;
mod cases;
mod customers;
mod helpers;
mod jobs;
