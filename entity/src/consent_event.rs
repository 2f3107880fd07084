use sea_orm::entity::prelude::*;

use crate::consent_text::Purpose;

/// One change of a person's consent: given to a text's version, or withdrawn. Only appended:
/// the latest event of a purpose is where the person stands.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub user_id: i64,
    pub purpose: Purpose,
    /// The version given, or the one in force when it was withdrawn.
    pub text_id: i64,
    pub given: bool,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
