use sea_orm::entity::prelude::*;

/// A training, workshop, conference or club meeting, with its sessions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "activities")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: Kind,
    pub status: Status,
    pub audience: Audience,
    pub title: String,
    pub description: Option<String>,
    pub location: Option<String>,
    pub capacity: i32,
    pub min_participants: Option<i32>,
    pub registration_deadline: Option<DateTimeUtc>,
    pub price_cents: i32,
    pub trainer_name: Option<String>,
    pub co_organiser: Option<String>,
    pub min_attendance_percent: Option<i32>,
    /// What people are told when it is cancelled.
    pub cancellation_reason: Option<String>,
    /// Why it was cancelled, as the programme's report counts it.
    pub cancellation_cause: Option<CancellationCause>,
    /// The first session's start.
    pub starts_at: DateTimeUtc,
    /// The last session's end.
    pub ends_at: DateTimeUtc,
    pub confirmed_count: i32,
    pub waitlist_count: i32,
    /// iCalendar SEQUENCE: raised at every change of dates, place or status.
    pub sequence: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// Registrations wait as PENDING for staff's decision.
    pub requires_approval: bool,
    /// A freed seat is OFFERED to the head of the waiting list for this many hours; 0 gives
    /// it at once.
    pub offer_hours: i32,
    /// The consent purposes a registrant must have given, comma-separated.
    pub required_consents: String,
    /// The topic whose demand it answers.
    pub topic_id: Option<i64>,
    /// Partners interested in its topic register this many hours before anyone else.
    pub priority_hours: i32,
    /// When the partners interested in its topic were told it is open.
    pub announced_at: Option<DateTimeUtc>,
    /// When the partners interested in its topic were told it still lacks participants.
    pub shortfall_noticed_at: Option<DateTimeUtc>,
}

impl Model {
    /// The activity from the row's first columns, those `Entity::find()` selects, in their
    /// order. The derived decoding looks each column up by name and formats
    /// an error string for every NULL it meets; on the programme's page, twenty rows of 31
    /// columns, decoding was 13 % of the server's time, and reading by position saves 3 to 8 %
    /// of its CPU per page (klub-bench, perf; `docs/performance.md`). The fields are read in
    /// the struct's order, which is the columns'; a test compares both decodings.
    pub fn from_leading_columns(row: &QueryResult) -> Result<Self, DbErr> {
        let mut column = 0;
        let mut next = || {
            column += 1;
            column - 1
        };
        Ok(Self {
            id: row.try_get_by_index(next())?,
            kind: row.try_get_by_index(next())?,
            status: row.try_get_by_index(next())?,
            audience: row.try_get_by_index(next())?,
            title: row.try_get_by_index(next())?,
            description: row.try_get_by_index(next())?,
            location: row.try_get_by_index(next())?,
            capacity: row.try_get_by_index(next())?,
            min_participants: row.try_get_by_index(next())?,
            registration_deadline: row.try_get_by_index(next())?,
            price_cents: row.try_get_by_index(next())?,
            trainer_name: row.try_get_by_index(next())?,
            co_organiser: row.try_get_by_index(next())?,
            min_attendance_percent: row.try_get_by_index(next())?,
            cancellation_reason: row.try_get_by_index(next())?,
            cancellation_cause: row.try_get_by_index(next())?,
            starts_at: row.try_get_by_index(next())?,
            ends_at: row.try_get_by_index(next())?,
            confirmed_count: row.try_get_by_index(next())?,
            waitlist_count: row.try_get_by_index(next())?,
            sequence: row.try_get_by_index(next())?,
            created_by: row.try_get_by_index(next())?,
            created_at: row.try_get_by_index(next())?,
            updated_at: row.try_get_by_index(next())?,
            requires_approval: row.try_get_by_index(next())?,
            offer_hours: row.try_get_by_index(next())?,
            required_consents: row.try_get_by_index(next())?,
            topic_id: row.try_get_by_index(next())?,
            priority_hours: row.try_get_by_index(next())?,
            announced_at: row.try_get_by_index(next())?,
            shortfall_noticed_at: row.try_get_by_index(next())?,
        })
    }

    /// Registrations close at the deadline, or when the first session starts if there is none.
    pub fn registration_closes_at(&self) -> DateTimeUtc {
        self.registration_deadline.unwrap_or(self.starts_at)
    }
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Kind {
    #[sea_orm(string_value = "TRAINING")]
    Training,
    #[sea_orm(string_value = "WORKSHOP")]
    Workshop,
    #[sea_orm(string_value = "CONFERENCE")]
    Conference,
    #[sea_orm(string_value = "CLUB_MEETING")]
    ClubMeeting,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum CancellationCause {
    /// Staff cancelled it.
    #[sea_orm(string_value = "STAFF")]
    Staff,
    /// Its registrations closed short of its minimum of participants.
    #[sea_orm(string_value = "TOO_FEW_PARTICIPANTS")]
    TooFewParticipants,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(24))")]
pub enum Audience {
    #[sea_orm(string_value = "ALL_PARTNERS")]
    AllPartners,
    #[sea_orm(string_value = "TRAINED_PARTNERS")]
    TrainedPartners,
    #[sea_orm(string_value = "STAFF")]
    Staff,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(has_many = "super::session::Entity")]
    Session,
    #[sea_orm(has_many = "super::registration::Entity")]
    Registration,
}

impl Related<super::session::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Session.def()
    }
}

impl Related<super::registration::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Registration.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
