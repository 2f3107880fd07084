use sea_orm::entity::prelude::*;

/// How a registration to a paid activity was settled. A confirmed registration without a row
/// is still due.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub registration_id: i64,
    pub status: Status,
    /// The activity's price when the payment was recorded.
    pub amount_cents: i32,
    /// FUNDED: who paid (a training fund, an employer).
    pub funder: Option<String>,
    pub reference: Option<String>,
    pub recorded_at: DateTimeUtc,
    pub recorded_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "DUE")]
    Due,
    #[sea_orm(string_value = "PAID")]
    Paid,
    #[sea_orm(string_value = "WAIVED")]
    Waived,
    #[sea_orm(string_value = "FUNDED")]
    Funded,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
