use sea_orm::entity::prelude::*;

/// One row of a half-day's attendance sheet: a registrant's signature, the trainer's (no
/// registration), or a staff correction with its reason. The rows of a slot form a chain: each
/// holds the hash of its content and of the row before it (`prev_hash`). What names the person
/// (its name, signature and staff's reason) is hashed apart (`content_hash`), so that deleting
/// an account can erase it and leave the chain whole.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "slot_presences")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub slot_id: i64,
    pub session_id: i64,
    pub seq: i32,
    pub registration_id: Option<i64>,
    pub person_name: String,
    pub presence: Presence,
    pub signature: Option<String>,
    pub reason: Option<String>,
    /// The name, signature and reason were erased with the person's account.
    pub erased: bool,
    pub content_hash: String,
    pub recorded_by: i64,
    pub recorded_at: DateTimeUtc,
    pub prev_hash: String,
    pub hash: String,
}

/// What a row says of its person on the half-day.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Presence {
    #[sea_orm(string_value = "SIGNED")]
    Signed,
    #[sea_orm(string_value = "ABSENT")]
    Absent,
    #[sea_orm(string_value = "EXCUSED")]
    Excused,
    #[sea_orm(string_value = "PRESENT_BY_CORRECTION")]
    PresentByCorrection,
}

impl Presence {
    /// Whether the person was there: signed, or marked present by staff.
    pub fn present(self) -> bool {
        matches!(self, Self::Signed | Self::PresentByCorrection)
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
