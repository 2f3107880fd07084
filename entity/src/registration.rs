use sea_orm::entity::prelude::*;

/// A person's place at an activity: a seat, a place on the waiting list, a seat offered for a
/// while, a request waiting for staff's decision, or a cancelled or declined one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registrations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub user_id: i64,
    pub status: Status,
    /// 1..n among the activity's waiting list; `None` unless WAITLISTED.
    pub position: Option<i32>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// While OFFERED: when the seat passes to the next on the waiting list.
    pub offer_expires_at: Option<DateTimeUtc>,
    /// Once DECLINED: staff's reason, as mailed.
    pub decline_reason: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    /// Waiting for staff's decision; holds no seat.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    /// Staff said no.
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    /// A freed seat held for the person until `offer_expires_at`.
    #[sea_orm(string_value = "OFFERED")]
    Offered,
}

impl Status {
    /// Holds one of the activity's seats (counted in `confirmed_count`).
    pub fn holds_seat(self) -> bool {
        matches!(self, Self::Confirmed | Self::Offered)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::activity::Entity",
        from = "Column::ActivityId",
        to = "super::activity::Column::Id",
        on_delete = "Cascade"
    )]
    Activity,
    #[sea_orm(
        belongs_to = "super::user::Entity",
        from = "Column::UserId",
        to = "super::user::Column::Id",
        on_delete = "Cascade"
    )]
    User,
}

impl Related<super::activity::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Activity.def()
    }
}

impl Related<super::user::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::User.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
