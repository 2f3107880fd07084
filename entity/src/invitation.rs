use sea_orm::entity::prelude::*;

use crate::user::Role;

/// An invitation by email: to an activity, or to create an account with a one-time link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "invitations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub email: String,
    pub role: Role,
    pub activity_id: Option<i64>,
    pub message: Option<String>,
    /// SHA-256 (hex) of the mailed token; `None` for an address that already had an account.
    pub token_hash: Option<String>,
    pub status: Status,
    pub expires_at: DateTimeUtc,
    pub invited_by: i64,
    pub created_at: DateTimeUtc,
    pub accepted_at: Option<DateTimeUtc>,
    /// The account the invitation belongs to: the invited account, or the one that accepted
    /// it (or proved it owns the address). `None` while nobody has.
    pub user_id: Option<i64>,
    /// What an import said of the person, given to the account it creates.
    pub name: Option<String>,
    pub phone: Option<String>,
    pub locale: Option<String>,
    /// The organisation the person joins when it accepts (an import's word, by staff).
    pub organisation_id: Option<i64>,
}

/// EXPIRED is not stored: a PENDING invitation past `expires_at` reads as expired.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "REVOKED")]
    Revoked,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
