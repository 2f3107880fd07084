//! Bringing an office's partners in from the spreadsheet its contact tool exports: the file
//! read and checked row by row ([`spreadsheet`]), then organisations created or matched and
//! people invited ([`import`]). One service with two doors: `klub import partners FILE` for the
//! operator and the `importPartners` mutation for staff.

pub mod import;
pub mod spreadsheet;

pub use import::{ImportReport, import_partners};
