//! Partner businesses: an organisation (a hotel, a farm, a shop, an association) with its
//! people, MANAGERs and MEMBERs, a person in at most one. Managers add members and register
//! colleagues; staff see every organisation, members their own, anyone else none (NOT_FOUND).

pub mod membership;
pub mod policy;
pub mod service;
