//! Closed discussion groups: "Staff", "Partners' club" and hand-made CUSTOM groups, with
//! threads, replies, questions and their accepted answers, response times, and live posts over
//! the `postAdded` subscription. Someone outside a group cannot learn that it exists.

pub mod moderation;
pub mod notifications;
pub mod policy;
pub mod service;

pub use service::PostAdded;
