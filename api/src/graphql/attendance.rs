//! Signed half-days: the sheets of an activity (`Activity.attendanceSlots`), the sign-in in the
//! room, the trainer's signature and staff's corrections. The rules are in `training`.

use std::sync::Arc;

use async_graphql::{Context, Enum, ID, Object, SimpleObject};
use entity::{registration, slot_presence};

use crate::{
    error::{ApiError, ApiResult},
    graphql::{
        context::ContextExt, inputs::parse_id, registration::Registration, scalars::Timestamp,
    },
    people::Access,
    training::{
        policy,
        sheets::{self, Sheet, Sheets},
        sign_in,
    },
};

/// What a half-day's sheet says of a person.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
#[graphql(remote = "slot_presence::Presence")]
pub enum Presence {
    /// The person signed in the room.
    Signed,
    /// Not there (nobody signed or corrected it).
    Absent,
    /// Not there, excused by staff with a reason.
    Excused,
    /// There, by staff's correction with a reason (a paper signature).
    PresentByCorrection,
}

/// One half-day of a session: a line of signatures on its own sheet.
#[derive(Clone)]
pub struct AttendanceSlot {
    sheets: Arc<Sheets>,
    index: usize,
}

impl AttendanceSlot {
    /// The half-days of `activity_id`, through the sheets' loader.
    pub async fn of_activity(ctx: &Context<'_>, activity_id: i64) -> ApiResult<Vec<Self>> {
        let sheets = ctx
            .loaders()?
            .sheets()
            .load_one(activity_id)
            .await?
            .ok_or(ApiError::NotFound("activity"))?;
        Ok((0..sheets.sheets.len())
            .map(|index| Self {
                sheets: Arc::clone(&sheets),
                index,
            })
            .collect())
    }

    /// The half-day `slot_id` as stored now (read after a change, so it shows it).
    async fn read(ctx: &Context<'_>, activity_id: i64, slot_id: i64) -> ApiResult<Self> {
        let state = ctx.state()?;
        let sheets = sheets::of_activities(&state.db, &[activity_id], state.config.timezone)
            .await?
            .remove(&activity_id)
            .ok_or(ApiError::NotFound("slot"))?;
        let index = sheets
            .sheets
            .iter()
            .position(|sheet| sheet.slot.id == slot_id)
            .ok_or(ApiError::NotFound("slot"))?;
        Ok(Self {
            sheets: Arc::new(sheets),
            index,
        })
    }

    fn sheet(&self) -> ApiResult<&Sheet> {
        self.sheets
            .sheets
            .get(self.index)
            .ok_or_else(|| ApiError::internal("slot out of its sheets"))
    }

    fn line_of(&self, registration: registration::Model) -> SlotAttendance {
        SlotAttendance {
            slot: self.clone(),
            registration,
        }
    }
}

/// A half-day of a training session, and its attendance sheet.
#[Object]
impl AttendanceSlot {
    /// The slot's id: what `openSignIn`, `signSheet` and `correctAttendance` take.
    async fn id(&self) -> ApiResult<ID> {
        Ok(ID(self.sheet()?.slot.id.to_string()))
    }

    /// When the half-day starts (its sign-in opens 30 minutes before).
    async fn starts_at(&self) -> ApiResult<Timestamp> {
        Ok(Timestamp(self.sheet()?.slot.starts_at))
    }

    /// When it ends, and its sign-in closes.
    async fn ends_at(&self) -> ApiResult<Timestamp> {
        Ok(Timestamp(self.sheet()?.slot.ends_at))
    }

    /// Where its sheet is downloaded as PDF, with the bearer token of its trainers or staff.
    async fn sheet_url(&self, ctx: &Context<'_>) -> ApiResult<String> {
        let base = &ctx.state()?.config.public_url;
        Ok(format!(
            "{base}/attendance-slots/{}/sheet.pdf",
            self.sheet()?.slot.id
        ))
    }

    /// When its trainer signed the sheet, once it did.
    async fn trainer_signed_at(&self) -> ApiResult<Option<Timestamp>> {
        Ok(self
            .sheet()?
            .trainer_signature()
            .map(|row| Timestamp(row.recorded_at)))
    }

    /// Whether the stored signatures and corrections still match the sheet's chain of hashes
    /// (false once a row was changed, removed or added behind Klub's back).
    async fn intact(&self) -> ApiResult<bool> {
        Ok(self.sheet()?.intact())
    }

    /// The hash the sheet's chain ends on, printed on the sheet.
    async fn final_hash(&self) -> ApiResult<String> {
        Ok(self.sheet()?.final_hash().to_owned())
    }

    /// Its trainers and staff only: each registrant's presence, in registration order.
    async fn attendance(&self, ctx: &Context<'_>) -> ApiResult<Vec<SlotAttendance>> {
        let me = ctx.viewer().require(Access::Account)?;
        let sheet = self.sheet()?;
        let trainers = ctx
            .loaders()?
            .trainers()
            .load_one(sheet.slot.activity_id)
            .await?
            .unwrap_or_default();
        policy::require_keeps_sheets_of(me, &trainers)?;
        Ok(self
            .sheets
            .registrations
            .iter()
            .map(|registration| self.line_of(registration.clone()))
            .collect())
    }
}

/// One registrant on one half-day's sheet.
pub struct SlotAttendance {
    slot: AttendanceSlot,
    registration: registration::Model,
}

impl SlotAttendance {
    fn line<T>(&self, read: impl FnOnce(&sheets::Line<'_>) -> T) -> ApiResult<T> {
        let registrations = std::slice::from_ref(&self.registration);
        let lines = self.slot.sheet()?.lines(registrations);
        lines
            .first()
            .map(read)
            .ok_or_else(|| ApiError::internal("a line per registration"))
    }
}

/// A registrant's presence on a half-day.
#[Object]
impl SlotAttendance {
    /// Signed, absent, excused or present by correction.
    async fn presence(&self) -> ApiResult<Presence> {
        self.line(|line| line.presence.into())
    }

    /// When the person signed, if it did.
    async fn signed_at(&self) -> ApiResult<Option<Timestamp>> {
        self.line(|line| line.signed_at.map(Timestamp))
    }

    /// Staff's reason, when the presence is a correction.
    async fn reason(&self) -> ApiResult<Option<String>> {
        self.line(|line| line.reason.map(str::to_owned))
    }

    /// The registration.
    async fn registration(&self) -> Registration {
        Registration(self.registration.clone())
    }

    /// The half-day.
    async fn slot(&self) -> AttendanceSlot {
        self.slot.clone()
    }
}

/// An open sign-in, to show in the room.
#[derive(SimpleObject)]
pub struct SignInCode {
    /// 6 characters; a new `openSignIn` replaces it.
    code: String,
    /// The code as a QR code, an SVG document.
    qr_svg: String,
    /// When the sign-in closes: the half-day's end.
    closes_at: Timestamp,
}

#[derive(Default)]
pub struct AttendanceMutation;

#[Object]
impl AttendanceMutation {
    /// Its trainers and staff, from 30 minutes before the half-day starts to its end: opens its
    /// sign-in with a new code (the previous one stops working). Outside the window: CONFLICT.
    async fn open_sign_in(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The half-day (`AttendanceSlot.id`).")] slot_id: ID,
    ) -> ApiResult<SignInCode> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let open = sign_in::open(
            &state.db,
            parse_id("slotId", &slot_id)?,
            me,
            state.config.timezone,
            state.now(),
        )
        .await?;
        Ok(SignInCode {
            code: open.code,
            qr_svg: open.qr_svg,
            closes_at: Timestamp(open.closes_at),
        })
    }

    /// A confirmed registrant, from its own account, with the code shown in the room and its
    /// signature (SVG path data in a 300 × 100 box, at most 20,000 characters). A wrong or
    /// closed code: BAD_USER_INPUT on `code`, counted like every guess. Signing again: CONFLICT.
    async fn sign_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The code shown in the room.")] code: String,
        #[graphql(desc = "The drawn signature, as SVG path data.")] signature: String,
    ) -> ApiResult<SlotAttendance> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let (row, slot) = sign_in::sign(
            &state.db,
            &code,
            &signature,
            me,
            &ctx.client(),
            state.config.timezone,
            state.now(),
        )
        .await?;
        line(ctx, slot.activity_id, slot.id, row).await
    }

    /// Its trainer, once the half-day's sign-in has opened: signs the sheet (once; later
    /// changes are staff corrections).
    async fn sign_sheet(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The half-day.")] slot_id: ID,
        #[graphql(desc = "The trainer's drawn signature, as SVG path data.")] signature: String,
    ) -> ApiResult<AttendanceSlot> {
        let me = ctx.viewer().require(Access::Account)?;
        let state = ctx.state()?;
        let slot = sign_in::sign_sheet(
            &state.db,
            parse_id("slotId", &slot_id)?,
            &signature,
            me,
            state.config.timezone,
            state.now(),
        )
        .await?;
        AttendanceSlot::read(ctx, slot.activity_id, slot.id).await
    }

    /// Staff only: corrects one registrant's presence on a half-day (a paper signature is
    /// PRESENT_BY_CORRECTION, an excused absence EXCUSED), with the reason; audited and
    /// printed on the sheet.
    async fn correct_attendance(
        &self,
        ctx: &Context<'_>,
        #[graphql(desc = "The half-day.")] slot_id: ID,
        #[graphql(desc = "The registration whose presence changes.")] registration_id: ID,
        #[graphql(desc = "Its presence from now on (not SIGNED: only the trainee signs).")]
        presence: Presence,
        #[graphql(desc = "Why (at most 500 characters).")] reason: String,
    ) -> ApiResult<SlotAttendance> {
        let viewer = ctx.viewer();
        let staff = viewer.staff()?;
        let state = ctx.state()?;
        let slot_id = parse_id("slotId", &slot_id)?;
        let correction = sign_in::Correction {
            slot_id,
            registration_id: parse_id("registrationId", &registration_id)?,
            presence: presence.into(),
            reason: &reason,
        };
        let row = sign_in::correct(
            &state.db,
            correction,
            staff,
            state.config.timezone,
            state.now(),
        )
        .await?;
        let activity_id = crate::training::slots::get(&state.db, slot_id, state.config.timezone)
            .await?
            .activity_id;
        line(ctx, activity_id, slot_id, row).await
    }
}

/// The line a change wrote, read back from the stored sheet.
async fn line(
    ctx: &Context<'_>,
    activity_id: i64,
    slot_id: i64,
    row: slot_presence::Model,
) -> ApiResult<SlotAttendance> {
    let slot = AttendanceSlot::read(ctx, activity_id, slot_id).await?;
    let registration = slot
        .sheets
        .registrations
        .iter()
        .find(|registration| Some(registration.id) == row.registration_id)
        .cloned()
        .ok_or(ApiError::NotFound("registration"))?;
    Ok(slot.line_of(registration))
}
