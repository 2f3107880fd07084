//! One test binary, one module per area. Every test starts the real server on a free port with
//! a database of its own.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::as_conversions,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "tests fail loudly, compute their own figures and print what they measured"
)]

// The SMTP server the load generator uses too.
use klub_tests::smtp;

mod accounts;
mod activities;
mod admission;
mod answers;
mod attendance;
mod auth;
mod authorization;
mod browser;
mod certificates;
mod club;
mod docs;
mod followup;
mod groups;
mod helpers;
mod invitations;
mod layout;
mod learning;
mod mail;
mod migrations;
mod onboarding;
mod operations;
mod organisations;
mod payments;
mod people;
mod photos;
mod progress;
mod protocol;
mod registrations;
mod robustness;
mod schema;
mod security;
mod training;
mod viewers;
