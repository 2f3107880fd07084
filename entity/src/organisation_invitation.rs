use sea_orm::entity::prelude::*;

use crate::organisation_member::Role;

/// A manager's offer to a person to join its organisation, until the person answers it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "organisation_invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_id: i64,
    /// The person invited.
    pub user_id: i64,
    /// The role it will have once it accepts.
    pub role: Role,
    pub invited_by: i64,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
