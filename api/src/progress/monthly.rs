//! The monthly report: the previous month's statistics as an HTML page with charts and a CSV,
//! mailed to the admins on the first day of each month (once, whatever the number of
//! instances: the `monthly_reports` row is the claim) and served to staff at
//! `/reports/{yyyy-mm}.html` and `.csv`. Charts are SVG drawn by plotters.

use chrono::{DateTime, Datelike, Months, NaiveDate, TimeZone, Utc};
use entity::{activity, monthly_report, user};
use minijinja::context;
use plotters::{coord::ranged1d::AsRangedCoord, prelude::*};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    sea_query::OnConflict,
};

use super::{
    assessments,
    report::{self, Report},
};
use crate::{
    db::begin_write,
    error::{ApiError, ApiResult},
    mail::{Attachment, Letter, Recipient},
    photos,
    safe_csv::SafeCsv,
    state::AppState,
};

/// A calendar month in the office's time zone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Month(NaiveDate);

impl Month {
    pub fn parse(text: &str) -> Option<Self> {
        let day = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok()?;
        (day.format("%Y-%m").to_string() == text).then_some(Self(day))
    }

    /// The month before the one `now` falls in.
    pub fn previous(state: &AppState, now: DateTime<Utc>) -> Option<Self> {
        let today = now.with_timezone(&state.config.timezone).date_naive();
        let first = today.with_day(1)?;
        first.checked_sub_months(Months::new(1)).map(Self)
    }

    pub fn key(self) -> String {
        self.0.format("%Y-%m").to_string()
    }

    fn back(self, months: u32) -> Option<Self> {
        self.0.checked_sub_months(Months::new(months)).map(Self)
    }

    /// Its bounds in UTC: [first day 00:00, next month's first day 00:00), local time.
    pub fn bounds(self, state: &AppState) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
        let tz = state.config.timezone;
        let start = |day: NaiveDate| {
            tz.from_local_datetime(&day.and_time(chrono::NaiveTime::MIN))
                .earliest()
                .map(|at| at.with_timezone(&Utc))
        };
        let next = self.0.checked_add_months(Months::new(1))?;
        Some((start(self.0)?, start(next)?))
    }
}

/// The first instant of `month` and of the next, in the office's time zone.
fn period(state: &AppState, month: Month) -> ApiResult<(DateTime<Utc>, DateTime<Utc>)> {
    month
        .bounds(state)
        .ok_or_else(|| ApiError::bad_input("month", "not a month of the calendar"))
}

fn chart_error(error: impl std::fmt::Display) -> ApiError {
    ApiError::internal(format!("chart: {error}"))
}

/// The charts' one colour.
const GREEN: RGBColor = RGBColor(11, 110, 79);

/// A 520×280 chart titled `title` over `x` and `y`, on white, as SVG: `draw` draws on it.
fn svg_chart<X: AsRangedCoord, Y: AsRangedCoord>(
    title: &str,
    x: X,
    y: Y,
    draw: impl FnOnce(
        &mut ChartContext<'_, SVGBackend<'_>, Cartesian2d<X::CoordDescType, Y::CoordDescType>>,
    ) -> ApiResult<()>,
) -> ApiResult<String> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (520, 280)).into_drawing_area();
        root.fill(&WHITE).map_err(chart_error)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(34)
            .y_label_area_size(44)
            .build_cartesian_2d(x, y)
            .map_err(chart_error)?;
        draw(&mut chart)?;
        root.present().map_err(chart_error)?;
    }
    Ok(svg)
}

/// A bar chart of `bars` (label, value) on 0..`top`, as SVG.
fn bars(title: &str, bars: &[(String, f64)], top: f64) -> ApiResult<String> {
    // A segmented range has one segment per value, the end included.
    let x = (0..bars.len().max(1) - 1).into_segmented();
    svg_chart(title, x, 0.0..top, |chart| {
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_label_formatter(&|x| match x {
                SegmentValue::CenterOf(i) => bars.get(*i).map(|b| b.0.clone()).unwrap_or_default(),
                _ => String::new(),
            })
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, value))| {
                let mut bar = Rectangle::new(
                    [
                        (SegmentValue::Exact(i), 0.0),
                        (SegmentValue::Exact(i + 1), *value),
                    ],
                    GREEN.filled(),
                );
                bar.set_margin(0, 0, 14, 14);
                bar
            }))
            .map_err(chart_error)?;
        Ok(())
    })
}

/// A line of `points` (label, value in %) over time, as SVG.
fn line(title: &str, points: &[(String, Option<f64>)]) -> ApiResult<String> {
    let x = 0..points.len().saturating_sub(1).max(1);
    svg_chart(title, x, 0.0..100.0, |chart| {
        let known = || {
            points
                .iter()
                .enumerate()
                .filter_map(|(i, (_, value))| Some((i, (*value)?)))
        };
        chart
            .configure_mesh()
            .x_labels(points.len())
            .x_label_formatter(&|i| points.get(*i).map(|p| p.0.clone()).unwrap_or_default())
            .draw()
            .map_err(chart_error)?;
        chart
            .draw_series(LineSeries::new(known(), GREEN.stroke_width(2)))
            .map_err(chart_error)?;
        // A month alone shows as a dot.
        chart
            .draw_series(known().map(|point| Circle::new(point, 4, GREEN.filled())))
            .map_err(chart_error)?;
        Ok(())
    })
}

fn percent(rate: Option<f64>) -> String {
    rate.map(|r| format!("{:.0} %", r * 100.0))
        .unwrap_or_else(|| "–".into())
}

fn kind_name(kind: entity::activity::Kind) -> String {
    kind.to_value()
}

/// The report page and its CSV.
pub struct Rendered {
    pub html: String,
    pub csv: Vec<u8>,
}

pub async fn render(state: &AppState, month: Month) -> ApiResult<Rendered> {
    // The report's statistics and its charts, drawn in memory: one per core at a time.
    let _turn = crate::heavy::turn().await?;
    let (from, to) = period(state, month)?;
    let report = report::programme(&state.db, from, to, state.config.answer_target).await?;
    let fill = bars(
        "Fill rate by kind (%)",
        &report
            .by_kind
            .iter()
            .map(|k| {
                let fill = report::rate(k.registrations, k.capacity).unwrap_or(0.0);
                (kind_name(k.kind), 100.0 * fill)
            })
            .collect::<Vec<_>>(),
        100.0,
    )?;
    let mut months = Vec::new();
    for back in (0..12).rev() {
        let Some(earlier) = month.back(back) else {
            continue;
        };
        let (from, to) = period(state, earlier)?;
        let attendance = report::attendance_rate(&state.db, from, to).await?;
        months.push((
            earlier.0.format("%m/%y").to_string(),
            attendance.map(|r| r * 100.0),
        ));
    }
    let attendance = line("Attendance rate over 12 months (%)", &months)?;
    let network = assessments::network(&state.db).await?;
    let maturity = bars(
        "Network maturity per axis (0-100)",
        &network
            .iter()
            .map(|n| (n.axis.name.clone(), n.average.unwrap_or(0.0)))
            .collect::<Vec<_>>(),
        100.0,
    )?;
    let figures = figures(&report);
    let ending = ending_rights(state).await?;
    let html = state
        .mailer
        .templates
        .page(
            "report",
            state.config.default_locale,
            context! {
                month => month.key(),
                office => &state.mailer.office_name,
                figures => figures.iter().map(|(k, v)| context! { name => k, value => v }).collect::<Vec<_>>(),
                kinds => report.by_kind.iter().map(|k| context! {
                    kind => kind_name(k.kind), held => k.held, registrations => k.registrations,
                    attendance => percent(report::rate(k.attended, k.registrations)),
                }).collect::<Vec<_>>(),
                charts => vec![fill, attendance, maturity],
                ending_rights => ending.iter().map(|e| context! {
                    id => e.id, activity => &e.activity, credit => &e.credit, until => &e.until,
                }).collect::<Vec<_>>(),
            },
        )?;
    let mut csv = SafeCsv::default();
    csv.row(["figure", "value"])?;
    for (name, value) in &figures {
        csv.row([name.as_str(), value.as_str()])?;
    }
    for kind in &report.by_kind {
        let name = kind_name(kind.kind);
        csv.row([format!("{name} held"), kind.held.to_string()])?;
        csv.row([
            format!("{name} registrations"),
            kind.registrations.to_string(),
        ])?;
    }
    for change in &report.maturity {
        csv.row([
            format!("maturity change: {}", change.axis.name),
            change
                .average_change
                .map(|c| format!("{c:.1}"))
                .unwrap_or_default(),
        ])?;
    }
    for photo in &ending {
        csv.row([
            format!(
                "photo rights ending: photo {} ({}, {})",
                photo.id, photo.activity, photo.credit
            ),
            photo.until.clone(),
        ])?;
    }
    Ok(Rendered {
        html,
        csv: csv.finish()?,
    })
}

/// A photo whose rights end soon, as the report lists it.
struct EndingRights {
    id: i64,
    activity: String,
    credit: String,
    until: String,
}

/// Photos whose rights end within [`photos::ENDING_SOON_DAYS`] of the report being drawn:
/// time to ask their authors again, or to stop using them.
async fn ending_rights(state: &AppState) -> ApiResult<Vec<EndingRights>> {
    let now = state.now();
    let until = now + chrono::Duration::days(photos::ENDING_SOON_DAYS);
    let ending = photos::service::ending_between(&state.db, now, until).await?;
    let titles: std::collections::HashMap<i64, String> = activity::Entity::find()
        .filter(activity::Column::Id.is_in(ending.iter().map(|photo| photo.activity_id)))
        .all(&state.db)
        .await?
        .into_iter()
        .map(|activity| (activity.id, activity.title))
        .collect();
    Ok(ending
        .into_iter()
        .map(|photo| EndingRights {
            id: photo.id,
            activity: titles.get(&photo.activity_id).cloned().unwrap_or_default(),
            credit: photo.credit,
            until: photo
                .rights_until
                .map(|until| until.date_naive().to_string())
                .unwrap_or_default(),
        })
        .collect())
}

fn figures(report: &Report) -> Vec<(String, String)> {
    let money = |cents: i64| format!("{:.2}", crate::numbers::real(cents) / 100.0);
    vec![
        ("activities held".into(), report.activities_held.to_string()),
        (
            "activities cancelled".into(),
            report.activities_cancelled.to_string(),
        ),
        (
            "cancelled for too few participants".into(),
            report.cancelled_for_too_few_participants.to_string(),
        ),
        ("registrations".into(), report.registrations.to_string()),
        ("fill rate".into(), percent(report.fill_rate())),
        ("attendance rate".into(), percent(report.attendance_rate())),
        ("no-shows".into(), report.no_shows().to_string()),
        (
            "newly trained partners".into(),
            report.newly_trained.to_string(),
        ),
        ("active partners".into(), report.active_partners.to_string()),
        (
            "club questions asked".into(),
            report.club_questions_asked.to_string(),
        ),
        (
            "club questions answered".into(),
            report.club_questions_answered.to_string(),
        ),
        ("group questions".into(), report.group_questions.to_string()),
        (
            "group questions answered within the target".into(),
            percent(report.group_questions_answered_in_target()),
        ),
        (
            "median first response (minutes)".into(),
            report
                .median_first_response_seconds
                .map(|s| format!("{:.0}", s / 60.0))
                .unwrap_or_else(|| "–".into()),
        ),
        ("revenue".into(), money(report.revenue_cents)),
        ("funded".into(), money(report.funded_cents)),
        (
            "complaints filed".into(),
            report.complaints_filed.to_string(),
        ),
        (
            "complaints answered late or not at all".into(),
            report.complaints_overdue.to_string(),
        ),
    ]
}

/// The scheduler's job: on the first day of a month (local time), the admins receive the
/// previous month's report, once.
pub async fn send_monthly(state: &AppState) -> ApiResult<bool> {
    let now = state.now();
    if now.with_timezone(&state.config.timezone).day() != 1 {
        return Ok(false);
    }
    let Some(month) = Month::previous(state, now) else {
        return Ok(false);
    };
    let tx = begin_write(&state.db).await?;
    let claimed = monthly_report::Entity::insert(monthly_report::ActiveModel {
        month: Set(month.key()),
        sent_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(monthly_report::Column::Month)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&tx)
    .await?;
    if claimed == 1 {
        let rendered = render(state, month).await?;
        mail_admins(state, &tx, month, &rendered, now).await?;
    }
    tx.commit().await?;
    Ok(claimed == 1)
}

async fn mail_admins(
    state: &AppState,
    db: &impl ConnectionTrait,
    month: Month,
    rendered: &Rendered,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let admins = user::Entity::find()
        .filter(user::Column::Role.eq(user::Role::Admin))
        .all(db)
        .await?;
    for admin in &admins {
        let letter = Letter::new(
            "monthly_report",
            Recipient::Account(admin),
            context! {
                name => &admin.name,
                month => month.key(),
                link => format!("{}/reports/{}.html", state.config.public_url, month.key()),
            },
        )
        .with_html(rendered.html.clone())
        .with_attachment(Attachment {
            name: format!("klub-report-{}.csv", month.key()),
            content_type: "text/csv; charset=utf-8",
            bytes: rendered.csv.clone(),
        });
        state.mailer.send(db, letter, now).await?;
    }
    Ok(())
}
