//! Photos and their rights: sharing (a multipart upload), tagging, withdrawing, the register
//! and the caller's own. The rules are in `photos`.

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, Upload};
use entity::photo;
use tokio::io::AsyncReadExt;

use crate::{
    error::{ApiError, ApiResult},
    graphql::{
        activities::Activity,
        connections::{Direction, Page, PageArgs, page_cost, paginate},
        context::ContextExt,
        inputs::parse_id,
        people::User,
        scalars::Timestamp,
    },
    people::Access,
    photos::{
        self, MAX_UPLOAD_BYTES, Rights,
        service::{RegisterFilter, Sharing},
    },
};

/// A way a photo may be used.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "photos::Use")]
pub enum PhotoUse {
    /// The office's web site.
    Web,
    /// Social networks.
    Social,
    /// Printed matter: brochures, posters.
    Print,
    /// Given to the press.
    Press,
}

/// The rights an author grants with a photo.
#[derive(InputObject)]
pub struct PhotoRightsInput {
    /// The uses granted (at least one).
    uses: Vec<PhotoUse>,
    /// The rights end then (in the future); none: no end.
    until: Option<Timestamp>,
    /// The credit line to print with the photo (one line).
    credit: String,
}

/// The rights a photo carries, as its author granted them.
#[derive(SimpleObject)]
pub struct PhotoRights {
    /// The uses granted.
    uses: Vec<PhotoUse>,
    /// When they end; none: no end.
    until: Option<Timestamp>,
    /// The credit line to print.
    credit: String,
}

pub struct Photo(pub photo::Model);

impl Photo {
    /// Who appears in it, and which of them block its reuse, through the request's loaders.
    async fn tagged(&self, ctx: &Context<'_>) -> ApiResult<(Vec<i64>, Vec<i64>)> {
        let loaders = ctx.loaders()?;
        let people: Vec<i64> = loaders
            .photo_people()
            .load_one(self.0.id)
            .await?
            .unwrap_or_default()
            .into_iter()
            .map(|tag| tag.user_id)
            .collect();
        let blocking = loaders.image_rights_blocking(&people).await?;
        Ok((people, blocking))
    }

    async fn users(ctx: &Context<'_>, ids: Vec<i64>) -> ApiResult<Vec<User>> {
        let users = ctx.loaders()?.users_in_order(&ids).await?;
        Ok(users.into_iter().map(User::new).collect())
    }
}

/// A photo shared by a participant of an activity. Seen by staff, its author and the people
/// tagged in it.
#[Object]
impl Photo {
    /// The photo's id.
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }
    /// The picture, metadata removed (bearer token: staff, its author, the people in it).
    async fn url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(format!(
            "{}/photos/{}",
            ctx.state()?.config.public_url,
            self.0.id
        ))
    }
    /// A JPEG at most 400 pixels on its longest side, served like `url`.
    async fn thumbnail_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        Ok(format!(
            "{}/photos/{}/thumbnail",
            ctx.state()?.config.public_url,
            self.0.id
        ))
    }
    /// Width in pixels, as it stands (the camera's orientation applied).
    async fn width(&self) -> i32 {
        self.0.width
    }
    /// Height in pixels.
    async fn height(&self) -> i32 {
        self.0.height
    }
    /// What its author wrote about it.
    async fn caption(&self) -> Option<&str> {
        self.0.caption.as_deref()
    }
    /// The rights granted.
    async fn rights(&self) -> PhotoRights {
        PhotoRights {
            uses: photos::parse_uses(&self.0.uses)
                .into_iter()
                .map(Into::into)
                .collect(),
            until: self.0.rights_until.map(Timestamp),
            credit: self.0.credit.clone(),
        }
    }
    /// When its author withdrew the rights, if they did.
    async fn withdrawn_at(&self) -> Option<Timestamp> {
        self.0.withdrawn_at.map(Timestamp)
    }
    /// Whether the office may reuse it today in some granted way: rights neither withdrawn
    /// nor ended, and nobody in it blocking.
    async fn reusable(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let (_, blocking) = self.tagged(ctx).await?;
        Ok(photos::service::reusable(
            &self.0,
            &blocking,
            ctx.state()?.now(),
        ))
    }
    /// Who appears in it, as staff tagged them.
    async fn people(&self, ctx: &Context<'_>) -> ApiResult<Vec<User>> {
        let (people, _) = self.tagged(ctx).await?;
        Self::users(ctx, people).await
    }
    /// Those in it without an IMAGE_RIGHTS consent (never given, withdrawn, or given to an
    /// older text): while any is listed, the photo is not reusable.
    async fn blocked_by(&self, ctx: &Context<'_>) -> ApiResult<Vec<User>> {
        let (_, blocking) = self.tagged(ctx).await?;
        Self::users(ctx, blocking).await
    }
    /// Who shared it.
    async fn author(&self, ctx: &Context<'_>) -> ApiResult<User> {
        Ok(User::new(ctx.loaders()?.user(self.0.author_id).await?))
    }
    /// The activity it was taken at.
    async fn activity(&self, ctx: &Context<'_>) -> ApiResult<Activity> {
        Ok(Activity(ctx.loaders()?.activity(self.0.activity_id).await?))
    }
    /// When it was shared.
    async fn created_at(&self) -> Timestamp {
        Timestamp(self.0.created_at)
    }
}

#[derive(Default)]
pub struct PhotoQuery;

#[Object]
impl PhotoQuery {
    /// Staff: the register of photos, newest first; `reusableFor` keeps those that may be
    /// used that way today (rights granted for it, neither ended nor withdrawn, nobody in
    /// them blocking).
    #[graphql(complexity = "page_cost(first, child_complexity)")]
    async fn photos(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "Only the photos of this activity.")] activity_id: Option<ID>,
        #[graphql(desc = "Only the photos that may be used this way today.")] reusable_for: Option<
            PhotoUse,
        >,
        #[graphql(desc = "How many to return (20 by default, at most 100).")] first: Option<i32>,
        #[graphql(desc = "The cursor after which the page starts (`pageInfo.endCursor`).")]
        after: Option<String>,
    ) -> ApiResult<Page<i64, Photo>> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let args = PageArgs::parse(first, after)?;
        let state = ctx.state()?;
        let filter = RegisterFilter {
            activity_id: activity_id
                .map(|id| parse_id("activityId", &id))
                .transpose()?,
            reusable_for: reusable_for.map(Into::into),
        };
        let select = photos::service::register(&state.db, staff, filter, state.now()).await?;
        paginate(
            &state.db,
            select,
            photo::Column::Id,
            Direction::Descending,
            args,
            |photo| photo.id,
            Photo,
        )
        .await
    }

    /// The caller's own photos, newest first.
    async fn my_photos(&self, ctx: &Context<'_>) -> ApiResult<Vec<Photo>> {
        let me = ctx.viewer().require(Access::Account)?;
        Ok(photos::service::of_author(&ctx.state()?.db, me.id)
            .await?
            .into_iter()
            .map(Photo)
            .collect())
    }
}

#[derive(Default)]
pub struct PhotoMutation;

#[Object]
impl PhotoMutation {
    /// A confirmed registrant of the activity, or staff: shares a photo (the GraphQL
    /// multipart request; JPEG or PNG, at most 15 MB, checked by decoding it) with the rights
    /// it grants. Location, camera and every other metadata are removed; a thumbnail is made.
    async fn share_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The activity it was taken at.")] activity_id: ID,
        #[graphql(desc = "The picture (a multipart upload).")] file: Upload,
        #[graphql(desc = "The rights granted.")] rights: PhotoRightsInput,
        #[graphql(desc = "What to say about it.")] caption: Option<String>,
    ) -> ApiResult<Photo> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let activity_id = parse_id("activityId", &activity_id)?;
        let sharing = Sharing {
            activity_id,
            bytes: uploaded(ctx, &file).await?,
            rights: Rights {
                uses: rights.uses.into_iter().map(Into::into).collect(),
                until: rights.until.map(|until| until.0),
                credit: rights.credit,
            },
            caption,
        };
        let shared =
            photos::service::share(&state.db, &state.storage, me, sharing, state.now()).await?;
        Ok(Photo(shared))
    }

    /// Staff: who appears in the photo — exactly these people, confirmed registrants of its
    /// activity. Anyone without an IMAGE_RIGHTS consent blocks its reuse (`blockedBy`).
    async fn tag_people(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo.")] photo_id: ID,
        #[graphql(desc = "Everyone who appears in it (an empty list clears the tags).")]
        user_ids: Vec<ID>,
    ) -> ApiResult<Photo> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let photo_id = parse_id("photoId", &photo_id)?;
        let people = user_ids
            .iter()
            .map(|id| parse_id("userIds", id))
            .collect::<ApiResult<Vec<i64>>>()?;
        let tagged = photos::service::tag(&state.db, staff, photo_id, people, state.now()).await?;
        Ok(Photo(tagged))
    }

    /// Its author: withdraws the rights granted. The photo stays on record and is never
    /// reusable again.
    async fn withdraw_photo(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The photo.")] photo_id: ID,
    ) -> ApiResult<Photo> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let photo_id = parse_id("photoId", &photo_id)?;
        Ok(Photo(
            photos::service::withdraw(&state.db, me, photo_id, state.now()).await?,
        ))
    }
}

/// The uploaded file's bytes, at most [`MAX_UPLOAD_BYTES`] (the multipart reader bounds it
/// too; this holds whatever reached the resolver).
async fn uploaded(ctx: &Context<'_>, file: &Upload) -> ApiResult<Vec<u8>> {
    let value = file
        .value(ctx)
        .map_err(|_| ApiError::bad_input("file", "must be a file of the multipart request"))?;
    let mut bytes = Vec::new();
    let limit = u64::try_from(MAX_UPLOAD_BYTES).unwrap_or(u64::MAX) + 1;
    tokio::fs::File::from_std(value.content)
        .take(limit)
        .read_to_end(&mut bytes)
        .await
        .map_err(ApiError::internal)?;
    if bytes.len() > MAX_UPLOAD_BYTES {
        return Err(ApiError::bad_input("file", "must be at most 15 MB"));
    }
    Ok(bytes)
}
