//! Sessions: passwords, tokens, turning what a caller presents into a viewer, throttled
//! log-in, and the `me` query. The account flows built on them live in `accounts`.

mod credentials;
pub mod mailed;
mod password;
pub mod service;
pub mod throttle;
mod token;
pub mod viewers;

pub use credentials::Credentials;
pub use password::{Password, Passwords, Verified};
pub use token::{SessionClaims, TokenError, TokenKeys};
pub use viewers::ViewerCache;
