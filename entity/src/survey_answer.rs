use sea_orm::entity::prelude::*;

/// One answer to one question. The id is random and there is no timestamp, so nothing ties an
/// anonymous answer to the participation written with it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "survey_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: i64,
    pub survey_id: i64,
    pub question_id: i64,
    /// The author, only when the survey is not anonymous.
    pub respondent_id: Option<i64>,
    pub rating: Option<i32>,
    pub text: Option<String>,
    pub choice: Option<String>,
    /// Which batch of respondents the answer came with (the number answered before it,
    /// divided by the batch size): anonymous results show whole batches only.
    pub batch: i32,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
