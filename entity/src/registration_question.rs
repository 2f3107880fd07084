use sea_orm::entity::prelude::*;

/// A question an activity asks at registration.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "registration_questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    /// Its place among the activity's questions, from 0.
    pub position: i32,
    pub kind: Kind,
    pub text: String,
    /// CHOICE only: the options, as a JSON array.
    pub choices: Option<String>,
    pub required: bool,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "TEXT")]
    Text,
    #[sea_orm(string_value = "CHOICE")]
    Choice,
    #[sea_orm(string_value = "YES_NO")]
    YesNo,
    #[sea_orm(string_value = "NUMBER")]
    Number,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
