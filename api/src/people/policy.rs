//! Who a person is to the rules, written once; every domain's policy names its own checks on
//! top of these (`activities::policy::plans_the_programme`, `registrations::policy::may_handle`,
//! …). A service that needs staff takes a [`super::Staff`] value instead of asking.

use entity::user::{self, Role};
use sea_orm::{ColumnTrait, sea_query::SimpleExpr};

/// Staff: admins and animators.
pub fn is_staff(person: &user::Model) -> bool {
    person.role.is_staff()
}

/// The person something belongs to (`owner_id`), or staff.
pub fn is_owner_or_staff(person: &user::Model, owner_id: i64) -> bool {
    person.id == owner_id || is_staff(person)
}

/// The same rule in SQL: the accounts of staff.
pub fn staff_accounts() -> SimpleExpr {
    user::Column::Role.is_in(Role::STAFF)
}
