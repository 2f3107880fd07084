use sea_orm::entity::prelude::*;

/// One mail in the outbox, rendered when it was queued.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "mails")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: String,
    pub to_address: String,
    /// The account the mail was written to, if any: mails belong to accounts by id, never to
    /// whoever holds the address later.
    pub user_id: Option<i64>,
    /// The account the mail was written about, even to an address it has not proven: the
    /// mail goes with the account when it is deleted.
    pub about_user_id: Option<i64>,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// An iCalendar attachment (its METHOD inside), if any.
    pub calendar: Option<String>,
    pub status: Status,
    pub attempts: i32,
    pub last_error: Option<String>,
    pub next_attempt_at: DateTimeUtc,
    pub leased_until: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// The token of the mail's link while the mail waits to leave; the bodies hold a
    /// placeholder in its place. Forgotten once the mail is sent or has failed for good.
    pub secret: Option<String>,
    /// The one-click unsubscribe URL (RFC 8058) of a mail about a group, with the secret's
    /// placeholder in place of its token.
    pub list_unsubscribe: Option<String>,
    /// One attached file (a certificate's PDF), with its name and MIME type.
    pub attachment_name: Option<String>,
    pub attachment_type: Option<String>,
    pub attachment: Option<Vec<u8>>,
}

#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Status {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    #[sea_orm(string_value = "FAILED")]
    Failed,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
