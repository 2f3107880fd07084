//! Invitations by email: staff invite existing accounts to an activity, or new addresses to
//! create their account with a one-time link; a whole audience can be invited in one call.

pub mod acceptance;
pub mod policy;
pub mod service;
