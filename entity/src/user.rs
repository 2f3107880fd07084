use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Trimmed and lower-cased before it is stored.
    #[sea_orm(unique)]
    pub email: String,
    pub name: String,
    pub organisation: Option<String>,
    pub role: Role,
    pub trained: bool,
    /// An argon2id PHC string.
    pub password_hash: String,
    pub created_at: DateTimeUtc,
    /// `fr` or `en`; `None` means the server's default.
    pub locale: Option<String>,
    /// The secret of the private calendar feed URL; `None` when the feed is off.
    pub calendar_secret: Option<String>,
    /// Session tokens name the epoch they were issued in; raising it logs out everywhere.
    pub session_epoch: i32,
    /// When the account was deleted: the row stays, anonymised, so posts keep an author.
    pub deleted_at: Option<DateTimeUtc>,
    /// When the account proved it owns `email` (a mailed link); until then nothing that was
    /// addressed to that address before (invitations, mails) is its own.
    pub email_verified_at: Option<DateTimeUtc>,
    /// When the person became trained (unknown for those trained before it was kept).
    pub trained_at: Option<DateTimeUtc>,
    /// A phone number as the office's spreadsheet gave it (digits, spaces, `+`, `.`, `-`).
    pub phone: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "ANIMATOR")]
    Animator,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
    /// A trainer from outside the office: sees and does only what concerns the activities it
    /// is assigned to deliver.
    #[sea_orm(string_value = "TRAINER")]
    Trainer,
}

impl Role {
    /// The roles of staff: admins and animators run the programme; partners take part in it.
    pub const STAFF: [Role; 2] = [Role::Admin, Role::Animator];

    pub fn is_staff(self) -> bool {
        Self::STAFF.contains(&self)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
