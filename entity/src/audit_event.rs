use sea_orm::entity::prelude::*;

/// One staff action: who did what to which record, and when.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_events")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub at: DateTimeUtc,
    pub actor_id: i64,
    pub action: Action,
    /// `ACTIVITY`, `USER`, `INVITATION`, `POST`, `THREAD`, `REGISTRATION` or `ORGANISATION`:
    /// see [`Action::target_type`].
    pub target_type: String,
    pub target_id: i64,
    /// A short detail (a new role, a reason), never a secret.
    pub detail: Option<String>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum Action {
    #[sea_orm(string_value = "ACTIVITY_CREATED")]
    ActivityCreated,
    #[sea_orm(string_value = "ACTIVITY_UPDATED")]
    ActivityUpdated,
    #[sea_orm(string_value = "ACTIVITY_PUBLISHED")]
    ActivityPublished,
    #[sea_orm(string_value = "ACTIVITY_CANCELLED")]
    ActivityCancelled,
    #[sea_orm(string_value = "ACTIVITY_COMPLETED")]
    ActivityCompleted,
    #[sea_orm(string_value = "ATTENDANCE_RECORDED")]
    AttendanceRecorded,
    #[sea_orm(string_value = "ROLE_CHANGED")]
    RoleChanged,
    #[sea_orm(string_value = "TRAINED_CHANGED")]
    TrainedChanged,
    #[sea_orm(string_value = "INVITATION_SENT")]
    InvitationSent,
    #[sea_orm(string_value = "INVITATION_REVOKED")]
    InvitationRevoked,
    #[sea_orm(string_value = "POST_EDITED")]
    PostEdited,
    #[sea_orm(string_value = "POST_REMOVED")]
    PostRemoved,
    #[sea_orm(string_value = "THREAD_LOCKED")]
    ThreadLocked,
    #[sea_orm(string_value = "THREAD_UNLOCKED")]
    ThreadUnlocked,
    #[sea_orm(string_value = "REGISTRANTS_MESSAGED")]
    RegistrantsMessaged,
    #[sea_orm(string_value = "REMINDER_ADDED")]
    ReminderAdded,
    #[sea_orm(string_value = "REMINDER_REMOVED")]
    ReminderRemoved,
    #[sea_orm(string_value = "SURVEY_SET")]
    SurveySet,
    #[sea_orm(string_value = "PAYMENT_RECORDED")]
    PaymentRecorded,
    #[sea_orm(string_value = "ORGANISATION_CREATED")]
    OrganisationCreated,
    #[sea_orm(string_value = "ORGANISATION_MEMBER_SET")]
    OrganisationMemberSet,
    #[sea_orm(string_value = "TRAINER_ASSIGNED")]
    TrainerAssigned,
    #[sea_orm(string_value = "ATTENDANCE_CORRECTED")]
    AttendanceCorrected,
    #[sea_orm(string_value = "LATE_REGISTRATION")]
    LateRegistration,
    #[sea_orm(string_value = "REGISTRATION_DECIDED")]
    RegistrationDecided,
    #[sea_orm(string_value = "PHOTO_TAGGED")]
    PhotoTagged,
}

impl Action {
    /// What kind of record the event's `target_id` names.
    pub fn target_type(self) -> &'static str {
        use Action::*;
        match self {
            ActivityCreated | ActivityUpdated | ActivityPublished | ActivityCancelled
            | ActivityCompleted | AttendanceRecorded | RegistrantsMessaged | ReminderAdded
            | ReminderRemoved | SurveySet | TrainerAssigned | AttendanceCorrected => "ACTIVITY",
            RoleChanged | TrainedChanged => "USER",
            InvitationSent | InvitationRevoked => "INVITATION",
            PostEdited | PostRemoved => "POST",
            ThreadLocked | ThreadUnlocked => "THREAD",
            PaymentRecorded | LateRegistration | RegistrationDecided => "REGISTRATION",
            OrganisationCreated | OrganisationMemberSet => "ORGANISATION",
            PhotoTagged => "PHOTO",
        }
    }
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
