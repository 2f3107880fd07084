//! Photos and their rights. A participant of an activity (or staff) shares a photo; its author
//! grants uses (web, social networks, print, press) until a date or without end, with the
//! credit line to print, and may withdraw them — the photo stays on record, never reusable
//! again. Staff tag who appears in it; anyone tagged who has not consented to IMAGE_RIGHTS (or
//! withdrew it) blocks its reuse. The file is private: staff, its author and the people in it.
//!
//! - [`picture`]: the upload checked by decoding it, stripped of its metadata, a thumbnail.
//! - [`policy`]: who shares, tags, withdraws and sees.
//! - [`service`]: the rules above, the register and what an account's deletion removes.

pub mod picture;
pub mod policy;
pub mod service;

use chrono::{DateTime, Utc};
use entity::photo;
pub use entity::photo::Use;
use sea_orm::{ActiveEnum, Iterable};

/// The largest upload accepted, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 15 * 1024 * 1024;
/// The longest caption and credit line.
pub const MAX_CAPTION_CHARS: usize = 1_000;
pub const MAX_CREDIT_CHARS: usize = 200;
/// How far ahead the monthly report looks for rights that end.
pub const ENDING_SOON_DAYS: i64 = 60;

/// What the author grants.
pub struct Rights {
    pub uses: Vec<Use>,
    /// The rights end then; none: no end.
    pub until: Option<DateTime<Utc>>,
    pub credit: String,
}

/// Uses as a photo stores them (comma-separated codes, in the enum's order).
pub fn parse_uses(stored: &str) -> Vec<Use> {
    Use::iter()
        .filter(|one| stored.split(',').any(|code| code == one.to_value()))
        .collect()
}

pub fn join_uses(uses: &[Use]) -> String {
    Use::iter()
        .filter(|one| uses.contains(one))
        .map(|one| one.to_value())
        .collect::<Vec<_>>()
        .join(",")
}

/// Whether the rights `photo` carries allow `use_` (any granted use when `None`) at `now`:
/// not withdrawn, not ended, nobody in it who deleted their account. Who else appears in it
/// is [`service::blocking`]'s concern.
pub fn rights_allow(photo: &photo::Model, use_: Option<Use>, now: DateTime<Utc>) -> bool {
    let uses = parse_uses(&photo.uses);
    photo.withdrawn_at.is_none()
        && !photo.shows_former_member
        && photo.rights_until.is_none_or(|until| until > now)
        && match use_ {
            Some(one) => uses.contains(&one),
            None => !uses.is_empty(),
        }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uses_are_stored_in_one_order_and_read_back() {
        let stored = join_uses(&[Use::Press, Use::Web, Use::Press]);
        assert_eq!(stored, "WEB,PRESS");
        assert_eq!(parse_uses(&stored), vec![Use::Web, Use::Press]);
        assert_eq!(parse_uses("WEBSITE,"), Vec::<Use>::new());
    }

    /// The register finds a use in the stored list by its code alone (`LIKE '%CODE%'`).
    #[test]
    fn no_use_code_is_part_of_another() {
        for one in Use::iter() {
            for other in Use::iter().filter(|other| *other != one) {
                assert!(
                    !other.to_value().contains(&one.to_value()),
                    "{one:?} in {other:?}"
                );
            }
        }
    }
}
