//! What a role allows, as values: a [`Staff`] or an [`Admin`] can only be made from an
//! account that has the role, so a service that requires one cannot be reached for anyone
//! else — the permission is written in its signature, once, instead of a `by_staff: bool`.
//! Resolvers get them from the viewer (`Viewer::staff`, `Viewer::admin`).

use entity::user::{self, Role};

/// An admin or an animator.
#[derive(Clone, Copy, Debug)]
pub struct Staff<'a>(&'a user::Model);

/// An admin.
#[derive(Clone, Copy, Debug)]
pub struct Admin<'a>(&'a user::Model);

impl<'a> Staff<'a> {
    pub fn of(person: &'a user::Model) -> Option<Self> {
        person.role.is_staff().then_some(Self(person))
    }

    /// Who acts, e.g. for the audit log.
    pub fn person(self) -> &'a user::Model {
        self.0
    }
}

impl<'a> Admin<'a> {
    pub fn of(person: &'a user::Model) -> Option<Self> {
        (person.role == Role::Admin).then_some(Self(person))
    }

    pub fn person(self) -> &'a user::Model {
        self.0
    }

    /// An admin is staff too.
    pub fn staff(self) -> Staff<'a> {
        Staff(self.0)
    }
}
