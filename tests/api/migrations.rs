//! Upgrades of a database that already holds data: each migration that reshapes a table keeps
//! every row and every link, on SQLite and PostgreSQL.

use chrono::Utc;
use entity::{
    activity, survey, survey_answer, survey_participation,
    survey_question::{self, Kind},
    user,
};
use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectOptions, ConnectionTrait, Database, EntityTrait, PaginatorTrait,
    QueryFilter,
    sea_query::{Alias, Query},
};

use crate::helpers::TestDatabase;

async fn last_id(db: &sea_orm::DatabaseConnection, table: &str) -> i64 {
    db.query_one_raw(sea_orm::Statement::from_string(
        db.get_database_backend(),
        format!("SELECT MAX(id) AS id FROM {table}"),
    ))
    .await
    .unwrap()
    .unwrap()
    .try_get("", "id")
    .unwrap()
}

/// Migration 28 gives surveys a purpose and lets an activity have one of each: SQLite rebuilds
/// the table (its column-level UNIQUE cannot be dropped). The survey of a database from before,
/// its questions, answers and who answered come through; links still cascade.
#[tokio::test]
async fn surveys_come_through_the_questionnaire_engine_migration_whole() {
    let test_db = TestDatabase::create().await;
    let mut options = ConnectOptions::new(&test_db.url);
    options.max_connections(1);
    let db = Database::connect(options).await.unwrap();
    Migrator::up(&db, Some(27)).await.unwrap();

    let now = Utc::now();
    let ann = user::ActiveModel {
        email: Set("ann@example.fr".into()),
        name: Set("Ann".into()),
        role: Set(user::Role::Partner),
        trained: Set(false),
        password_hash: Set("-".into()),
        created_at: Set(now),
        session_epoch: Set(0),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    // Written without reading back: the entity knows columns later migrations add.
    activity::Entity::insert(activity::ActiveModel {
        kind: Set(activity::Kind::Workshop),
        status: Set(activity::Status::Completed),
        audience: Set(activity::Audience::AllPartners),
        title: Set("Canva".into()),
        capacity: Set(10),
        price_cents: Set(0),
        starts_at: Set(now),
        ends_at: Set(now),
        confirmed_count: Set(0),
        waitlist_count: Set(0),
        sequence: Set(0),
        created_by: Set(ann.id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(&db)
    .await
    .unwrap();
    let canva_id = last_id(&db, "activities").await;
    // The surveys table as migration 27 left it: no purpose yet.
    let old_survey = Query::insert()
        .into_table(Alias::new("surveys"))
        .columns(
            [
                "activity_id",
                "anonymous",
                "invited_at",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            canva_id.into(),
            true.into(),
            Some(now).into(),
            now.into(),
            now.into(),
        ])
        .to_owned();
    db.execute(&old_survey).await.unwrap();
    let survey_id = last_id(&db, "surveys").await;
    let question = survey_question::ActiveModel {
        survey_id: Set(survey_id),
        position: Set(0),
        kind: Set(Kind::Rating),
        text: Set("Utile ?".into()),
        choices: Set(None),
        ..Default::default()
    }
    .insert(&db)
    .await
    .unwrap();
    survey_answer::ActiveModel {
        id: Set(42),
        survey_id: Set(survey_id),
        question_id: Set(question.id),
        respondent_id: Set(None),
        rating: Set(Some(5)),
        text: Set(None),
        choice: Set(None),
        batch: Set(0),
    }
    .insert(&db)
    .await
    .unwrap();
    survey_participation::ActiveModel {
        survey_id: Set(survey_id),
        user_id: Set(ann.id),
    }
    .insert(&db)
    .await
    .unwrap();

    Migrator::up(&db, None).await.unwrap();

    let kept = survey::Entity::find_by_id(survey_id)
        .one(&db)
        .await
        .unwrap()
        .expect("the survey is kept");
    assert_eq!(
        (
            kept.activity_id,
            kept.purpose,
            kept.anonymous,
            kept.weeks_after
        ),
        (canva_id, survey::Purpose::End, true, None)
    );
    assert!(kept.invited_at.is_some());
    let count = |table: &'static str| {
        let db = &db;
        async move {
            db.query_one_raw(sea_orm::Statement::from_string(
                db.get_database_backend(),
                format!("SELECT COUNT(*) AS n FROM {table}"),
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap()
        }
    };
    assert_eq!(count("survey_questions").await, 1);
    assert_eq!(count("survey_answers").await, 1);
    assert_eq!(count("survey_participations").await, 1);
    if !test_db.is_postgres() {
        let backend = db.get_database_backend();
        let on = db
            .query_one_raw(sea_orm::Statement::from_string(
                backend,
                "PRAGMA foreign_keys",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get_by_index::<i32>(0)
            .unwrap();
        assert_eq!(on, 1, "foreign keys are back on");
        let broken = db
            .query_all_raw(sea_orm::Statement::from_string(
                backend,
                "PRAGMA foreign_key_check",
            ))
            .await
            .unwrap();
        assert!(broken.is_empty(), "every link still points at a row");
    }

    // One questionnaire of each purpose per activity, never two of one.
    let another = |purpose| survey::ActiveModel {
        activity_id: Set(canva_id),
        purpose: Set(purpose),
        anonymous: Set(false),
        weeks_after: Set(None),
        invited_at: Set(None),
        reminded_at: Set(None),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    };
    another(survey::Purpose::Cold).insert(&db).await.unwrap();
    another(survey::Purpose::Positioning)
        .insert(&db)
        .await
        .unwrap();
    assert!(another(survey::Purpose::End).insert(&db).await.is_err());

    // The rebuilt table still hangs from its activity: deleting it takes every questionnaire.
    activity::Entity::delete_by_id(canva_id)
        .exec(&db)
        .await
        .unwrap();
    let left = survey::Entity::find()
        .filter(survey::Column::ActivityId.eq(canva_id))
        .count(&db)
        .await
        .unwrap();
    assert_eq!(left, 0);
    assert_eq!(count("survey_questions").await, 0);
    db.close().await.unwrap();
}
