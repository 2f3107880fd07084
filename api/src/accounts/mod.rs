//! What a person does with its own account: sign up, prove its address, get back in with a
//! mailed link, take a copy of its data, delete it. These flows sit above the areas they use
//! (`people`, `auth`, `registrations`, `invitations`); the GraphQL fields stay with `auth` and
//! `people`, whose types they return.

pub mod address;
pub mod privacy;
pub mod service;
