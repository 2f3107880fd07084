//! Accounts and sessions: passwords, tokens, who is asking, and the sign-up / log-in operations.

mod password;
mod schema;
pub mod service;
mod token;
mod viewer;

pub use password::{Password, Passwords};
pub use schema::{AuthMutation, AuthPayload, AuthQuery};
pub use token::{TokenError, TokenKeys};
pub use viewer::{Access, Viewer};
