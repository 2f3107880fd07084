//! Who may do what with activities: the rules written once, named, and used by the services
//! (resolvers only ask that the caller is logged in, staff or admin).

use entity::{
    activity::{self, Audience},
    user,
};

use crate::people::policy::is_staff;

/// Staff plan the programme: they see drafts, and may place anyone on any activity.
pub fn plans_the_programme(person: &user::Model) -> bool {
    is_staff(person)
}

/// Whether `person` sees `activity`: a draft is for staff only.
pub fn sees(person: &user::Model, activity: &activity::Model) -> bool {
    plans_the_programme(person) || activity.status != activity::Status::Draft
}

/// Whether `person` belongs to the activity's audience. Staff belong to every audience.
pub fn in_audience(activity: &activity::Model, person: &user::Model) -> bool {
    plans_the_programme(person)
        || match activity.audience {
            Audience::AllPartners => true,
            Audience::TrainedPartners => person.trained,
            Audience::Staff => false,
        }
}

/// Who takes part in a meeting — reads, asks and votes: trained partners and staff, within
/// the meeting's audience (a STAFF meeting is for staff only). Others get FORBIDDEN.
pub fn takes_part_in_club(meeting: &activity::Model, person: &user::Model) -> bool {
    (plans_the_programme(person) || person.trained) && in_audience(meeting, person)
}
