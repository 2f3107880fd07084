//! The rules of organisations: who creates one, who adds members, who registers colleagues.

use chrono::{DateTime, Utc};
use entity::{
    organisation::{self, Sector},
    organisation_member::{self, Role},
    registration, user,
};
use sea_orm::{
    ActiveModelTrait,
    ActiveValue::Set,
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, ExprTrait, QueryFilter, Select,
    sea_query::{Expr, Query},
};

use super::policy::Sight;
use crate::{
    audit::{self, Action},
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::Mailer,
    people::{self, Staff},
    registrations::{self, policy::Placement},
    validation::{optional_text, required_text},
};

pub const MAX_NAME_CHARS: usize = 200;
pub const MAX_COMMUNE_CHARS: usize = 100;

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
            commune: optional_text("commune", self.commune, MAX_COMMUNE_CHARS)?,
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

pub(super) async fn join(
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
    let tx = begin_write(db).await?;
    let created = match Staff::of(by) {
        Some(staff) => create_by_staff(&tx, draft, staff, now).await?,
        None => {
            if membership(&tx, by.id).await?.is_some() {
                return Err(ApiError::conflict("you belong to an organisation already"));
            }
            let created = insert(&tx, draft.checked()?, now).await?;
            join(&tx, created.id, by.id, Role::Manager, now).await?;
            created
        }
    };
    tx.commit().await?;
    Ok(created)
}

/// Staff create an organisation within the caller's transaction (an import creates many in
/// one); the creation is audited.
pub async fn create_by_staff(
    db: &impl ConnectionTrait,
    draft: OrganisationDraft,
    staff: Staff<'_>,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    let created = insert(db, draft.checked()?, now).await?;
    audit::record(
        db,
        staff.person(),
        Action::OrganisationCreated,
        [created.id],
        Some(&created.name),
        now,
    )
    .await?;
    Ok(created)
}

async fn insert(
    db: &impl ConnectionTrait,
    draft: OrganisationDraft,
    now: DateTime<Utc>,
) -> ApiResult<organisation::Model> {
    Ok(organisation::ActiveModel {
        name: Set(draft.name),
        sector: Set(draft.sector),
        commune: Set(draft.commune),
        website: Set(draft.website),
        created_at: Set(now),
        ..Default::default()
    }
    .insert(db)
    .await?)
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
    let Some(managed) = membership(db, manager.id).await? else {
        return Err(ApiError::Forbidden);
    };
    let theirs = membership(db, colleague_id).await?;
    if managed.role != Role::Manager
        || theirs.is_none_or(|m| m.organisation_id != managed.organisation_id)
    {
        return Err(ApiError::Forbidden);
    }
    let colleague = people::service::get(db, colleague_id).await?;
    registrations::service::register(
        db,
        mailer,
        activity_id,
        &colleague,
        Placement::Colleague(manager),
        Vec::new(),
        now,
    )
    .await
}

/// The registrations the members made since each joined, as far as `sight` reaches: what a
/// person did before joining is not the organisation's.
pub fn registrations_of(organisation_id: i64, sight: Sight) -> Select<registration::Entity> {
    use organisation_member::Column as Member;
    let since_joining = Query::select()
        .expr(Expr::val(1))
        .from(organisation_member::Entity)
        .and_where(
            Expr::col((organisation_member::Entity, Member::UserId))
                .equals((registration::Entity, registration::Column::UserId)),
        )
        .and_where(
            Expr::col((organisation_member::Entity, Member::OrganisationId)).eq(organisation_id),
        )
        .and_where(
            Expr::col((organisation_member::Entity, Member::AddedAt)).lte(Expr::col((
                registration::Entity,
                registration::Column::CreatedAt,
            ))),
        )
        .to_owned();
    let select = registration::Entity::find().filter(Expr::exists(since_joining));
    match sight {
        Sight::Everything => select,
        Sight::Own(person) => select.filter(registration::Column::UserId.eq(person)),
    }
}

pub fn directory(sector: Option<Sector>) -> Select<organisation::Entity> {
    let select = organisation::Entity::find();
    match sector {
        Some(sector) => select.filter(organisation::Column::Sector.eq(sector)),
        None => select,
    }
}
