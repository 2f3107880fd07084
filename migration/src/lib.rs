//! Klub's schema, one change per migration. The server applies pending migrations at start.

pub use sea_orm_migration::prelude::*;

mod m20261123_000001_create_users;
mod m20261123_000002_create_settings;
mod m20261123_000003_create_activities;
mod m20261123_000004_create_sessions;
mod m20261123_000005_create_registrations;
mod m20261123_000006_create_attendances;
mod m20261123_000007_create_mails;
mod m20261123_000008_create_invitations;
mod m20261123_000009_add_calendar_fields;
mod m20261123_000010_add_calendar_secret;
mod m20261123_000011_create_club_questions;
mod m20261123_000012_create_groups;
mod m20261123_000013_add_thread_overdue_alert;
mod m20261123_000014_create_security_tables;
mod m20261125_000015_create_trust_tables;
mod m20261125_000016_create_followup_tables;
mod m20261125_000017_create_organisation_tables;
mod m20261125_000018_create_progress_tables;
mod m20261125_000019_notify_user_changes;
pub mod m20261125_000020_notify_data_changes;
mod m20261206_000021_trust_round_3;
mod m20261206_000022_cancellation_cause;
mod m20261206_000023_partner_import;
mod m20261206_000024_training_programmes;
mod m20261206_000025_activity_trainers;
mod m20261206_000026_attendance_sheets;
mod m20261206_000027_learning_loop;
mod m20261207_000028_questionnaires;
mod m20261207_000029_admission;
mod m20261207_000030_photos;
mod m20261207_000031_activities_ending;
mod m20261207_000032_mails_by_status;

pub struct Migrator;

/// A foreign key from `from.column` to `to.key` whose rows go with the row they point to.
fn cascade(
    from: impl IntoIden,
    column: impl IntoIden,
    to: impl IntoIden,
    key: impl IntoIden,
) -> ForeignKeyCreateStatement {
    ForeignKey::create()
        .from(from, column)
        .to(to, key)
        .on_delete(ForeignKeyAction::Cascade)
        .to_owned()
}

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_users::Migration),
            Box::new(m20261123_000002_create_settings::Migration),
            Box::new(m20261123_000003_create_activities::Migration),
            Box::new(m20261123_000004_create_sessions::Migration),
            Box::new(m20261123_000005_create_registrations::Migration),
            Box::new(m20261123_000006_create_attendances::Migration),
            Box::new(m20261123_000007_create_mails::Migration),
            Box::new(m20261123_000008_create_invitations::Migration),
            Box::new(m20261123_000009_add_calendar_fields::Migration),
            Box::new(m20261123_000010_add_calendar_secret::Migration),
            Box::new(m20261123_000011_create_club_questions::Migration),
            Box::new(m20261123_000012_create_groups::Migration),
            Box::new(m20261123_000013_add_thread_overdue_alert::Migration),
            Box::new(m20261123_000014_create_security_tables::Migration),
            Box::new(m20261125_000015_create_trust_tables::Migration),
            Box::new(m20261125_000016_create_followup_tables::Migration),
            Box::new(m20261125_000017_create_organisation_tables::Migration),
            Box::new(m20261125_000018_create_progress_tables::Migration),
            Box::new(m20261125_000019_notify_user_changes::Migration),
            Box::new(m20261125_000020_notify_data_changes::Migration),
            Box::new(m20261206_000021_trust_round_3::Migration),
            Box::new(m20261206_000022_cancellation_cause::Migration),
            Box::new(m20261206_000023_partner_import::Migration),
            Box::new(m20261206_000024_training_programmes::Migration),
            Box::new(m20261206_000025_activity_trainers::Migration),
            Box::new(m20261206_000026_attendance_sheets::Migration),
            Box::new(m20261206_000027_learning_loop::Migration),
            Box::new(m20261207_000028_questionnaires::Migration),
            Box::new(m20261207_000029_admission::Migration),
            Box::new(m20261207_000030_photos::Migration),
            Box::new(m20261207_000031_activities_ending::Migration),
            Box::new(m20261207_000032_mails_by_status::Migration),
        ]
    }
}
