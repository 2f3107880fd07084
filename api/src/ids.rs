//! Typed ids: the database's keys wrapped per kind of row, so that a rule taking two of them
//! (a group and a person, an activity and a person) cannot be called with them swapped — the
//! compiler refuses (lldap's `UserId`, `GroupId`). They are made at the edge, where an id is
//! parsed or read from a row, and unwrapped only to build a query.

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub i64);

        impl From<$name> for sea_orm::Value {
            fn from(id: $name) -> Self {
                id.0.into()
            }
        }
    };
}

typed_id!(
    /// An account (`users.id`).
    UserId
);
typed_id!(
    /// An activity (`activities.id`).
    ActivityId
);
typed_id!(
    /// A discussion group (`groups.id`).
    GroupId
);
