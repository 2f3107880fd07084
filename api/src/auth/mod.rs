//! Sessions: passwords, tokens, turning what a caller presents into a viewer, throttled
//! log-in, and the `me` query. The account flows built on them live in `accounts`.

mod credentials;
pub mod mailed;
mod password;
mod schema;
pub mod service;
pub mod throttle;
mod token;
pub mod viewers;

pub use credentials::{Credentials, viewer_of};
pub use password::{Password, Passwords, Verified};
pub use schema::{AuthPayload, AuthQuery};
pub use token::{SessionClaims, TokenError, TokenKeys};
pub use viewers::ViewerCache;
