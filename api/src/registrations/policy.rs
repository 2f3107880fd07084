//! Who may do what with registrations, written once and used by the services.

use entity::{activity, registration, user};

use crate::{activities::policy as activities, error::ApiError, people::policy::is_owner_or_staff};

/// Who puts a person on an activity, which decides the rules that apply: people register
/// themselves within the activity's audience; staff, and the invitations staff sent, may
/// place anyone (drafts included).
#[derive(Clone, Copy)]
pub enum Placement<'a> {
    /// The registrant itself.
    Themselves,
    /// Someone registering `registrant` for it: allowed to staff only.
    By(&'a user::Model),
    /// An invitation staff sent to the registrant.
    Invitation,
    /// A manager of the registrant's organisation: the activity must be one both the
    /// registrant and the manager could join by themselves. A manager lifts no rule.
    Colleague(&'a user::Model),
}

impl Placement<'_> {
    /// The placement of account `registrant_id` by `caller`, or FORBIDDEN when `caller` may
    /// not place others (judged before the account is looked up: nobody learns which exist).
    pub fn of(caller: &user::Model, registrant_id: i64) -> Result<Placement<'_>, ApiError> {
        if caller.id == registrant_id {
            Ok(Placement::Themselves)
        } else if activities::plans_the_programme(caller) {
            Ok(Placement::By(caller))
        } else {
            Err(ApiError::Forbidden)
        }
    }

    /// Whether the placement lifts the partner's rules (drafts hidden, the audience).
    fn lifts_partner_rules(self, registrant: &user::Model) -> bool {
        match self {
            Placement::Themselves => activities::plans_the_programme(registrant),
            Placement::By(caller) => activities::plans_the_programme(caller),
            Placement::Colleague(_) => false,
            Placement::Invitation => true,
        }
    }

    /// Whether the activity may be joined this way: a draft does not exist for partners.
    pub fn sees(self, registrant: &user::Model, activity: &activity::Model) -> bool {
        if let Placement::Colleague(manager) = self {
            return activities::sees(registrant, activity) && activities::sees(manager, activity);
        }
        self.lifts_partner_rules(registrant) || activities::sees(registrant, activity)
    }

    /// Whether the activity's admission applies: the person registering itself, or a manager
    /// for a colleague, answers its required questions, needs its consents and waits for
    /// staff's approval; staff and the invitations they sent place people directly.
    pub fn asks_admission(self) -> bool {
        matches!(self, Placement::Themselves | Placement::Colleague(_))
    }

    /// Whether the activity's audience admits the registrant this way.
    pub fn admits(self, registrant: &user::Model, activity: &activity::Model) -> bool {
        if let Placement::Colleague(manager) = self {
            return activities::in_audience(activity, registrant)
                && activities::in_audience(activity, manager);
        }
        self.lifts_partner_rules(registrant) || activities::in_audience(activity, registrant)
    }
}

/// Whether `person` may see and cancel `registration`: its owner and staff.
pub fn may_handle(person: &user::Model, registration: &registration::Model) -> bool {
    is_owner_or_staff(person, registration.user_id)
}

/// Whether `person` may still cancel once the activity has started: staff only.
pub fn may_cancel_after_start(person: &user::Model) -> bool {
    activities::plans_the_programme(person)
}
