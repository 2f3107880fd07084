//! Accounts and sessions: passwords, tokens, who is asking, and the sign-up / log-in operations.

pub mod mailed;
mod password;
mod schema;
pub mod service;
pub mod throttle;
mod token;
mod viewer;

pub use password::{Password, Passwords, Verified};
pub use schema::{AuthPayload, AuthQuery};
pub use token::{SessionClaims, TokenError, TokenKeys};
pub use viewer::Credentials;
