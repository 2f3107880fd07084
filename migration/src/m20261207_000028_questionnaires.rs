use sea_orm_migration::{prelude::*, schema::*, sea_orm::DatabaseBackend};

use crate::{cascade, m20261125_000020_notify_data_changes::watch};

/// One questionnaire engine for every questionnaire of an activity: a survey now has a
/// `purpose` — END (satisfaction when it completes), COLD (satisfaction `weeks_after` weeks
/// later, reminded once at `reminded_at`) or POSITIONING (where each trainee starts, before the
/// first session; its reminder also claims `reminded_at`). An activity has at most one of each.
/// `survey_requests`: who was asked to answer, once each (a positioning asks every registrant
/// as it is confirmed).
///
/// SQLite cannot drop the column-level UNIQUE on `surveys.activity_id`: the table is rebuilt
/// the way SQLite's documentation prescribes, with foreign keys off so that dropping the old
/// table does not cascade to the questions and answers. Migrations run on a connection of
/// their own outside a transaction on SQLite, so the pragma takes effect; the whole rebuild is
/// one script on that connection.
#[derive(DeriveMigrationName)]
pub struct Migration;

const SQLITE_REBUILD: &str = r#"
PRAGMA foreign_keys = OFF;
CREATE TABLE "surveys_next" (
    "id" integer NOT NULL PRIMARY KEY AUTOINCREMENT,
    "activity_id" bigint NOT NULL,
    "purpose" varchar(16) NOT NULL DEFAULT 'END',
    "anonymous" boolean NOT NULL,
    "weeks_after" integer NULL,
    "invited_at" timestamp_with_timezone_text NULL,
    "reminded_at" timestamp_with_timezone_text NULL,
    "created_at" timestamp_with_timezone_text NOT NULL,
    "updated_at" timestamp_with_timezone_text NOT NULL,
    FOREIGN KEY ("activity_id") REFERENCES "activities" ("id") ON DELETE CASCADE
);
INSERT INTO "surveys_next" ("id", "activity_id", "purpose", "anonymous", "invited_at", "created_at", "updated_at")
    SELECT "id", "activity_id", 'END', "anonymous", "invited_at", "created_at", "updated_at" FROM "surveys";
DROP TABLE "surveys";
ALTER TABLE "surveys_next" RENAME TO "surveys";
CREATE UNIQUE INDEX "idx_surveys_activity_purpose" ON "surveys" ("activity_id", "purpose");
PRAGMA foreign_keys = ON;
"#;

const POSTGRES_CHANGE: &str = r#"
ALTER TABLE "surveys" DROP CONSTRAINT "surveys_activity_id_key";
ALTER TABLE "surveys" ADD COLUMN "purpose" varchar(16) NOT NULL DEFAULT 'END';
ALTER TABLE "surveys" ADD COLUMN "weeks_after" integer NULL;
ALTER TABLE "surveys" ADD COLUMN "reminded_at" timestamp with time zone NULL;
CREATE UNIQUE INDEX "idx_surveys_activity_purpose" ON "surveys" ("activity_id", "purpose");
"#;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        match manager.get_database_backend() {
            DatabaseBackend::Postgres => db.execute_unprepared(POSTGRES_CHANGE).await?,
            _ => db.execute_unprepared(SQLITE_REBUILD).await?,
        };
        manager
            .create_table(
                Table::create()
                    .table(SurveyRequests::Table)
                    .col(big_integer(SurveyRequests::SurveyId))
                    .col(big_integer(SurveyRequests::UserId))
                    .col(timestamp_with_time_zone(SurveyRequests::AskedAt))
                    .primary_key(
                        Index::create()
                            .col(SurveyRequests::SurveyId)
                            .col(SurveyRequests::UserId),
                    )
                    .foreign_key(&mut cascade(
                        SurveyRequests::Table,
                        SurveyRequests::SurveyId,
                        Surveys::Table,
                        Surveys::Id,
                    ))
                    .foreign_key(&mut cascade(
                        SurveyRequests::Table,
                        SurveyRequests::UserId,
                        Users::Table,
                        Users::Id,
                    ))
                    .to_owned(),
            )
            .await?;
        watch(manager, "survey_requests").await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(SurveyRequests::Table).to_owned())
            .await?;
        let db = manager.get_connection();
        db.execute_unprepared(r#"DELETE FROM "surveys" WHERE "purpose" <> 'END'"#)
            .await?;
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            db.execute_unprepared(
                r#"DROP INDEX "idx_surveys_activity_purpose";
                   ALTER TABLE "surveys" DROP COLUMN "purpose";
                   ALTER TABLE "surveys" DROP COLUMN "weeks_after";
                   ALTER TABLE "surveys" DROP COLUMN "reminded_at";
                   ALTER TABLE "surveys" ADD CONSTRAINT "surveys_activity_id_key" UNIQUE ("activity_id")"#,
            )
            .await?;
        }
        // SQLite keeps the extra columns and the composite index: with every row END, the
        // old code reads the table as before.
        Ok(())
    }
}

#[derive(DeriveIden)]
enum SurveyRequests {
    Table,
    SurveyId,
    UserId,
    AskedAt,
}

#[derive(DeriveIden)]
enum Surveys {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Users {
    Table,
    Id,
}
