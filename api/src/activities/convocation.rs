//! The convocation a TRAINING's registrant receives with the confirmation of its seat, as a
//! training body sends one (funders ask to see it): the training, each session's date and
//! times, the place, the trainers, the programme's objectives, whom to contact about
//! accessibility, and where the whole programme is. French first, English where the person
//! chose it.

use entity::{
    activity::{self, Kind},
    session, training_programme, user,
};
use sea_orm::{ConnectionTrait, EntityTrait};

use crate::{
    config::Locale,
    error::ApiResult,
    heavy,
    mail::{Attachment, Mailer},
    pdf::{self, Line},
    people,
};

/// The convocation of `person` to `activity` as a PDF attachment; none for an activity that is
/// not a TRAINING.
pub async fn attachment(
    db: &impl ConnectionTrait,
    mailer: &Mailer,
    person: &user::Model,
    activity: &activity::Model,
    sessions: &[session::Model],
) -> ApiResult<Option<Attachment>> {
    if activity.kind != Kind::Training {
        return Ok(None);
    }
    let programme = training_programme::Entity::find_by_id(activity.id)
        .one(db)
        .await?;
    let trainers = people::service::trainer_names(db, activity).await?;
    let locale = mailer.locale_of(person);
    let lines = lines(
        mailer,
        locale,
        person,
        activity,
        sessions,
        programme.as_ref(),
        trainers,
    );
    let fr = locale == Locale::Fr;
    let title = format!(
        "{} {}",
        if fr {
            "Convocation"
        } else {
            "Notice to attend"
        },
        activity.title
    );
    let office = mailer.office_name.clone();
    let bytes = heavy::run(move || pdf::render(title, office, &lines)).await??;
    Ok(Some(Attachment {
        name: format!("convocation-{}.pdf", activity.id),
        content_type: "application/pdf",
        bytes,
    }))
}

fn lines(
    mailer: &Mailer,
    locale: Locale,
    person: &user::Model,
    activity: &activity::Model,
    sessions: &[session::Model],
    programme: Option<&training_programme::Model>,
    trainers: Option<String>,
) -> Vec<Line> {
    let fr = locale == Locale::Fr;
    let label = |fr_text: &'static str, en_text: &'static str| if fr { fr_text } else { en_text };
    let mut lines = vec![
        Line::title(18.0, mailer.office_name.clone()),
        Line::title(16.0, label("Convocation", "Notice to attend")),
        Line::blank(),
        Line::text(
            12.0,
            format!("{} {},", label("Bonjour", "Dear"), person.name),
        ),
        Line::text(
            12.0,
            format!(
                "{} « {} ».",
                label(
                    "nous avons le plaisir de vous convoquer à la formation",
                    "you are expected at the training"
                ),
                activity.title
            ),
        ),
        Line::blank(),
        Line::title(13.0, label("Dates et horaires", "Dates and times")),
    ];
    lines.extend(sessions.iter().map(|session| {
        Line::text(
            11.0,
            format!(
                "• {} {} – {} ({})",
                mailer.day(session.starts_at, locale),
                mailer.time(session.starts_at),
                mailer.time(session.ends_at),
                mailer.timezone.name()
            ),
        )
    }));
    if let Some(place) = &activity.location {
        lines.push(Line::text(
            12.0,
            format!("{} {place}", label("Lieu :", "Place:")),
        ));
    }
    if let Some(trainers) = trainers {
        lines.push(Line::text(
            12.0,
            format!("{} {trainers}", label("Formateur :", "Trainer:")),
        ));
    }
    if let Some(programme) = programme {
        lines.push(Line::blank());
        lines.push(Line::title(13.0, label("Objectifs", "Objectives")));
        lines.extend(
            programme
                .objectives
                .lines()
                .map(|objective| Line::text(11.0, format!("• {objective}"))),
        );
        lines.push(Line::blank());
        lines.push(Line::title(13.0, label("Accessibilité", "Accessibility")));
        lines.extend(
            programme
                .accessibility
                .lines()
                .map(|line| Line::text(11.0, line)),
        );
        lines.push(Line::blank());
        lines.push(Line::text(
            11.0,
            format!(
                "{} {}/activities/{}/programme.pdf",
                label("Programme complet :", "Full programme:"),
                mailer.public_url,
                activity.id
            ),
        ));
    }
    lines
}
