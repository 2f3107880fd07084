use sea_orm::entity::prelude::*;

/// What a training body publishes of a training, one per activity.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_programmes")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub activity_id: i64,
    /// One objective per line (each is one line of text).
    pub objectives: String,
    pub prerequisites: Option<String>,
    pub audience: Option<String>,
    pub methods: String,
    pub evaluation: String,
    /// Whom a person with a disability contacts, and how.
    pub accessibility: String,
    /// `None`: the sessions' total.
    pub duration_minutes: Option<i32>,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
