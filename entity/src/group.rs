use sea_orm::entity::prelude::*;

/// A closed discussion group.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "groups")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    pub audience: Audience,
    pub created_at: DateTimeUtc,
}

/// Who belongs: decided by role and `trained` at every request, or by hand (CUSTOM).
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Audience {
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "STAFF_AND_TRAINED_PARTNERS")]
    StaffAndTrainedPartners,
    #[sea_orm(string_value = "CUSTOM")]
    Custom,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
