use sea_orm::entity::prelude::*;

/// A photo shared by a participant of an activity, with the rights its author granted.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "photos")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub activity_id: i64,
    pub author_id: i64,
    /// The picture's key in the configured store (metadata removed).
    pub file_key: String,
    /// Its thumbnail's key (JPEG).
    pub thumbnail_key: String,
    /// `image/jpeg` or `image/png`.
    pub media_type: String,
    pub width: i32,
    pub height: i32,
    pub caption: Option<String>,
    /// The uses granted, comma-separated codes of [`Use`].
    pub uses: String,
    /// The rights end then; none: no end.
    pub rights_until: Option<DateTimeUtc>,
    /// The credit line to print with the photo.
    pub credit: String,
    /// When its author withdrew the rights: the photo is never reusable again.
    pub withdrawn_at: Option<DateTimeUtc>,
    /// Somebody tagged in it deleted their account: they can no longer consent, so the photo
    /// is never reusable again.
    pub shows_former_member: bool,
    pub created_at: DateTimeUtc,
}

/// A use its author may grant.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Use {
    /// The office's web site.
    #[sea_orm(string_value = "WEB")]
    Web,
    /// Social networks.
    #[sea_orm(string_value = "SOCIAL")]
    Social,
    /// Printed matter: brochures, posters.
    #[sea_orm(string_value = "PRINT")]
    Print,
    /// Given to the press.
    #[sea_orm(string_value = "PRESS")]
    Press,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
