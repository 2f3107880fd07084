//! Who may do what with photos, written once.

use entity::{photo, user};

use crate::people::policy::{is_owner_or_staff, is_staff};

/// Its author withdraws the rights it granted (nobody else can, staff included: the rights
/// are the author's).
pub fn may_withdraw(person: &user::Model, photo: &photo::Model) -> bool {
    person.id == photo.author_id
}

/// The file goes to staff, its author and the people tagged in it; to anyone else it does
/// not exist.
pub fn may_see(person: &user::Model, photo: &photo::Model, tagged: &[i64]) -> bool {
    is_owner_or_staff(person, photo.author_id) || tagged.contains(&person.id)
}

/// A photo of an activity is shared by one of its confirmed registrants, or by staff.
pub fn may_share(person: &user::Model, confirmed_registrant: bool) -> bool {
    confirmed_registrant || is_staff(person)
}
