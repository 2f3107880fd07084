//! The rules of organisations: who creates one, who adds members, who registers colleagues.

use chrono::{DateTime, Utc};
use entity::{
    organisation::{self, Sector},
    organisation_member::{self, Role},
    registration, user,
};
use minijinja::context;
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection,
    EntityTrait, QueryFilter, Select, sea_query::Query,
};

use crate::{
    audit::{self, Action},
    db::{self, begin_write},
    error::{ApiError, ApiResult},
    mail::{Letter, Mailer, Recipient},
    people::{self, Staff},
    registrations::{self, policy::Placement},
    validation::{optional_text, required_text},
};

pub const MAX_NAME_CHARS: usize = 200;

/// An organisation as its creator describes it.
pub struct OrganisationDraft {
    pub name: String,
    pub sector: Sector,
    pub commune: Option<String>,
    pub website: Option<String>,
}

impl OrganisationDraft {
    fn checked(self) -> ApiResult<Self> {
        let website = optional_text("website", self.website, 300)?;
        if let Some(site) = &website
            && !(site.starts_with("https://") || site.starts_with("http://"))
        {
            return Err(ApiError::bad_input(
                "website",
                "must start with https:// or http://",
            ));
        }
        Ok(Self {
            name: required_text("name", self.name, MAX_NAME_CHARS)?,
            sector: self.sector,
            commune: optional_text("commune", self.commune, 100)?,
            website,
        })
    }
}

pub async fn membership(
    db: &impl ConnectionTrait,
    person_id: i64,
) -> ApiResult<Option<organisation_member::Model>> {
    Ok(organisation_member::Entity::find_by_id(person_id)
        .one(db)
        .await?)
}

/// Whether `person` manages organisation `organisation_id`.
async fn manages(
    db: &impl ConnectionTrait,
    person: &user::Model,
    organisation_id: i64,
) -> ApiResult<bool> {
    Ok(membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == organisation_id && m.role == Role::Manager))
}

/// The organisation, for its members and staff; NOT_FOUND for anyone else.
pub async fn visible(
    db: &impl ConnectionTrait,
    id: i64,
    person: &user::Model,
) -> ApiResult<organisation::Model> {
    let member = membership(db, person.id)
        .await?
        .is_some_and(|m| m.organisation_id == id);
    if !(member || Staff::of(person).is_some()) {
        return Err(ApiError::NotFound("organisation"));
    }
    db::get::<organisation::Entity>(db, id, "organisation").await
}

async fn join(
    db: &impl ConnectionTrait,
    organisation_id: i64,
    person_id: i64,
    role: Role,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    organisation_member::ActiveModel {
        user_id: Set(person_id),
        organisation_id: Set(organisation_id),
        role: Set(role),
        added_at: Set(now),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Staff create any organisation; a partner belonging to none creates its own and becomes
/// its MANAGER.
pub async fn create(
    db: &DatabaseConnection,
    draft: OrganisationDraft,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    let draft = draft.checked()?;
    let tx = begin_write(db).await?;
    let staff = Staff::of(by);
    if staff.is_none() && membership(&tx, by.id).await?.is_some() {
        return Err(ApiError::conflict("you belong to an organisation already"));
    }
    let created = organisation::ActiveModel {
        name: Set(draft.name),
        sector: Set(draft.sector),
        commune: Set(draft.commune),
        website: Set(draft.website),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(&tx)
    .await?;
    match staff {
        Some(staff) => {
            audit::record(
                &tx,
                staff.person(),
                Action::OrganisationCreated,
                [created.id],
                Some(&created.name),
                now,
            )
            .await?;
        }
        None => join(&tx, created.id, by.id, Role::Manager, now).await?,
    }
    tx.commit().await?;
    Ok(created)
}

/// Staff, or a MANAGER of the organisation, puts a person in it with `role` (or changes the
/// role of a member). Someone in another organisation: CONFLICT. The person is told by mail,
/// so nobody is placed in an organisation without knowing it.
pub async fn set_member(
    db: &DatabaseConnection,
    mailer: &Mailer,
    organisation_id: i64,
    person_id: i64,
    role: Role,
    by: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    let tx = begin_write(db).await?;
    let organisation = visible(&tx, organisation_id, by).await?;
    if Staff::of(by).is_none() && !manages(&tx, by, organisation.id).await? {
        return Err(ApiError::Forbidden);
    }
    let person = people::service::get(&tx, person_id).await?;
    match membership(&tx, person.id).await? {
        Some(current) if current.organisation_id != organisation.id => {
            return Err(ApiError::conflict(
                "this person belongs to another organisation",
            ));
        }
        Some(current) => {
            let mut active: organisation_member::ActiveModel = current.into();
            active.role = Set(role);
            active.update(&tx).await?;
        }
        None => {
            join(&tx, organisation.id, person.id, role, now).await?;
            if person.id != by.id {
                let letter = Letter::new(
                    "organisation_joined",
                    Recipient::address_of(&person),
                    context! {
                        name => &person.name,
                        organisation => &organisation.name,
                        by => &by.name,
                    },
                );
                mailer.send(&tx, letter, now).await?;
            }
        }
    }
    audit::record(
        &tx,
        by,
        Action::OrganisationMemberSet,
        [organisation.id],
        Some(&format!(
            "user {} as {}",
            person.id,
            sea_orm::ActiveEnum::to_value(&role)
        )),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(organisation)
}

/// Staff turn the partners who gave this organisation's name at sign-up (the free text,
/// compared without case) and belong to none into its MEMBERs. Returns how many joined.
pub async fn adopt_by_name(
    db: &DatabaseConnection,
    organisation_id: i64,
    by: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<usize> {
    let tx = begin_write(db).await?;
    let organisation =
        db::get::<organisation::Entity>(&tx, organisation_id, "organisation").await?;
    let wanted = organisation.name.trim().to_lowercase();
    let candidates = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Partner))
        .filter(user::Column::Organisation.is_not_null())
        .filter(
            user::Column::Id.not_in_subquery(
                Query::select()
                    .column(organisation_member::Column::UserId)
                    .from(organisation_member::Entity)
                    .to_owned(),
            ),
        )
        .all(&tx)
        .await?;
    let mut joined = 0;
    for person in candidates.iter().filter(|p| {
        p.organisation
            .as_deref()
            .is_some_and(|given| given.trim().to_lowercase() == wanted)
    }) {
        join(&tx, organisation.id, person.id, Role::Member, now).await?;
        joined += 1;
    }
    audit::record(
        &tx,
        by.person(),
        Action::OrganisationMemberSet,
        [organisation.id],
        Some(&format!("{joined} partners joined by the name they gave")),
        now,
    )
    .await?;
    tx.commit().await?;
    Ok(joined)
}

/// A MANAGER registers a member of its organisation under the usual seat, audience and
/// waiting-list rules; anyone else: FORBIDDEN (judged before anything is looked up).
pub async fn register_colleague(
    db: &DatabaseConnection,
    mailer: &Mailer,
    activity_id: i64,
    colleague_id: i64,
    manager: &user::Model,
    now: DateTime<Utc>,
) -> ApiResult<registration::Model> {
    let Some(mine) = membership(db, manager.id).await? else {
        return Err(ApiError::Forbidden);
    };
    let theirs = membership(db, colleague_id).await?;
    if mine.role != Role::Manager
        || theirs.is_none_or(|m| m.organisation_id != mine.organisation_id)
    {
        return Err(ApiError::Forbidden);
    }
    let colleague = people::service::get(db, colleague_id).await?;
    registrations::service::register(
        db,
        mailer,
        activity_id,
        &colleague,
        Placement::Colleague,
        now,
    )
    .await
}

/// The registrations of the organisation's members.
pub fn registrations_of(organisation_id: i64) -> Select<registration::Entity> {
    registration::Entity::find().filter(
        registration::Column::UserId.in_subquery(
            Query::select()
                .column(organisation_member::Column::UserId)
                .from(organisation_member::Entity)
                .and_where(organisation_member::Column::OrganisationId.eq(organisation_id))
                .to_owned(),
        ),
    )
}

pub fn directory(sector: Option<Sector>) -> Select<organisation::Entity> {
    let select = organisation::Entity::find();
    match sector {
        Some(sector) => select.filter(organisation::Column::Sector.eq(sector)),
        None => select,
    }
}
