use sea_orm::entity::prelude::*;

/// A failed login, kept for the throttling window so every instance counts the same failures.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "login_failures")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The address as typed, trimmed and lower-cased (it may match no account).
    pub email: String,
    /// The client's IP address.
    pub client: String,
    pub at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
