use sea_orm::entity::prelude::*;

/// One published version of the text a person consents to, for one purpose.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "consent_texts")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub purpose: Purpose,
    /// 1, 2, 3… per purpose.
    pub version: i32,
    pub text: String,
    pub published_by: Option<i64>,
    pub published_at: DateTimeUtc,
}

/// What a consent is for.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Purpose {
    /// The privacy notice.
    #[sea_orm(string_value = "PRIVACY")]
    Privacy,
    /// Photos and videos where the person appears may be published.
    #[sea_orm(string_value = "IMAGE_RIGHTS")]
    ImageRights,
    /// The office's newsletter.
    #[sea_orm(string_value = "NEWSLETTER")]
    Newsletter,
    /// Appearing in the partner directory.
    #[sea_orm(string_value = "DIRECTORY")]
    Directory,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
