//! Klub: the GraphQL server behind a tourism office's partner digital-skills programme.
//!
//! One module per domain (`auth`, `people`, …), each holding its GraphQL types, its resolvers
//! and the plain service functions that carry its rules. `schema` merges the domains,
//! `startup` wires the HTTP server, `error` maps every failure to a GraphQL error code once.

pub mod accounts;
pub mod activities;
pub mod audit;
pub mod auth;
pub mod certificates;
pub mod changes;
pub mod cli;
pub mod clock;
pub mod club;
pub mod config;
pub mod consents;
pub mod db;
pub mod demand;
pub mod diagnostics;
pub mod error;
pub mod followup;
pub mod graphql;
pub mod groups;
pub mod heavy;
pub mod hours;
pub mod http;
pub mod ids;
pub mod invitations;
pub mod learning;
pub mod mail;
pub mod memory;
pub mod metrics;
pub mod numbers;
pub mod onboarding;
pub mod organisations;
pub mod payments;
pub mod pdf;
pub mod people;
pub mod photos;
pub mod progress;
pub mod registrations;
pub mod safe_csv;
pub mod scheduler;
pub mod startup;
pub mod state;
pub mod storage;
pub mod telemetry;
pub mod training;
pub mod validation;

pub use config::Config;
pub use startup::Application;
