use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_questions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub survey_id: i64,
    /// 0.. in the order the form shows them.
    pub position: i32,
    pub kind: Kind,
    pub text: String,
    /// A JSON array of strings: the options of a CHOICE question.
    pub choices: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    /// 1 to 5.
    #[sea_orm(string_value = "RATING")]
    Rating,
    #[sea_orm(string_value = "TEXT")]
    Text,
    #[sea_orm(string_value = "CHOICE")]
    Choice,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
