use sea_orm::entity::prelude::*;

/// A registrant's answer to one of the activity's registration questions: one value, in the
/// column of the question's kind.
#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "registration_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub registration_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub question_id: i64,
    pub text: Option<String>,
    pub choice: Option<String>,
    pub yes: Option<bool>,
    pub number: Option<f64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
